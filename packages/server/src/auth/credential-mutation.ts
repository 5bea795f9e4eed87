import type { GraphQLField } from 'graphql';
import { Extensions } from 'type-graphql';

/**
 * Credential mutations: those that check a secret or issue a session (signUp, logIn,
 * refreshSession; acceptInvitation and the password reset join by taking the same decorator).
 * One operation may run at most one of them (graphql/credential-rule.ts), so aliases cannot turn one request into hundreds
 * of password checks or sessions; and each is priced high in the cost limit (graphql/limits.ts reads
 * `complexity` from the field's extensions), as a second line behind the rule.
 */
export const CREDENTIAL_EXTENSION = 'tallyCredential';

/** A fifth of the whole cost limit (MAX_COMPLEXITY in graphql/limits.ts). */
export const CREDENTIAL_COMPLEXITY = 1_000;

type MemberDecorator = PropertyDecorator & MethodDecorator;

/** Marks a mutation as a credential mutation: one per operation, and costly. */
export function CredentialMutation(): MemberDecorator {
  return Extensions({ [CREDENTIAL_EXTENSION]: true, complexity: CREDENTIAL_COMPLEXITY });
}

export function isCredentialField(field: GraphQLField<unknown, unknown>): boolean {
  return field.extensions[CREDENTIAL_EXTENSION] === true;
}
