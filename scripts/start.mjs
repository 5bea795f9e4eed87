#!/usr/bin/env node
// `pnpm start`: builds what changed (scripts/build.mjs), then runs the server in this same
// process. One process (not `pnpm build && node …` in a shell) so that Ctrl-C reaches Tally
// alone, which stops in order and exits 0: no shell dies of the signal, so pnpm reports no
// failed command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error(build.error ? `Could not build Tally: ${build.error.message}` : 'The build failed (see above).');
  process.exit(build.status ?? 1);
}
await import(pathToFileURL(join(root, 'packages/server/dist/src/main.js')).href);
