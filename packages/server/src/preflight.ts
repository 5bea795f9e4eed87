import { loadConfig, withDotEnv } from './platform/config';
import { alreadyRunning, liveOwner } from './platform/db/owner';

/**
 * For scripts/start.mjs, before it builds anything: the one line to stop with when a live Tally
 * already serves this DATA_DIR's embedded PostgreSQL; undefined otherwise (also for a setting
 * that does not parse: the server itself then says what is wrong).
 */
export async function runningTally(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let config;
  try {
    config = loadConfig(withDotEnv(env));
  } catch {
    return undefined;
  }
  if (config.databaseUrl) return undefined;
  const owner = await liveOwner(config.dataDir);
  return owner ? alreadyRunning(owner, config.dataDir) : undefined;
}
