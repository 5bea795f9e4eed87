import type { Locator, Page } from 'playwright-core';
import { type RoleTeam, createKey, createRoleTeam } from '@tally/server-test/factories';
import { expectAccessible } from './axe';
import { DESKTOP, PHONE, logIn, useDashboard } from './browser';

// Issue 20: Sessions lead with the user, start, duration, events, errors and attributes, with a
// total and sortable columns kept in the address; a session's page shows its attributes; Activity
// has a live mode; Sessions, Activity, Members and Audit are cards on a phone, with nothing wider
// than the screen.

const dashboard = useDashboard();
jest.setTimeout(120_000);

const MINUTE = 60_000;
let team: RoleTeam;
let secret: string;
/** The newest event of the first batch: where live mode asks from once it shows it. */
let newestSent = '';

/** Three sessions: s-long (3 events, 1 error, 20 min), s-many (4 events, 0 errors, 2 min), s-short (1 event). */
function batch(now: number) {
  const at = (ms: number) => new Date(now - ms).toISOString();
  return {
    sessions: [
      { id: 'lists-s-long', userId: 'ada', attributes: { app: 'tally-cli', version: '2.4.1', plan: 'pro' } },
      { id: 'lists-s-many', userId: 'grace', attributes: { app: 'tally-web', version: '2.5.0' } },
    ],
    events: [
      { sessionId: 'lists-s-long', name: 'search_docs', type: 'tool_call', timestamp: at(90 * MINUTE), userId: 'ada' },
      {
        sessionId: 'lists-s-long',
        name: 'read_file',
        type: 'tool_call',
        timestamp: at(80 * MINUTE),
        status: 'error',
        userId: 'ada',
      },
      { sessionId: 'lists-s-long', name: 'search_docs', type: 'tool_call', timestamp: at(70 * MINUTE), userId: 'ada' },
      { sessionId: 'lists-s-many', name: 'open', type: 'pageview', timestamp: at(50 * MINUTE), userId: 'grace' },
      { sessionId: 'lists-s-many', name: 'open', type: 'pageview', timestamp: at(49 * MINUTE), userId: 'grace' },
      { sessionId: 'lists-s-many', name: 'open', type: 'pageview', timestamp: at(49 * MINUTE - 1), userId: 'grace' },
      { sessionId: 'lists-s-many', name: 'signup', type: 'custom', timestamp: at(48 * MINUTE), userId: 'grace' },
      { sessionId: 'lists-s-short', name: 'search_docs', type: 'tool_call', timestamp: at(30 * MINUTE) },
    ],
  };
}

