import { rm } from 'node:fs/promises';
import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.TALLY_TEST_ADMIN_URL;
  const template = process.env.TALLY_TEST_TEMPLATE;
  if (adminUrl && template) {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  await globalThis.__TALLY_EMBEDDED_STOP__?.();
  const runDir = process.env.TALLY_TEST_RUN_DIR;
  if (runDir) await rm(runDir, { recursive: true, force: true });
}
