import {
  DirectiveLocation,
  GraphQLDirective,
  GraphQLList,
  GraphQLNonNull,
  GraphQLString,
  specifiedDirectives,
} from 'graphql';

// Same names and argument shape as Apollo Federation's, so a router in front can read them.
export const authenticatedDirective = new GraphQLDirective({
  name: 'authenticated',
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT],
});

export const requiresScopesDirective = new GraphQLDirective({
  name: 'requiresScopes',
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT],
  args: {
    scopes: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))))),
    },
  },
});

/** The built-in ones first, or @include/@skip/@deprecated would vanish from the schema. */
export const SCHEMA_DIRECTIVES = [...specifiedDirectives, authenticatedDirective, requiresScopesDirective];
