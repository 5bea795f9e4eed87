import { join } from 'node:path';
import { API_KEY_ROLE_SCOPES, ALL_SCOPES } from '@tally/shared';
import type { Locator, Page } from 'playwright-core';
import { createTeamWithMembers, createUser, uniqueEmail } from '../../server/test/factories';
import { RESULTS_DIR, useDashboard } from './browser';

const KEY_PATTERN = /^tly_[0-9A-Za-z]{49}$/;

const dashboard = useDashboard();
const newPage = (options: { clipboard?: boolean } = {}) => dashboard.newPage(options);

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
    await form.getByText('Enter a name for the key.').waitFor();

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

    await done.getByRole('button', { name: 'Copy' }).click();
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
    for (const scope of API_KEY_ROLE_SCOPES.VIEWER) await row.getByText(scope, { exact: true }).waitFor();
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

    await row.getByRole('button', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API key' });
    await confirm
      .getByText('Revoke CI reporter? Apps using this key stop working immediately. This cannot be undone.')
      .waitFor();
    await screenshotWhenStill(page, confirm, 'api-keys-revoke.png');
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'hidden' });
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

    await page.getByRole('button', { name: 'Create API Key' }).click();
    const form = page.getByRole('dialog', { name: 'Create API Key' });
    await form.getByLabel('Name').fill('Staging pipeline');
    await form.getByLabel('Role').selectOption('EDITOR');
    await form.getByLabel('Expires').fill('2099-12-31');
    await form.getByRole('button', { name: 'Create' }).click();
    const done = page.getByRole('dialog', { name: 'API key created' });
    await done.getByRole('button', { name: 'Done' }).click();

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
});

/** A screenshot once the dialog has finished its opening transition (its box no longer moves). */
async function screenshotWhenStill(page: Page, dialog: Locator, file: string): Promise<void> {
  await dialog.getByRole('button').last().click({ trial: true });
  await page.screenshot({ path: join(RESULTS_DIR, file), animations: 'disabled' });
}

/** lastUsedAt is written just after the request is answered; waits until it is there. */
async function waitForLastUse(workspaceId: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const rows: Array<{ used: boolean }> = await dashboard.server.tally.db.query(
      `SELECT last_used_at IS NOT NULL AS used FROM api_keys WHERE workspace_id = $1`,
      [workspaceId],
    );
    if (rows.some((r) => r.used)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the key use was never recorded');
}
