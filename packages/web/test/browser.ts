import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { startTestServer, type TestServer } from '@tally/server-test/harness';

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

export interface PageOptions {
  clipboard?: boolean;
  /** 1440×900 unless given; the accessibility checks use 1360×860 and 390×844. */
  viewport?: { width: number; height: number };
  /** Run in the page before any of its scripts, on every load (e.g. to take a browser API away). */
  initScript?: () => void;
  /**
   * Ask for reduced motion: the theme then opens dialogs and menus without a transition, so an
   * accessibility check never sees a half-faded dialog.
   */
  reduceMotion?: boolean;
}

/** The two sizes the dashboard is checked at (issue 9): a laptop and a phone. */
export const DESKTOP = { width: 1360, height: 860 } as const;
export const PHONE = { width: 390, height: 844 } as const;

export interface Dashboard {
  /** The running Tally (server + built dashboard) of this test file. */
  readonly server: TestServer;
  /** A fresh browser context (own cookies) and page on the dashboard. */
  newPage(options?: PageOptions): Promise<Page>;
  /** Another tab in the same browser context as `page` (same cookies and storage). */
  newTab(page: Page): Promise<Page>;
}

export interface DashboardOptions {
  /**
   * More settings for the Tally of this file, read when it starts (after the file's earlier
   * beforeAll hooks), e.g. `() => ({ SMTP_URL: catcher.url })`.
   */
  env?: () => Record<string, string>;
}

/**
 * Registers the hooks of a browser test file: one Tally serving the built dashboard, one
 * Chromium, and a check after every test that the page threw no uncaught error.
 */
export function useDashboard(options: DashboardOptions = {}): Dashboard {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('packages/web/dist is missing: run `pnpm build` first.');
    mkdirSync(RESULTS_DIR, { recursive: true });
    server = await startTestServer({ ...options.env?.(), WEB_DIST_DIR: DIST });
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
        viewport: options.viewport ?? { width: 1440, height: 900 },
        permissions: options.clipboard ? ['clipboard-read', 'clipboard-write'] : [],
        reducedMotion: options.reduceMotion ? 'reduce' : 'no-preference',
      });
      if (options.initScript) await context.addInitScript(options.initScript);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return page;
    },
    async newTab(page) {
      const tab = await page.context().newPage();
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      return tab;
    },
  };
}

/** Waits until the workspace selector shows `label` as its selected option. */
export async function expectSelectedWorkspace(page: Page, label: string): Promise<void> {
  const select = await page.getByLabel('Workspace').elementHandle();
  await page.waitForFunction(
    ([element, expected]) =>
      element instanceof HTMLSelectElement && element.selectedOptions[0]?.textContent?.trim() === expected,
    [select, label] as const,
    { timeout: 10_000 },
  );
}

/** The workspace selector's option labels, in order. */
export async function workspaceOptions(page: Page): Promise<string[]> {
  const labels = await page.getByLabel('Workspace').locator('option').allTextContents();
  return labels.map((label) => label.trim());
}

/** Logs in through the log-in page and waits for the dashboard (at any width). */
export async function logIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/w\/[^/]+\//);
  await page.locator('main [data-page-heading]').waitFor();
}
