import type { DataSource } from 'typeorm';
import { type BatchedDeleteOptions, purgeWorkspaceRows } from '../../platform/jobs/batched-delete';
import type { JobQueue } from '../../platform/jobs/job-queue';
import type { EventStore } from '../events/event-store';

/** The job that deletes a deleted team's rows, queued in the deletion's own transaction. */
export const WORKSPACE_PURGE_JOB = 'workspace.purge';

export interface WorkspacePurgeJob {
  workspaceId: string;
  /** The second pass, a while after the first: it schedules no further one. */
  sweep?: boolean;
}

export interface WorkspacePurgeOptions extends BatchedDeleteOptions {
  /** How long after the first pass the sweep runs (default 5 minutes). */
  sweepAfterSeconds?: number;
}

/**
 * Ingest checks that a workspace is live before and after it writes a batch, from a cache that
 * the change feed empties; a batch already being written when the team was deleted can still
 * land after the first pass, before this instance hears of the deletion. The sweep removes such
 * stragglers: a write takes seconds at most (every pool waits DATABASE_CONNECT_TIMEOUT_MS), so
 * minutes later nothing of the workspace is left behind.
 */
export const PURGE_SWEEP_AFTER_SECONDS = 5 * 60;

/**
 * Tables whose rows belong to a workspace, children first, besides its event storage, which the
 * event store purges first (DESIGN.md: a deleted team's analytics data is purged in batches). The audit
 * entries stay with the workspace's tombstone: who deleted the team, and what it did before,
 * remains on record for the operator, while no user can reach them any more.
 */
export const WORKSPACE_TABLES = [
  'saved_filters',
  'annotations',
  'invitations',
  'api_key_usage',
  'api_keys',
  'members',
] as const;

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
  options: WorkspacePurgeOptions = {},
): void {
  const { sweepAfterSeconds = PURGE_SWEEP_AFTER_SECONDS, ...deletes } = options;
  jobs.define<WorkspacePurgeJob>({
    name: WORKSPACE_PURGE_JOB,
    retryLimit: 10,
    retryDelaySeconds: 30,
    expireInSeconds: 60 * 60,
    parse: (data) => {
      const job = data as { workspaceId?: unknown; sweep?: unknown } | null;
      if (typeof job?.workspaceId !== 'string') throw new Error('workspace.purge needs a workspaceId');
      return { workspaceId: job.workspaceId, sweep: job.sweep === true };
    },
    handler: async ({ workspaceId, sweep }, job) => {
      const rows: Array<{ deleted: boolean }> = await db.query(
        `SELECT deleted_at IS NOT NULL AS deleted FROM workspaces WHERE id = $1`,
        [workspaceId],
      );
      if (!rows[0]?.deleted) return;
      const batches = { ...deletes, signal: job.signal };
      const stored = await events.purgeWorkspace(workspaceId, batches);
      const result = stored.done ? await purgeWorkspaceRows(db, workspaceId, WORKSPACE_TABLES, batches) : stored;
      if (!result.done) throw new Error('purge stopped early; the rest goes in the next run');
      // Queued before the tombstone is marked, so a run cut short here queues it again (once: the key).
      if (!sweep) {
        await jobs.send<WorkspacePurgeJob>(
          WORKSPACE_PURGE_JOB,
          { workspaceId, sweep: true },
          { startAfterSeconds: sweepAfterSeconds, singletonKey: `sweep:${workspaceId}` },
        );
      }
      await db.query(`UPDATE workspaces SET purged_at = now() WHERE id = $1 AND purged_at IS NULL`, [workspaceId]);
    },
  });
}
