import type { Config } from '../src/platform/config';
import { runningDatabaseUrl, startEmbeddedPostgres } from '../src/platform/db/embedded';
import { type OwnerRecord, ownerAlive, readOwner } from '../src/platform/db/owner';

/** The live owner of DATA_DIR, waiting (bounded) for the URL of one that is still starting. */
export async function runningOwner(config: Config): Promise<OwnerRecord | undefined> {
  if (config.databaseUrl) return undefined;
  const end = Date.now() + 120_000;
  for (;;) {
    const owner = await readOwner(config.dataDir);
    if (!owner || !ownerAlive(owner)) return undefined;
    if (owner.url !== null) return owner;
    if (Date.now() > end)
      throw new Error(`the Tally starting on ${config.dataDir} (pid ${owner.pid}) did not start in time`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface ScriptDatabase {
  url: string;
  /** Which database it is, for a script's first line. */
  description: string;
  /** Stops the embedded PostgreSQL when this script started it; else nothing. */
  close(): Promise<void>;
}

/**
 * The PostgreSQL a script works on, the one Tally uses: DATABASE_URL; else DATA_DIR's embedded
 * PostgreSQL, the running Tally's while one runs there (never started or stopped under it), or
 * started by this script for its own time (and kept: the cluster is DATA_DIR's).
 */
export async function scriptDatabase(config: Config): Promise<ScriptDatabase> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, description: 'DATABASE_URL', close: () => Promise.resolve() };
  }
  const owner = await runningOwner(config);
  const running = owner ? await runningDatabaseUrl(config.dataDir, owner) : undefined;
  if (owner && running) {
    return {
      url: running,
      description: `the embedded PostgreSQL of the Tally running on DATA_DIR ${config.dataDir} (pid ${owner.pid})`,
      close: () => Promise.resolve(),
    };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    rootBase: config.embeddedPgDir,
    persistent: true,
  });
  return {
    url: embedded.url,
    description: `the embedded PostgreSQL of DATA_DIR ${config.dataDir}`,
    close: () => embedded.stop(),
  };
}
