import { existsSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../src/platform/config';
import { createTally } from '../src/server';
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { type BenchContext, PINNING, execFileAsync, signUp } from './context';
import { loadEvents } from './dataset';
import { cpuMsOf, executableOf, processTree } from './machine';
import { quantile } from './rows';

/** Cold loads measured; the figure is their median. */
const LOADS = Number(process.env.BENCH_WEB_LOADS ?? 7);
/** Events in the workspace whose Overview is loaded (30 days of them, the analytics dataset's shape). */
const EVENTS = Number(process.env.BENCH_WEB_EVENTS ?? 200_000);

/** The issue's conditions: a mid-range laptop on an ordinary connection. */
export const CONDITIONS = {
  cpuSlowdown: 4,
  latencyMs: 40,
  bitsPerSecond: 10_000_000,
} as const;

/** Debian's Chromium (apt), or CHROMIUM_PATH: the same lookup as the web tests (packages/web/test/browser.ts). */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p)) ?? null;
}

/** Chromium as the web tests launch it (packages/web/test/browser.ts), on the load core when pinning. */
async function launch(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  // Every process Chromium has now (the zygote included) on the load generators' core, so that the
  // renderers it forks later are there too, away from the server's core.
  if (PINNING) {
    for (const pid of processTree(process.pid)) {
      if (pid === process.pid || !/chrom/i.test(executableOf(pid))) continue;
      await execFileAsync('taskset', ['-a', '-p', '-c', '1', String(pid)]).catch(() => undefined);
    }
  }
  return browser;
}

/** What one cold load of the Overview took, from the start of the navigation (ms). */
export interface ColdLoad {
  /** The first frame in which the chart's drawn area (an SVG path with data) is in the page. */
  chartMs: number;
  /**
   * CPU time Chromium's processes used from the navigation until the chart was drawn (its renderer
   * at the throttled rate: the slowdown is paid in waiting, not in CPU), less sensitive than
   * `chartMs` to other work on the machine.
   */
  cpuMs: number;
  /** The HTML's last byte. */
  htmlMs: number;
  /** JS the page fetched until the chart was drawn: files and bytes on the wire. */
  scripts: number;
  scriptBytes: number;
  /** GraphQL requests until then, each as [operation, start, end]. */
  graphql: Array<[string, number, number]>;
  /** Every JS file fetched: [path, start, end, bytes on the wire]. */
  files: Array<[string, number, number, number]>;
}

/**
 * Run in the page before its scripts: notes the frame in which the Overview chart's area
 * (`path.tally-chart-area`) first holds a path (`performance.now()`, from the start of the
 * navigation) in `window.__tallyChartDrawn`, and marks it `tally:chart-drawn` (page code, as a
 * string: the bench is compiled without the DOM's types). `path.recharts-area-area` is the same
 * area in builds from before the charts moved to visx, so that BENCH_WEB_COMPARE can still take
 * turns with one of them.
 */
const WATCH_CHART = `(() => {
  const drawn = () => {
    const area = document.querySelector('path.tally-chart-area, path.recharts-area-area');
    return area !== null && (area.getAttribute('d') || '').length > 0;
  };
  const observer = new MutationObserver(() => {
    if (!drawn()) return;
    observer.disconnect();
    requestAnimationFrame(() => {
      window.__tallyChartDrawn = performance.now();
      performance.mark('tally:chart-drawn');
    });
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['d'] });
})();`;

/** What the page says once the chart is drawn: when, and the resources fetched until then. */
function pageTimings(): PageTimings {
  // In the page (a function, not a string: the dashboard's CSP forbids eval); typed loosely, as
  // the bench is compiled without the DOM's types.
  type Entry = { name: string; startTime: number; responseEnd: number; transferSize: number };
  const entries = (type: string): Entry[] =>
    performance
      .getEntries()
      .filter((entry) => entry.entryType === type)
      .map((entry) => ({
        name: entry.name,
        startTime: entry.startTime,
        // Fields of the page's navigation and resource timings (PerformanceResourceTiming).
        responseEnd: Number(Reflect.get(entry, 'responseEnd')),
        transferSize: Number(Reflect.get(entry, 'transferSize')),
      }));
  const chartMs = Number(Reflect.get(globalThis, '__tallyChartDrawn'));
  const nav = entries('navigation')[0];
  return {
    chartMs,
    htmlMs: nav ? nav.responseEnd : Number.NaN,
    timeOrigin: performance.timeOrigin,
    resources: entries('resource')
      .filter((r) => r.startTime <= chartMs)
      .map((r) => ({ name: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd, bytes: r.transferSize })),
  };
}

