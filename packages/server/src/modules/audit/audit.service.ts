import type { EntityManager } from 'typeorm';
import type { Principal } from '../../graphql/context';
import { AuditEntry } from './audit-entry.entity';

/** The actions DESIGN.md lists; each change writes exactly one. */
export const AuditAction = {
  TEAM_CREATED: 'team.created',
  TEAM_RENAMED: 'team.renamed',
  TEAM_DELETED: 'team.deleted',
  MEMBER_INVITED: 'member.invited',
  INVITATION_RESENT: 'invitation.resent',
  INVITATION_REVOKED: 'invitation.revoked',
  INVITATION_ACCEPTED: 'invitation.accepted',
  MEMBER_ROLE_CHANGED: 'member.role_changed',
  MEMBER_REMOVED: 'member.removed',
  MEMBER_LEFT: 'member.left',
  API_KEY_CREATED: 'api_key.created',
  API_KEY_REVOKED: 'api_key.revoked',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

export interface AuditRecord {
  workspaceId: string;
  action: AuditAction;
  actor: Principal | null;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

export class AuditService {
  /** Written with the change's own transaction manager: the change and its entry commit together. */
  async record(manager: EntityManager, record: AuditRecord): Promise<void> {
    const entry = manager.create(AuditEntry, {
      workspaceId: record.workspaceId,
      action: record.action,
      actorUserId: record.actor?.kind === 'user' ? record.actor.userId : null,
      actorApiKeyId: record.actor?.kind === 'apiKey' ? record.actor.apiKeyId : null,
      targetType: record.targetType ?? null,
      targetId: record.targetId ?? null,
      details: record.details ?? null,
    });
    await manager.save(entry);
  }
}
