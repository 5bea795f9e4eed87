import type { Locator, Page } from 'playwright-core';
import { type TestUser, createTeamWithMembers, createUser, uniqueEmail, createKey } from '@tally/server-test/factories';
import { type MailCatcher, startMailCatcher } from '@tally/server-test/mail-catcher';
import { expectAccessible } from './axe';
import { DESKTOP, PHONE, logIn, useDashboard } from './browser';

// Every page and every dialog of the dashboard, at a laptop's and a phone's size, through
// axe-core: any serious or critical violation fails (issue 9). The invitation and the reset
// links come from real emails.
let catcher: MailCatcher | undefined;
beforeAll(async () => {
  catcher = await startMailCatcher();
});
afterAll(async () => {
  await catcher?.close();
});

const dashboard = useDashboard({
  env: () => {
    if (!catcher) throw new Error('the mail catcher starts first');
    return { SMTP_URL: catcher.url, MAIL_FROM: 'Tally <no-reply@tally.test>' };
  },
});

jest.setTimeout(180_000);

function mailCatcher(): MailCatcher {
  if (!catcher) throw new Error('the mail catcher starts in beforeAll');
  return catcher;
}

/** The path of the first link to `route` in an email's text. */
function linkPath(text: string, route: 'invite' | 'reset-password'): string {
  const link = new RegExp(`https?://\\S+/${route}/[A-Za-z0-9_-]+`).exec(text)?.[0];
  if (!link) throw new Error(`no ${route} link in: ${text}`);
  return new URL(link).pathname;
}

interface World {
  owner: TestUser;
  /** The team's Editor, whom the owner may remove. */
  editorEmail: string;
  teamId: string;
  teamName: string;
  invitePath: string;
  resetPath: string;
}

let world: World | undefined;

function setUp(): World {
  if (!world) throw new Error('set up in beforeAll');
  return world;
}

beforeAll(async () => {
  const server = dashboard.server;
  const owner = await createUser(server, { name: 'Ada Lovelace' });
  const editor = await createUser(server, { name: 'Grace Hopper' });
  const teamName = `Analytical Engines ${owner.id.slice(0, 6)}`;
  const teamId = await createTeamWithMembers(server, teamName, [
    { user: owner, role: 'OWNER' },
    { user: editor, role: 'EDITOR' },
  ]);
  await createKey(server, owner, owner.personalWorkspaceId, {
    name: 'Production SDK',
    role: 'EDITOR',
    description: 'The web app in production',
  });
  await createKey(server, owner, owner.personalWorkspaceId, {
    name: 'CI reporter',
    role: 'VIEWER',
    expiresAt: '2099-12-31T12:00:00.000Z',
    allowedIps: ['203.0.113.0/24'],
  });
  // A key policy that the keys above break (they expire too late or never): the policy shows in
  // the dialogs and in Settings, and the keys carry an "Out of policy" badge.
  const policy = await server.gql(
    `mutation ($workspaceId: ID!) { setApiKeyPolicy(workspaceId: $workspaceId, input: { maxLifetimeDays: 365 }) { maxLifetimeDays } }`,
    { workspaceId: owner.personalWorkspaceId },
    { token: owner.accessToken },
  );
  expect(policy.errors).toBeUndefined();
  await createKey(server, owner, teamId, { name: 'Team pipeline', role: 'ADMIN' });

  const invitee = uniqueEmail('invitee');
  const invited = await server.gql(
    `mutation ($workspaceId: ID!, $email: String!) { inviteMember(workspaceId: $workspaceId, email: $email, role: VIEWER) { id } }`,
    { workspaceId: teamId, email: invitee },
    { token: owner.accessToken },
  );
  expect(invited.errors).toBeUndefined();
  const invitation = await mailCatcher().waitFor((m) => m.to.includes(invitee), 20_000);

  const asked = await server.gql(`mutation ($email: String!) { requestPasswordReset(email: $email) }`, {
    email: editor.email,
  });
  expect(asked.errors).toBeUndefined();
  const reset = await mailCatcher().waitFor((m) => m.to.includes(editor.email), 20_000);

  world = {
    owner,
    editorEmail: editor.email,
    teamId,
    teamName,
    invitePath: linkPath(invitation.text, 'invite'),
    resetPath: linkPath(reset.text, 'reset-password'),
  };
});

