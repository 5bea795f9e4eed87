import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { createTeamWithMembers, createUser, uniqueEmail } from '@tally/server-test/factories';
import { type MailCatcher, startMailCatcher } from '@tally/server-test/mail-catcher';
import { RESULTS_DIR, expectSelectedWorkspace, logIn, useDashboard, workspaceOptions } from './browser';

// Invitations go out as real emails: the Tally of this file sends them to an SMTP server in
// this process, and the invitee follows the link from the email it caught.
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

function mailCatcher(): MailCatcher {
  if (!catcher) throw new Error('the mail catcher starts in beforeAll');
  return catcher;
}

function teamIdFrom(page: Page): string {
  const match = /\/w\/([^/]+)\/teams\//.exec(new URL(page.url()).pathname);
  if (!match?.[1]) throw new Error(`no team id in ${page.url()}`);
  return decodeURIComponent(match[1]);
}

async function query<T>(sql: string, params: unknown[]): Promise<T[]> {
  const rows: T[] = await dashboard.server.tally.db.query(sql, params);
  return rows;
}

async function memberRoles(teamId: string): Promise<Record<string, string>> {
  const rows = await query<{ email: string; role: string }>(
    `SELECT u.email, m.role FROM members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1`,
    [teamId],
  );
  return Object.fromEntries(rows.map((r) => [r.email, r.role]));
}

/** Waits until a native select shows `value`. */
async function expectValue(select: Locator, value: string): Promise<void> {
  const handle = await select.elementHandle();
  await select
    .page()
    .waitForFunction(
      ([element, expected]) => element instanceof HTMLSelectElement && element.value === expected,
      [handle, value] as const,
      { timeout: 10_000 },
    );
}

/** A screenshot once the dialog has finished its opening transition. */
async function screenshotWhenStill(page: Page, dialog: Locator, file: string): Promise<void> {
  await dialog.getByRole('button').last().click({ trial: true });
  await page.screenshot({ path: join(RESULTS_DIR, file), animations: 'disabled' });
}

// Two people, several pages and a real email in between: longer than the default 30 s.
jest.setTimeout(120_000);

/** Invites `email` through the API as `owner` and returns the link from the email that arrives. */
async function inviteByApi(teamId: string, ownerToken: string, email: string, role = 'VIEWER'): Promise<string> {
  const invited = await dashboard.server.gql<{ inviteMember: { id: string } }>(
    `mutation ($workspaceId: ID!, $email: String!, $role: MemberRole!) {
      inviteMember(workspaceId: $workspaceId, email: $email, role: $role) { id }
    }`,
    { workspaceId: teamId, email, role },
    { token: ownerToken },
  );
  expect(invited.errors).toBeUndefined();
  const mail = await mailCatcher().waitFor((m) => m.to.includes(email), 20_000);
  return linkPath(mail.text);
}

/** The path of the invitation link in an email's text (the server builds it from PUBLIC_URL). */
function linkPath(text: string): string {
  const link = /https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/.exec(text)?.[0];
  if (!link) throw new Error(`no invitation link in: ${text}`);
  return new URL(link).pathname;
}

