import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createKey, createRoleTeam, type RoleTeam } from '@tally/server-test/factories';
import { expectAccessible } from './axe';
import { DESKTOP, PHONE, RESULTS_DIR, logIn, useDashboard } from './browser';

// Issue 20: Tools & Usage compared with the period before, a tool's own page (series, p95 over
// time, error rate, breakdown, sessions), breakdowns on Overview, CSV of what is shown, and
// Tools & Usage as cards on a phone.

const dashboard = useDashboard();

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const LONG_NAME = 'search_documentation_index';
const FORMULA_NAME = '=SUM(1,2)';

/** search ×3 now (one error) and ×1 ten days ago; a long name, a formula-like name; sessions with app and version. */
function batch(now: number) {
  const at = (ms: number) => new Date(now - ms).toISOString();
  const call = (sessionId: string, name: string, ms: number, more: Record<string, unknown> = {}) => ({
    sessionId,
    name,
    type: 'tool_call',
    timestamp: at(ms),
    durationMs: 100,
    status: 'ok',
    ...more,
  });
  return {
    sessions: [
      { id: 'td-s1', userId: 'ada', attributes: { app: 'cli', version: '1.2' } },
      { id: 'td-s2', userId: 'grace', attributes: { app: 'web', version: '2.0' } },
      { id: 'td-old', attributes: { app: 'cli' } },
    ],
    events: [
      call('td-s1', 'search', 3 * HOUR, { properties: { plan: 'pro' } }),
      call('td-s1', 'search', 3 * HOUR - 60_000, { durationMs: 400, status: 'error', properties: { plan: 'pro' } }),
      call('td-s2', 'search', 2 * HOUR, { properties: { plan: 'free' } }),
      call('td-s2', LONG_NAME, 2 * HOUR - 60_000),
      call('td-s2', FORMULA_NAME, 2 * HOUR - 120_000),
      call('td-old', 'search', 10 * DAY),
    ],
  };
}

let team: RoleTeam;

