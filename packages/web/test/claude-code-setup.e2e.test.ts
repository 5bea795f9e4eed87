import { createUser } from '@tally/server-test/factories';
import { logIn, useDashboard } from './browser';

// Issue 21: Getting started, API Keys and the dialog that shows a new key once give the five
// environment variables for Claude Code, filled with this Tally's URL (and the key in the dialog).

const dashboard = useDashboard();
const SETTINGS = 'Claude Code and other OpenTelemetry agents';

describe('the Claude Code settings in Chromium', () => {
  it('are on Getting started and API Keys with this Tally’s URL, and carry a new Editor key in its dialog', async () => {
    const owner = await createUser(dashboard.server, { name: 'Ada Agent' });
    const page = await dashboard.newPage();
    await logIn(page, owner);
    const endpoint = `OTEL_EXPORTER_OTLP_ENDPOINT=${dashboard.server.url}/otlp`;

    await page.goto(`/w/${owner.personalWorkspaceId}/getting-started`);
    const started = page.getByRole('region', { name: SETTINGS });
    expect(await started.locator('pre').textContent()).toContain(endpoint);
    expect(await started.locator('pre').textContent()).toContain(
      'OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer tly_…"',
    );

    await page.goto(`/w/${owner.personalWorkspaceId}/api-keys`);
    const usage = page.getByRole('region', { name: SETTINGS });
    expect(await usage.locator('pre').textContent()).toContain(endpoint);

    await page.getByRole('button', { name: 'Create API Key' }).click();
    const form = page.getByRole('dialog', { name: 'Create API Key' });
    await form.getByLabel('Name').fill('Claude Code');
    await form.getByLabel('Role').selectOption('EDITOR');
    await form.getByRole('button', { name: 'Create' }).click();
    const done = page.getByRole('dialog', { name: 'API key created' });
    const secret = await done.getByLabel('Secret').inputValue();
    expect(secret).toMatch(/^tly_/);
    const settings = done.getByRole('region', { name: SETTINGS });
    const text = (await settings.locator('pre').textContent()) ?? '';
    expect(text.split('\n')).toEqual([
      'export CLAUDE_CODE_ENABLE_TELEMETRY=1',
      'export OTEL_LOGS_EXPORTER=otlp',
      'export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
      `export ${endpoint}`,
      `export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer ${secret}"`,
    ]);
    await page.context().close();
  });
});
