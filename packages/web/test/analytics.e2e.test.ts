import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createRoleTeam, type RoleTeam, createKey } from '@tally/server-test/factories';
import { DESKTOP, RESULTS_DIR, logIn, useDashboard } from './browser';
import { expectAccessible } from './axe';

// Issue 10, item 7: events sent with a key show up, exactly, on Overview and Tools & Usage; an
// annotation is listed and marked; the export downloads them; a viewer gets no managing controls.

const dashboard = useDashboard();

const HOUR = 3600_000;
const MINUTE = 60_000;

/** Three sessions, two users, seven events, two errors, all within the last few hours; three carry a plan. */
function batch(now: number) {
  const at = (ms: number) => new Date(now - ms).toISOString();
  return {
    events: [
      {
        sessionId: 'e2e-s1',
        name: 'search',
        type: 'tool_call',
        timestamp: at(3 * HOUR),
        userId: 'u1',
        durationMs: 100,
        status: 'ok',
        properties: { plan: 'pro' },
      },
      {
        sessionId: 'e2e-s1',
        name: 'search',
        type: 'tool_call',
        timestamp: at(3 * HOUR - 5 * MINUTE),
        userId: 'u1',
        durationMs: 300,
        status: 'error',
        properties: { plan: 'pro' },
      },
      { sessionId: 'e2e-s1', name: 'open', type: 'pageview', timestamp: at(3 * HOUR - 10 * MINUTE), userId: 'u1' },
      {
        sessionId: 'e2e-s2',
        name: 'search',
        type: 'tool_call',
        timestamp: at(2 * HOUR),
        userId: 'u2',
        durationMs: 50,
        status: 'ok',
        properties: { plan: 'free' },
      },
      {
        sessionId: 'e2e-s2',
        name: 'fetch',
        type: 'tool_call',
        timestamp: at(2 * HOUR - MINUTE),
        userId: 'u2',
        durationMs: 1000,
        status: 'error',
      },
      { sessionId: 'e2e-s3', name: 'fetch', type: 'tool_call', timestamp: at(HOUR), durationMs: 20, status: 'ok' },
      { sessionId: 'e2e-s3', name: 'signup', type: 'custom', timestamp: at(HOUR - MINUTE) },
    ],
  };
}

let team: RoleTeam;

