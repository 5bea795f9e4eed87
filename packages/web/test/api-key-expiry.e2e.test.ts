import { join } from 'node:path';
import { createKey, createRoleTeam, createUser } from '@tally/server-test/factories';
import { expectAccessible } from './axe';
import { DESKTOP, PHONE, RESULTS_DIR, logIn, useDashboard } from './browser';

// Expiry warnings on the API Keys page (issue 22): a banner for the keys that expire within
// seven days, and "Consider revoking" beside an active key unused for 30 days ("Monitor usage").

const dashboard = useDashboard();
const DAY = 24 * 60 * 60 * 1000;

describe('API key expiry warnings in Chromium', () => {
  for (const [size, viewport] of [
    ['at a laptop size', DESKTOP],
    ['at a phone size', PHONE],
  ] as const) {
    it(`shows the banner for a key expiring within 7 days and the hint on an unused key, ${size}`, async () => {
      const server = dashboard.server;
      const owner = await createUser(server);
      const workspaceId = owner.personalWorkspaceId;
      const nightly = await createKey(server, owner, workspaceId, {
        name: 'Nightly export',
        expiresAt: new Date(Date.now() + 3 * DAY).toISOString(),
      });
      await createKey(server, owner, workspaceId, {
        name: 'Next quarter',
        expiresAt: new Date(Date.now() + 60 * DAY).toISOString(),
      });
      const stale = await createKey(server, owner, workspaceId, { name: 'Old dashboard' });
      const used = await createKey(server, owner, workspaceId, { name: 'Busy SDK' });
      // Made 40 days ago: one never used since, one used an hour ago.
      await server.tally.db.query(
        `UPDATE api_keys SET created_at = now() - interval '40 days' WHERE workspace_id = $1 AND id = ANY($2::uuid[])`,
        [workspaceId, [stale.apiKey.id, used.apiKey.id]],
      );
      await server.tally.db.query(
        `UPDATE api_keys SET last_used_at = now() - interval '1 hour' WHERE workspace_id = $1 AND id = $2`,
        [workspaceId, used.apiKey.id],
      );

      const page = await dashboard.newPage({ viewport, reduceMotion: true });
      await logIn(page, owner);
      await page.goto(`/w/${workspaceId}/api-keys`);
      await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();

      const banner = page.getByRole('region', { name: '1 API key expires soon' });
      await banner.waitFor();
      const text = await banner.innerText();
      expect(text).toContain('Nightly export');
      expect(text).toContain(`(${nightly.apiKey.prefix}…)`);
      expect(text).toMatch(/expires in 3 days/);
      expect(text).not.toContain('Next quarter');
      expect(text).not.toContain('Old dashboard');

      // The hint sits with the unused key only.
      const hints = page.getByText('Consider revoking', { exact: true });
      await hints.first().waitFor();
      expect(await hints.count()).toBe(1);
      const row =
        viewport === PHONE
          ? page.getByRole('listitem', { name: 'Old dashboard' })
          : page.getByRole('row', { name: /Old dashboard/ });
      expect(await row.getByText('Consider revoking', { exact: true }).count()).toBe(1);
      await expectAccessible(page, `API Keys with expiry warnings ${size}`);
      await page.screenshot({
        path: join(RESULTS_DIR, `api-key-expiry-${viewport === PHONE ? 'phone' : 'laptop'}.png`),
        fullPage: true,
      });

      // Revoking the key that expires takes it off the banner.
      const revoke = page.getByRole('button', { name: 'Revoke Nightly export' });
      await revoke.click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Revoke key' }).click();
      await banner.waitFor({ state: 'detached' });
      await page.context().close();
    });
  }

  it('tells a VIEWER who can roll the key, and that a key is unused, instead of asking them to act', async () => {
    const server = dashboard.server;
    const team = await createRoleTeam(server, 'Expiry Viewer E2E');
    await createKey(server, team.owner, team.teamId, {
      name: 'Warehouse sync',
      expiresAt: new Date(Date.now() + 2 * DAY).toISOString(),
    });
    const idle = await createKey(server, team.owner, team.teamId, { name: 'Old report' });
    await server.tally.db.query(
      `UPDATE api_keys SET created_at = now() - interval '40 days' WHERE workspace_id = $1 AND id = $2`,
      [team.teamId, idle.apiKey.id],
    );
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    await logIn(page, team.viewer);
    await page.goto(`/w/${team.teamId}/api-keys`);
    const banner = page.getByRole('region', { name: '1 API key expires soon' });
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toContain('Warehouse sync');
    expect(text).toContain('An owner or admin of this workspace can roll it or create a new one.');
    expect(text).not.toContain('Roll the key or create a new one');
    // The unused key: the fact, not advice the viewer cannot follow.
    const row = page.getByRole('row', { name: /Old report/ });
    await row.getByText('Unused for 30 days', { exact: true }).waitFor();
    expect(await page.getByText('Consider revoking', { exact: true }).count()).toBe(0);
    await page.context().close();
  });
});
