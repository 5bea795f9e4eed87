import type { Page } from 'playwright-core';
import { createUser } from '@tally/server-test/factories';
import { DESKTOP, PHONE, logIn, useDashboard } from './browser';

// The dashboard by keyboard alone (issue 9, items 14 and 15).
const dashboard = useDashboard();

/** What has focus: its tag, accessible-ish name and whether it sits in the main navigation. */
async function focused(
  page: Page,
): Promise<{ tag: string; name: string; id: string; inNav: boolean; inMain: boolean }> {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!(element instanceof HTMLElement)) return { tag: 'none', name: '', id: '', inNav: false, inMain: false };
    const name = element.getAttribute('aria-label') ?? element.textContent?.trim() ?? '';
    return {
      tag: element.tagName.toLowerCase(),
      name,
      id: element.id,
      inNav: element.closest('#main-navigation') !== null,
      inMain: element.closest('main') !== null,
    };
  });
}

async function ariaInvalid(page: Page, label: string): Promise<string | null> {
  return page.getByLabel(label, { exact: true }).getAttribute('aria-invalid');
}

describe('the dashboard by keyboard', () => {
  it('skips to the content, and a navigation moves focus to the new page heading', async () => {
    const user = await createUser(dashboard.server, { name: 'Ada Lovelace' });
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    await logIn(page, user);
    await page.goto(`/w/${user.personalWorkspaceId}/api-keys`);
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();

    // The first Tab stop is the skip link, shown while it has focus.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'a', name: 'Skip to content' });
    const box = await page.getByRole('link', { name: 'Skip to content' }).boundingBox();
    expect(box !== null && box.y >= 0 && box.height > 0).toBe(true);
    await page.keyboard.press('Enter');
    expect(await focused(page)).toMatchObject({ id: 'main-content' });
    expect(new URL(page.url()).hash).toBe('');
    // The next stop is the page's first control, past the header and the sidebar.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ name: 'Create API Key', inMain: true });

    // Following a sidebar link puts focus on the new page's heading.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('heading', { name: 'Teams', level: 1 }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    expect(await focused(page)).toMatchObject({ tag: 'h1', name: 'Teams' });

    // The same by keyboard.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).press('Enter');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    expect(await focused(page)).toMatchObject({ tag: 'h1', name: 'Settings' });
    await page.context().close();
  });

  it('keeps focus in a dialog, returns it on close, and leads to problems, then to Copy', async () => {
    const user = await createUser(dashboard.server, { name: 'Ada Lovelace' });
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    await logIn(page, user);
    await page.goto(`/w/${user.personalWorkspaceId}/api-keys`);
    const open = page.getByRole('button', { name: 'Create API Key' });
    await open.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create API Key' });
    await dialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'name');

    // Tab goes round inside the dialog, never behind it.
    for (let i = 0; i < 14; i += 1) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.closest('[role="dialog"]') !== null)).toBe(true);
    }
    // The × has a name.
    await dialog.getByRole('button', { name: 'Close' }).waitFor();

    // Escape closes, and focus is back on the button that opened the dialog.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => document.activeElement?.textContent === 'Create API Key');

    // A failed submit: focus on the field with the problem, marked invalid, the problem announced.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Create' }).press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'name');
    expect(await ariaInvalid(page, 'Name')).toBe('true');
    await dialog.getByRole('alert').filter({ hasText: 'Enter a name for the key.' }).waitFor();
    // The problem clears as the field changes.
    await page.keyboard.type('Production SDK');
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === null);
    expect(await dialog.locator('.mantine-InputWrapper-error').count()).toBe(0);

    // Created: focus is on Copy.
    await page.keyboard.press('Enter');
    const created = page.getByRole('dialog', { name: 'API key created' });
    await created.waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === 'Copy');
    await page.context().close();
  });

  it('logs in by keyboard: the password toggle is a Tab stop, problems get focus, inputs show a 2 px ring', async () => {
    const user = await createUser(dashboard.server);
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true });
    await page.goto('/login');
    await page.waitForFunction(() => document.title === 'Log in · Tally');
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'email');

    // The same 2 px ring as buttons.
    const ring = await page.evaluate(() => {
      const input = document.activeElement;
      const box = input?.closest('.mantine-Input-input') ?? input;
      if (!(box instanceof Element)) return null;
      const style = getComputedStyle(box);
      return { width: style.outlineWidth, style: style.outlineStyle };
    });
    expect(ring).toEqual({ width: '2px', style: 'solid' });

    // Submitting empty: focus on Email, both problems announced, both fields marked.
    await page.keyboard.press('Enter');
    await page
      .getByRole('alert')
      .filter({ hasText: '2 problems. Enter your email address. Enter your password.' })
      .waitFor();
    expect(await focused(page)).toMatchObject({ tag: 'input' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('email');
    expect(await ariaInvalid(page, 'Email')).toBe('true');
    expect(await ariaInvalid(page, 'Password')).toBe('true');

    // An address the server would refuse is refused by the field.
    await page.keyboard.type('grace@localhost');
    expect(await ariaInvalid(page, 'Email')).toBeNull();
    expect(await ariaInvalid(page, 'Password')).toBe('true');
    await page.keyboard.press('Enter');
    await page.getByText('Enter a valid email address, like name@example.com.', { exact: true }).waitFor();

    await page.getByLabel('Email').fill(user.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'button', name: 'Show password' });
    const password = page.getByLabel('Password', { exact: true });
    expect(await password.getAttribute('type')).toBe('password');
    await page.keyboard.press('Enter');
    expect(await password.getAttribute('type')).toBe('text');
    expect(await page.getByRole('button', { name: 'Show password' }).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'a', name: 'Forgot password?' });
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'button', name: 'Log in' });
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/w\/[^/]+\/getting-started$/);
    await page.context().close();
  });

  it('on a phone, the closed menu is out of the Tab order; its toggle opens it, Escape closes it', async () => {
    const user = await createUser(dashboard.server);
    const page = await dashboard.newPage({ viewport: PHONE, reduceMotion: true });
    await logIn(page, user);
    const toggle = page.getByRole('button', { name: 'Navigation' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await toggle.getAttribute('aria-controls')).toBe('main-navigation');

    /** Tabs from the top of the page through `stops` stops; whether any was in the menu. */
    async function tabThrough(stops: number): Promise<boolean> {
      let reached = false;
      for (let i = 0; i < stops; i += 1) {
        await page.keyboard.press('Tab');
        if ((await focused(page)).inNav) reached = true;
      }
      return reached;
    }

    await page.locator('body').focus();
    await page.evaluate(() => {
      if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    });
    expect(await tabThrough(20)).toBe(false);

    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).waitFor();
    let reached = false;
    for (let i = 0; i < 6 && !reached; i += 1) {
      await page.keyboard.press('Tab');
      reached = (await focused(page)).inNav;
    }
    expect(reached).toBe(true);

    await page.keyboard.press('Escape');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await focused(page)).toMatchObject({ name: 'Navigation' });
    expect(await tabThrough(20)).toBe(false);
    await page.context().close();
  });
});