beforeAll(async () => {
  team = await createRoleTeam(dashboard.server, 'Tools Detail E2E');
  const { secret } = await createKey(dashboard.server, team.owner, team.teamId, { name: 'SDK', role: 'EDITOR' });
  const response = await fetch(`${dashboard.server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(batch(Date.now())),
  });
  expect(response.status).toBe(202);
});

/** Clicks a CSV button and returns the file's lines (byte order mark dropped). */
async function downloadLines(page: Page, buttonName: string): Promise<string[]> {
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: buttonName }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^tally-.*\.csv$/);
  const text = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
  return text.trimEnd().split('\r\n');
}

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(widths[0]).toBeLessThanOrEqual(widths[1] ?? 0);
}

describe('Tools & Usage compared, a tool’s page, breakdowns and CSV in Chromium', () => {
  it('at 1360 px: the change per row, the CSV, a tool’s page, a breakdown on Overview', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.owner);
    await page.goto(`/w/${team.teamId}/tools?range=7d`);
    await page.getByRole('heading', { name: 'Tools & Usage', level: 1 }).waitFor();

    // search: 3 now, 1 in the 7 days before: ▲ 200 %, in words too.
    const searchRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'search', exact: true }) });
    await searchRow.getByText('▲ 200 %').waitFor();
    await searchRow.getByText('up 200 % from 1').waitFor();
    const longRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: LONG_NAME }) });
    await longRow.getByText('new', { exact: true }).waitFor();
    await expectAccessible(page, 'Tools & Usage with changes at 1360');

    // The CSV is the table: a header, a line per name, a formula-like name neutralised.
    const lines = await downloadLines(page, 'Download Tools & Usage as CSV');
    expect(lines[0]).toBe(
      'name,type,count,previousCount,change,sessions,errorRate,previousErrorRate,avgDurationMs,p95DurationMs,previousP95DurationMs',
    );
    expect(lines).toHaveLength(1 + 3);
    expect(lines.find((line) => line.startsWith('search,'))).toMatch(/^search,tool_call,3,1,up 200 % from 1,2,/);
    expect(lines).toContainEqual(expect.stringMatching(/^"'=SUM\(1,2\)",tool_call,1,,/));

    // A click on a name opens its page, the range kept in the address.
    await page.getByRole('link', { name: 'search', exact: true }).click();
    await page.getByRole('heading', { name: 'search', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/w/${team.teamId}/tools/search`);
    expect(new URL(page.url()).searchParams.get('range')).toBe('7d');
    await page.getByRole('region', { name: 'Calls' }).getByText('3', { exact: true }).waitFor();
    await page.getByRole('region', { name: 'Calls' }).getByText('▲ 200 %').waitFor();
    await page.getByRole('region', { name: 'Error rate' }).getByText('33.3 %').waitFor();
    await page.getByRole('figure', { name: /Calls and sessions of search per day: 3 calls/ }).waitFor();
    await page.getByRole('figure', { name: /p95 duration and error rate of search per day/ }).waitFor();
    // Last 7 days starts and ends inside a day: both ends are shaded and said to be partial, as on Overview.
    await page.getByText('Shaded: the first and last days are only partly in the range.').waitFor();
    expect(await page.locator('.tally-chart-reference-area').count()).toBe(4);

    // Its sessions, each a link; and the whole list with the names filter.
    const sessions = page.getByRole('list', { name: 'Sessions with search' });
    await sessions.getByRole('link', { name: /^ada · / }).waitFor();
    await sessions.getByRole('link', { name: /^grace · / }).waitFor();
    expect(await page.getByRole('link', { name: 'All sessions with search' }).getAttribute('href')).toContain(
      'names=search',
    );

    // Break down by session attribute app (the default), then by the event property plan.
    const byApp = page.getByRole('table', { name: 'Top values of session attribute app' });
    await byApp.getByRole('row', { name: /^cli 2 1 50 %/ }).waitFor();
    await byApp.getByRole('row', { name: /^web 1 1 0 %/ }).waitFor();
    await page.getByRole('combobox', { name: 'Break down by' }).click();
    await page.getByRole('option', { name: 'Event property' }).click();
    await page.getByRole('combobox', { name: 'Key' }).fill('plan');
    await page.getByRole('button', { name: 'Show' }).click();
    const byPlan = page.getByRole('table', { name: 'Top values of property plan' });
    await byPlan.getByRole('row', { name: /^pro 2 1 50 %/ }).waitFor();
    expect(new URL(page.url()).searchParams.get('by')).toBe('property:plan');
    await expectAccessible(page, 'a tool’s page at 1360');
    const breakdownLines = await downloadLines(page, 'Download the breakdown by property plan as CSV');
    expect(breakdownLines).toEqual(['value,events,sessions,errorRate', 'pro,2,1,0.5', 'free,1,1,0']);
    const seriesLines = await downloadLines(page, 'Download the series of search as CSV');
    expect(seriesLines[0]).toBe('at,calls,sessions,errors,errorRate,p95DurationMs');
    expect(seriesLines.slice(1).reduce((sum, line) => sum + Number(line.split(',')[1]), 0)).toBe(3);
    await page.screenshot({ path: join(RESULTS_DIR, 'tool-page.png'), fullPage: true });

    // Overview: the breakdown and the series as CSV.
    await page.goto(`/w/${team.teamId}/overview?range=7d`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const overviewByApp = page.getByRole('table', { name: 'Top values of session attribute app' });
    await overviewByApp.getByRole('row', { name: /^web 3 1 0 %/ }).waitFor();
    const series = await downloadLines(page, 'Download the series as CSV');
    expect(series[0]).toBe('at,sessions,events');
    expect(series.slice(1).reduce((sum, line) => sum + Number(line.split(',')[2]), 0)).toBe(5);
    await expectAccessible(page, 'Overview with a breakdown at 1360');

    // A bar of the chart opens that tool's page too.
    await page.goto(`/w/${team.teamId}/tools?range=7d`);
    await page.locator('figure .tally-chart-bar').first().click();
    await page.getByRole('heading', { name: 'search', level: 1 }).waitFor();
  }, 120_000);

  it('a viewer (no analytics.export) sees the numbers and the tool’s page, without CSV buttons', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.viewer);
    // The tool's sessions fail at first (the network drops them): the section says so, with Try again.
    await page.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { operationName?: string } | null;
      if (body?.operationName === 'AnalyticsToolSessions') await route.abort();
      else await route.continue();
    });
    await page.goto(`/w/${team.teamId}/tools/search?range=7d`);
    await page.getByRole('heading', { name: 'search', level: 1 }).waitFor();
    await page.getByRole('alert').filter({ hasText: "The sessions couldn't be loaded" }).waitFor();
    await page.unroute('**/graphql');
    await page.getByRole('button', { name: 'Try again' }).click();
    await page
      .getByRole('list', { name: 'Sessions with search' })
      .getByRole('link', { name: /^ada · / })
      .waitFor();
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    await page.getByRole('table', { name: 'Top values of session attribute app' }).getByRole('row').nth(1).waitFor();
    // Everything that would carry a CSV button is there.
    await page.getByRole('figure', { name: /Calls and sessions of search per day/ }).waitFor();
    await page.getByRole('region', { name: 'Calls' }).waitFor();
    expect(await page.getByRole('button', { name: /as CSV$/ }).count()).toBe(0);
  }, 120_000);

  it('at 390 px: Tools & Usage as cards, names whole; a tool’s page without sideways scrolling', async () => {
    const page = await dashboard.newPage({ viewport: PHONE, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.owner);
    await page.goto(`/w/${team.teamId}/tools?range=7d`);
    await page.getByRole('heading', { name: 'Tools & Usage', level: 1 }).waitFor();
    const cards = page.getByRole('list', { name: 'Event names' });
    await cards.getByRole('listitem', { name: 'search' }).getByText('▲ 200 %').waitFor();
    expect(await page.getByRole('table').count()).toBe(0);
    // The bar's label is one line (one SVG text), not wrapped to the short bar's width.
    expect(
      await page
        .locator('figure svg text')
        .filter({ hasText: /^3 · 33\.3 % errors$/ })
        .count(),
    ).toBe(1);
    for (const name of ['search', LONG_NAME, FORMULA_NAME]) {
      const link = cards.getByRole('link', { name, exact: true });
      // One line box: the name is not broken inside it.
      expect(await link.evaluate((element) => element.getClientRects().length)).toBe(1);
      const box = await cards.getByRole('listitem', { name, exact: true }).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    }
    await expectNoSidewaysScroll(page);
    await expectAccessible(page, 'Tools & Usage cards at 390');

    await cards.getByRole('link', { name: LONG_NAME }).click();
    await page.getByRole('heading', { name: LONG_NAME, level: 1 }).waitFor();
    await page.getByRole('region', { name: 'Calls' }).getByText('new', { exact: true }).waitFor();
    await page.getByRole('table', { name: 'Top values of session attribute app' }).waitFor();
    await expectNoSidewaysScroll(page);
    await expectAccessible(page, 'a tool’s page at 390');
    await page.screenshot({ path: join(RESULTS_DIR, 'tool-page-phone.png'), fullPage: true });
  }, 120_000);

  it('hundreds of tools: every name is fetched, the first 50 listed, then all on request', async () => {
    const many = await createRoleTeam(dashboard.server, 'Many Tools E2E');
    const { secret } = await createKey(dashboard.server, many.owner, many.teamId, { name: 'SDK', role: 'EDITOR' });
    // tool-000 … tool-119, tool-i called 120 - i times: a long tail, as agents' tools have.
    const at = new Date(Date.now() - HOUR).toISOString();
    const events = Array.from({ length: 120 }, (_, i) =>
      Array.from({ length: 120 - i }, () => ({
        sessionId: 'many-s1',
        name: `tool-${String(i).padStart(3, '0')}`,
        timestamp: at,
      })),
    ).flat();
    for (let start = 0; start < events.length; start += 1000) {
      const response = await fetch(`${dashboard.server.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: events.slice(start, start + 1000) }),
      });
      expect(response.status).toBe(202);
    }
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, many.owner);
    await page.goto(`/w/${many.teamId}/tools?range=7d`);
    const table = page.getByRole('table', { name: /120 event names in this range/ });
    await table.waitFor();
    // The 50 most used, the 50th being tool-049 (71 calls); the tail one click away.
    expect(await table.getByRole('row').count()).toBe(51);
    await table.getByRole('row', { name: /^tool-049 custom 71 / }).waitFor();
    expect(await table.getByRole('link', { name: 'tool-050', exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Show all 120 names' }).click();
    await table.getByRole('link', { name: 'tool-119', exact: true }).waitFor();
    expect(await table.getByRole('row').count()).toBe(121);
    expect(await page.getByRole('button', { name: /^Show all/ }).count()).toBe(0);
    // Sorting sorts all of them: by name descending, tool-119 comes first.
    await table.getByRole('button', { name: 'Name' }).click();
    await table.getByRole('button', { name: 'Name' }).click();
    expect(await table.getByRole('row').nth(1).getByRole('link').textContent()).toBe('tool-119');
    await expectAccessible(page, 'Tools & Usage with 120 names, all shown');
  }, 120_000);
});