interface PageTimings {
  chartMs: number;
  htmlMs: number;
  timeOrigin: number;
  resources: Array<{ name: string; start: number; end: number; bytes: number }>;
}

async function coldLoad(
  browser: Browser,
  url: string,
  account: { email: string; password: string },
  path: string,
): Promise<ColdLoad> {
  // A new context: an empty HTTP cache, no storage; the refresh cookie of a fresh log-in, as a
  // returning user's browser holds it.
  const context: BrowserContext = await browser.newContext({ baseURL: url, viewport: { width: 1440, height: 900 } });
  try {
    const logIn = await context.request.post('/graphql', {
      data: {
        query: 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }',
        variables: { e: account.email, p: account.password },
      },
    });
    if (!logIn.ok()) throw new Error(`log-in failed: ${logIn.status()} ${await logIn.text()}`);
    await context.addInitScript({ content: WATCH_CHART });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CONDITIONS.cpuSlowdown });
    // BENCH_WEB_PROFILE=<file>: the page's JS CPU profile (.cpuprofile, the last load's) for DevTools.
    if (process.env.BENCH_WEB_PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    // BENCH_WEB_TRACE=<file>: a Chromium performance trace (the last load's) for DevTools' Performance panel.
    if (process.env.BENCH_WEB_TRACE) {
      await browser.startTracing(page, { path: process.env.BENCH_WEB_TRACE, screenshots: false });
    }
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: CONDITIONS.latencyMs,
      downloadThroughput: CONDITIONS.bitsPerSecond / 8,
      uploadThroughput: CONDITIONS.bitsPerSecond / 8,
    });
    const graphql: Array<{ name: string; request: Request }> = [];
    page.on('requestfinished', (request) => {
      if (!request.url().endsWith('/graphql')) return;
      const body = request.postDataJSON() as { operationName?: string } | null;
      graphql.push({ name: body?.operationName ?? '?', request });
    });
    const chromiumCpu = () => cpuMsOf(processTree(process.pid), /chrom/i);
    const cpuBefore = chromiumCpu();
    await page.goto(path, { waitUntil: 'commit' });
    await page.waitForFunction(() => Reflect.get(globalThis, '__tallyChartDrawn') !== undefined, undefined, {
      // Minutes, not seconds: on a busy machine a throttled load has taken close to one.
      timeout: 300_000,
      polling: 100,
    });
    if (errors.length > 0) throw new Error(`the page threw: ${errors.join('; ')}`);
    const cpuMs = chromiumCpu() - cpuBefore;
    const timings = await page.evaluate(pageTimings);
    if (process.env.BENCH_WEB_PROFILE) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(process.env.BENCH_WEB_PROFILE, JSON.stringify(profile));
    }
    if (process.env.BENCH_WEB_TRACE) await browser.stopTracing();
    const scripts = timings.resources.filter((r) => r.name.endsWith('.js'));
    return {
      chartMs: timings.chartMs,
      cpuMs,
      htmlMs: timings.htmlMs,
      scripts: scripts.length,
      scriptBytes: scripts.reduce((sum, r) => sum + r.bytes, 0),
      graphql: graphql
        .map(({ name, request }): [string, number, number] => {
          const timing = request.timing();
          const start = timing.startTime - timings.timeOrigin;
          return [name, start, start + timing.responseEnd];
        })
        .filter(([, start]) => start <= timings.chartMs),
      files: (process.env.BENCH_WEB_FILES === 'all' ? timings.resources : scripts).map(
        (r): [string, number, number, number] => [r.name, r.start, r.end, r.bytes],
      ),
    };
  } finally {
    await context.close();
  }
}

const ms = (n: number) => `${n.toFixed(0)} ms`;

