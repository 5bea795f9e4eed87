import type { DataSource } from 'typeorm';
import { type BatchedDeleteOptions, purgeWorkspaceRows } from '../../platform/jobs/batched-delete';
import type { JobQueue } from '../../platform/jobs/job-queue';
import type { EventStore } from '../events/event-store';

/** The job that deletes a deleted team's rows, queued in the deletion's own transaction. */
export const WORKSPACE_PURGE_JOB = 'workspace.purge';

export interface WorkspacePurgeJob {
  workspaceId: string;
}

/**
 * Tables whose rows belong to a workspace, children first, besides its event storage, which the
 * event store purges first (DESIGN.md: a deleted team's analytics data is purged in batches). The audit
 * entries stay with the workspace's tombstone: who deleted the team, and what it did before,
 * remains on record for the operator, while no user can reach them any more.
 */
export const WORKSPACE_TABLES = ['saved_filters', 'annotations', 'invitations', 'api_keys', 'members'] as const;

/**
 * Deletes what is left of a deleted workspace in batches that each commit, so a purge holds no
 * long locks and a killed one resumes where it stopped (it deletes whatever is still there; a
 * run cut short by `signal` throws, and the queue runs it again). Idempotent: only a workspace
 * marked deleted is ever purged, and a purged one is a no-op. The workspace row stays as a
 * tombstone (deleted_at, purged_at).
 */
export function defineWorkspacePurge(
  jobs: JobQueue,
  db: DataSource,
  events: Pick<EventStore, 'purgeWorkspace'>,
  options: BatchedDeleteOptions = {},
): void {
  jobs.define<WorkspacePurgeJob>({
    name: WORKSPACE_PURGE_JOB,
    retryLimit: 10,
    retryDelaySeconds: 30,
    expireInSeconds: 60 * 60,
    parse: (data) => {
      const id = (data as { workspaceId?: unknown } | null)?.workspaceId;
      if (typeof id !== 'string') throw new Error('workspace.purge needs a workspaceId');
      return { workspaceId: id };
    },
    handler: async ({ workspaceId }, job) => {
      const rows: Array<{ deleted: boolean }> = await db.query(
        `SELECT deleted_at IS NOT NULL AS deleted FROM workspaces WHERE id = $1`,
        [workspaceId],
      );
      if (!rows[0]?.deleted) return;
      const batches = { ...options, signal: job.signal };
      const stored = await events.purgeWorkspace(workspaceId, batches);
      const result = stored.done ? await purgeWorkspaceRows(db, workspaceId, WORKSPACE_TABLES, batches) : stored;
      if (!result.done) throw new Error('purge stopped early; the rest goes in the next run');
      await db.query(`UPDATE workspaces SET purged_at = now() WHERE id = $1 AND purged_at IS NULL`, [workspaceId]);
    },
  });
}
