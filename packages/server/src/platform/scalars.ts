/** JSON fields use this marker type; graphql/schema.ts maps it to graphql-scalars' `JSON`. */
export class JsonValue {}
