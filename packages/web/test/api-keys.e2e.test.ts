import { join } from 'node:path';
import { API_KEY_ROLE_SCOPES, ALL_SCOPES } from '@tally/shared';
import type { Locator, Page } from 'playwright-core';
import { createTeamWithMembers, createUser, uniqueEmail } from '@tally/server-test/factories';
import { waitFor } from '@tally/server-test/harness';
import { PHONE, type PageOptions, RESULTS_DIR, logIn, useDashboard } from './browser';

const KEY_PATTERN = /^tly_[0-9A-Za-z]{49}$/;

const dashboard = useDashboard();
const newPage = (options: PageOptions = {}) => dashboard.newPage(options);

/** The workspace query an SDK or reporting tool would send, with the key from Node. */
async function queryWithKey(secret: string): Promise<{ status: number; body: GraphqlBody }> {
  const response = await fetch(`${dashboard.server.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ workspace { id name } }' }),
  });
  return { status: response.status, body: (await response.json()) as GraphqlBody };
}

interface GraphqlBody {
  data?: { workspace: { id: string; name: string } | null } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function workspaceIdFrom(page: Page): string {
  const match = /\/w\/([^/]+)\//.exec(new URL(page.url()).pathname);
  if (!match?.[1]) throw new Error(`no workspace id in ${page.url()}`);
  return decodeURIComponent(match[1]);
}

describe('API Keys in Chromium', () => {
  it('creates a key, shows its secret once, and revokes it', async () => {
    const page = await newPage({ clipboard: true });
    await page.goto('/signup');
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email').fill(uniqueEmail('keys'));
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByLabel('Workspace').waitFor();

    await page.getByRole('link', { name: 'API Keys', exact: true }).click();
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    await page.getByText('No API keys yet').waitFor();
    await page.getByRole('heading', { name: 'Using a key' }).waitFor();
    const workspaceId = workspaceIdFrom(page);

    await page.getByRole('button', { name: 'Create API Key' }).click();
    const form = page.getByRole('dialog', { name: 'Create API Key' });
    await form.waitFor();

    // A name is required, and the browser says so before asking the server.
    await form.getByRole('button', { name: 'Create' }).click();
    await form.getByText('Enter a name for the key.', { exact: true }).waitFor();

    await form.getByLabel('Name').fill('CI reporter');
    await form.getByLabel('Description').fill('Nightly usage report for the team channel');

    // The scopes under the role come from the shared table, for every role.
    const role = form.getByLabel('Role');
    for (const [value, scopes] of Object.entries(API_KEY_ROLE_SCOPES)) {
      await role.selectOption(value);
      for (const scope of ALL_SCOPES) {
        const shown = form.getByText(scope, { exact: true });
        if (scopes.includes(scope)) await shown.waitFor();
        else expect(await shown.count()).toBe(0);
      }
    }
    await role.selectOption('VIEWER');
    await screenshotWhenStill(page, form, 'api-keys-create.png');

    await form.getByRole('button', { name: 'Create' }).click();
    const done = page.getByRole('dialog', { name: 'API key created' });
    await done.waitFor();
    await done.getByText('Copy this key now. You will not see it again.').waitFor();
    const shownSecret = await done.getByLabel('Secret').inputValue();
    expect(shownSecret).toMatch(KEY_PATTERN);
    // Focus is on Copy, the one thing to do now.
    await page.waitForFunction(() => document.activeElement?.textContent === 'Copy');
    // A Viewer key's example is a query it may run (not the ingest request it may not send),
    // with the real secret in it while it is on screen: copied, it works as it is.
    const example = done.getByRole('region', { name: 'Try it: a query this key may run' });
    expect(await example.locator('pre').textContent()).toBe(
      `curl -X POST ${dashboard.server.url}/graphql -H "authorization: Bearer ${shownSecret}" -H 'content-type: application/json' -d '{"query":"{ workspace { id name } }"}'`,
    );

    // Escape before copying asks first; going back keeps the secret on screen.
    await page.keyboard.press('Escape');
    const ask = page.getByRole('dialog', { name: 'Close without copying the key?' });
    await ask.getByText(/You haven't copied the secret of CI reporter/).waitFor();
    await ask.getByRole('button', { name: 'Back to the key' }).click();
    await done.getByLabel('Secret').waitFor();

    await done.getByRole('button', { name: 'Copy', exact: true }).click();
    await done.getByRole('button', { name: 'Copied' }).waitFor();
    const secret = await page.evaluate(() => navigator.clipboard.readText());
    expect(secret).toMatch(KEY_PATTERN);
    expect(secret).toBe(shownSecret);
    await screenshotWhenStill(page, done, 'api-keys-secret.png');

    await done.getByRole('button', { name: 'Done' }).click();
    await done.waitFor({ state: 'hidden' });

    const row = page.getByRole('row', { name: /CI reporter/ });
    await row.getByText(secret.slice(0, 12)).waitFor();
    await row.getByText('Active', { exact: true }).waitFor();
    await row.getByText('Viewer', { exact: true }).waitFor();
    await row.getByText('Nightly usage report for the team channel').waitFor();
    await row.getByText('by Grace Hopper').waitFor();
    // With every column of an owner's row, in the narrowest window that still shows the table,
    // the name breaks only between its words.
    const wide = page.viewportSize();
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.getByRole('table').waitFor();
    const brokenWords = await row.getByText('CI reporter', { exact: true }).evaluate((element) =>
      [...(element.textContent ?? '').matchAll(/\S+/g)].filter((word) => {
        const text = element.firstChild;
        if (!text || word.index === undefined) return true;
        const range = document.createRange();
        range.setStart(text, word.index);
        range.setEnd(text, word.index + word[0].length);
        return range.getClientRects().length !== 1;
      }),
    );
    expect(brokenWords).toEqual([]);
    if (wide) await page.setViewportSize(wide);
    // The scopes are one click away, not a wall of chips in the row.
    expect(await row.getByText(API_KEY_ROLE_SCOPES.VIEWER[0] ?? '', { exact: true }).count()).toBe(0);
    await row.getByRole('button', { name: '2 scopes of CI reporter' }).click();
    const scopes = page.getByRole('dialog', { name: 'Scopes of CI reporter' });
    for (const scope of API_KEY_ROLE_SCOPES.VIEWER) await scopes.getByText(scope, { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await scopes.waitFor({ state: 'hidden' });
    // The secret itself is nowhere on the page any more.
    expect(await page.getByText(secret).count()).toBe(0);

    // The key works from outside the browser, in its own workspace.
    const used = await queryWithKey(secret);
    expect(used.status).toBe(200);
    expect(used.body.errors).toBeUndefined();
    expect(used.body.data?.workspace?.id).toBe(workspaceId);

    // Its use shows in "Last used" once recorded.
    await waitForLastUse(workspaceId);
    await page.reload();
    await row.getByText('a few seconds ago').waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'api-keys-table.png'), fullPage: true });

    // The table fits beside the sidebar at 1440 px: no sideways scrolling, Revoke in sight.
    const table = page.getByRole('table', { name: 'API keys' });
    expect(await table.evaluate((t) => t.scrollWidth <= (t.parentElement?.clientWidth ?? 0))).toBe(true);
    await row.getByRole('button', { name: 'Revoke CI reporter' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API key' });
    await confirm
      .getByText('Revoke CI reporter? Apps using this key stop working immediately. This cannot be undone.')
      .waitFor();
    await screenshotWhenStill(page, confirm, 'api-keys-revoke.png');
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'hidden' });
    // The notification that follows has a named close button and keeps clear of Log out.
    const notice = page.locator('.mantine-Notification-root').filter({ hasText: 'API key revoked' });
    await notice.getByRole('button', { name: 'Close notification' }).waitFor();
    const noticeBox = await notice.boundingBox();
    const logOutBox = await page.getByRole('button', { name: 'Log out' }).boundingBox();
    if (!noticeBox || !logOutBox) throw new Error('the notification or Log out is not on screen');
    const overlaps =
      noticeBox.x < logOutBox.x + logOutBox.width &&
      logOutBox.x < noticeBox.x + noticeBox.width &&
      noticeBox.y < logOutBox.y + logOutBox.height &&
      logOutBox.y < noticeBox.y + noticeBox.height;
    expect(overlaps).toBe(false);
    await row.getByText('Revoked', { exact: true }).waitFor();
    expect(await row.getByRole('button', { name: 'Revoke' }).count()).toBe(0);

    const refused = await queryWithKey(secret);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await page.context().close();
  });

  it('creates a key that expires at the end of the chosen day', async () => {
    const owner = await createUser(dashboard.server, { name: 'Ada Lovelace' });
    const page = await newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password', { exact: true }).fill(owner.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'API Keys', exact: true }).click();
    // The page first: until its code has loaded, the page the log-in opened (Getting started, with
    // a Create API Key button and dialog of its own) is still the one on screen.
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Create API Key' }).click();
    const form = page.getByRole('dialog', { name: 'Create API Key' });
    await form.getByLabel('Name').fill('Staging pipeline');
    await form.getByLabel('Role').selectOption('EDITOR');
    await form.getByLabel('Expires').fill('2099-12-31');
    // The browser's date picker has its own format; the words under it use the dashboard's.
    await form
      .getByText('The key stops working at the end of 31 Dec 2099 (your local time).', { exact: false })
      .waitFor();
    await form.getByRole('button', { name: 'Create' }).click();
    const done = page.getByRole('dialog', { name: 'API key created' });
    // An Editor key cannot read the workspace: its example is the ingest request.
    const example = done.getByRole('region', { name: 'Try it: send a first event' });
    await example.getByText(/it cannot read the workspace/).waitFor();
    expect(await example.locator('pre').textContent()).toContain(`curl -X POST ${dashboard.server.url}/v1/events`);
    await done.getByRole('button', { name: 'Done' }).click();
    // Done without copying the secret asks first.
    const ask = page.getByRole('dialog', { name: 'Close without copying the key?' });
    await ask.getByRole('button', { name: 'Close without copying' }).click();
    await ask.waitFor({ state: 'hidden' });

    const row = page.getByRole('row', { name: /Staging pipeline/ });
    await row.getByText('31 Dec 2099').waitFor();
    await row.getByText('Editor', { exact: true }).waitFor();
    await row.getByText('Never', { exact: true }).waitFor();
    const rows: Array<{ expires_at: Date }> = await dashboard.server.tally.db.query(
      `SELECT expires_at FROM api_keys WHERE workspace_id = $1`,
      [owner.personalWorkspaceId],
    );
    // The browser and this test run in the same time zone: the end of that day, local time.
    expect(rows.map((r) => r.expires_at.getTime())).toEqual([new Date(2099, 11, 31, 23, 59, 59, 999).getTime()]);
    await page.context().close();
  });

  it('shows a team viewer the keys, read-only', async () => {
    const owner = await createUser(dashboard.server, { name: 'Olive Owner' });
    const viewer = await createUser(dashboard.server, { name: 'Victor Viewer' });
    const teamName = `Acme ${viewer.id.slice(0, 6)}`;
    const teamId = await createTeamWithMembers(dashboard.server, teamName, [
      { user: owner, role: 'OWNER' },
      { user: viewer, role: 'VIEWER' },
    ]);
    const created = await dashboard.server.gql<{ createApiKey: { apiKey: { prefix: string } } }>(
      `mutation ($workspaceId: ID!, $input: CreateApiKeyInput!) {
        createApiKey(workspaceId: $workspaceId, input: $input) { apiKey { prefix } }
      }`,
      { workspaceId: teamId, input: { name: 'Production SDK', role: 'EDITOR' } },
      { token: owner.accessToken },
    );
    expect(created.errors).toBeUndefined();
    const prefix = created.data?.createApiKey.apiKey.prefix ?? '';

    const page = await newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(viewer.email);
    await page.getByLabel('Password', { exact: true }).fill(viewer.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Workspace').selectOption({ label: teamName });
    await page.waitForURL(`**/w/${teamId}/**`);
    await page.getByRole('link', { name: 'API Keys', exact: true }).click();
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();

    const row = page.getByRole('row', { name: /Production SDK/ });
    await row.getByText(prefix).waitFor();
    await row.getByText('Editor', { exact: true }).waitFor();
    await row.getByText('Active', { exact: true }).waitFor();
    await row.getByText('by Olive Owner').waitFor();
    await row.getByText('Never', { exact: true }).first().waitFor();
    await page.getByText("your role here doesn't allow creating or revoking them").waitFor();
    expect(await page.getByRole('button', { name: 'Create API Key' }).count()).toBe(0);
    expect(await row.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /revoke/i }).count()).toBe(0);
    await page.screenshot({ path: join(RESULTS_DIR, 'api-keys-viewer.png'), fullPage: true });
    await page.context().close();
  });

  it('shows keys as cards on a phone, each Revoke named for its key, and dialogs fill the screen', async () => {
    const owner = await createUser(dashboard.server, { name: 'Ada Lovelace' });
    for (const name of ['Production SDK', 'Nightly export']) {
      const created = await dashboard.server.gql(
        `mutation ($workspaceId: ID!, $input: CreateApiKeyInput!) {
          createApiKey(workspaceId: $workspaceId, input: $input) { apiKey { id } }
        }`,
        { workspaceId: owner.personalWorkspaceId, input: { name, role: 'EDITOR' } },
        { token: owner.accessToken },
      );
      expect(created.errors).toBeUndefined();
    }
    const page = await newPage({ viewport: PHONE, reduceMotion: true });
    await logIn(page, owner);
    await page.goto(`/w/${owner.personalWorkspaceId}/api-keys`);

    const cards = page.getByRole('list', { name: 'API keys' });
    const card = cards.getByRole('listitem', { name: 'Production SDK' });
    await card.getByText('Editor', { exact: true }).waitFor();
    await card.getByText('Active', { exact: true }).waitFor();
    await card.getByText('Last used').waitFor();
    expect(await page.getByRole('table', { name: 'API keys' }).count()).toBe(0);
    // Nothing sticks out sideways, and every Revoke is in sight and says which key.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    for (const name of ['Production SDK', 'Nightly export']) {
      const revoke = page.getByRole('button', { name: `Revoke ${name}` });
      await revoke.scrollIntoViewIfNeeded();
      const box = await revoke.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    }
    await page.screenshot({ path: join(RESULTS_DIR, 'api-keys-phone.png'), fullPage: true });

    // The create dialog fills the screen, its buttons within it.
    await page.getByRole('button', { name: 'Create API Key' }).click();
    const form = page.getByRole('dialog', { name: 'Create API Key' });
    await form.getByLabel('Name').waitFor();
    const dialogBox = await form.boundingBox();
    expect(dialogBox).toEqual({ x: 0, y: 0, width: PHONE.width, height: PHONE.height });
    const create = form.getByRole('button', { name: 'Create' });
    await create.scrollIntoViewIfNeeded();
    const createBox = await create.boundingBox();
    expect(createBox && createBox.x + createBox.width <= PHONE.width).toBe(true);
    await page.screenshot({ path: join(RESULTS_DIR, 'api-keys-create-phone.png') });
    await page.context().close();
  });
});

/** A screenshot once the dialog has finished its opening transition (its box no longer moves). */
async function screenshotWhenStill(page: Page, dialog: Locator, file: string): Promise<void> {
  await dialog.getByRole('button').last().click({ trial: true });
  await page.screenshot({ path: join(RESULTS_DIR, file), animations: 'disabled' });
}

/** lastUsedAt is written just after the request is answered; waits until it is there. */
async function waitForLastUse(workspaceId: string): Promise<void> {
  await waitFor(
    async () => {
      const rows: Array<{ used: boolean }> = await dashboard.server.tally.db.query(
        `SELECT last_used_at IS NOT NULL AS used FROM api_keys WHERE workspace_id = $1`,
        [workspaceId],
      );
      return rows.some((r) => r.used);
    },
    5_000,
    'the key use recorded',
  );
}
