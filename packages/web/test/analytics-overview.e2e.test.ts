import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createKey, createRoleTeam, type RoleTeam } from '@tally/server-test/factories';
import { DESKTOP, PHONE, RESULTS_DIR, logIn, useDashboard } from './browser';
import { expectAccessible } from './axe';

// Issue 20: the Overview compared with the previous period, date ranges (presets and custom days,
// in the address), readable charts, and the phone layout of cards and filters.

const dashboard = useDashboard();

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * Last 7 days: four sessions, three users, eight events, one error. The 7 days before: three
 * sessions, three users, five events, two errors.
 */
function batch(now: number) {
  const at = (ms: number) => new Date(now - ms).toISOString();
  const call = (sessionId: string, ms: number, userId: string | null, status = 'ok', name = 'search') => ({
    sessionId,
    name,
    type: 'tool_call',
    timestamp: at(ms),
    ...(userId ? { userId } : {}),
    durationMs: 120,
    status,
  });
  return {
    events: [
      call('cur-1', 3 * HOUR, 'u1'),
      call('cur-1', 3 * HOUR - 60_000, 'u1', 'ok', 'fetch'),
      call('cur-2', 2 * DAY, 'u2'),
      call('cur-2', 2 * DAY - 60_000, 'u2', 'error', 'fetch'),
      call('cur-3', 3 * DAY, 'u3'),
      call('cur-3', 3 * DAY - 60_000, 'u3'),
      call('cur-4', 4 * DAY, null),
      call('cur-4', 4 * DAY - 60_000, null, 'ok', 'fetch'),
      call('prev-1', 8 * DAY, 'u1', 'error'),
      call('prev-1', 8 * DAY - 60_000, 'u1'),
      call('prev-2', 9 * DAY, 'u4', 'error'),
      call('prev-3', 10 * DAY, 'u5'),
      call('prev-3', 10 * DAY - 60_000, 'u5', 'ok', 'fetch'),
    ],
  };
}

let team: RoleTeam;

