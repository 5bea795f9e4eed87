#!/usr/bin/env node
// `pnpm start`: builds every package, then runs the server in this same process. One process
// (not `pnpm build && node …` in a shell) so that Ctrl-C reaches Tally alone, which stops in
// order and exits 0: no shell dies of the signal, so pnpm reports no failed command.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// pnpm sets npm_execpath to itself when it runs a script; otherwise use the pnpm on the PATH.
const pnpm = process.env.npm_execpath;
const build = pnpm
  ? spawnSync(process.execPath, [pnpm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
  : spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) {
  console.error(build.error ? `Could not build Tally: ${build.error.message}` : 'The build failed (see above).');
  process.exit(build.status ?? 1);
}
await import(pathToFileURL(join(root, 'packages/server/dist/src/main.js')).href);