/**
 * The dashboard's first view: the Overview of a workspace with `BENCH_WEB_EVENTS` events (30
 * days), opened cold (empty cache, a refresh cookie only) in Debian's Chromium with the CPU
 * slowed 4× and a 10 Mbit/s, 40 ms network (Chrome DevTools Protocol), until its chart is drawn.
 * Returns the median of `BENCH_WEB_LOADS` loads, or null (with the row failed) without Chromium.
 */
export async function coldOverview(context: BenchContext, rowName: string): Promise<ColdLoad | null> {
  const executablePath = chromiumPath();
  if (!executablePath) {
    context.failed(rowName, 'Chromium not found: run `node scripts/ensure-chromium.mjs` or set CHROMIUM_PATH');
    return null;
  }
  const { tally, url } = context;
  const account = await signUp(url, 'web');
  const loaded = await loadEvents(context, account.workspaceId, EVENTS, { log: false });
  await tally.services.events.settle();
  console.log(`  cold Overview: ${loaded.events.toLocaleString('en')} events in the workspace, folded`);
  // BENCH_WEB_COMPARE=<a built dashboard>: a second Tally serves it, on the same PostgreSQL, and
  // the loads take turns between the two (for measuring a change to the dashboard in one run).
  const compareDir = process.env.BENCH_WEB_COMPARE;
  const other = compareDir
    ? await createTally(
        loadConfig({
          ...process.env,
          NODE_ENV: 'production',
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          DATABASE_URL: tally.databaseUrl,
          WEB_DIST_DIR: compareDir,
        }),
      )
    : null;
  const otherUrl = other ? await other.listen() : null;
  const browser = await launch(executablePath);
  try {
    const path = `/w/${account.workspaceId}/overview`;
    // One load first, not counted: the server's own caches (and Chromium's disk ones) warm, as on
    // a server that has been up; the browser's HTTP cache is new in each load.
    await coldLoad(browser, url, account, path);
    if (otherUrl) await coldLoad(browser, otherUrl, account, path);
    const loads: ColdLoad[] = [];
    const compared: ColdLoad[] = [];
    const line = (label: string, load: ColdLoad) =>
      `  ${label}: chart drawn at ${ms(load.chartMs)}, Chromium CPU ${ms(load.cpuMs)} (HTML ${ms(load.htmlMs)}; ${load.scripts} JS files, ${(load.scriptBytes / 1024).toFixed(0)} KB on the wire; GraphQL ${load.graphql.map(([name, start, end]) => `${name} ${start.toFixed(0)}–${end.toFixed(0)}`).join(', ')})`;
    for (let i = 0; i < LOADS; i += 1) {
      const load = await coldLoad(browser, url, account, path);
      loads.push(load);
      console.log(line(`load ${i + 1}`, load));
      if (otherUrl) {
        const load = await coldLoad(browser, otherUrl, account, path);
        compared.push(load);
        console.log(line(`${compareDir ?? ''} ${i + 1}`, load));
      }
    }
    const median = quantile(
      loads.map((l) => l.chartMs),
      0.5,
    );
    const typical = loads.find((l) => l.chartMs === median) ?? loads[0];
    // BENCH_WEB_FILES=1: when each JS file of the median load came (=all: every resource).
    if (typical && process.env.BENCH_WEB_FILES) {
      for (const [name, start, end, bytes] of typical.files) {
        console.log(
          `    ${name.padEnd(48)} ${ms(start).padStart(8)} – ${ms(end).padStart(8)} ${(bytes / 1024).toFixed(1)} KB`,
        );
      }
    }
    if (compared.length > 0) {
      const med = (xs: ColdLoad[], f: (l: ColdLoad) => number) => quantile(xs.map(f), 0.5);
      console.log(
        `  medians: this dashboard ${ms(median)} (CPU ${ms(med(loads, (l) => l.cpuMs))}), ${compareDir ?? ''} ${ms(med(compared, (l) => l.chartMs))} (CPU ${ms(med(compared, (l) => l.cpuMs))})`,
      );
    }
    return typical ?? null;
  } finally {
    await browser.close();
    await other?.close();
  }
}
