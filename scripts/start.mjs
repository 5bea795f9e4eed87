#!/usr/bin/env node
// `pnpm start`: builds what changed (scripts/build.mjs), then runs the server in this same
// process. One process (not `pnpm build && node …` in a shell) so that Ctrl-C reaches Tally
// alone, which stops in order and exits 0: no shell dies of the signal, so pnpm reports no
// failed command.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// A Tally already serving this DATA_DIR: one line saying where and what to do, before anything
// is built or touched. (The server checks again when it starts: this is only the early answer.)
const preflight = join(root, 'packages/server/dist/src/preflight.js');
if (existsSync(preflight)) {
  const { runningTally } = await import(pathToFileURL(preflight).href);
  const problem = await Promise.resolve()
    .then(() => runningTally(process.env))
    .catch(() => undefined);
  if (problem) {
    console.error(`Tally cannot start: ${problem}`);
    process.exit(1);
  }
}

// EVENTS_STORE=clickhouse without CLICKHOUSE_URL runs ClickHouse in-process (chdb), which is not
// installed by `pnpm install`: installed here once (one line says so), before building, and handed
// to the server below through CHDB_DIR. Settings as the server reads them: the environment over .env.
const settings = { ...dotEnv(join(root, '.env')), ...process.env };
if (settings.EVENTS_STORE === 'clickhouse' && !settings.CLICKHOUSE_URL) {
  const { chdbFailure, ensureChdb } = await import('./ensure-chdb.mjs');
  const chdb = ensureChdb({ env: settings.CHDB_DIR ? { ...process.env, CHDB_DIR: settings.CHDB_DIR } : process.env });
  if (!chdb) {
    console.error(
      `Tally cannot start: EVENTS_STORE=clickhouse without CLICKHOUSE_URL runs ClickHouse in-process (chdb), which is not installed and could not be installed: run \`pnpm chdb:install\` once the cause is fixed (${chdbFailure()}), or set CLICKHOUSE_URL to a ClickHouse server`,
    );
    process.exit(1);
  }
  process.env.CHDB_DIR = chdb;
}

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error(build.error ? `Could not build Tally: ${build.error.message}` : 'The build failed (see above).');
  process.exit(build.status ?? 1);
}
await import(pathToFileURL(join(root, 'packages/server/dist/src/main.js')).href);

/** A .env file's settings; none when there is no file, or one the server will report itself. */
function dotEnv(file) {
  try {
    return parseEnv(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}
