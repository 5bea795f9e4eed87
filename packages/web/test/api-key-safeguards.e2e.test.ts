import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createKey, createTeamWithMembers, createUser, type TestUser } from '@tally/server-test/factories';
import { waitFor } from '@tally/server-test/harness';
import { PHONE, RESULTS_DIR, logIn, useDashboard } from './browser';

// Rolling keys, IP allowlists and the workspace key policy, as the dashboard shows them
// (README, "API keys": roll, allowlists, policy).

const KEY_PATTERN = /^tly_[0-9A-Za-z]{49}$/;

const dashboard = useDashboard();

jest.setTimeout(120_000);

interface GraphqlBody {
  data?: { workspace: { id: string } | null } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** The workspace query a reporting tool would send with a key, from Node (127.0.0.1). */
async function queryWithKey(secret: string): Promise<{ status: number; body: GraphqlBody }> {
  const response = await fetch(`${dashboard.server.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ workspace { id } }' }),
  });
  return { status: response.status, body: (await response.json()) as GraphqlBody };
}

async function setPolicy(
  by: TestUser,
  workspaceId: string,
  input: { maxLifetimeDays?: number | null; maxRole?: string | null; requireAllowlist?: boolean },
): Promise<void> {
  const res = await dashboard.server.gql(
    `mutation ($workspaceId: ID!, $input: ApiKeyPolicyInput!) {
      setApiKeyPolicy(workspaceId: $workspaceId, input: $input) { requireAllowlist }
    }`,
    { workspaceId, input },
    { token: by.accessToken },
  );
  expect(res.errors).toBeUndefined();
}

async function openKeys(page: Page, user: TestUser): Promise<void> {
  await logIn(page, user);
  await page.goto(`/w/${user.personalWorkspaceId}/api-keys`);
  await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
}

/** Opens a key's row menu and picks an action in it. */
async function rowAction(page: Page, keyName: string, action: string): Promise<void> {
  await page.getByRole('button', { name: `More actions for ${keyName}` }).click();
  await page.getByRole('menuitem', { name: action }).click();
}

describe('API key safeguards in Chromium', () => {
  it('rolls a key with a grace period: the new secret once, both keys related, both working meanwhile', async () => {
    const owner = await createUser(dashboard.server, { name: 'Ada Lovelace' });
    const old = await createKey(dashboard.server, owner, owner.personalWorkspaceId, {
      name: 'Reporting tool',
      role: 'VIEWER',
    });
    const page = await dashboard.newPage({ clipboard: true });
    await openKeys(page, owner);

    await rowAction(page, 'Reporting tool', 'Roll key');
    const roll = page.getByRole('dialog', { name: 'Roll API key' });
    await roll.getByText(/makes a new key with the same name, role, description and allowlist/).waitFor();
    // 24 hours unless chosen otherwise; every choice of the issue is offered.
    expect(await roll.getByRole('radio', { name: '24 hours' }).isChecked()).toBe(true);
    for (const choice of ['Stop it now', '1 hour', '3 days', '7 days']) {
      await roll.getByRole('radio', { name: choice }).waitFor();
    }
    await roll.getByRole('radio', { name: '1 hour' }).check();
    await roll.getByText(/The old key stops working at /).waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'api-keys-roll.png') });
    const before = Date.now();
    await roll.getByRole('button', { name: 'Roll key' }).click();

    const done = page.getByRole('dialog', { name: 'API key rolled' });
    await done.getByText('Copy this key now. You will not see it again.').waitFor();
    await done.getByText(/^The old key \(.*\) keeps working until \d{1,2} \w{3} \d{4}, \d{2}:\d{2}\.$/).waitFor();
    const secret = await done.getByLabel('Secret').inputValue();
    expect(secret).toMatch(KEY_PATTERN);
    expect(secret).not.toBe(old.secret);
    // The shown-once step guards the secret as Create does.
    await done.getByRole('button', { name: 'Done' }).click();
    const ask = page.getByRole('dialog', { name: 'Close without copying the key?' });
    await ask.getByRole('button', { name: 'Back to the key' }).click();
    await done.getByRole('button', { name: 'Copy', exact: true }).click();
    await done.getByRole('button', { name: 'Done' }).click();
    await done.waitFor({ state: 'hidden' });

    // Both keys say how they relate; the old one until when it works.
    const oldPrefix = old.secret.slice(0, 12);
    const newPrefix = secret.slice(0, 12);
    const oldRow = page.getByRole('row', { name: new RegExp(`Replaced by Reporting tool \\(${newPrefix}…\\)`) });
    await oldRow.getByText(/, works until \d{1,2} \w{3} \d{4}, \d{2}:\d{2}/).waitFor();
    await oldRow.getByText(`${oldPrefix}…`, { exact: true }).waitFor();
    const newRow = page.getByRole('row', { name: new RegExp(`Rolled from Reporting tool \\(${oldPrefix}…\\)`) });
    await newRow.getByText(`${newPrefix}…`, { exact: true }).waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'api-keys-rolled.png'), fullPage: true });

    // The server set the old key's end where the dialog said: an hour from the click.
    const rows: Array<{ expires_at: Date }> = await dashboard.server.tally.db.query(
      `SELECT expires_at FROM api_keys WHERE id = $1`,
      [old.apiKey.id],
    );
    const end = rows[0]?.expires_at.getTime() ?? 0;
    expect(end).toBeGreaterThanOrEqual(before + 60 * 60 * 1000 - 1000);
    expect(end).toBeLessThanOrEqual(Date.now() + 60 * 60 * 1000);

    // During the grace period both keys work; the old one cannot be rolled again from its row.
    for (const key of [old.secret, secret]) {
      const used = await queryWithKey(key);
      expect(used.status).toBe(200);
      expect(used.body.data?.workspace?.id).toBe(owner.personalWorkspaceId);
    }
    await oldRow.getByRole('button', { name: 'More actions for Reporting tool' }).click();
    await page.getByRole('menuitem', { name: 'IP allowlist' }).waitFor();
    expect(await page.getByRole('menuitem', { name: 'Roll key' }).count()).toBe(0);
    await page.keyboard.press('Escape');

    // A roll the server refuses (here: rolled meanwhile elsewhere) says why, in words.
    await newRow.getByRole('button', { name: 'More actions for Reporting tool' }).click();
    await page.getByRole('menuitem', { name: 'Roll key' }).click();
    const again = page.getByRole('dialog', { name: 'Roll API key' });
    await again.getByRole('button', { name: 'Roll key' }).waitFor();
    const newId = await dashboard.server.tally.db.query(`SELECT id FROM api_keys WHERE prefix = $1`, [newPrefix]);
    const elsewhere = await dashboard.server.gql(
      `mutation ($w: ID!, $k: ID!) { rollApiKey(workspaceId: $w, apiKeyId: $k) { secret } }`,
      { w: owner.personalWorkspaceId, k: (newId as Array<{ id: string }>)[0]?.id },
      { token: owner.accessToken },
    );
    expect(elsewhere.errors).toBeUndefined();
    await again.getByRole('button', { name: 'Roll key' }).click();
    await again.getByText("Couldn't roll the key").waitFor();
    await again.getByText('This key was already rolled: roll the key that replaced it.').waitFor();
    await page.context().close();
  });

  it('edits a key allowlist after creation; a key outside it is refused with 401', async () => {
    const owner = await createUser(dashboard.server, { name: 'Grace Hopper' });
    const key = await createKey(dashboard.server, owner, owner.personalWorkspaceId, {
      name: 'Office reporter',
      role: 'VIEWER',
    });
    const page = await dashboard.newPage();
    await openKeys(page, owner);
    expect(await page.getByRole('button', { name: /IP allowlist of Office reporter/ }).count()).toBe(0);

    await rowAction(page, 'Office reporter', 'IP allowlist');
    let dialog = page.getByRole('dialog', { name: 'IP allowlist' });
    const field = dialog.getByLabel('IP allowlist');
    // Obvious mistakes are caught before the server is asked.
    await field.fill('203.0.113.0/24\nlocalhost');
    await dialog.getByRole('button', { name: 'Save allowlist' }).click();
    // Under the field (the same words are also announced, in a visually hidden live region).
    await dialog
      .getByRole('paragraph')
      .filter({ hasText: '“localhost” is not an IP address or a CIDR range' })
      .waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await field.fill('203.0.113.0/24\n2001:db8::/32');
    await dialog.getByRole('button', { name: 'Save allowlist' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // The row says the key is restricted, the list one click away.
    const badge = page.getByRole('button', { name: 'IP allowlist of Office reporter: 2 addresses' });
    await badge.click();
    const list = page.getByRole('dialog', { name: 'IP allowlist of Office reporter' });
    await list.getByText('203.0.113.0/24', { exact: true }).waitFor();
    await list.getByText('2001:db8::/32', { exact: true }).waitFor();
    await page.keyboard.press('Escape');

    // From 127.0.0.1, outside the list: refused.
    const refused = await queryWithKey(key.secret);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(refused.body.errors?.[0]?.message).toBe('This API key is not allowed from this address.');

    // The list comes back as saved, and adding this machine lets the key in again.
    await rowAction(page, 'Office reporter', 'IP allowlist');
    dialog = page.getByRole('dialog', { name: 'IP allowlist' });
    expect(await dialog.getByLabel('IP allowlist').inputValue()).toBe('203.0.113.0/24\n2001:db8::/32');
    await dialog.getByLabel('IP allowlist').fill('203.0.113.0/24\n2001:db8::/32\n127.0.0.1');
    await dialog.getByRole('button', { name: 'Save allowlist' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'IP allowlist of Office reporter: 3 addresses' }).waitFor();
    await waitFor(async () => (await queryWithKey(key.secret)).status === 200, 5_000, 'the key accepted again');

    // The server's own refusals land beside the field: a policy set meanwhile needs a list.
    await rowAction(page, 'Office reporter', 'IP allowlist');
    dialog = page.getByRole('dialog', { name: 'IP allowlist' });
    await dialog.getByLabel('IP allowlist').waitFor();
    await page.waitForLoadState('networkidle');
    await setPolicy(owner, owner.personalWorkspaceId, { requireAllowlist: true });
    await dialog.getByLabel('IP allowlist').fill('');
    await dialog.getByRole('button', { name: 'Save allowlist' }).click();
    await dialog.getByText("This workspace's keys need an IP allowlist.", { exact: true }).waitFor();
    expect(await dialog.getByLabel('IP allowlist').getAttribute('aria-invalid')).toBe('true');
    await page.context().close();
  });

  it('sets the key policy in Settings; the create dialog offers only what it allows; old keys are flagged', async () => {
    const owner = await createUser(dashboard.server, { name: 'Hedy Lamarr' });
    await createKey(dashboard.server, owner, owner.personalWorkspaceId, { name: 'Legacy admin', role: 'ADMIN' });
    const page = await dashboard.newPage();
    await logIn(page, owner);
    await page.goto(`/w/${owner.personalWorkspaceId}/settings`);
    const section = page.getByRole('region', { name: 'API key policy' });
    await section.getByLabel('Maximum key lifetime (days)').fill('90');
    await section.getByLabel('Highest key role').selectOption('EDITOR');
    await section.getByLabel('Require an IP allowlist on every key').check();
    await section.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('API key policy saved').waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'api-keys-policy-settings.png'), fullPage: true });
    await page.reload();
    expect(await section.getByLabel('Maximum key lifetime (days)').inputValue()).toBe('90');
    expect(await section.getByLabel('Highest key role').inputValue()).toBe('EDITOR');
    expect(await section.getByLabel('Require an IP allowlist on every key').isChecked()).toBe(true);

    await page.goto(`/w/${owner.personalWorkspaceId}/api-keys`);
    const row = page.getByRole('row', { name: /Legacy admin/ });
    await row.getByRole('button', { name: /^Out of policy/ }).waitFor();
    // Both of the page's queries answered: nothing re-renders the row under the click.
    await page.waitForLoadState('networkidle');
    await row.getByRole('button', { name: /^Out of policy/ }).click();
    // The popover is named by the button that opens it.
    const why = page.getByRole('dialog', { name: /^Out of policy: why Legacy admin is outside/ });
    await why.getByText('expires later than the policy allows, or never').waitFor();
    await why.getByText('its role is above the policy’s highest').waitFor();
    await why.getByText('it has no IP allowlist, which the policy requires').waitFor();
    await page.keyboard.press('Escape');

    // Its roll would keep the Admin role: the dialog says so up front and won't roll it.
    await rowAction(page, 'Legacy admin', 'Roll key');
    const roll = page.getByRole('dialog', { name: 'Roll API key' });
    await roll
      .getByText("This workspace's policy: keys expire within 90 days, at most Editor, an IP allowlist is required.")
      .waitFor();
    await roll.getByText(/This key can't be rolled\. Its role \(Admin\) is above/).waitFor();
    expect(await roll.getByRole('button', { name: 'Roll key' }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    await roll.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Create API Key' }).click();
    const form = page.getByRole('dialog', { name: 'Create API Key' });
    await form
      .getByText("This workspace's policy: keys expire within 90 days, at most Editor, an IP allowlist is required.")
      .waitFor();
    const role = form.getByLabel('Role');
    expect(await role.locator('option[value="ADMIN"]').isDisabled()).toBe(true);
    expect(await role.locator('option[value="EDITOR"]').isDisabled()).toBe(false);
    const expires = form.getByLabel('Expires');
    const latest = await expires.getAttribute('max');
    expect(latest).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Starts at the latest day allowed, which lies within 90 days.
    expect(await expires.inputValue()).toBe(latest);
    const latestEnd = new Date(`${latest ?? ''}T23:59:59.999`).getTime();
    expect(latestEnd - Date.now()).toBeLessThanOrEqual(90 * 24 * 60 * 60 * 1000);

    await form.getByLabel('Name').fill('Warehouse sync');
    await expires.fill('2099-12-31');
    await form.getByRole('button', { name: 'Create' }).click();
    await form.getByText(/^This workspace's keys must expire within 90 days: choose .* or earlier\.$/).waitFor();
    await form
      .getByText("This workspace's keys need an IP allowlist: add at least one address or range.", { exact: true })
      .waitFor();
    await expires.fill(latest ?? '');
    await form.getByLabel('IP allowlist').fill('127.0.0.1');
    await role.selectOption('EDITOR');
    // The policy tightened meanwhile: the server's refusal goes beside the role, in the dashboard's words.
    await setPolicy(owner, owner.personalWorkspaceId, {
      maxLifetimeDays: 90,
      maxRole: 'VIEWER',
      requireAllowlist: true,
    });
    await form.getByRole('button', { name: 'Create' }).click();
    await form.getByText("This workspace's keys may have at most the Viewer role.", { exact: true }).waitFor();
    await role.selectOption('VIEWER');
    await form.getByRole('button', { name: 'Create' }).click();
    const done = page.getByRole('dialog', { name: 'API key created' });
    const secret = await done.getByLabel('Secret').inputValue();
    await done.getByRole('button', { name: 'Copy', exact: true }).click({ trial: true });
    await page.keyboard.press('Escape');
    await page
      .getByRole('dialog', { name: 'Close without copying the key?' })
      .getByRole('button', {
        name: 'Close without copying',
      })
      .click();
    const created = page.getByRole('row', { name: /Warehouse sync/ });
    await created.getByRole('button', { name: 'IP allowlist of Warehouse sync: 1 address' }).waitFor();
    expect(await created.getByRole('button', { name: /^Out of policy/ }).count()).toBe(0);
    expect((await queryWithKey(secret)).status).toBe(200);
    await page.context().close();
  });

  it('shows a team viewer the policy, allowlists and relations, with no control to change them', async () => {
    const owner = await createUser(dashboard.server, { name: 'Olive Owner' });
    const viewer = await createUser(dashboard.server, { name: 'Victor Viewer' });
    const teamName = `Safeguards ${viewer.id.slice(0, 6)}`;
    const teamId = await createTeamWithMembers(dashboard.server, teamName, [
      { user: owner, role: 'OWNER' },
      { user: viewer, role: 'VIEWER' },
    ]);
    await createKey(dashboard.server, owner, teamId, {
      name: 'Edge ingest',
      role: 'EDITOR',
      allowedIps: ['198.51.100.0/24'],
    });
    await setPolicy(owner, teamId, { maxLifetimeDays: 30, maxRole: 'EDITOR', requireAllowlist: false });

    const page = await dashboard.newPage();
    await logIn(page, viewer);
    await page.goto(`/w/${teamId}/teams/api-keys`);
    const row = page.getByRole('row', { name: /Edge ingest/ });
    await row.getByRole('button', { name: 'IP allowlist of Edge ingest: 1 address' }).waitFor();
    await row.getByRole('button', { name: /^Out of policy/ }).waitFor();
    expect(await page.getByRole('button', { name: /More actions for/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /roll/i }).count()).toBe(0);

    await page.goto(`/w/${teamId}/teams/settings`);
    const section = page.getByRole('region', { name: 'API key policy' });
    await section.getByText('30 days', { exact: true }).waitFor();
    await section.getByText('Editor', { exact: true }).waitFor();
    await section.getByText('Optional', { exact: true }).waitFor();
    expect(await section.getByRole('button', { name: 'Save policy' }).count()).toBe(0);
    expect(await section.getByRole('textbox').count()).toBe(0);
    expect(await section.getByRole('checkbox').count()).toBe(0);
    await page.context().close();
  });

  it('keeps the row actions in reach on a phone', async () => {
    const owner = await createUser(dashboard.server, { name: 'Katherine Johnson' });
    await createKey(dashboard.server, owner, owner.personalWorkspaceId, { name: 'Mobile SDK', role: 'EDITOR' });
    const page = await dashboard.newPage({ viewport: PHONE, reduceMotion: true });
    await openKeys(page, owner);
    const card = page.getByRole('list', { name: 'API keys' }).getByRole('listitem', { name: 'Mobile SDK' });
    const more = card.getByRole('button', { name: 'More actions for Mobile SDK' });
    await more.scrollIntoViewIfNeeded();
    const box = await more.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    await more.click();
    await page.getByRole('menuitem', { name: 'Roll key' }).click();
    const roll = page.getByRole('dialog', { name: 'Roll API key' });
    const button = roll.getByRole('button', { name: 'Roll key' });
    await button.scrollIntoViewIfNeeded();
    const buttonBox = await button.boundingBox();
    expect(buttonBox && buttonBox.x + buttonBox.width <= PHONE.width).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(RESULTS_DIR, 'api-keys-roll-phone.png') });
    await page.context().close();
  });
});
