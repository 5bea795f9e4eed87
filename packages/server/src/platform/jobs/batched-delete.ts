import type { DataSource } from 'typeorm';

/**
 * Deleting many rows without one long transaction: each batch is one DELETE of at most
 * `batchSize` rows that commits on its own, so locks stay short, other writers are never held
 * up for long, and a run cut off half-way (a kill, a restart, `signal`) loses nothing — the next
 * run simply deletes what is left. That makes a purge job idempotent and resumable by nature.
 *
 * A batch finds its rows with `where` and deletes them by physical row address
 * (`ctid = ANY(ARRAY(SELECT ctid … LIMIT n))`, a TID scan): no primary key needs to be known.
 * On a partitioned table (events) one batch may delete a few more matching rows than `n`.
 */
export interface BatchedDeleteOptions {
  /** Rows per batch. Default 1000. */
  batchSize?: number;
  /** Checked between batches: once aborted, the run stops and reports `done: false`. */
  signal?: AbortSignal;
  /** Called after every batch that deleted something (progress logs, tests). */
  onBatch?: (table: string, deleted: number) => void;
}

export interface BatchedDeleteResult {
  deleted: number;
  /** False when the run stopped early (signal); what is left goes next time. */
  done: boolean;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Table and column names come from code, never from input; checked anyway before quoting. */
function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain table or column name: ${name}`);
  return `"${name}"`;
}

/**
 * Deletes the rows of `table` matching `where` (SQL written in code, its values as `$1`…`$n`
 * in `params`, never pasted in) in batches, until none is left or `signal` is aborted.
 */
export async function deleteInBatches(
  db: DataSource,
  table: string,
  where: string,
  params: readonly unknown[],
  options: BatchedDeleteOptions = {},
): Promise<BatchedDeleteResult> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer`);
  const t = quoteIdentifier(table);
  // `where` is repeated outside: a partitioned table's partitions share ctids, so a ctid alone
  // could name another workspace's row in another partition.
  const sql = `DELETE FROM ${t} WHERE ${where} AND ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE ${where} LIMIT $${params.length + 1}))`;
  const runner = db.createQueryRunner();
  let deleted = 0;
  try {
    for (;;) {
      if (options.signal?.aborted) return { deleted, done: false };
      const result = await runner.query(sql, [...params, batchSize], true);
      const count = result.affected ?? 0;
      deleted += count;
      if (count > 0) options.onBatch?.(table, count);
      if (count < batchSize) return { deleted, done: true };
    }
  } finally {
    await runner.release();
  }
}

export interface WorkspacePurgeResult {
  /** Rows deleted per table in this run. */
  deleted: Record<string, number>;
  done: boolean;
}

/**
 * Deletes every row of one workspace from `tables`, in the order given (children before the
 * tables they reference), in batches that each commit. Run it again after an interruption: it
 * carries on with what is left. `column` names the workspace column (default `workspace_id`,
 * which leads every workspace-owned table's indexes).
 */
export async function purgeWorkspaceRows(
  db: DataSource,
  workspaceId: string,
  tables: readonly string[],
  options: BatchedDeleteOptions & { column?: string } = {},
): Promise<WorkspacePurgeResult> {
  const column = quoteIdentifier(options.column ?? 'workspace_id');
  const deleted: Record<string, number> = {};
  for (const table of tables) {
    const result = await deleteInBatches(db, table, `${column} = $1`, [workspaceId], options);
    deleted[table] = result.deleted;
    if (!result.done) return { deleted, done: false };
  }
  return { deleted, done: true };
}
