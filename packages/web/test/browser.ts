import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { startTestServer, type TestServer } from '../../server/test/harness';

/** Debian's Chromium (apt), or CHROMIUM_PATH; no browser is downloaded. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'Chromium not found: run `node scripts/ensure-chromium.mjs` (pnpm test does) or set CHROMIUM_PATH.',
    );
  }
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
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
}

const DIST = join(__dirname, '..', 'dist');
export const RESULTS_DIR = join(__dirname, '..', 'test-results');

export interface Dashboard {
  /** The running Tally (server + built dashboard) of this test file. */
  readonly server: TestServer;
  /** A fresh browser context (own cookies) and page on the dashboard. */
  newPage(options?: { clipboard?: boolean }): Promise<Page>;
}

/**
 * Registers the hooks of a browser test file: one Tally serving the built dashboard, one
 * Chromium, and a check after every test that the page threw no uncaught error.
 */
export function useDashboard(): Dashboard {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('packages/web/dist is missing: run `pnpm build` first.');
    mkdirSync(RESULTS_DIR, { recursive: true });
    server = await startTestServer({ WEB_DIST_DIR: DIST });
    browser = await launchChromium();
  });
  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  return {
    get server() {
      if (!server) throw new Error('the dashboard starts in beforeAll');
      return server;
    },
    async newPage(options = {}) {
      if (!browser || !server) throw new Error('the dashboard starts in beforeAll');
      const context = await browser.newContext({
        baseURL: server.url,
        viewport: { width: 1440, height: 900 },
        permissions: options.clipboard ? ['clipboard-read', 'clipboard-write'] : [],
      });
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return page;
    },
  };
}
