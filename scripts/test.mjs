#!/usr/bin/env node
// `pnpm test`: every test. The browser tests need Chromium (installed with apt when possible);
// without it, every other test still runs first, and then the run fails naming what is missing
// and how to get it: a missing browser never passes silently, in CI or anywhere else.
// The ClickHouse half of the event store tests needs chdb (installed once into a cache folder,
// scripts/ensure-chdb.mjs) and finds it through CHDB_DIR; without it they are skipped, and the
// run says so loudly at the end (without failing: chdb is an optional engine).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MISSING_CHDB, chdbFailure, ensureChdb } from './ensure-chdb.mjs';
import { MISSING_CHROMIUM, ensureChromium } from './ensure-chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jest = createRequire(join(root, 'package.json')).resolve('jest/bin/jest');
const extra = process.argv.slice(2);

const chromium = ensureChromium();
// Without it, every project but the browser tests' (named by what is left out, so a new one runs).
const projects = chromium ? [] : ['--ignoreProjects', 'web', 'sdk-browser'];
const chdb = ensureChdb();
// Without an install, no CHDB_DIR at all: the ClickHouse tests skip rather than fail on a bad one.
const { CHDB_DIR: _unusable, ...withoutChdb } = process.env;
// ts-node, which reads jest.config.ts, would keep a compile cache in the system temp folder
// (v8-compile-cache-lib): a test run leaves nothing there.
const env = { ...(chdb ? { ...process.env, CHDB_DIR: chdb } : withoutChdb), DISABLE_V8_COMPILE_CACHE: '1' };
// The project option after the caller's arguments: it takes every value that follows it, file patterns too.
// Node's default heap: on two cores jest runs every file in its own process, one after another
// (in band), and a finished file must leave nothing there that keeps its modules alive (a timer,
// a global): server-lifecycle.test.ts checks a closed Tally's timers, global-setup.ts its globals.
const run = spawnSync(process.execPath, [jest, '--ci', ...extra, ...projects], { cwd: root, stdio: 'inherit', env });
if (!chdb) {
  console.error(
    [
      '',
      '*** The ClickHouse half of the event store tests was SKIPPED: chdb is not installed. ***',
      `Installing it failed: ${chdbFailure()}`,
      MISSING_CHDB,
    ].join('\n'),
  );
}
if (!chromium) {
  console.error(`\nThe browser tests did not run.\n${MISSING_CHROMIUM}`);
  process.exit(1);
}
process.exit(run.status ?? 1);
