#!/usr/bin/env node
// The browser tests drive Debian's Chromium through playwright-core; no browser is downloaded.
// This finds it, installs it with apt when running as root on Debian/Ubuntu, or says what to do.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// CHROMIUM_PATH, when set, is the only candidate: a setting that points nowhere is reported.
const candidates = () =>
  process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const found = () => candidates().find((p) => existsSync(p));

export const MISSING_CHROMIUM = [
  'The browser tests need Chromium and none was found.',
  '  Debian/Ubuntu: sudo apt-get install -y --no-install-recommends chromium fonts-liberation',
  '  Elsewhere: install Chromium or Chrome and set CHROMIUM_PATH=/path/to/the/binary',
].join('\n');

/** The Chromium to use, installing Debian's package when that is possible; null when there is none. */
export function ensureChromium() {
  if (found()) return found();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get') && !process.env.CHROMIUM_PATH) {
    console.log('Chromium is missing: installing Debian’s chromium package for the browser tests…');
    try {
      execSync(
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation',
        { stdio: 'inherit' },
      );
    } catch {
      // Reported below as missing.
    }
  }
  return found() ?? null;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (ensureChromium()) process.exit(0);
  console.error(MISSING_CHROMIUM);
  process.exit(1);
}
