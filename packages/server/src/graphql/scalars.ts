/** JSON fields use this marker type; schema.ts maps it to graphql-scalars' `JSON`. */
export class JsonValue {}