async function send(body: unknown): Promise<void> {
  const response = await fetch(`${dashboard.server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
}

beforeAll(async () => {
  team = await createRoleTeam(dashboard.server, 'Lists E2E');
  ({ secret } = await createKey(dashboard.server, team.owner, team.teamId, { name: 'Lists SDK', role: 'EDITOR' }));
  const invited = await dashboard.server.gql(
    `mutation ($workspaceId: ID!, $email: String!) { inviteMember(workspaceId: $workspaceId, email: $email, role: VIEWER) { id } }`,
    { workspaceId: team.teamId, email: 'a.very.long.address.for.the.phone@lists-e2e.example.com' },
    { token: team.owner.accessToken },
  );
  expect(invited.errors).toBeUndefined();
  const first = batch(Date.now());
  newestSent =
    first.events
      .map((e) => e.timestamp)
      .sort()
      .at(-1) ?? '';
  await send(first);
});

/** Nothing on the page is wider than the window (no sideways scrolling), and no card scrolls inside. */
async function expectNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const wide = await page.evaluate(() => {
    const found: string[] = [];
    const root = document.scrollingElement;
    if (root && root.scrollWidth > window.innerWidth) found.push(`page ${root.scrollWidth} > ${window.innerWidth}`);
    for (const card of document.querySelectorAll<HTMLElement>('main li, main [role="region"]')) {
      if (card.scrollWidth > card.clientWidth + 1)
        found.push(`${card.tagName} ${card.getAttribute('aria-label') ?? ''}`);
    }
    return found;
  });
  expect({ where, wide }).toEqual({ where, wide: [] });
}

/** The element lies within the window, left to right. */
async function expectOnScreen(page: Page, locator: Locator): Promise<void> {
  const box = await locator.boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  expect(box).not.toBeNull();
  if (box) {
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(width);
  }
}

/** The text runs on one line: not broken inside a word or a time. */
async function expectOneLine(locator: Locator): Promise<void> {
  const lines = await locator.evaluate((element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  });
  expect(lines).toBe(1);
}

async function firstColumn(page: Page): Promise<string[]> {
  return page.locator('table[aria-label="Sessions"] tbody tr td:first-child').allTextContents();
}

describe('Sessions', () => {
  it('leads with user, start, duration, events, errors and attributes; counts them; sorts by a column, kept in the address', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.owner);
    await page.goto(`/w/${team.teamId}/sessions`);
    await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
    await page.getByText('3 sessions', { exact: true }).waitFor();

    const headers = await page.locator('table[aria-label="Sessions"] thead th').allTextContents();
    expect(headers).toEqual(['User', 'Started', 'Duration', 'Events', 'Errors', 'Attributes']);
    // Newest first: the anonymous session, then grace, then ada.
    expect(await firstColumn(page)).toEqual(['Anonymous', 'grace', 'ada']);
    await page.getByText('app: tally-cli', { exact: true }).waitFor();
    await page.getByText('version: 2.5.0', { exact: true }).waitFor();
    await page.getByRole('columnheader', { name: 'Started' }).and(page.locator('[aria-sort="descending"]')).waitFor();
    await expectAccessible(page, 'Sessions sorted by start');

    // Most events first, then fewest; the address keeps it, a reload too.
    await page.getByRole('button', { name: 'Events', exact: true }).click();
    await page.waitForURL(/sort=events&dir=desc/);
    await page.getByRole('columnheader', { name: 'Events' }).and(page.locator('[aria-sort="descending"]')).waitFor();
    await page.waitForFunction(
      () =>
        document.querySelector('table[aria-label="Sessions"] tbody tr td:first-child')?.textContent === 'grace' &&
        document.querySelector('table[aria-label="Sessions"]')?.closest('[aria-busy="true"]') === null,
    );
    expect(await firstColumn(page)).toEqual(['grace', 'ada', 'Anonymous']);
    await page.getByRole('button', { name: 'Events', exact: true }).click();
    await page.waitForURL(/sort=events&dir=asc/);
    await page.waitForFunction(
      () => document.querySelector('table[aria-label="Sessions"] tbody tr td:first-child')?.textContent === 'Anonymous',
    );
    expect(await firstColumn(page)).toEqual(['Anonymous', 'ada', 'grace']);
    await page.reload();
    await page.getByRole('columnheader', { name: 'Events' }).and(page.locator('[aria-sort="ascending"]')).waitFor();
    await page.waitForFunction(
      () => document.querySelector('table[aria-label="Sessions"] tbody tr td:first-child')?.textContent === 'Anonymous',
    );
    // Longest first.
    await page.getByRole('button', { name: 'Duration', exact: true }).click();
    await page.waitForURL(/sort=duration&dir=desc/);
    await page.waitForFunction(
      () => document.querySelector('table[aria-label="Sessions"] tbody tr td:first-child')?.textContent === 'ada',
    );
    expect(await firstColumn(page)).toEqual(['ada', 'grace', 'Anonymous']);
    await expectAccessible(page, 'Sessions sorted by duration');

    // A session's page shows the attributes its SDK sent; its way back keeps the order.
    await page.getByRole('row').filter({ hasText: 'ada' }).getByRole('link').click();
    await page.getByRole('heading', { name: 'Session', level: 1 }).waitFor();
    const attributes = page.getByRole('region', { name: 'Attributes' });
    await attributes.getByText('tally-cli', { exact: true }).waitFor();
    expect(await attributes.locator('dt').allTextContents()).toEqual(['app', 'plan', 'version']);
    expect(await attributes.locator('dd').allTextContents()).toEqual(['tally-cli', 'pro', '2.4.1']);
    await expectAccessible(page, 'a session with attributes');
    await page.getByRole('link', { name: 'All sessions' }).click();
    await page.waitForURL(/\/sessions\?.*sort=duration&dir=desc/);
  });
  it('Load more brings the next page under the first; a page that fails says so and Load more tries again', async () => {
    // A team of its own with 27 sessions: one more page than the list shows (25) at first.
    const more = await createRoleTeam(dashboard.server, 'Lists Load More E2E');
    const sdk = await createKey(dashboard.server, more.owner, more.teamId, { name: 'More SDK', role: 'EDITOR' });
    const now = Date.now();
    const response = await fetch(`${dashboard.server.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdk.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: Array.from({ length: 27 }, (_, i) => ({
          sessionId: `more-s-${String(i).padStart(2, '0')}`,
          name: 'open',
          type: 'pageview',
          timestamp: new Date(now - (i + 1) * MINUTE).toISOString(),
        })),
      }),
    });
    expect(response.status).toBe(202);

    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, more.owner);
    await page.goto(`/w/${more.teamId}/sessions`);
    await page.getByText('Showing 25 of 27.', { exact: true }).waitFor();
    const rows = page.locator('table[aria-label="Sessions"] tbody tr');
    expect(await rows.count()).toBe(25);

    // The next page fails (the network drops it): the 25 stay, the error says so, Load more stays.
    await page.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { operationName?: string; variables?: { after?: string } } | null;
      if (body?.operationName === 'AnalyticsSessions' && body.variables?.after) await route.abort();
      else await route.continue();
    });
    await page.getByRole('button', { name: 'Load more' }).click();
    const failed = page.getByRole('alert').filter({ hasText: "More sessions couldn't be loaded" });
    await failed.waitFor();
    expect(await rows.count()).toBe(25);

    // Tried again with the network back: all 27, in order, and the error gone.
    await page.unroute('**/graphql');
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText('All 27 sessions in this range.', { exact: true }).waitFor();
    expect(await rows.count()).toBe(27);
    expect(await failed.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
  });
});

