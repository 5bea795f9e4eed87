import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createTeamWithMembers, createUser, type TestUser, createKey } from '@tally/server-test/factories';
import { RESULTS_DIR, logIn, useDashboard } from './browser';

// Issue 11, item 7: the built dashboard runs under the server's Content-Security-Policy with no
// console error and no CSP violation on any page, and Apollo Sandbox's page at /graphql loads
// its script and frame under its own policy. The server's headers themselves are asserted in
// packages/server/test/security-headers.test.ts.

const dashboard = useDashboard();

jest.setTimeout(120_000);

/**
 * Everything a page reports that would mean the policy (or the app) is broken: console errors
 * (Chromium writes "Refused to …" for every blocked resource) and every `securitypolicyviolation`
 * event, which the page reports to the console before any of its scripts runs.
 */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

function reportViolations(): void {
  document.addEventListener('securitypolicyviolation', (event) => {
    console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
  });
}

/** Opens `path` and waits until its heading is there and its requests are over. */
async function visit(page: Page, path: string, heading: string): Promise<void> {
  await page.goto(path);
  try {
    await page.locator(heading).first().waitFor();
  } catch (error) {
    await page.screenshot({ path: join(RESULTS_DIR, 'security-headers-failure.png'), timeout: 5_000 }).catch(() => {});
    throw new Error(`${path}: no ${heading} (${page.url()})`, { cause: error });
  }
  await page.waitForLoadState('networkidle');
}

let owner: TestUser;
let teamId: string;

beforeAll(async () => {
  const server = dashboard.server;
  owner = await createUser(server, { name: 'Ada Lovelace' });
  teamId = await createTeamWithMembers(server, `Headers ${owner.id.slice(0, 6)}`, [{ user: owner, role: 'OWNER' }]);
  // Some events, so that the analytics pages draw their charts and tables.
  const { secret } = await createKey(server, owner, teamId, { name: 'Headers SDK', role: 'EDITOR' });
  const now = Date.now();
  const response = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      events: [
        { sessionId: 'h-1', name: 'search', type: 'tool_call', timestamp: new Date(now - 3_600_000).toISOString() },
        { sessionId: 'h-1', name: 'open', type: 'pageview', timestamp: new Date(now - 3_000_000).toISOString() },
        { sessionId: 'h-2', name: 'search', type: 'tool_call', status: 'error', durationMs: 120 },
      ],
    }),
  });
  expect(response.status).toBe(202);
});

describe('the Content-Security-Policy in Chromium', () => {
  it('is on the dashboard, and a blocked inline script is seen by this check (the check can fail)', async () => {
    const page = await dashboard.newPage({ initScript: reportViolations });
    const problems = watch(page);
    const response = await page.goto('/login');
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'document.body.dataset.injected = "yes"';
      document.body.appendChild(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return document.body.dataset.injected ?? 'no';
    });
    expect(ran).toBe('no');
    expect(problems).toContain('console error: CSP violation: script-src-elem blocked inline');
    expect(problems.every((problem) => problem.includes('Content Security Policy') || problem.includes('CSP'))).toBe(
      true,
    );
    await page.context().close();
  });

  it('lets every page of the built dashboard run with no console error or violation', async () => {
    const page = await dashboard.newPage({ initScript: reportViolations });
    const problems = watch(page);
    for (const path of ['/login', '/signup', '/forgot-password', '/reset-password/not-a-token', '/no-such-page']) {
      await visit(page, path, 'h1:visible, h2:visible');
      expect({ path, problems }).toEqual({ path, problems: [] });
    }
    await logIn(page, owner);
    for (const tab of ['overview', 'tools', 'sessions', 'activity', 'api-keys', 'settings', 'getting-started']) {
      const path = `/w/${teamId}/${tab}`;
      await visit(page, path, 'main [data-page-heading]');
      expect({ path, problems }).toEqual({ path, problems: [] });
    }
    await visit(page, `/w/${owner.personalWorkspaceId}/teams`, 'main [data-page-heading]');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("lets Apollo Sandbox's page load Apollo's script and frame at /graphql", async () => {
    const page = await dashboard.newPage({ initScript: reportViolations });
    const problems = watch(page);
    // Apollo's CDN and frame, played here (tests have no internet): the script opens the
    // frame the way the real one does.
    await page.route('https://embeddable-sandbox.cdn.apollographql.com/**', (route) =>
      route.fulfill({
        contentType: 'application/javascript',
        body: `window.EmbeddedSandbox = function (options) {
          var frame = document.createElement('iframe');
          frame.src = 'https://sandbox.embed.apollographql.com/sandbox/explorer?endpoint=' +
            encodeURIComponent(options.initialEndpoint);
          frame.style.border = '0';
          document.querySelector(options.target).appendChild(frame);
        };`,
      }),
    );
    await page.route('https://sandbox.embed.apollographql.com/**', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Sandbox</title><p>Explorer</p>' }),
    );
    const response = await page.goto('/graphql', { waitUntil: 'load' });
    expect(response?.headers()['content-security-policy']).toContain('https://sandbox.embed.apollographql.com');
    const frame = page.frameLocator('#sandbox iframe');
    await frame.getByText('Explorer').waitFor();
    expect(await page.locator('#offline').isHidden()).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
