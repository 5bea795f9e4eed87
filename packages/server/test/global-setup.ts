import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../src/platform/db/data-source';
import { startEmbeddedPostgres } from '../src/platform/db/embedded';
import { migrate } from '../src/platform/db/migrate';
import { withDatabase } from './database-url';

declare global {
  var __TALLY_EMBEDDED_STOP__: (() => Promise<void>) | undefined;
}

/**
 * A real PostgreSQL for the whole run: DATABASE_URL when set, else an embedded one (deleted
 * afterwards). Migrations run once into a template database; every test file then gets a
 * fresh copy of it (CREATE DATABASE … TEMPLATE), so files never see each other's rows.
 */
export default async function globalSetup(): Promise<void> {
  const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
  // Every temporary file of the run (test data folders, the embedded cluster, browser
  // profiles, anything a library puts in os.tmpdir()) goes in one folder that the teardown
  // removes, so a run leaves nothing behind in the system's temp folder.
  const runDir = mkdtempSync(join(tmpdir(), 'tally-test-run-'));
  process.env.TALLY_TEST_RUN_DIR = runDir;
  process.env.TMPDIR = runDir;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-test-pg-'));
    const embedded = await startEmbeddedPostgres({ dataDir, persistent: false, database: 'postgres' });
    adminUrl = embedded.url;
    globalThis.__TALLY_EMBEDDED_STOP__ = () => embedded.stop();
  }
  const template = `tally_test_template_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  const db = createDataSource(withDatabase(adminUrl, template), 2);
  await db.initialize();
  await migrate(db);
  await db.destroy();
  forgetNewGlobals(globalsBefore);

  process.env.TALLY_TEST_ADMIN_URL = adminUrl;
  process.env.TALLY_TEST_TEMPLATE = template;
}

/**
 * Removes the globals that the setup's own modules left (TypeORM's `typeormMetadataArgsStorage`):
 * the global setup runs in jest's own process, and every test file's environment is given the
 * globals jest finds there. Left in place, that one metadata store took every file's entity
 * classes, and through them kept each finished file's modules in memory, until the end of the run.
 */
function forgetNewGlobals(before: ReadonlySet<string>): void {
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (!before.has(name) && name !== '__TALLY_EMBEDDED_STOP__') Reflect.deleteProperty(globalThis, name);
  }
}