beforeAll(async () => {
  team = await createRoleTeam(dashboard.server, 'Analytics E2E');
  // The owner creates an SDK key through GraphQL, and the events go in through the real ingest.
  const { secret } = await createKey(dashboard.server, team.owner, team.teamId, { name: 'E2E SDK', role: 'EDITOR' });
  const response = await fetch(`${dashboard.server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(batch(Date.now())),
  });
  expect(response.status).toBe(202);
});

async function expectCard(page: Page, label: string, value: string): Promise<void> {
  await page.getByRole('region', { name: label, exact: true }).getByText(value, { exact: true }).waitFor();
}

async function rowCells(page: Page, name: string): Promise<string[]> {
  const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
  await row.waitFor();
  return row.getByRole('cell').allTextContents();
}

describe('Analytics in Chromium', () => {
  it('shows the exact numbers, adds an annotation, exports a CSV', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    // A step that never comes fails on its own line rather than at the test's time limit.
    page.setDefaultTimeout(10_000);
    await logIn(page, team.owner);
    await page.goto(`/w/${team.teamId}/overview`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();

    await expectCard(page, 'Sessions', '3');
    await expectCard(page, 'Events', '7');
    await expectCard(page, 'Users', '2');
    await expectCard(page, 'Errors', '2');
    await page.getByRole('figure', { name: /Sessions and events per day: 7 events/ }).waitFor();
    await expectAccessible(page, 'Overview');

    // The same numbers per hour over the last 24 hours.
    await page.getByRole('combobox', { name: 'Date range' }).click();
    await page.getByRole('option', { name: 'Last 24 hours' }).click();
    await page.getByRole('figure', { name: /per hour: 7 events over/ }).waitFor();
    await expectCard(page, 'Events', '7');

    // An annotation: listed under the chart and marked on it.
    await page.getByRole('button', { name: 'Add annotation' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add annotation' });
    await dialog.waitFor();
    // Checked once opened: focus in its first field, no transition still running.
    await page.waitForFunction(() => document.activeElement?.tagName === 'TEXTAREA');
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    await expectAccessible(page, 'the Add annotation dialog');
    await dialog.getByLabel('Note').fill('Release 2.0');
    await dialog.getByRole('button', { name: 'Add annotation' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const annotations = page.getByRole('region', { name: 'Annotations' });
    await annotations.getByText('Release 2.0').waitFor();
    // The chart's line for it (its bucket: this hour).
    await page.locator('figure .tally-chart-reference-line').waitFor({ state: 'attached' });
    await page.locator('figure svg').getByText('Release 2.0', { exact: true }).waitFor();
    await page.getByRole('figure', { name: /1 annotations marked/ }).waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'analytics-overview.png'), fullPage: true });

    // The CSV of the range: a header and one line per event.
    await page.getByRole('button', { name: 'Export' }).click();
    const downloading = page.waitForEvent('download');
    await page.getByRole('menuitem', { name: 'CSV' }).click();
    const download = await downloading;
    const path = await download.path();
    const lines = readFileSync(path, 'utf8').trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe('id,timestamp,sessionId,name,type,userId,durationMs,status,properties');
    expect(lines).toHaveLength(1 + 7);

    // Tools & Usage: a row per name, with its numbers.
    await page.goto(`/w/${team.teamId}/tools`);
    await page.getByRole('heading', { name: 'Tools & Usage', level: 1 }).waitFor();
    // Name, type, count, change against the period before (none then: "new"), sessions, error rate, durations.
    expect(await rowCells(page, 'search')).toEqual([
      'search',
      'tool_call',
      '3',
      expect.stringMatching(/^new/),
      '2',
      '33.3 %',
      '150 ms',
      expect.any(String),
    ]);
    expect((await rowCells(page, 'fetch')).slice(0, 6)).toEqual([
      'fetch',
      'tool_call',
      '2',
      expect.stringMatching(/^new/),
      '2',
      '50 %',
    ]);
    expect((await rowCells(page, 'open')).slice(0, 6)).toEqual([
      'open',
      'pageview',
      '1',
      expect.stringMatching(/^new/),
      '1',
      '0 %',
    ]);
    // Sorted by name on request.
    await page.getByRole('button', { name: 'Name' }).click();
    await page.getByRole('columnheader', { name: 'Name' }).and(page.locator('[aria-sort="ascending"]')).waitFor();
    const names = await page.locator('tbody tr td:first-child').allTextContents();
    expect(names).toEqual(['fetch', 'open', 'search', 'signup']);
    await expectAccessible(page, 'Tools & Usage');

    // Sessions, one of them, and Activity.
    await page.goto(`/w/${team.teamId}/sessions`);
    await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
    const u2 = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'u2', exact: true }) });
    await u2.waitFor();
    await expectAccessible(page, 'Sessions');
    await u2.getByRole('link').click();
    await page.getByRole('heading', { name: 'Session', level: 1 }).waitFor();
    await page.getByText('fetch', { exact: true }).waitFor();
    await expectAccessible(page, 'a session');

    await page.goto(`/w/${team.teamId}/activity`);
    await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
    await page.getByRole('cell', { name: 'signup', exact: true }).waitFor();
    await expectAccessible(page, 'Activity');
  }, 90_000);

  it('gives a viewer the numbers without Add annotation, saved-filter or Export controls', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    await logIn(page, team.viewer);
    await page.goto(`/w/${team.teamId}/overview`);
    await expectCard(page, 'Events', '7');
    await page.getByRole('combobox', { name: 'Event names' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add annotation' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save filter' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Export' }).count()).toBe(0);
    // The annotation added above is listed for them too, without Edit or Delete.
    await page.getByRole('region', { name: 'Annotations' }).getByText('Release 2.0').waitFor();
    expect(await page.getByRole('button', { name: /^(Edit|Delete) annotation/ }).count()).toBe(0);

    // The filter bar still narrows what they see.
    await page.getByRole('combobox', { name: 'Event names' }).fill('search');
    await page.getByRole('combobox', { name: 'Event names' }).press('Enter');
    await expectCard(page, 'Events', '3');
    await expectAccessible(page, 'Overview for a viewer');
  });

  it('opened by its address, the Overview asks for its numbers once (the route starts the query, the page takes its answer)', async () => {
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    await logIn(page, team.viewer);
    const asked: string[] = [];
    // Only the new document's requests: the page the log-in landed on may still be asking (its
    // breakdown) when the navigation starts, and those requests are not this load's.
    let navigating = false;
    let loaded = false;
    page.on('framenavigated', (frame) => {
      if (navigating && frame === page.mainFrame()) loaded = true;
    });
    page.on('request', (request) => {
      if (!loaded || !request.url().endsWith('/graphql')) return;
      const body = request.postDataJSON() as { operationName?: string } | null;
      asked.push(body?.operationName ?? '?');
    });
    // A new page load: the session comes back from the refresh cookie, the code loads anew.
    navigating = true;
    await page.goto(`/w/${team.teamId}/overview`);
    await expectCard(page, 'Events', '7');
    await page.getByRole('figure', { name: /Sessions and events per day: 7 events/ }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(asked.filter((name) => name === 'AnalyticsOverview')).toEqual(['AnalyticsOverview']);
    expect(asked.filter((name) => name === 'Workspaces')).toEqual(['Workspaces']);
    expect(asked[0]).toBe('RefreshSession');

    // A change of range asks once, for the new range only, on a CPU slowed 6× too: a render during
    // the navigation's transition still shows the old range, which is read from the cache
    // (ANALYTICS_FETCH) — it used to be asked again, then the new one again, rounds on end.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
    const ranges: Array<[string, string]> = [];
    page.on('request', (request) => {
      if (!request.url().endsWith('/graphql')) return;
      const body = request.postDataJSON() as { operationName?: string; variables?: { range?: { from: string } } };
      if (body.variables?.range) ranges.push([body.operationName ?? '?', body.variables.range.from]);
    });
    const oldFrom = ranges.length;
    await page.getByRole('combobox', { name: 'Date range' }).click();
    await page.getByRole('option', { name: 'Last 24 hours' }).click();
    await page.getByRole('figure', { name: /per hour: 7 events over/ }).waitFor();
    await page.getByRole('table', { name: /^Top values of session attribute/ }).waitFor();
    await page.waitForLoadState('networkidle');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    const asked24h = ranges.slice(oldFrom);
    const froms = new Set(asked24h.map(([, from]) => from));
    expect(froms.size).toBe(1);
    expect(asked24h.map(([name]) => name).sort()).toEqual([
      'AnalyticsBreakdown',
      'AnalyticsOverview',
      'OverviewAnnotations',
    ]);
  });

  it('edits and deletes an annotation, edits a saved filter’s property condition, exports the filtered rows', async () => {
    const asOwner = <T>(query: string, variables: Record<string, unknown>) =>
      dashboard.server.gql<T>(query, variables, { token: team.owner.accessToken });
    await asOwner(`mutation($w: ID!, $i: AnnotationInput!) { createAnnotation(workspaceId: $w, input: $i) { id } }`, {
      w: team.teamId,
      i: { at: new Date(Date.now() - 30 * MINUTE).toISOString(), text: 'Deploy 1' },
    });
    const created = await asOwner<{ createSavedFilter: { id: string } }>(
      `mutation($w: ID!, $i: SavedFilterInput!) { createSavedFilter(workspaceId: $w, input: $i) { id } }`,
      {
        w: team.teamId,
        i: {
          name: 'Pro searches',
          filter: { names: ['search'], properties: [{ key: 'plan', op: 'EQ', value: 'pro' }] },
        },
      },
    );
    const savedId = created.data?.createSavedFilter.id;
    expect(savedId).toBeDefined();

    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    page.setDefaultTimeout(10_000);
    await logIn(page, team.owner);
    await page.goto(`/w/${team.teamId}/overview`);
    await expectCard(page, 'Events', '7');
    const chartText = (text: string) => page.locator('figure svg').getByText(text, { exact: true });
    await chartText('Deploy 1').waitFor();

    // Edit: the new note replaces the old one on the chart and in the list.
    await page.getByRole('button', { name: 'Edit annotation Deploy 1' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit annotation' });
    await edit.waitFor();
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    await expectAccessible(page, 'the Edit annotation dialog');
    await edit.getByLabel('Note').fill('Deploy 2');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'hidden' });
    await chartText('Deploy 2').waitFor();
    expect(await chartText('Deploy 1').count()).toBe(0);

    // Delete: asked first, then gone from the chart and the list.
    await page.getByRole('button', { name: 'Delete annotation Deploy 2' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete annotation' });
    await confirm.waitFor();
    await expectAccessible(page, 'the Delete annotation dialog');
    await confirm.getByRole('button', { name: 'Delete annotation' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await chartText('Deploy 2').waitFor({ state: 'detached' });
    expect(await page.getByRole('region', { name: 'Annotations' }).getByText('Deploy 2').count()).toBe(0);

    // The saved filter: names and its property condition apply (search with plan "pro": 2 events).
    await page.getByRole('combobox', { name: 'Saved filter' }).click();
    await page.getByRole('option', { name: 'Pro searches' }).click();
    await expectCard(page, 'Events', '2');
    await expectCard(page, 'Errors', '1');
    await page.getByRole('list', { name: 'Property conditions applied' }).getByText('plan is "pro"').waitFor();

    // Edit filter shows the condition; changed to "free", it is saved and applied: 1 event.
    await page.getByRole('button', { name: 'Edit filter' }).click();
    const editFilter = page.getByRole('dialog', { name: 'Edit filter' });
    await editFilter.waitFor();
    expect(await editFilter.getByLabel('Property 1').inputValue()).toBe('plan');
    expect(await editFilter.getByRole('textbox', { name: 'Value 1' }).inputValue()).toBe('pro');
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    await expectAccessible(page, 'the Edit filter dialog');
    await editFilter.getByRole('textbox', { name: 'Value 1' }).fill('free');
    await editFilter.getByRole('button', { name: 'Save changes' }).click();
    await editFilter.waitFor({ state: 'hidden' });
    await expectCard(page, 'Events', '1');
    await expectCard(page, 'Errors', '0');
    const stored = await asOwner<{ workspace: { savedFilters: Array<{ id: string; filter: unknown }> } }>(
      `query($w: ID!) { workspace(id: $w) { savedFilters { id filter } } }`,
      { w: team.teamId },
    );
    expect(stored.data?.workspace.savedFilters.find((f) => f.id === savedId)?.filter).toEqual({
      names: ['search'],
      properties: [{ key: 'plan', op: 'EQ', value: 'free' }],
    });

    // Export with the saved filter applied: exactly its one row.
    await page.getByRole('button', { name: 'Export' }).click();
    const downloading = page.waitForEvent('download');
    await page.getByRole('menuitem', { name: 'CSV' }).click();
    const lines = readFileSync(await (await downloading).path(), 'utf8')
      .trimEnd()
      .split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',e2e-s2,search,tool_call,u2,50,ok,');
    expect(lines[1]).toContain('free');

    // An ad-hoc property condition, added in the filter bar: the three events that carry a plan.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expectCard(page, 'Events', '7');
    await page.getByRole('button', { name: 'Properties' }).click();
    const conditions = page.getByRole('dialog', { name: 'Property conditions' });
    await conditions.waitFor();
    await conditions.getByLabel('Property 1').fill('plan');
    await conditions.getByRole('combobox', { name: 'Condition 1' }).click();
    await page.getByRole('option', { name: 'exists' }).click();
    await conditions.getByRole('button', { name: 'Apply' }).click();
    await conditions.waitFor({ state: 'hidden' });
    await expectCard(page, 'Events', '3');
    await page.getByRole('button', { name: 'Properties (1)' }).waitFor();
  }, 90_000);
});
