import {
  ApiKeyRole,
  ApiKeyStatus,
  Interval,
  InvitationStatus,
  MemberRole,
  PropertyOp,
  WorkspaceKind,
} from '@tally/shared';
import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { type ContainerType, buildSchema, registerEnumType } from 'type-graphql';
import { AccountResolver } from '../modules/accounts/account.resolver';
import { PasswordResetResolver } from '../modules/accounts/password-reset.resolver';
import { ApiKeyResolver, WorkspaceApiKeysResolver } from '../modules/api-keys/api-key.resolver';
import { AuditEntryResolver, WorkspaceAuditResolver } from '../modules/audit/audit.resolver';
import { InvitationResolver, WorkspaceInvitationsResolver } from '../modules/invitations/invitation.resolver';
import { MemberResolver, WorkspaceMembersResolver } from '../modules/members/member.resolver';
import { WorkspaceResolver } from '../modules/workspaces/workspace.resolver';
import { SavedFilterResolver, WorkspaceSavedFiltersResolver } from '../modules/saved-filters/saved-filter.resolver';
import { AnnotationResolver, WorkspaceAnnotationsResolver } from '../modules/annotations/annotation.resolver';
import {
  AnalyticsResolver,
  OverviewResolver,
  SessionResolver,
  WorkspaceAnalyticsResolver,
} from '../modules/analytics/analytics.resolver';
import { enforceDeclarations } from './auth-checker';
import { SCHEMA_DIRECTIVES } from './directives';
import { JsonValue } from './scalars';

let enumsRegistered = false;
function registerEnums(): void {
  if (enumsRegistered) return;
  enumsRegistered = true;
  registerEnumType(MemberRole, { name: 'MemberRole' });
  registerEnumType(ApiKeyRole, { name: 'ApiKeyRole' });
  registerEnumType(ApiKeyStatus, { name: 'ApiKeyStatus' });
  registerEnumType(InvitationStatus, { name: 'InvitationStatus' });
  registerEnumType(WorkspaceKind, { name: 'WorkspaceKind' });
  registerEnumType(Interval, { name: 'Interval' });
  registerEnumType(PropertyOp, { name: 'PropertyOp' });
}

export const RESOLVERS = [
  AccountResolver,
  PasswordResetResolver,
  WorkspaceResolver,
  ApiKeyResolver,
  WorkspaceApiKeysResolver,
  MemberResolver,
  WorkspaceMembersResolver,
  InvitationResolver,
  WorkspaceInvitationsResolver,
  WorkspaceAuditResolver,
  AuditEntryResolver,
  SavedFilterResolver,
  WorkspaceSavedFiltersResolver,
  AnnotationResolver,
  WorkspaceAnnotationsResolver,
  WorkspaceAnalyticsResolver,
  AnalyticsResolver,
  OverviewResolver,
  SessionResolver,
] as const;

/**
 * Builds the schema. Resolvers come from `container` (constructed with their services in
 * server.ts); printing the schema needs none, so the printer passes an empty container.
 */
export async function buildTallySchema(container: ContainerType): Promise<GraphQLSchema> {
  registerEnums();
  const schema = await buildSchema({
    resolvers: [...RESOLVERS],
    container,
    directives: SCHEMA_DIRECTIVES,
    scalarsMap: [
      { type: Date, scalar: DateTimeResolver },
      { type: JsonValue, scalar: JSONResolver },
    ],
    // Validation errors keep neither the argument object nor the value sent (a password).
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
  });
  return enforceDeclarations(schema);
}
