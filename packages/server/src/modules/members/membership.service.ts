import type { MemberRole } from '@tally/shared';
import type { DataSource } from 'typeorm';
import { isUuid } from '../../errors';

export class MembershipService {
  constructor(private readonly db: DataSource) {}

  /**
   * The user's role in a live workspace, read from the database on every request (the
   * context caches it for that request only), so a role change or removal counts at once.
   */
  async roleOf(userId: string, workspaceId: string): Promise<MemberRole | null> {
    if (!isUuid(workspaceId)) return null;
    const rows: Array<{ role: MemberRole }> = await this.db.query(
      `SELECT m.role FROM members m JOIN workspaces w ON w.id = m.workspace_id
        WHERE m.workspace_id = $1 AND m.user_id = $2 AND w.deleted_at IS NULL`,
      [workspaceId, userId],
    );
    return rows[0]?.role ?? null;
  }
}
