import { LIMITS, Scope } from '@tally/shared';
import { FieldResolver, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import { Workspace } from '../workspaces/workspace.entity';
import { ApiKey } from './api-key.entity';
import type { ApiKeyService } from './api-key.service';

/** Workspace.apiKeysExpiringSoon: what the API Keys page's expiry banner lists (issue 22). */
@Resolver(() => Workspace)
export class WorkspaceApiKeyExpiryResolver {
  constructor(private readonly service: ApiKeyService) {}

  // At most every key that is not revoked.
  @FieldResolver(() => [ApiKey], {
    description:
      'Active keys that expire within seven days, soonest first (rolled keys, whose end was chosen, are left out). Their OWNERs and ADMINs are emailed seven days and one day before, and at expiry.',
    complexity: ({ childComplexity }) => 1 + LIMITS.apiKeysPerWorkspace * childComplexity,
  })
  @RequiresScopes(Scope.KEYS_READ)
  apiKeysExpiringSoon(@Root() workspace: Workspace): Promise<ApiKey[]> {
    return this.service.expiringSoon(workspace.id);
  }
}
