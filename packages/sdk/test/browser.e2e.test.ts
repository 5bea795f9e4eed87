import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { createKeySecret, createRoleTeam } from '@tally/server-test/factories';
import { type TestServer, startTestServer, waitFor } from '@tally/server-test/harness';
import { type ExportedEvent, createReporter } from '../src';

/**
 * The built browser bundle in a real Chromium (Debian's, as the dashboard's tests use it): what
 * is queued when the page is left or hidden goes with `fetch(…, { keepalive: true })` and
 * arrives, from Tally's own origin and from another one that CORS_ORIGINS admits (playwright
 * answers for the pages).
 */
const BUNDLE = join(__dirname, '..', 'dist', 'tally.browser.min.js');
/**
 * An origin other than Tally's, answered by playwright. It is on loopback too (a public origin
 * reaching a loopback Tally is blocked by Chromium's local network access rules, which a real
 * site and a real Tally, both public, never meet), so the test's context grants that permission.
 */
const OTHER_ORIGIN = 'http://localhost:9';

function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p),
  );
  if (!found) throw new Error('Chromium not found: run `node scripts/ensure-chromium.mjs` or set CHROMIUM_PATH.');
  return found;
}

let server: TestServer;
let browser: Browser;
let key: string;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run pnpm build first`);
  // The second test's page is on another origin, which Tally admits for CORS.
  server = await startTestServer({ CORS_ORIGINS: `${OTHER_ORIGIN},http://127.0.0.1` });
  const team = await createRoleTeam(server, 'Browser SDK Team');
  key = await createKeySecret(server, team.owner, team.teamId, 'EDITOR');
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-quic'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function exported(name: string): Promise<ExportedEvent[]> {
  const events: ExportedEvent[] = [];
  const reporter = createReporter({ url: server.url, key });
  const range = { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) };
  for await (const event of reporter.exportEvents({ ...range, filter: { names: [name] } })) events.push(event);
  return events;
}

/**
 * Opens a page on `origin` that loads the bundle and tracks five events named `name` with a
 * ten-minute flush interval, checks that nothing was sent, then leaves the page (pagehide) or
 * hides it (visibilitychange to hidden, as a phone does when the user switches apps), and
 * returns what arrived in Tally.
 */
async function trackThen(
  origin: string,
  name: string,
  how: 'leave' | 'hide',
): Promise<{ methods: string[]; events: ExportedEvent[] }> {
  const context = await browser.newContext({ permissions: ['local-network-access'] });
  try {
    const page = await context.newPage();
    const methods: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/events')) methods.push(request.method());
    });
    await page.route(`${origin}/sdk-check/tally.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: readFileSync(BUNDLE, 'utf8') }),
    );
    await page.route(`${origin}/sdk-check/`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><title>loading</title><script type="module">
          import { createTally } from '/sdk-check/tally.js';
          const tally = createTally({ key: ${JSON.stringify(key)}, url: ${JSON.stringify(server.url)}, flushIntervalMs: 600000 });
          for (let n = 0; n < 5; n += 1) tally.track(${JSON.stringify(name)}, { type: 'pageview', properties: { n } });
          document.title = 'tracked';
        </script></html>`,
      }),
    );
    await page.goto(`${origin}/sdk-check/`);
    await page.waitForFunction(() => document.title === 'tracked');
    // A ten-minute flush interval: nothing goes until the page is left.
    expect(methods).toEqual([]);
    if (how === 'leave') await page.goto('about:blank');
    else {
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
    }
    await waitFor(async () => (await exported(name)).length >= 5, 10_000, `the events sent on page hide (${origin})`);
    return { methods, events: await exported(name) };
  } finally {
    await context.close();
  }
}

test('leaving the page sends the queued events with keepalive; each arrives once', async () => {
  const { events } = await trackThen(server.url, 'browser_hide', 'leave');
  expect(events.map((e) => e.properties?.['n']).sort()).toEqual([0, 1, 2, 3, 4]);
}, 90_000);

test('from another origin (in CORS_ORIGINS): the keepalive send on a hidden page passes its preflight', async () => {
  const { events } = await trackThen(OTHER_ORIGIN, 'browser_hide_cors', 'hide');
  expect(events.map((e) => e.properties?.['n']).sort()).toEqual([0, 1, 2, 3, 4]);
}, 90_000);
