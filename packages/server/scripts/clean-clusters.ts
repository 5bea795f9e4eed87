import { join } from 'node:path';
import { loadConfig, withDotEnv } from '../src/platform/config';
import { formatBytes, listClusters, removeOrphans } from '../src/platform/db/orphans';

/**
 * `pnpm clean:clusters`: removes root's orphaned embedded PostgreSQL clusters, those under
 * EMBEDDED_PG_DIR/clusters whose DATA_DIR is gone or names another cluster (src/platform/db/orphans.ts).
 * A cluster whose PostgreSQL runs, whose DATA_DIR's Tally is alive, or whose DATA_DIR still
 * names it is never removed. `--unrecorded` also removes clusters older than an hour that record
 * no DATA_DIR (made by a Tally before it recorded one) and do not run.
 */
async function main(): Promise<void> {
  const config = loadConfig(withDotEnv(process.env));
  const folder = join(config.embeddedPgDir, 'clusters');
  const unrecorded = process.argv.includes('--unrecorded');
  const removed = await removeOrphans(config.embeddedPgDir, unrecorded);
  const bytes = removed.reduce((sum, c) => sum + c.bytes, 0);
  console.log(
    removed.length === 0
      ? `No orphaned clusters in ${folder}.`
      : `Removed ${removed.length} orphaned cluster${removed.length === 1 ? '' : 's'} (${formatBytes(bytes)}) from ${folder}.`,
  );
  const unknown = (await listClusters(config.embeddedPgDir)).filter((c) => c.state === 'unrecorded');
  if (unknown.length > 0) {
    const size = formatBytes(unknown.reduce((sum, c) => sum + c.bytes, 0));
    console.log(
      `${unknown.length} cluster${unknown.length === 1 ? '' : 's'} (${size}) in ${folder} record no DATA_DIR (made before Tally recorded it; a start of their Tally records it): ` +
        '`pnpm clean:clusters --unrecorded` removes them too, if no DATA_DIR you keep still uses them.',
    );
  }
}

main().catch((error: unknown) => {
  console.error('Cleaning clusters failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
