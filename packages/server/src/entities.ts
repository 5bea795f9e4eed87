import { RefreshToken } from './modules/accounts/refresh-token.entity';
import { User } from './modules/accounts/user.entity';
import { Annotation } from './modules/annotations/annotation.entity';
import { ApiKey } from './modules/api-keys/api-key.entity';
import { ApiKeyPolicy } from './modules/api-keys/api-key-policy.entity';
import { AuditEntry } from './modules/audit/audit-entry.entity';
import { Invitation } from './modules/invitations/invitation.entity';
import { Membership } from './modules/workspaces/member.entity';
import { SavedFilter } from './modules/saved-filters/saved-filter.entity';
import { Workspace } from './modules/workspaces/workspace.entity';

/** The domains' TypeORM entities, given to the data source by the composition root (server.ts). */
export const ENTITIES = [
  User,
  RefreshToken,
  Workspace,
  Membership,
  ApiKey,
  ApiKeyPolicy,
  AuditEntry,
  Invitation,
  SavedFilter,
  Annotation,
];
