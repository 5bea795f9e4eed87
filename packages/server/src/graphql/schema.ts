import {
  ApiKeyRole,
  ApiKeyStatus,
  Interval,
  InvitationStatus,
  MemberRole,
  OrderDirection,
  PropertyOp,
  SessionOrderField,
  WorkspaceKind,
} from '@tally/shared';
import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { type ContainerType, buildSchema, registerEnumType } from 'type-graphql';
import { AccountResolver } from '../modules/accounts/account.resolver';
import { PasswordResetResolver } from '../modules/accounts/password-reset.resolver';
// AuditEntry.actor before AuditEntry.actorApiKey (api-keys): fields print in the order they are declared.
import { AuditEntryResolver } from '../modules/audit/audit.resolver';
import {
  ApiKeyResolver,
  AuditEntryApiKeyResolver,
  WorkspaceApiKeysResolver,
} from '../modules/api-keys/api-key.resolver';
import { WorkspaceAuditResolver } from '../modules/workspaces/workspace-audit.resolver';
import { InvitationResolver, WorkspaceInvitationsResolver } from '../modules/invitations/invitation.resolver';
import { MemberResolver, WorkspaceMembersResolver } from '../modules/members/member.resolver';
import { WorkspaceResolver } from '../modules/workspaces/workspace.resolver';
import { workspaceOfRoot } from '../modules/workspaces/workspace.entity';
import { apiKeyWorkspaceOf } from '../modules/api-keys/api-key.entity';
import type { WorkspaceService } from '../modules/workspaces/workspace.service';
import type { AccountService } from '../modules/accounts/account.service';
import type { PasswordResetService } from '../modules/accounts/password-reset.service';
import type { ApiKeyService } from '../modules/api-keys/api-key.service';
import type { MembershipService } from '../modules/members/membership.service';
import type { InvitationService } from '../modules/invitations/invitation.service';
import type { AuditService } from '../modules/audit/audit.service';
import type { SavedFilterService } from '../modules/saved-filters/saved-filter.service';
import type { AnnotationService } from '../modules/annotations/annotation.service';
import type { AnalyticsService } from '../modules/analytics/analytics.service';
import { SavedFilterResolver, WorkspaceSavedFiltersResolver } from '../modules/saved-filters/saved-filter.resolver';
import { AnnotationResolver, WorkspaceAnnotationsResolver } from '../modules/annotations/annotation.resolver';
import {
  AnalyticsResolver,
  OverviewResolver,
  SessionConnectionResolver,
  SessionResolver,
  WorkspaceAnalyticsResolver,
} from '../modules/analytics/analytics.resolver';
// After every other resolver: fields print in the order their classes are declared.
import { AccountChangesResolver } from '../modules/accounts/account-changes.resolver';
import type { AccountChangeService } from '../modules/accounts/account-changes.service';
import {
  HomeWorkspaceResolver,
  type HomeWorkspaceService,
  WorkspaceLastEventResolver,
} from '../modules/workspaces/home-workspace.resolver';
import { WorkspaceApiKeyExpiryResolver } from '../modules/api-keys/api-key-expiry.resolver';
import { enforceDeclarations } from '../auth/auth-checker';
import { SCHEMA_DIRECTIVES } from './directives';
import { JsonValue } from '../platform/scalars';

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
  registerEnumType(SessionOrderField, { name: 'SessionOrderField' });
  registerEnumType(OrderDirection, { name: 'OrderDirection' });
}

/** The services the resolvers are built from (server.ts builds them). */
export interface ResolverServices {
  accounts: AccountService;
  passwordResets: PasswordResetService;
  accountChanges: AccountChangeService;
  homeWorkspace: HomeWorkspaceService;
  workspaces: WorkspaceService;
  apiKeys: ApiKeyService;
  memberships: MembershipService;
  invitations: InvitationService;
  audit: AuditService;
  savedFilters: SavedFilterService;
  annotations: AnnotationService;
  analytics: AnalyticsService;
}

type ResolverClass = abstract new (...args: never[]) => object;

/** A resolver class and how it is built from the services. */
interface ResolverEntry {
  resolver: ResolverClass;
  build(services: ResolverServices): object;
}

function entry<T extends object>(
  resolver: abstract new (...args: never[]) => T,
  build: (services: ResolverServices) => T,
): ResolverEntry {
  return { resolver, build };
}