describe('on a phone (390 px)', () => {
  it('Sessions, Activity, Members and Audit are cards, nothing wider than the screen, every control in sight', async () => {
    const page = await dashboard.newPage({ viewport: PHONE, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.owner);

    await page.goto(`/w/${team.teamId}/sessions`);
    await page.getByText('3 sessions', { exact: true }).waitFor();
    await page.getByTestId('session-card').first().waitFor();
    expect(await page.getByTestId('session-card').count()).toBe(3);
    expect(await page.locator('table[aria-label="Sessions"]').count()).toBe(0);
    await page.getByText('app: tally-cli', { exact: true }).waitFor();
    // No column headers on cards: a select sorts them.
    await page.getByLabel('Sort by').selectOption({ label: 'Events, most first' });
    await page.waitForURL(/sort=events&dir=desc/);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="session-card"]')?.getAttribute('aria-label')?.startsWith('grace'),
    );
    await expectNoSidewaysScroll(page, 'Sessions');
    await expectAccessible(page, 'Sessions on a phone');

    await page.goto(`/w/${team.teamId}/activity`);
    await page.getByTestId('event-card').first().waitFor();
    expect(await page.getByTestId('event-card').count()).toBe(8);
    expect(await page.locator('table[aria-label="Events"]').count()).toBe(0);
    await expectOneLine(page.getByTestId('event-card').first().getByText('search_docs', { exact: true }));
    await expectOneLine(page.getByTestId('event-card').first().locator('time'));
    await expectNoSidewaysScroll(page, 'Activity');
    await expectAccessible(page, 'Activity on a phone');
    // Live on a phone: cards too, and no date range.
    await page.goto(`/w/${team.teamId}/activity?live=1`);
    await page.getByTestId('live-last-minute').waitFor();
    await page.getByTestId('event-card').first().waitFor();
    expect(await page.getByRole('combobox', { name: 'Date range' }).count()).toBe(0);
    await expectNoSidewaysScroll(page, 'Activity, live');
    await expectAccessible(page, 'Activity, live, on a phone');

    await page.goto(`/w/${team.teamId}/teams/members`);
    await page.getByTestId('member-card').first().waitFor();
    expect(await page.getByTestId('member-card').count()).toBe(4);
    // Every role select and every Remove button within the screen.
    const selects = page.getByRole('combobox', { name: /^Role for / });
    expect(await selects.count()).toBe(4);
    for (const select of await selects.all()) await expectOnScreen(page, select);
    const removes = page.getByRole('button', { name: /^Remove / });
    expect(await removes.count()).toBe(3);
    for (const remove of await removes.all()) await expectOnScreen(page, remove);
    await expectOnScreen(page, page.getByRole('button', { name: 'Leave Team' }));
    // The pending invitation too: a card, Resend and Revoke in sight.
    await page.getByTestId('invitation-card').waitFor();
    for (const name of [/^Resend /, /^Revoke /]) await expectOnScreen(page, page.getByRole('button', { name }));
    await expectNoSidewaysScroll(page, 'Members');
    await expectAccessible(page, 'Members on a phone');

    await page.goto(`/w/${team.teamId}/teams/audit`);
    await page.getByTestId('audit-card').first().waitFor();
    expect(await page.locator('table[aria-label="Audit log"]').count()).toBe(0);
    await expectNoSidewaysScroll(page, 'Audit');
    await expectAccessible(page, 'Audit on a phone');
  });

  it('at 1360 px the same pages are tables, with times and names on one line', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.owner);
    await page.goto(`/w/${team.teamId}/activity`);
    const table = page.locator('table[aria-label="Events"]');
    await table.waitFor();
    await expectOneLine(table.getByText('search_docs', { exact: true }).first());
    await expectOneLine(table.locator('time').first());
    await expectNoSidewaysScroll(page, 'Activity at 1360 px');
    await page.goto(`/w/${team.teamId}/teams/members`);
    await page.locator('table[aria-label="Members"]').waitFor();
    await page.goto(`/w/${team.teamId}/teams/audit`);
    await page.locator('table[aria-label="Audit log"]').waitFor();
    await expectNoSidewaysScroll(page, 'Audit at 1360 px');
  });
});

