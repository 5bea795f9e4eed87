import type { AuditAction } from '@tally/shared';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { decodeKeysetCursor, encodeCursor, pageSize } from '../../platform/pagination';
import { AuditEntry, type AuditEntryConnection } from './audit-entry.entity';

/** Page sizes of Workspace.auditLog. */
export const AUDIT_PAGE = { default: 20, max: 100 } as const;

/** The actions DESIGN.md lists (one list, in @tally/shared); each change writes exactly one. */
export { AuditAction } from '@tally/shared';

export interface AuditRecord {
  workspaceId: string;
  action: AuditAction;
  actor: Principal | null;
  /** Who acted when there is no actor: Tally itself, for scheduled work ("Tally"). */
  actorName?: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

export class AuditService {
  constructor(private readonly db: DataSource) {}

  /**
   * A workspace's entries, newest first, keyset-paged on (at, id). The cursor carries `at` to
   * the microsecond as PostgreSQL prints it, so no entry is skipped or repeated.
   */
  async page(workspaceId: string, first: number | undefined, after: string | undefined): Promise<AuditEntryConnection> {
    const size = pageSize(first, AUDIT_PAGE);
    const query = this.db
      .getRepository(AuditEntry)
      .createQueryBuilder('a')
      .addSelect(`to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, 'at_exact')
      .where('a.workspace_id = :workspaceId', { workspaceId })
      .orderBy('a.at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(size + 1);
    if (after) {
      const { at, id } = decodeKeysetCursor(after, 'uuid');
      query.andWhere('(a.at, a.id) < (:at::timestamptz, :id::uuid)', { at, id });
    }
    const { entities, raw } = await query.getRawAndEntities<{ at_exact: string }>();
    const nodes = entities.slice(0, size);
    const last = nodes.at(-1);
    const lastAt = raw[nodes.length - 1]?.at_exact;
    return {
      nodes,
      pageInfo: {
        hasNextPage: entities.length > size,
        endCursor: last && lastAt ? encodeCursor([lastAt, last.id]) : null,
      },
    };
  }
  /**
   * Written with the change's own transaction manager: the change and its entry commit
   * together. The actor's display name (a user's name, a key's name) is copied in by the same
   * statement, so the entry still says who acted after the member leaves or the key is gone.
   */
  async record(manager: EntityManager, record: AuditRecord): Promise<void> {
    const userId = record.actor?.kind === 'user' ? record.actor.userId : null;
    const apiKeyId = record.actor?.kind === 'apiKey' ? record.actor.apiKeyId : null;
    await manager.query(
      `INSERT INTO audit_entries
         (workspace_id, action, actor_user_id, actor_api_key_id, actor_name, target_type, target_id, details)
       VALUES ($1, $2, $3::uuid, $4::uuid,
         COALESCE((SELECT name FROM users WHERE id = $3::uuid),
                  (SELECT name FROM api_keys WHERE id = $4::uuid AND workspace_id = $1), $8),
         $5, $6, $7)`,
      [
        record.workspaceId,
        record.action,
        userId,
        apiKeyId,
        record.targetType ?? null,
        record.targetId ?? null,
        record.details ? JSON.stringify(record.details) : null,
        record.actorName ?? null,
      ],
    );
  }
}
