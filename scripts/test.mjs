#!/usr/bin/env node
// `pnpm test`: every test. The browser tests need Chromium (installed with apt when possible);
// without it, every other test still runs first, and then the run fails naming what is missing
// and how to get it: a missing browser never passes silently, in CI or anywhere else.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MISSING_CHROMIUM, ensureChromium } from './ensure-chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jest = createRequire(join(root, 'package.json')).resolve('jest/bin/jest');
const extra = process.argv.slice(2);

const chromium = ensureChromium();
const projects = chromium ? [] : ['--selectProjects', 'shared', 'server'];
const run = spawnSync(process.execPath, [jest, '--ci', ...projects, ...extra], { cwd: root, stdio: 'inherit' });
if (!chromium) {
  console.error(`\nThe browser tests did not run.\n${MISSING_CHROMIUM}`);
  process.exit(1);
}
process.exit(run.status ?? 1);