/** Every resolver of the schema, listed once. */
export const RESOLVERS: readonly ResolverEntry[] = [
  entry(AccountResolver, (s) => new AccountResolver(s.accounts)),
  entry(PasswordResetResolver, (s) => new PasswordResetResolver(s.passwordResets)),
  entry(WorkspaceResolver, (s) => new WorkspaceResolver(s.workspaces)),
  entry(ApiKeyResolver, (s) => new ApiKeyResolver(s.apiKeys)),
  entry(WorkspaceApiKeysResolver, (s) => new WorkspaceApiKeysResolver(s.apiKeys)),
  entry(MemberResolver, (s) => new MemberResolver(s.memberships)),
  entry(WorkspaceMembersResolver, (s) => new WorkspaceMembersResolver(s.memberships)),
  entry(InvitationResolver, (s) => new InvitationResolver(s.invitations)),
  entry(WorkspaceInvitationsResolver, (s) => new WorkspaceInvitationsResolver(s.invitations)),
  entry(WorkspaceAuditResolver, (s) => new WorkspaceAuditResolver(s.audit)),
  entry(AuditEntryResolver, () => new AuditEntryResolver()),
  entry(AuditEntryApiKeyResolver, (s) => new AuditEntryApiKeyResolver(s.apiKeys)),
  entry(SavedFilterResolver, (s) => new SavedFilterResolver(s.savedFilters)),
  entry(WorkspaceSavedFiltersResolver, (s) => new WorkspaceSavedFiltersResolver(s.savedFilters)),
  entry(AnnotationResolver, (s) => new AnnotationResolver(s.annotations)),
  entry(WorkspaceAnnotationsResolver, (s) => new WorkspaceAnnotationsResolver(s.annotations)),
  entry(WorkspaceAnalyticsResolver, (s) => new WorkspaceAnalyticsResolver(s.analytics)),
  entry(AnalyticsResolver, (s) => new AnalyticsResolver(s.analytics)),
  entry(OverviewResolver, (s) => new OverviewResolver(s.analytics)),
  entry(SessionResolver, (s) => new SessionResolver(s.analytics)),
  entry(SessionConnectionResolver, (s) => new SessionConnectionResolver(s.analytics)),
  // The account page and the first day (issue 20): last, so that the schema's order stays.
  entry(AccountChangesResolver, (s) => new AccountChangesResolver(s.accountChanges)),
  entry(HomeWorkspaceResolver, (s) => new HomeWorkspaceResolver(s.homeWorkspace)),
  entry(WorkspaceLastEventResolver, (s) => new WorkspaceLastEventResolver(s.homeWorkspace)),
  // Expiry warnings (issue 22): after the rest, so that the schema's order stays.
  entry(WorkspaceApiKeyExpiryResolver, (s) => new WorkspaceApiKeyExpiryResolver(s.apiKeys)),
];

/** Resolvers built from the services; without services (printing the schema) none is built. */
function containerOf(services: ResolverServices | null): ContainerType {
  if (!services) {
    return {
      get: () => {
        throw new Error('this schema was built without services: it resolves nothing');
      },
    };
  }
  const built = new Map<unknown, object>(RESOLVERS.map(({ resolver, build }) => [resolver, build(services)]));
  return { get: (someClass: unknown) => built.get(someClass) };
}

/**
 * Builds the schema. Its resolvers are built from `services` (server.ts builds those); printing
 * the schema or walking its declarations needs none, and passes null.
 */
export async function buildTallySchema(services: ResolverServices | null): Promise<GraphQLSchema> {
  registerEnums();
  const [first, ...rest] = RESOLVERS.map(({ resolver }) => resolver);
  if (!first) throw new Error('no resolvers');
  const schema = await buildSchema({
    resolvers: [first, ...rest],
    container: containerOf(services),
    directives: SCHEMA_DIRECTIVES,
    scalarsMap: [
      { type: Date, scalar: DateTimeResolver },
      { type: JsonValue, scalar: JSONResolver },
    ],
    // Validation errors keep neither the argument object nor the value sent (a password).
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
  });
  // A key's own fields (its usage, its limits) are checked in the key's workspace.
  return enforceDeclarations(schema, (root) => workspaceOfRoot(root) ?? apiKeyWorkspaceOf(root));
}
