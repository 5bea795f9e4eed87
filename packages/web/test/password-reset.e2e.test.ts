import type { Page } from 'playwright-core';
import { type TestUser, createUser, uniqueEmail } from '@tally/server-test/factories';
import { PASSWORD_RESET_EMAIL_JOB, drainJobs } from '@tally/server-test/drivers/jobs';
import { type MailCatcher, startMailCatcher } from '@tally/server-test/mail-catcher';
import { logIn, useDashboard } from './browser';

// A forgotten password, reset through the real email (issue 9, item 8): the mail goes to an
// SMTP server in this process, and the browser follows the link it carries.
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

jest.setTimeout(90_000);

function mailCatcher(): MailCatcher {
  if (!catcher) throw new Error('the mail catcher starts in beforeAll');
  return catcher;
}

describe('Forgot password in Chromium', () => {
  it('sends a link by email, sets a new password, logs out every tab, and logs in with the new password', async () => {
    const user = await createUser(dashboard.server, { name: 'Grace Hopper', password: 'the old password 1' });
    const newPassword = 'a brand new password 2';

    // The link is asked for on another device, from the log-in page.
    const elsewhere = await dashboard.newPage();
    await elsewhere.goto('/login');
    await elsewhere.getByRole('link', { name: 'Forgot password?' }).click();
    await elsewhere.getByRole('heading', { name: 'Reset your password' }).waitFor();
    const page = elsewhere;
    await page.waitForFunction(() => document.title === 'Forgot password · Tally');
    await page.getByLabel('Email').fill(user.email.toUpperCase());
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const confirmation = await page.getByRole('status').filter({ hasText: 'If an account exists' }).textContent();
    expect(confirmation).toContain(user.email.toUpperCase());

    const mail = await mailCatcher().waitFor((m) => m.to.includes(user.email), 20_000);
    const link = /https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
    if (!link) throw new Error(`no reset link in: ${mail.text}`);
    const path = new URL(link).pathname;

    await elsewhere.context().close();

    // It is opened in a browser where the user is still logged in, in one tab of two: the reset
    // page works there too, and the reset ends that session in both tabs.
    const signedIn = await dashboard.newPage();
    await logIn(signedIn, user);
    const resetTab = await dashboard.newTab(signedIn);
    await resetTab.goto(path);
    await resetTab.getByRole('heading', { name: 'Set a new password' }).waitFor();
    await resetTab.waitForFunction(() => document.title === 'Reset password · Tally');
    await finishReset(resetTab, user, newPassword, path, signedIn);
    await signedIn.context().close();
  });

  it('answers the same for an email without an account, and sends nothing', async () => {
    const page = await dashboard.newPage();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    // The log-in page has an Email field too: fill in the one of the reset page.
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    const nobody = uniqueEmail('nobody');
    await page.getByLabel('Email').fill(nobody);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await page.getByText(`If an account exists for ${nobody}, we've sent it a link`, { exact: false }).waitFor();
    // The reset job decides whether to send (it looks the address up), and the catcher holds a
    // message before accepting it: once no reset job is left, any email for it would be here.
    await drainJobs(dashboard.server.tally, PASSWORD_RESET_EMAIL_JOB);
    expect(mailCatcher().messages.some((m) => m.to.includes(nobody))).toBe(false);
    await page.context().close();
  });
});

/** From the reset page with a valid link: a weak password refused, then the new one set. */
async function finishReset(
  page: Page,
  user: TestUser,
  newPassword: string,
  path: string,
  signedIn: Page,
): Promise<void> {
  // A weak password is refused beside the field.
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await page.getByText('Use at least 10 characters.', { exact: true }).waitFor();
  expect(await page.getByLabel('New password').getAttribute('aria-invalid')).toBe('true');
  // Show/hide works on it.
  await page.getByLabel('New password').fill(newPassword);
  await page.getByRole('button', { name: 'Show password' }).click();
  expect(await page.getByLabel('New password').inputValue()).toBe(newPassword);
  expect(await page.getByLabel('New password').getAttribute('type')).toBe('text');
  await page.getByRole('button', { name: 'Set new password' }).click();

  await page.waitForURL('**/login');
  await page
    .getByText('Your password has been changed and every session of your account has ended.', { exact: false })
    .waitFor();
  // The other tab followed at once.
  await signedIn.getByRole('heading', { name: 'Log in to Tally' }).waitFor({ timeout: 5_000 });

  // The old password no longer works; the new one does.
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill('the old password 1');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Invalid email or password.').waitFor();
  await page.getByLabel('Password', { exact: true }).fill(newPassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/w\/[^/]+\//);

  // The link was single use.
  const again = await dashboard.newPage();
  await again.goto(path);
  await again.getByLabel('New password').fill('yet another password 3');
  await again.getByRole('button', { name: 'Set new password' }).click();
  await again.getByText('This reset link is no longer valid. Ask for a new one.').waitFor();
  await again.getByRole('link', { name: 'Ask for a new link' }).click();
  await again.getByRole('heading', { name: 'Reset your password' }).waitFor();
  await again.context().close();
}
