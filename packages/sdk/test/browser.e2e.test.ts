import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { createKeySecret, createRoleTeam } from '@tally/server-test/factories';
import { type TestServer, startTestServer, waitFor } from '@tally/server-test/harness';
import { type ExportedEvent, createReporter } from '../src';

/**
 * The built browser bundle in a real Chromium (Debian's, as the dashboard's tests use it): what
 * is queued when the page is left goes with `fetch(…, { keepalive: true })` and arrives. The page
 * is served on Tally's own origin (playwright answers for it), so no CORS setting is involved.
 */
const BUNDLE = join(__dirname, '..', 'dist', 'tally.browser.min.js');

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
  server = await startTestServer();
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

test('leaving the page sends the queued events with keepalive; each arrives once', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/events')) sent.push(request.method());
    });
    await page.route(`${server.url}/sdk-check/tally.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: readFileSync(BUNDLE, 'utf8') }),
    );
    await page.route(`${server.url}/sdk-check/`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><title>loading</title><script type="module">
          import { createTally } from '/sdk-check/tally.js';
          const tally = createTally({ key: ${JSON.stringify(key)}, url: location.origin, flushIntervalMs: 600000 });
          for (let n = 0; n < 5; n += 1) tally.track('browser_hide', { type: 'pageview', properties: { n } });
          document.title = 'tracked';
        </script></html>`,
      }),
    );
    await page.goto(`${server.url}/sdk-check/`);
    await page.waitForFunction(() => document.title === 'tracked');
    // A ten-minute flush interval: nothing goes until the page is left.
    expect(sent).toEqual([]);
    await page.goto('about:blank');
    await waitFor(async () => (await exported('browser_hide')).length >= 5, 10_000, 'the events sent on page hide');
    const events = await exported('browser_hide');
    expect(events.map((e) => e.properties?.['n']).sort()).toEqual([0, 1, 2, 3, 4]);
  } finally {
    await context.close();
  }
}, 90_000);