beforeAll(async () => {
  team = await createRoleTeam(dashboard.server, 'Overview E2E');
  const { secret } = await createKey(dashboard.server, team.owner, team.teamId, { name: 'E2E SDK', role: 'EDITOR' });
  const now = Date.now();
  const response = await fetch(`${dashboard.server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(batch(now)),
  });
  expect(response.status).toBe(202);
  const annotated = await dashboard.server.gql(
    `mutation($w: ID!, $i: AnnotationInput!) { createAnnotation(workspaceId: $w, input: $i) { id } }`,
    { w: team.teamId, i: { at: new Date(now - 2 * DAY).toISOString(), text: 'Pricing page v2' } },
    { token: team.owner.accessToken },
  );
  expect(annotated.errors).toBeUndefined();
});

function card(page: Page, label: string) {
  return page.getByRole('region', { name: label, exact: true });
}

async function expectCard(page: Page, label: string, value: string, change: string): Promise<void> {
  await card(page, label).getByText(value, { exact: true }).waitFor();
  await card(page, label).getByText(change, { exact: true }).waitFor();
}

describe('Overview in Chromium (issue 20)', () => {
  it('compares every total with the previous period, overlays it on the chart, and keeps the toggle in the address', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.viewer);
    await page.goto(`/w/${team.teamId}/overview`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();

    await expectCard(page, 'Sessions', '4', '▲ 33 %');
    await expectCard(page, 'Events', '8', '▲ 60 %');
    await expectCard(page, 'Users', '3', '0 %');
    await expectCard(page, 'Errors', '1', '▼ 50 %');
    // Colour and words: fewer errors is good news; the words say what the arrow means.
    expect(await card(page, 'Errors').locator('[data-change="down"]').getAttribute('style')).toContain('green');
    expect(await card(page, 'Events').locator('[data-change="up"]').getAttribute('style')).toContain('green');
    await card(page, 'Events').getByText('up 60 % from 5 in the previous period').waitFor({ state: 'attached' });
    await page.getByText(/^Changes compare with the previous period of the same length: /).waitFor();

    // Two axes (events left, sessions right), no dots on the lines, the partial last day shaded.
    const figure = page.getByRole('figure', { name: /Sessions and events per day: 8 events over/ });
    await figure.waitFor();
    expect(await figure.locator('.tally-chart-y-axis').count()).toBe(2);
    await figure
      .locator('svg text')
      .filter({ hasText: /^Sessions$/ })
      .waitFor();
    await figure
      .locator('svg text')
      .filter({ hasText: /^Events$/ })
      .waitFor();
    expect(await figure.locator('path.tally-chart-area').count()).toBe(2);
    expect(await figure.locator('path.tally-chart-line').count()).toBe(2);
    expect(await figure.locator('.tally-chart-reference-area').count()).toBeGreaterThanOrEqual(1);
    await page.getByText(/^Shaded: the (first and last days are|last day is) only partly in the range\.$/).waitFor();
    // The annotation's label sits above the plot, not on a line.
    const label = figure.locator('svg text', { hasText: 'Pricing page v2' });
    await label.waitFor();
    const plot = await figure.locator('.tally-chart-grid').boundingBox();
    const labelBox = await label.boundingBox();
    expect(labelBox && plot ? labelBox.y + labelBox.height : Infinity).toBeLessThanOrEqual((plot?.y ?? 0) + 1);
    await expectAccessible(page, 'Overview with changes');

    // The tooltip of the annotation's day lists it, with the day's numbers.
    const line = await figure.locator('.tally-chart-reference-line').first().boundingBox();
    expect(line).not.toBeNull();
    if (line) await page.mouse.move(line.x + line.width / 2, line.y + line.height / 2);
    const tooltip = figure.locator('.tally-chart-tooltip');
    await tooltip.getByText('Annotations').waitFor();
    await tooltip.getByText('Pricing page v2', { exact: true }).waitFor();
    await tooltip.getByText('Events', { exact: true }).first().waitFor();

    // The previous period overlaid: two more (dashed) lines, not filled, in the legend too; kept in the address.
    // (The switch follows the address, a moment after the click.)
    await page.getByRole('switch', { name: 'Show the previous period' }).click();
    await page.waitForURL(/[?&]previous=1/);
    await figure.getByText('Events, previous period').waitFor();
    expect(await figure.locator('path.tally-chart-line').count()).toBe(4);
    expect(await figure.locator('path.tally-chart-area').count()).toBe(2);
    await page.reload();
    await figure.getByText('Sessions, previous period').waitFor();
    expect(await page.getByRole('switch', { name: 'Show the previous period' }).isChecked()).toBe(true);
    if (line) await page.mouse.move(line.x + line.width / 2, line.y + line.height / 2);
    await tooltip.getByText(/^Previous period, /).waitFor();
    await expectAccessible(page, 'Overview with the previous period');
    await page.screenshot({ path: join(RESULTS_DIR, 'overview-compare.png'), fullPage: true });

    // By keyboard: the chart is a Tab stop; End shows the last day's tooltip, Escape hides it.
    await page.mouse.move(0, 0);
    await tooltip.getByText('Annotations').waitFor({ state: 'detached' });
    await figure.getByRole('application').focus();
    await page.keyboard.press('End');
    await tooltip.getByText('Incomplete: the range covers only part of this day.').waitFor();
    await page.keyboard.press('Escape');
    await tooltip.getByText(/^Incomplete/).waitFor({ state: 'detached' });
  }, 90_000);

  it('offers every preset and a custom range in the address; HOUR only up to 7 days', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.viewer);
    await page.goto(`/w/${team.teamId}/overview`);
    await expectCard(page, 'Events', '8', '▲ 60 %');

    const range = page.getByRole('combobox', { name: 'Date range' });
    await range.click();
    const options = await page.getByRole('listbox').getByRole('option').allTextContents();
    expect(options).toEqual([
      'Today',
      'Yesterday',
      'Last 24 hours',
      'Last 7 days',
      'Last 30 days',
      'Last 90 days',
      'This month',
      'Last month',
      'Last 12 months',
      'Custom range',
    ]);
    await page.getByRole('option', { name: 'Last 30 days' }).click();
    await page.waitForURL(/[?&]range=30d/);
    // 30 days: per day only.
    const hour = page.getByRole('radio', { name: 'Hour' });
    await page.waitForFunction(() => {
      const input = [...document.querySelectorAll('input[type="radio"]')].find(
        (element) => element.getAttribute('value') === 'HOUR',
      );
      return input instanceof HTMLInputElement && input.disabled;
    });
    expect(await hour.isDisabled()).toBe(true);
    await expectCard(page, 'Events', '13', 'new');

    await range.click();
    await page.getByRole('option', { name: 'Last 12 months' }).click();
    await page.waitForURL(/[?&]range=12mo/);
    await page.getByRole('figure', { name: /per day: 13 events over/ }).waitFor();

    await range.click();
    await page.getByRole('option', { name: 'Last 24 hours' }).click();
    await page.getByRole('figure', { name: /per hour: 2 events over/ }).waitFor();
    expect(await hour.isDisabled()).toBe(false);

    // A custom range: the three days up to the day before yesterday, picked in the calendar, kept
    // in the address (cur-1, three hours old, lies after it whatever the time of day).
    const days = await page.evaluate(() => {
      const day = (offset: number) => {
        const d = new Date();
        d.setDate(d.getDate() + offset);
        const pad = (n: number) => String(n).padStart(2, '0');
        return {
          iso: `${String(d.getFullYear())}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
          label: d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' }),
        };
      };
      return { first: day(-4), last: day(-2) };
    });
    await range.click();
    await page.getByRole('option', { name: 'Custom range' }).click();
    const dialog = page.getByRole('dialog', { name: 'Custom range' });
    await dialog.waitFor();
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    await expectAccessible(page, 'the Custom range dialog');
    await dialog.getByRole('button', { name: days.first.label, exact: true }).click();
    await dialog.getByRole('button', { name: days.last.label, exact: true }).click();
    await dialog.getByText(/^Selected: /).waitFor();
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForURL(new RegExp(`[?&]range=custom&from=${days.first.iso}&to=${days.last.iso}`));
    // The three days hold cur-2, cur-3 and cur-4: six events.
    await page.getByRole('figure', { name: /per day: 6 events over/ }).waitFor();
    await page.getByRole('button', { name: /^Change the custom range, / }).waitFor();
    await expectAccessible(page, 'Overview over a custom range');

    // Carried to another analytics page, and back with a reload.
    await page.reload();
    await page.getByRole('figure', { name: /per day: 6 events over/ }).waitFor();
    expect(await range.inputValue()).toBe('Custom range');
  }, 90_000);

  it('labels Tools & Usage bars with their count and error rate', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.viewer);
    await page.goto(`/w/${team.teamId}/tools?range=30d`);
    const figure = page.getByRole('figure', { name: /most used event names/ });
    await figure.waitFor();
    // search: 9 calls, 2 errors; fetch: 4 calls, 1 error.
    await figure.locator('svg text', { hasText: '9 · 22.2 % errors' }).waitFor();
    await figure.locator('svg text', { hasText: '4 · 25 % errors' }).waitFor();
    await expectAccessible(page, 'Tools & Usage with labelled bars');
  });

  it('on a phone: total cards in two columns, filters behind a "Filters" button that counts them', async () => {
    const page = await dashboard.newPage({ viewport: PHONE, reduceMotion: true });
    page.setDefaultTimeout(15_000);
    await logIn(page, team.viewer);
    await page.goto(`/w/${team.teamId}/overview`);
    await expectCard(page, 'Events', '8', '▲ 60 %');
    const boxes = await Promise.all(
      ['Sessions', 'Events', 'Users', 'Errors'].map((label) => card(page, label).boundingBox()),
    );
    const [sessions, events, users] = boxes;
    expect(sessions && events ? Math.abs(sessions.y - events.y) : Infinity).toBeLessThan(2);
    expect(sessions && events ? events.x - sessions.x : 0).toBeGreaterThan(100);
    expect(users && sessions ? users.y - sessions.y : 0).toBeGreaterThan(40);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // The filter bar is folded away until asked for.
    expect(await page.getByRole('combobox', { name: 'Event names' }).count()).toBe(0);
    const toggle = page.getByRole('button', { name: 'Filters', exact: true });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await expectAccessible(page, 'Overview on a phone');
    await toggle.click();
    const names = page.getByRole('combobox', { name: 'Event names' });
    await names.fill('fetch');
    await names.press('Enter');
    // fetch: three calls in the last 7 days, one in the 7 before.
    await expectCard(page, 'Events', '3', '▲ 200 %');
    await page.getByRole('button', { name: 'Filters (1)' }).waitFor();
    await expectAccessible(page, 'Overview on a phone, filters open');

    // The range picker fits the phone (one month at a time) and passes axe there too.
    await page.getByRole('combobox', { name: 'Date range' }).click();
    await page.getByRole('option', { name: 'Custom range' }).click();
    const dialog = page.getByRole('dialog', { name: 'Custom range' });
    await dialog.waitFor();
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    expect(await dialog.locator('[data-month-level]').count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectAccessible(page, 'the Custom range dialog on a phone');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.screenshot({ path: join(RESULTS_DIR, 'overview-phone.png'), fullPage: true });
  }, 90_000);
});