describe('Teams in Chromium', () => {
  it('creates a team, invites by email, and the invitee signs up from the link, changes role, leaves; the owner deletes the team', async () => {
    const owner = await createUser(dashboard.server, { name: 'Ada Lovelace' });
    const inviteeEmail = uniqueEmail('grace');
    const teamName = `Analytical Engines ${owner.id.slice(0, 6)}`;

    // --- The owner creates a team; the dashboard switches to it.
    const ownerPage = await dashboard.newPage();
    await logIn(ownerPage, owner);
    await ownerPage.getByRole('link', { name: 'Teams', exact: true }).click();
    await ownerPage.getByRole('heading', { name: 'Teams', level: 1 }).waitFor();
    await ownerPage.getByText('You are not in any team yet').waitFor();
    await ownerPage.getByRole('button', { name: 'New Team' }).click();
    const newTeam = ownerPage.getByRole('dialog', { name: 'New Team' });
    await newTeam.getByRole('button', { name: 'Create' }).click();
    await newTeam.getByText('Enter a name for the team.', { exact: true }).waitFor();
    await newTeam.getByLabel('Team name').fill(teamName);
    await newTeam.getByRole('button', { name: 'Create' }).click();

    await ownerPage.waitForURL(/\/w\/[^/]+\/teams\/members$/);
    const teamId = teamIdFrom(ownerPage);
    await expectSelectedWorkspace(ownerPage, teamName);
    expect(await workspaceOptions(ownerPage)).toEqual(['Personal', teamName]);
    await ownerPage.getByRole('heading', { name: teamName, level: 1 }).waitFor();
    for (const tab of ['Members', 'API Keys', 'Settings', 'Audit']) {
      await ownerPage.getByRole('tab', { name: tab }).waitFor();
    }
    expect(await ownerPage.getByRole('tab', { name: 'Members', selected: true }).count()).toBe(1);
    const ownerRow = ownerPage.getByRole('row', { name: new RegExp(owner.email) });
    await expectValue(ownerRow.getByLabel(`Role for ${owner.email}`), 'OWNER');
    expect(await memberRoles(teamId)).toEqual({ [owner.email]: 'OWNER' });
    const teams = await query<{ kind: string; name: string }>(`SELECT kind, name FROM workspaces WHERE id = $1`, [
      teamId,
    ]);
    expect(teams).toEqual([{ kind: 'TEAM', name: teamName }]);

    // --- The owner invites by email, as a Viewer.
    await ownerPage.getByRole('button', { name: 'Invite' }).click();
    const invite = ownerPage.getByRole('dialog', { name: 'Invite' });
    // OWNER is never invitable: the roles come from the shared team rules.
    await invite.getByLabel('Role').waitFor();
    expect(await invite.getByLabel('Role').locator('option').allTextContents()).toEqual(['Admin', 'Editor', 'Viewer']);
    await invite.getByLabel('Email').fill(`  ${inviteeEmail.toUpperCase()} `);
    await invite.getByLabel('Role').selectOption('VIEWER');
    await screenshotWhenStill(ownerPage, invite, 'teams-invite.png');
    await invite.getByRole('button', { name: 'Send Invite' }).click();
    await invite.waitFor({ state: 'hidden' });

    const pendingRow = ownerPage.getByRole('row', { name: new RegExp(inviteeEmail) });
    await pendingRow.getByText('Pending', { exact: true }).waitFor();
    await pendingRow.getByText('Viewer', { exact: true }).waitFor();
    await pendingRow.getByText('by Ada Lovelace').waitFor();
    await pendingRow.getByRole('button', { name: `Resend ${inviteeEmail}` }).waitFor();
    await pendingRow.getByRole('button', { name: `Revoke ${inviteeEmail}` }).waitFor();
    const invitations = await query<{ email: string; role: string }>(
      `SELECT email, role FROM invitations WHERE workspace_id = $1`,
      [teamId],
    );
    expect(invitations).toEqual([{ email: inviteeEmail, role: 'VIEWER' }]);

    // Inviting the same address again is a conflict, said in words.
    await ownerPage.getByRole('button', { name: 'Invite' }).click();
    await invite.getByLabel('Email').fill(inviteeEmail);
    await invite.getByRole('button', { name: 'Send Invite' }).click();
    await invite.getByText(/already pending/i).waitFor();
    await invite.getByRole('button', { name: 'Cancel' }).click();
    await invite.waitFor({ state: 'hidden' });

    // The email arrives; the list shows it was delivered.
    const mail = await mailCatcher().waitFor((m) => m.to.includes(inviteeEmail), 20_000);
    expect(mail.text).toContain(teamName);
    expect(mail.text).toContain('Ada Lovelace');
    const path = linkPath(mail.text);
    await pendingRow.getByText(/Email delivered/).waitFor({ timeout: 15_000 });

    // --- The invitee opens the link, signs up with the email prefilled, accepts and sees the team.
    const inviteePage = await dashboard.newPage();
    await inviteePage.goto(path);
    await inviteePage.getByRole('heading', { name: `Join ${teamName}` }).waitFor();
    await inviteePage.getByText('Ada Lovelace invited you to join this team on Tally.').waitFor();
    await inviteePage.getByText('Viewer', { exact: true }).waitFor();
    const email = inviteePage.getByLabel('Email');
    expect(await email.inputValue()).toBe(inviteeEmail);
    expect(await email.isEditable()).toBe(false);
    await inviteePage.screenshot({ path: join(RESULTS_DIR, 'teams-invitation-sign-up.png'), fullPage: true });
    await inviteePage.getByLabel('Name').fill('Grace Hopper');
    await inviteePage.getByLabel('Password', { exact: true }).fill('a long enough password');
    await inviteePage.getByRole('button', { name: 'Sign up' }).click();

    await inviteePage.waitForURL(`**/w/${teamId}/teams/members`);
    await expectSelectedWorkspace(inviteePage, teamName);
    expect(await workspaceOptions(inviteePage)).toEqual(['Personal', teamName]);
    const inviteeOwnRow = inviteePage.getByRole('row', { name: new RegExp(inviteeEmail) });
    await inviteeOwnRow.getByText('Viewer', { exact: true }).waitFor();
    await inviteePage
      .getByRole('row', { name: new RegExp(owner.email) })
      .getByText('Owner')
      .waitFor();
    expect(await memberRoles(teamId)).toEqual({ [owner.email]: 'OWNER', [inviteeEmail]: 'VIEWER' });
    // The link is single use.
    const accepted = await query<{ accepted: boolean }>(
      `SELECT accepted_at IS NOT NULL AS accepted FROM invitations WHERE workspace_id = $1`,
      [teamId],
    );
    expect(accepted).toEqual([{ accepted: true }]);

    // --- The owner changes the invitee's role, and it shows on both sides.
    await ownerPage.reload();
    const inviteeRow = ownerPage.getByRole('row', { name: new RegExp(inviteeEmail) });
    const roleSelect = inviteeRow.getByLabel(`Role for ${inviteeEmail}`);
    await expectValue(roleSelect, 'VIEWER');
    expect(await ownerPage.getByRole('row', { name: new RegExp(inviteeEmail) }).count()).toBe(1); // no longer pending
    await roleSelect.selectOption('EDITOR');
    await ownerPage.getByText(/Grace Hopper is now an Editor/).waitFor();
    await expectValue(roleSelect, 'EDITOR');
    expect((await memberRoles(teamId))[inviteeEmail]).toBe('EDITOR');
    await ownerPage.screenshot({ path: join(RESULTS_DIR, 'teams-members.png'), fullPage: true });

    await inviteePage.reload();
    await inviteeOwnRow.getByText('Editor', { exact: true }).waitFor();

    // --- The last owner cannot leave: the button says why before anything is confirmed.
    const ownerLeaveButton = ownerRow.getByRole('button', { name: 'Leave Team' });
    expect(await ownerLeaveButton.isDisabled()).toBe(true);
    await ownerRow.getByText(/last owner: make another member an owner/i).waitFor();
    expect(await ownerLeaveButton.getAttribute('aria-describedby')).toBeTruthy();

    // --- The invitee leaves, after confirming.
    await inviteeOwnRow.getByRole('button', { name: 'Leave Team' }).click();
    const leave = inviteePage.getByRole('dialog', { name: 'Leave Team' });
    await leave.getByText(`Leave ${teamName}?`, { exact: false }).waitFor();
    await screenshotWhenStill(inviteePage, leave, 'teams-leave.png');
    await leave.getByRole('button', { name: 'Leave Team' }).click();
    await inviteePage.waitForURL(/\/w\/[^/]+\/teams$/);
    await expectSelectedWorkspace(inviteePage, 'Personal');
    expect(await workspaceOptions(inviteePage)).toEqual(['Personal']);
    await inviteePage.getByText('You are not in any team yet').waitFor();
    expect(await memberRoles(teamId)).toEqual({ [owner.email]: 'OWNER' });

    // --- The audit log tells the story, newest first.
    await ownerPage.getByRole('tab', { name: 'Audit' }).click();
    const audit = ownerPage.getByRole('table', { name: 'Audit log' });
    await audit.getByText('Left the team').waitFor();
    const whats = await audit.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(whats).toEqual([
      'Left the team',
      'Changed the role of Grace Hopper to Editor',
      'Joined the team as Viewer',
      `Invited ${inviteeEmail}`,
      `Created the team “${teamName}”`,
    ]);
    await audit
      .getByRole('row', { name: /Changed the role of Grace Hopper/ })
      .getByText(/Viewer → Editor/)
      .waitFor();
    await audit
      .getByRole('row', { name: /Changed the role of Grace Hopper/ })
      .getByText('Ada Lovelace')
      .waitFor();

    // --- The owner deletes the team by typing its name, and lands in the personal workspace.
    await ownerPage.getByRole('tab', { name: 'Settings' }).click();
    await ownerPage.getByRole('heading', { name: 'Danger Zone' }).waitFor();
    await ownerPage.getByRole('button', { name: 'Delete Team' }).click();
    const remove = ownerPage.getByRole('dialog', { name: 'Delete Team' });
    const confirm = remove.getByRole('button', { name: 'Delete Team' });
    expect(await confirm.isDisabled()).toBe(true);
    await remove.getByLabel('Team name').fill(teamName.toLowerCase());
    expect(await confirm.isDisabled()).toBe(true);
    await remove.getByLabel('Team name').fill(teamName);
    expect(await confirm.isEnabled()).toBe(true);
    await screenshotWhenStill(ownerPage, remove, 'teams-delete.png');
    await confirm.click();
    await ownerPage.waitForURL(/\/w\/[^/]+\/teams$/);
    await expectSelectedWorkspace(ownerPage, 'Personal');
    expect(await workspaceOptions(ownerPage)).toEqual(['Personal']);
    await ownerPage.getByText('You are not in any team yet').waitFor();
    const deleted = await query<{ deleted: boolean }>(
      `SELECT deleted_at IS NOT NULL AS deleted FROM workspaces WHERE id = $1`,
      [teamId],
    );
    expect(deleted).toEqual([{ deleted: true }]);

    await inviteePage.context().close();
    await ownerPage.context().close();
  });

  it('shows a Viewer the members and keys without a control that would fail', async () => {
    const owner = await createUser(dashboard.server, { name: 'Olive Owner' });
    const viewer = await createUser(dashboard.server, { name: 'Victor Viewer' });
    const editor = await createUser(dashboard.server, { name: 'Edith Editor' });
    const teamName = `Acme ${viewer.id.slice(0, 6)}`;
    const teamId = await createTeamWithMembers(dashboard.server, teamName, [
      { user: owner, role: 'OWNER' },
      { user: viewer, role: 'VIEWER' },
      { user: editor, role: 'EDITOR' },
    ]);

    const page = await dashboard.newPage();
    await logIn(page, viewer);
    await page.getByRole('link', { name: 'Teams', exact: true }).click();
    await page
      .getByRole('row', { name: new RegExp(teamName) })
      .getByText('Viewer')
      .waitFor();
    await page.getByRole('link', { name: teamName }).click();
    await page.waitForURL(`**/w/${teamId}/teams/members`);
    await expectSelectedWorkspace(page, teamName);

    const members = page.getByRole('table', { name: 'Members' });
    for (const user of [owner, viewer, editor]) await members.getByText(user.email).waitFor();
    await page.getByText("your role here doesn't allow inviting or managing members").waitFor();
    expect(await page.getByRole('button', { name: 'Invite' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    expect(await page.getByRole('combobox', { name: /^Role for/ }).count()).toBe(0);
    expect(await page.getByText('Pending invitations').count()).toBe(0);
    // Leaving is for everyone, on their own row only.
    expect(await page.getByRole('button', { name: 'Leave Team' }).count()).toBe(1);
    await page
      .getByRole('row', { name: new RegExp(viewer.email) })
      .getByRole('button', { name: 'Leave Team' })
      .waitFor();
    // No audit.read: no Audit tab.
    await page.getByRole('tab', { name: 'Settings' }).waitFor();
    expect(await page.getByRole('tab', { name: 'Audit' }).count()).toBe(0);
    await page.screenshot({ path: join(RESULTS_DIR, 'teams-viewer.png'), fullPage: true });

    await page.getByRole('tab', { name: 'API Keys' }).click();
    await page.getByText('No API keys yet').waitFor();
    expect(await page.getByRole('button', { name: 'Create API Key' }).count()).toBe(0);

    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByText("your role here doesn't allow changing them").waitFor();
    expect(await page.getByRole('button', { name: 'Delete Team' }).count()).toBe(0);
    expect(await page.getByText('Danger Zone').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Rename' }).count()).toBe(0);

    // The address of a tab the role lacks leads back to Members.
    await page.goto(`/w/${teamId}/teams/audit`);
    await page.waitForURL(`**/w/${teamId}/teams/members`);
    await page.context().close();
  });

  it('lets an Admin manage downwards only', async () => {
    const owner = await createUser(dashboard.server, { name: 'Olive Owner' });
    const admin = await createUser(dashboard.server, { name: 'Adam Admin' });
    const editor = await createUser(dashboard.server, { name: 'Edith Editor' });
    const teamId = await createTeamWithMembers(dashboard.server, `Globex ${admin.id.slice(0, 6)}`, [
      { user: owner, role: 'OWNER' },
      { user: admin, role: 'ADMIN' },
      { user: editor, role: 'EDITOR' },
    ]);

    const page = await dashboard.newPage();
    await logIn(page, admin);
    await page.goto(`/w/${teamId}/teams/members`);
    const editorRole = page.getByLabel(`Role for ${editor.email}`);
    await expectValue(editorRole, 'EDITOR');
    // An Admin grants up to Admin, never Owner; the Owner's row and the Admin's own are read-only.
    expect(await editorRole.locator('option').allTextContents()).toEqual(['Admin', 'Editor', 'Viewer']);
    await page.getByRole('button', { name: `Remove ${editor.email}` }).waitFor();
    expect(await page.getByLabel(`Role for ${owner.email}`).count()).toBe(0);
    expect(await page.getByLabel(`Role for ${admin.email}`).count()).toBe(0);
    expect(await page.getByRole('button', { name: `Remove ${owner.email}` }).count()).toBe(0);
    expect(await page.getByRole('button', { name: `Remove ${admin.email}` }).count()).toBe(0);
    await page.getByRole('tab', { name: 'Audit' }).waitFor();

    await page.getByRole('button', { name: `Remove ${editor.email}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove member' });
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('table', { name: 'Members' }).getByText(owner.email).waitFor();
    expect(await page.getByRole('table', { name: 'Members' }).getByText(editor.email).count()).toBe(0);
    expect(await memberRoles(teamId)).toEqual({ [owner.email]: 'OWNER', [admin.email]: 'ADMIN' });

    // In the Settings tab an Admin may rename but not delete.
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Rename' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete Team' }).count()).toBe(0);
    await page.context().close();
  });

  it('explains unknown, expired and revoked links and says whom to ask; Resend and Revoke work from the list', async () => {
    const page = await dashboard.newPage();
    await page.goto('/invite/not-a-real-token');
    await page.getByRole('heading', { name: "This invitation link doesn't work" }).waitFor();
    await page.getByText(/Ask the person who invited you/).waitFor();

    // A real invitation, then expired.
    const owner = await createUser(dashboard.server, { name: 'Olive Owner' });
    const teamName = `Initech ${owner.id.slice(0, 6)}`;
    const teamId = await createTeamWithMembers(dashboard.server, teamName, [{ user: owner, role: 'OWNER' }]);
    const email = uniqueEmail('late');
    const path = await inviteByApi(teamId, owner.accessToken, email);
    await query(`UPDATE invitations SET expires_at = now() - interval '1 day' WHERE workspace_id = $1`, [teamId]);
    await page.goto(path);
    await page.getByRole('heading', { name: 'This invitation has expired' }).waitFor();
    await page.getByText(/Ask Olive Owner to resend it/).waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'teams-invitation-expired.png'), fullPage: true });

    // The owner resends it from the Members tab: a new email with a new link; the old link dies.
    const ownerPage = await dashboard.newPage();
    await logIn(ownerPage, owner);
    await ownerPage.goto(`/w/${teamId}/teams/members`);
    const row = ownerPage.getByRole('row', { name: new RegExp(email) });
    await row.getByText('Expired', { exact: true }).waitFor();
    await row.getByRole('button', { name: `Resend ${email}` }).click();
    await row.getByText('Pending', { exact: true }).waitFor();
    const resent = await mailCatcher().waitFor((m) => m.to.includes(email) && !m.text.includes(path), 20_000);
    const newPath = linkPath(resent.text);
    await page.reload();
    await page.getByRole('heading', { name: "This invitation link doesn't work" }).waitFor();
    await page.goto(newPath);
    await page.getByRole('heading', { name: `Join ${teamName}` }).waitFor();

    // Revoked: the row leaves the list, and the link says so.
    await row.getByRole('button', { name: `Revoke ${email}` }).click();
    const revoke = ownerPage.getByRole('dialog', { name: 'Revoke invitation' });
    await revoke.getByRole('button', { name: 'Revoke invitation' }).click();
    await revoke.waitFor({ state: 'hidden' });
    await ownerPage.getByText('No pending invitations.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'This invitation was revoked' }).waitFor();
    // A spent link tells an anonymous visitor only its status: no team, no inviter (issue 16).
    await page.getByText(/ask the person who invited you to invite you again/).waitFor();
    expect(await page.getByText(/Olive Owner|Initech/).count()).toBe(0);
    await ownerPage.context().close();
    await page.context().close();
  });

  it('tells a user signed in with another email, logs in an existing account, and links an accepted invitation to its team', async () => {
    const owner = await createUser(dashboard.server, { name: 'Olive Owner' });
    const invitee = await createUser(dashboard.server, { name: 'Ivy Invitee' });
    const stranger = await createUser(dashboard.server, { name: 'Sam Stranger' });
    const teamName = `Hooli ${owner.id.slice(0, 6)}`;
    const teamId = await createTeamWithMembers(dashboard.server, teamName, [{ user: owner, role: 'OWNER' }]);
    const path = await inviteByApi(teamId, owner.accessToken, invitee.email, 'EDITOR');

    // Someone else is signed in: the page says so and offers to log out.
    const page = await dashboard.newPage();
    await logIn(page, stranger);
    await page.goto(path);
    await page
      .getByText(`You are logged in as ${stranger.email}, but this invitation is for ${invitee.email}.`)
      .waitFor();
    expect(await page.getByRole('button', { name: 'Accept Invitation' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Log out' }).click();

    // The invitee has an account: the page asks for the password, the email fixed.
    const email = page.getByLabel('Email');
    await email.waitFor();
    expect(await email.inputValue()).toBe(invitee.email);
    expect(await email.isEditable()).toBe(false);
    expect(await page.getByLabel('Name').count()).toBe(0);
    await page.getByLabel('Password', { exact: true }).fill(invitee.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`**/w/${teamId}/teams/members`);
    await expectSelectedWorkspace(page, teamName);
    await page
      .getByRole('row', { name: new RegExp(invitee.email) })
      .getByText('Editor', { exact: true })
      .waitFor();
    expect(await memberRoles(teamId)).toEqual({ [owner.email]: 'OWNER', [invitee.email]: 'EDITOR' });

    // The same link again: already accepted, with the way into the team.
    await page.goto(path);
    await page.getByRole('heading', { name: 'This invitation has already been accepted' }).waitFor();
    await page.getByRole('link', { name: `Open ${teamName}` }).click();
    await page.waitForURL(`**/w/${teamId}/teams/members`);
    await page.context().close();
  });

  it('shows a failed send on the invitation while it is retried, then its delivery', async () => {
    const owner = await createUser(dashboard.server, { name: 'Olive Owner' });
    const teamId = await createTeamWithMembers(dashboard.server, `Umbrella ${owner.id.slice(0, 6)}`, [
      { user: owner, role: 'OWNER' },
    ]);
    const email = uniqueEmail('bounce');
    const page = await dashboard.newPage();
    await logIn(page, owner);
    await page.goto(`/w/${teamId}/teams/members`);

    // The mail server refuses the first attempts (a temporary failure); the queue retries.
    mailCatcher().failNext(3);
    try {
      await page.getByRole('button', { name: 'Invite' }).click();
      const invite = page.getByRole('dialog', { name: 'Invite' });
      await invite.getByLabel('Email').fill(email);
      await invite.getByRole('button', { name: 'Send Invite' }).click();
      await invite.waitFor({ state: 'hidden' });
      const row = page.getByRole('row', { name: new RegExp(email) });
      await row.getByText('Email not delivered yet — retrying').waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(RESULTS_DIR, 'teams-invitation-retrying.png'), fullPage: true });
      await mailCatcher().waitFor((m) => m.to.includes(email), 30_000);
      await row.getByText(/Email delivered/).waitFor({ timeout: 15_000 });
      expect(await row.getByText('Email not delivered yet — retrying').count()).toBe(0);
    } finally {
      mailCatcher().failNext(0);
    }
    await page.context().close();
  });
});