describe('Activity live', () => {
  it('shows new events on top as they arrive, asking only for what is newer; counts the last minute; no date range', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(20_000);
    const ranges: Array<{ from: string; to: string }> = [];
    page.on('request', (request) => {
      if (!request.url().endsWith('/graphql') || request.method() !== 'POST') return;
      const body = request.postDataJSON() as {
        operationName?: string;
        variables?: { range?: { from: string; to: string } };
      };
      if (body.operationName === 'AnalyticsLiveActivity' && body.variables?.range) ranges.push(body.variables.range);
    });
    await logIn(page, team.owner);
    await page.goto(`/w/${team.teamId}/activity`);
    await page.getByRole('combobox', { name: 'Date range' }).waitFor();
    // By keyboard: the switch's input sits under its drawn track.
    await page.getByRole('switch', { name: 'Live' }).focus();
    await page.keyboard.press('Space');
    await page.waitForURL(/live=1/);
    await page.getByTestId('live-last-minute').waitFor();
    expect(await page.getByRole('combobox', { name: 'Date range' }).count()).toBe(0);
    const table = page.locator('table[aria-label="Events"]');
    await table.locator('tbody tr').first().waitFor();
    expect(await table.locator('tbody tr').count()).toBe(8);
    await page.getByText(/^0 events in the last minute$/).waitFor();
    await expectAccessible(page, 'Activity, live');

    // An event arrives: on top without a reload, and counted in the last minute.
    const sentAt = new Date();
    await send({
      events: [{ sessionId: 'lists-live', name: 'live_arrival', type: 'custom', timestamp: sentAt.toISOString() }],
    });
    await table.locator('tbody tr').first().getByText('live_arrival', { exact: true }).waitFor();
    expect(await table.locator('tbody tr').count()).toBe(9);
    await page.getByText(/^1 event in the last minute$/).waitFor();
    // The first request looks back a day; each later one only from the newest event shown on.
    const sent = sentAt.toISOString();
    if (!ranges.some((r) => r.from === sent)) {
      await page.waitForRequest((request) => {
        if (!request.url().endsWith('/graphql') || request.method() !== 'POST') return false;
        const body = request.postDataJSON() as {
          operationName?: string;
          variables?: { range?: { from: string } };
        } | null;
        return body?.operationName === 'AnalyticsLiveActivity' && body.variables?.range?.from === sent;
      });
    }
    expect(Date.parse(ranges[0]?.from ?? '')).toBeLessThan(Date.now() - 23 * 60 * MINUTE);
    expect(ranges.slice(1).map((r) => r.from)).toEqual(
      ranges.slice(1).map((r) => (r.from === sent ? sent : newestSent)),
    );
    expect(ranges.slice(1).some((r) => r.from === newestSent)).toBe(true);

    // Off again: the date range is back, and the address forgets live.
    await page.getByRole('switch', { name: 'Live' }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('combobox', { name: 'Date range' }).waitFor();
    expect(page.url()).not.toMatch(/live=1/);
  });
});
