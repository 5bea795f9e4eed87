#!/usr/bin/env node
// The browser tests drive Debian's Chromium through playwright-core; no browser is downloaded.
// This finds it, installs it with apt when running as root on Debian/Ubuntu, or explains what to do.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
const found = () => candidates.find((p) => existsSync(p));

if (found()) {
  process.exit(0);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  console.log('Chromium is missing: installing Debian’s chromium package for the browser tests…');
  execSync(
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation',
    {
      stdio: 'inherit',
    },
  );
  if (found()) process.exit(0);
}

console.error(
  [
    'The browser tests need Chromium and none was found.',
    '  Debian/Ubuntu: sudo apt-get install -y --no-install-recommends chromium fonts-liberation',
    '  Elsewhere: install Chromium or Chrome and set CHROMIUM_PATH=/path/to/the/binary',
  ].join('\n'),
);
process.exit(1);
