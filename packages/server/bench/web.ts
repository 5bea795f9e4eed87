import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { CONDITIONS, coldOverview } from './browser';
import type { BenchContext } from './context';
import { type Row, row } from './rows';

/** The budget for what the dashboard loads before any page (issue 10, item 8). */
const FIRST_LOAD_TARGET_KB = 200;
/** The budget for the Overview's chart, opened cold on a slow laptop and network (issue 19, item 6). */
const COLD_OVERVIEW_TARGET_MS = 1500;

/** `<script type="module" src>` and `<link rel="modulepreload" href>` of an HTML page, in order. */
export function firstLoadScripts(html: string): string[] {
  const found: string[] = [];
  for (const [tag] of html.matchAll(/<(?:script|link)\b[^>]*>/gi)) {
    const attribute = (name: string) => new RegExp(`\\b${name}\\s*=\\s*["']?([^"'\\s>]+)`, 'i').exec(tag)?.[1];
    const isModule = /^<script/i.test(tag) && attribute('type') === 'module';
    const isPreload = /^<link/i.test(tag) && attribute('rel') === 'modulepreload';
    const url = isModule ? attribute('src') : isPreload ? attribute('href') : undefined;
    if (url) found.push(url);
  }
  return found;
}

/** A module's static imports (`import … from "./x.js"`, `import "./x.js"`); `import("./x.js")` is a page's, not the first load's. */
function staticImports(code: string): string[] {
  return [...code.matchAll(/\b(?:from|import)\s*["'](\.{1,2}\/[^"']+\.js)["']/g)].flatMap((m) => (m[1] ? [m[1]] : []));
}

/**
 * The JS files index.html loads before any route: its module script and modulepreloads, plus
 * (should Vite ever leave one out of the preloads) whatever those import statically.
 */
export function firstLoadFiles(distDir: string): string[] {
  const indexHtml = join(distDir, 'index.html');
  if (!existsSync(indexHtml)) throw new Error(`${indexHtml} is missing: build the web app first (pnpm build)`);
  const toFile = (url: string) => resolve(distDir, url.replace(/^\//, '').split(/[?#]/)[0] ?? '');
  const pending = firstLoadScripts(readFileSync(indexHtml, 'utf8')).map(toFile);
  const files = new Set<string>();
  for (let file = pending.shift(); file !== undefined; file = pending.shift()) {
    if (files.has(file)) continue;
    if (!existsSync(file)) throw new Error(`index.html loads ${file}, which is not in ${distDir}`);
    files.add(file);
    for (const imported of staticImports(readFileSync(file, 'utf8'))) pending.push(resolve(dirname(file), imported));
  }
  return [...files];
}

/**
 * `pnpm bench web`, the dashboard as a browser meets it:
 *
 * - first load: the gzip size of the JS that the built index.html (the one this Tally serves)
 *   loads before any route. Each file is gzipped with node:zlib at level 9, the level of the .gz
 *   copies the web build writes next to them (vite.config.ts) and the server sends. CSS is not
 *   counted (JS only, as the issue states).
 * - first view: the Overview opened cold in Chromium, CPU 4× slower, 10 Mbit/s and 40 ms, until
 *   its chart is drawn (browser.ts).
 */
export async function webRows(context: BenchContext): Promise<Row[]> {
  const distDir = context.config.webDistDir;
  const files = firstLoadFiles(distDir);
  let bytes = 0;
  for (const file of files) {
    const size = gzipSync(readFileSync(file), { level: constants.Z_BEST_COMPRESSION }).length;
    bytes += size;
    console.log(`  ${(size / 1024).toFixed(1).padStart(6)} KB  ${relative(distDir, file)}`);
  }
  console.log(`  ${(bytes / 1024).toFixed(1).padStart(6)} KB  in ${files.length} files`);
  const rows = [
    row(
      'dashboard first load: JS gzip of what index.html loads before any route',
      bytes / 1024,
      'KB',
      null,
      FIRST_LOAD_TARGET_KB,
      'lower',
    ),
  ];
  const coldName = `dashboard first view: Overview opened cold until its chart is drawn (Chromium, CPU ${CONDITIONS.cpuSlowdown}× slower, ${CONDITIONS.bitsPerSecond / 1e6} Mbit/s, ${CONDITIONS.latencyMs} ms): median`;
  const cold = await coldOverview(context, coldName);
  if (cold) rows.push(row(coldName, cold.chartMs, 'ms', null, COLD_OVERVIEW_TARGET_MS, 'lower'));
  return rows;
}
