import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { REPO_ROOT } from '../src/platform/config';
import type { BenchContext } from './context';
import { type Row, row } from './rows';

/** The budget for the SDK in a browser (issue 21, part 2). */
const SDK_BROWSER_TARGET_KB = 5;

/** The SDK's browser bundle, as `pnpm build` writes it (packages/sdk/rolldown.config.mjs). */
export function sdkBrowserBundle(): string {
  return join(REPO_ROOT, 'packages', 'sdk', 'dist', 'tally.browser.min.js');
}

/**
 * `pnpm bench sdk`: the gzip size of the SDK's minified browser bundle (the tracking half:
 * createTally, sessions, time(), batching, retries, the page-hide send; src/browser.ts), gzipped
 * with node:zlib at level 9 as the web group measures the dashboard's first load. The reporting
 * half is not in it: it is for Node and tools, in the package's main entry.
 */
export async function sdkRows(_context: BenchContext): Promise<Row[]> {
  const file = sdkBrowserBundle();
  if (!existsSync(file)) throw new Error(`${file} is missing: build the SDK first (pnpm build)`);
  const raw = readFileSync(file);
  const gzipped = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }).length;
  console.log(`  ${(raw.length / 1024).toFixed(1).padStart(6)} KB  minified, ${(gzipped / 1024).toFixed(1)} KB gzip`);
  return [
    row(
      'SDK browser bundle (the tracking half): gzip of the minified ESM file',
      gzipped / 1024,
      'KB',
      null,
      SDK_BROWSER_TARGET_KB,
      'lower',
    ),
  ];
}
