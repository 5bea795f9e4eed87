import { createTeamWithMembers, createUser, uniqueEmail } from '@tally/server-test/factories';
import { type MailCatcher, startMailCatcher } from '@tally/server-test/mail-catcher';
import type { Page } from 'playwright-core';
import { expectAccessible } from './axe';
import { DESKTOP, PHONE, logIn, useDashboard } from './browser';

// The email change link goes out as a real email, caught by an SMTP server in this process.
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

/** Opens the account page the way people do: from the user menu in the header. */
async function openAccount(page: Page): Promise<void> {
  await page.getByRole('link', { name: /^Account/ }).click();
  await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
}

describe('the account page in Chromium', () => {
  it('changes the name, the password (ending the other session) and the email (by the link sent)', async () => {
    const user = await createUser(dashboard.server, { name: 'Ada Lovelace', password: 'a long enough password' });
    const other = await dashboard.newPage({ viewport: DESKTOP });
    await logIn(other, user);
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    await logIn(page, user);
    await openAccount(page);
    await expectAccessible(page, 'the account page 1360');

    // Name: saved, and the header says it at once.
    const nameForm = page.getByRole('form', { name: 'Change name' });
    await nameForm.getByLabel('Name', { exact: true }).fill('Ada King');
    await nameForm.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('link', { name: 'Account: Ada King' }).waitFor();

    // Password: a wrong current one is said beside its field, and nothing changes.
    const passwordForm = page.getByRole('form', { name: 'Change password' });
    await passwordForm.getByLabel('Current password', { exact: true }).fill('not the password at all');
    await passwordForm.getByLabel('New password', { exact: true }).fill('an even longer new password');
    await passwordForm.getByRole('button', { name: 'Change password' }).click();
    await passwordForm.getByText('That is not your current password.').waitFor();
    expect(await passwordForm.getByLabel('Current password', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    await expectAccessible(page, 'the account page with a problem 1360');
    await passwordForm.getByLabel('Current password', { exact: true }).fill(user.password);
    await passwordForm.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Every other device logged in to your account was logged out.', { exact: false }).waitFor();
    // The other browser is logged out; this one goes on.
    await other.reload();
    await other.getByRole('button', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();

    // Email: a link goes to the new address; the email changes only when it is opened.
    const next = uniqueEmail('moved');
    const emailForm = page.getByRole('form', { name: 'Change email' });
    await emailForm.getByLabel('New email', { exact: true }).fill(next);
    await emailForm.getByLabel('Current password', { exact: true }).fill('an even longer new password');
    await emailForm.getByRole('button', { name: 'Send confirmation link' }).click();
    await page.getByText(`We sent a link to ${next}`, { exact: false }).waitFor();
    const mail = await mailCatcher().waitFor((m) => m.to.includes(next), 20_000);
    const link = /https?:\/\/[^\s]+\/confirm-email\/([A-Za-z0-9_-]{43})/.exec(mail.text);
    if (!link?.[1]) throw new Error(`no link in ${mail.text}`);
    const stillOld: Array<{ email: string }> = await dashboard.server.tally.db.query(
      `SELECT email FROM users WHERE id = $1`,
      [user.id],
    );
    expect(stillOld).toEqual([{ email: user.email }]);
    await page.goto(`/confirm-email/${link[1]}`);
    await expectAccessible(page, 'the email confirmation page 1360');
    await page.getByRole('button', { name: 'Confirm new email' }).click();
    await page.getByText('Your email address is changed.', { exact: false }).waitFor();
    const changed: Array<{ email: string }> = await dashboard.server.tally.db.query(
      `SELECT email FROM users WHERE id = $1`,
      [user.id],
    );
    expect(changed).toEqual([{ email: next }]);
    await other.context().close();
    await page.context().close();
  });

  it('refuses to delete the last owner of a team, naming it, then deletes the account (390 px)', async () => {
    const user = await createUser(dashboard.server, { name: 'Grace Hopper', password: 'a long enough password' });
    const partner = await createUser(dashboard.server);
    const teamId = await createTeamWithMembers(dashboard.server, 'Acme Analytics 2026-12-06 long team name', [
      { user, role: 'OWNER' },
      { user: partner, role: 'VIEWER' },
    ]);
    const page = await dashboard.newPage({ viewport: PHONE, reduceMotion: true });
    await logIn(page, user);
    await openAccount(page);
    await expectAccessible(page, 'the account page 390');

    await page.getByRole('button', { name: 'Delete account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete account' });
    await dialog.getByLabel('Password', { exact: true }).fill(user.password);
    await dialog.getByRole('button', { name: 'Delete account' }).click();
    await dialog.getByText(/last owner of the team “Acme Analytics 2026-12-06 long team name”/).waitFor();
    await expectAccessible(page, 'the Delete account dialog with LAST_OWNER 390');

    // Once someone else owns the team, the account goes, and so does the session.
    await dashboard.server.tally.db.query(
      `UPDATE members SET role = 'OWNER' WHERE workspace_id = $1 AND user_id = $2`,
      [teamId, partner.id],
    );
    await dialog.getByRole('button', { name: 'Delete account' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    const rows: Array<{ deleted: boolean }> = await dashboard.server.tally.db.query(
      `SELECT deleted_at IS NOT NULL AS deleted FROM users WHERE id = $1`,
      [user.id],
    );
    expect(rows).toEqual([{ deleted: true }]);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(/invalid email or password/i).waitFor();
    await page.context().close();
  });
});