/** Waits for a dialog to be open and still, then checks the whole page with it. */
async function checkDialog(page: Page, name: string, where: string): Promise<Locator> {
  const dialog = page.getByRole('dialog', { name });
  await dialog.waitFor();
  await expectAccessible(page, `${where}: the ${name} dialog`);
  return dialog;
}

async function closeDialog(page: Page, dialog: Locator): Promise<void> {
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
}

/** Opens the narrow-screen menu (when there is one) and follows a sidebar link. */
async function openSection(page: Page, label: string): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Navigation' });
  if (await toggle.isVisible()) {
    await toggle.click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  } else {
    await page.getByRole('link', { name: label, exact: true }).click();
  }
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

describe.each([
  ['at 1360×860', DESKTOP],
  ['at 390×844', PHONE],
])('every page and dialog passes axe-core %s', (size, viewport) => {
  it('for visitors: sign up, log in, forgot and reset password, an invitation, 404', async () => {
    const { invitePath, resetPath } = setUp();
    const page = await dashboard.newPage({ viewport, reduceMotion: true });

    await page.goto('/signup');
    await page.getByRole('heading', { name: 'Create your Tally account' }).waitFor();
    await expectAccessible(page, `sign up ${size}`);
    // With every problem showing (error colours included).
    await page.getByLabel('Email').fill('grace@localhost');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('Enter a valid email address, like name@example.com.', { exact: true }).waitFor();
    await expectAccessible(page, `sign up with errors ${size}`);

    await page.goto('/login');
    await page.getByRole('heading', { name: 'Log in to Tally' }).waitFor();
    await expectAccessible(page, `log in ${size}`);
    await page.getByLabel('Email').fill(uniqueEmail('nobody'));
    await page.getByLabel('Password', { exact: true }).fill('not a password at all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Invalid email or password.').waitFor();
    await expectAccessible(page, `log in refused ${size}`);

    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await expectAccessible(page, `forgot password ${size}`);
    await page.getByLabel('Email').fill(uniqueEmail('nobody'));
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await expectAccessible(page, `forgot password, sent ${size}`);

    await page.goto(resetPath);
    await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
    await expectAccessible(page, `reset password ${size}`);
    await page.goto('/reset-password/not-a-real-token-at-all-000000000000000000000');
    await page.getByLabel('New password').fill('a long enough password');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByText('This reset link is no longer valid. Ask for a new one.').waitFor();
    await expectAccessible(page, `reset password, dead link ${size}`);

    await page.goto(invitePath);
    await page.getByRole('heading', { name: /^Join / }).waitFor();
    await expectAccessible(page, `the invitation page ${size}`);

    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await expectAccessible(page, `the 404 page ${size}`);
    await page.context().close();
  });

  it('for a team owner: every workspace page and every dialog', async () => {
    const { owner, editorEmail, teamId, teamName } = setUp();
    // As on a first day: nothing remembered from the other width's run (the team has no events).
    await dashboard.server.tally.db.query(`UPDATE users SET last_workspace_id = NULL WHERE id = $1`, [owner.id]);
    const page = await dashboard.newPage({ viewport, reduceMotion: true });
    await logIn(page, owner);

    // A new user lands on Getting started.
    await page.getByRole('heading', { name: 'Getting started', level: 1 }).waitFor();
    await expectAccessible(page, `Getting started ${size}`);
    if (viewport === PHONE) {
      await page.getByRole('button', { name: 'Navigation' }).click();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API Keys' }).waitFor();
      await expectAccessible(page, `the open menu ${size}`);
      await page.keyboard.press('Escape');
    }

    await openSection(page, 'API Keys');
    await page.getByText('Production SDK').first().waitFor();
    await expectAccessible(page, `API Keys ${size}`);
    await page.getByRole('button', { name: '2 scopes of CI reporter' }).click();
    await page.getByRole('dialog', { name: 'Scopes of CI reporter' }).waitFor();
    await expectAccessible(page, `API Keys, scopes of a key ${size}`);
    await page.keyboard.press('Escape');

    // Create API Key: the form (with its problems), the secret, and the question before losing it.
    await page.getByRole('button', { name: 'Create API Key' }).click();
    let dialog = await checkDialog(page, 'Create API Key', `API Keys ${size}`);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByText('Enter a name for the key.', { exact: true }).waitFor();
    await expectAccessible(page, `the Create API Key dialog with a problem ${size}`);
    await dialog.getByLabel('Name').fill(`Staging ${size}`);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await checkDialog(page, 'API key created', `API Keys ${size}`);
    await page.keyboard.press('Escape');
    dialog = await checkDialog(page, 'Close without copying the key?', `API Keys ${size}`);
    await dialog.getByRole('button', { name: 'Close without copying' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Revoke Production SDK' }).click();
    dialog = await checkDialog(page, 'Revoke API key', `API Keys ${size}`);
    await closeDialog(page, dialog);

    // A key's usage: its charts, its limits and the form to change them (with a problem showing).
    await page.getByRole('button', { name: 'Usage of CI reporter' }).click();
    dialog = page.getByRole('dialog', { name: 'Usage of CI reporter' });
    await dialog.getByRole('button', { name: 'Save limits' }).waitFor();
    await expectAccessible(page, `API Keys, the usage of a key ${size}`);
    await dialog.getByLabel('Events per minute').fill('0');
    await dialog.getByRole('button', { name: 'Save limits' }).click();
    await dialog.getByText(/Enter a whole number from 1 to/).waitFor();
    await expectAccessible(page, `API Keys, the usage of a key with a problem ${size}`);
    await closeDialog(page, dialog);

    // A key's allowlist and why it is out of policy, one click away.
    await page.getByRole('button', { name: 'IP allowlist of CI reporter: 1 address' }).click();
    await page.getByRole('dialog', { name: 'IP allowlist of CI reporter' }).getByText('203.0.113.0/24').waitFor();
    await expectAccessible(page, `API Keys, a key's allowlist ${size}`);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: /^Out of policy: why CI reporter/ }).click();
    await page
      .getByRole('dialog', { name: /^Out of policy: why CI reporter/ })
      .getByText(/expires later/)
      .waitFor();
    await expectAccessible(page, `API Keys, why a key is out of policy ${size}`);
    await page.keyboard.press('Escape');

    // A key's actions menu, and its Roll and IP allowlist dialogs (with a problem showing).
    await page.getByRole('button', { name: 'More actions for Production SDK' }).click();
    await page.getByRole('menuitem', { name: 'Roll key' }).waitFor();
    await expectAccessible(page, `API Keys, a key's actions menu ${size}`);
    await page.getByRole('menuitem', { name: 'Roll key' }).click();
    dialog = await checkDialog(page, 'Roll API key', `API Keys ${size}`);
    await dialog.getByText("This workspace's policy: keys expire within 365 days.").waitFor();
    await expectAccessible(page, `the Roll API key dialog with the policy ${size}`);
    await closeDialog(page, dialog);
    // A roll done: the new secret once, then the keys' relations in the list.
    const rollMe = `Roll me ${size}`;
    await createKey(dashboard.server, owner, owner.personalWorkspaceId, {
      name: rollMe,
      role: 'VIEWER',
      expiresAt: new Date(Date.now() + 30 * 24 * 60 * 60 * 1000).toISOString(),
    });
    await page.reload();
    await page.getByRole('button', { name: `More actions for ${rollMe}` }).click();
    await page.getByRole('menuitem', { name: 'Roll key' }).click();
    dialog = await checkDialog(page, 'Roll API key', `API Keys ${size}`);
    await dialog.getByRole('button', { name: 'Roll key' }).click();
    await checkDialog(page, 'API key rolled', `API Keys ${size}`);
    await page.keyboard.press('Escape');
    dialog = await checkDialog(page, 'Close without copying the key?', `API Keys ${size}`);
    await dialog.getByRole('button', { name: 'Close without copying' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText(`Replaced by ${rollMe}`, { exact: false }).first().waitFor();
    await expectAccessible(page, `API Keys with a rolled key ${size}`);
    await page.getByRole('button', { name: 'More actions for Production SDK' }).click();
    await page.getByRole('menuitem', { name: 'IP allowlist' }).click();
    dialog = await checkDialog(page, 'IP allowlist', `API Keys ${size}`);
    await dialog.getByLabel('IP allowlist').fill('localhost');
    await dialog.getByRole('button', { name: 'Save allowlist' }).click();
    await dialog.getByText('“localhost” is not an IP address', { exact: false }).first().waitFor();
    await expectAccessible(page, `the IP allowlist dialog with a problem ${size}`);
    await closeDialog(page, dialog);

    await openSection(page, 'Settings');
    await page.getByRole('heading', { name: 'Workspace details' }).waitFor();
    await page.getByLabel('Maximum key lifetime (days)').waitFor();
    await expectAccessible(page, `Settings ${size}`);

    await openSection(page, 'Overview');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await expectAccessible(page, `Overview ${size}`);

    await openSection(page, 'Teams');
    await page.getByRole('link', { name: teamName }).waitFor();
    await expectAccessible(page, `Teams ${size}`);
    await page.getByRole('button', { name: 'New Team' }).click();
    dialog = await checkDialog(page, 'New Team', `Teams ${size}`);
    await closeDialog(page, dialog);

    // A team's view, tab by tab.
    await page.getByRole('link', { name: teamName }).click();
    await page.waitForURL(`**/w/${teamId}/teams/members`);
    await page.getByRole('heading', { name: 'Pending invitations' }).waitFor();
    await expectAccessible(page, `a team's Members tab ${size}`);
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    dialog = await checkDialog(page, 'Invite', `Members ${size}`);
    await dialog.getByLabel('Email').fill('grace@localhost');
    await dialog.getByRole('button', { name: 'Send Invite' }).click();
    await dialog.getByText('Enter a valid email address, like name@example.com.', { exact: true }).waitFor();
    await expectAccessible(page, `the Invite dialog with a problem ${size}`);
    await closeDialog(page, dialog);
    // The last owner cannot leave: the button is disabled, the reason beside it (no dialog).
    expect(await page.getByRole('button', { name: 'Leave Team' }).isDisabled()).toBe(true);
    await page.getByText('You are the last owner: make another member an owner before you leave.').waitFor();
    await page.getByRole('button', { name: `Remove ${editorEmail}` }).click();
    dialog = await checkDialog(page, 'Remove member', `Members ${size}`);
    await closeDialog(page, dialog);

    await page.getByRole('tab', { name: 'API Keys' }).click();
    await page.getByText('Team pipeline').first().waitFor();
    await expectAccessible(page, `a team's API Keys tab ${size}`);

    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Danger Zone' }).waitFor();
    await expectAccessible(page, `a team's Settings tab ${size}`);
    await page.getByRole('button', { name: 'Delete Team' }).click();
    dialog = await checkDialog(page, 'Delete Team', `Settings ${size}`);
    await closeDialog(page, dialog);

    await page.getByRole('tab', { name: 'Audit' }).click();
    // A table at 1360 px, a list of cards on a phone.
    await page
      .getByRole('table', { name: 'Audit log' })
      .or(page.getByRole('list', { name: 'Audit log' }))
      .waitFor();
    await expectAccessible(page, `a team's Audit tab ${size}`);

    await page.goto(`/w/${teamId}/no-such-page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await expectAccessible(page, `a workspace's 404 page ${size}`);
    await page.context().close();
  });
});
