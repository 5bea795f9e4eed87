import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The layer rules of .dependency-cruiser.cjs (run by `pnpm lint`): they pass on the code, and
 * each kind of forbidden arrow fails them, shown on a small tree laid out like src/.
 */
const SERVER = join(__dirname, '..');
const CONFIG = join(SERVER, '.dependency-cruiser.cjs');
const CLI = join(SERVER, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: Array<{ name: string }>;
}

/** Runs the cruiser as `pnpm lint` does (its `err` report) or for its JSON report. */
async function run(cwd: string, outputType: 'err' | 'json'): Promise<{ exitCode: number; stdout: string }> {
  const args = [CLI, 'src', '--config', CONFIG, '--output-type', outputType];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { exitCode: 0, stdout };
  } catch (error) {
    // A failed lint: the exit code is the number of errors, the report is still on stdout.
    const failed = error as { code?: unknown; stdout?: unknown };
    if (typeof failed.code !== 'number' || typeof failed.stdout !== 'string') throw error;
    return { exitCode: failed.code, stdout: failed.stdout };
  }
}

async function cruise(cwd: string): Promise<Violation[]> {
  const { stdout } = await run(cwd, 'json');
  const result = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return result.summary.violations;
}

function arrows(violations: Violation[]): string[] {
  return violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

let fixture: string;

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const file = join(fixture, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

beforeEach(() => {
  fixture = mkdtempSync(join(tmpdir(), 'tally-layers-'));
});

afterEach(() => {
  rmSync(fixture, { recursive: true, force: true });
});

describe('the layer rules', () => {
  it('pass on packages/server/src', async () => {
    expect(arrows(await cruise(SERVER))).toEqual([]);
  }, 60_000);

  it('fail `pnpm lint` when a domain imports a transport, and allow the other way round', async () => {
    write({
      'src/http/app.ts': "import { store } from '../modules/events/store';\nexport const app = store;\n",
      'src/modules/events/store.ts': "export const store = 1;\nexport { app } from '../../http/app';\n",
    });
    const found = arrows(await cruise(fixture));
    expect(found.filter((arrow) => arrow.startsWith('domains-never-import-transports:'))).toEqual([
      'domains-never-import-transports: src/modules/events/store.ts -> src/http/app.ts',
    ]);
    // The two imports make a cycle too: both folder and file cycle rules name it.
    expect(found).toContain('no-folder-cycles: src/modules/events -> src/http');
    // What `pnpm lint` sees: a failing exit code and the arrow named.
    const lint = await run(fixture, 'err');
    expect(lint.exitCode).toBeGreaterThan(0);
    expect(lint.stdout).toContain('domains-never-import-transports: src/modules/events/store.ts → src/http/app.ts');
  }, 60_000);

  it('fail on a type-only import of graphql/ from a domain', async () => {
    write({
      'src/graphql/context.ts': 'export interface RequestContext {\n  requestId: string;\n}\n',
      'src/modules/audit/audit.service.ts':
        "import type { RequestContext } from '../../graphql/context';\nexport type Ctx = RequestContext;\n",
    });
    expect(arrows(await cruise(fixture))).toEqual([
      'domains-never-import-transports: src/modules/audit/audit.service.ts -> src/graphql/context.ts',
    ]);
  }, 60_000);

  it('fail when platform or auth import a domain', async () => {
    write({
      'src/modules/accounts/tokens.ts': 'export const tokens = 1;\n',
      'src/platform/logger.ts': "import { tokens } from '../modules/accounts/tokens';\nexport const log = tokens;\n",
      'src/auth/authenticate.ts': "import { tokens } from '../modules/accounts/tokens';\nexport const auth = tokens;\n",
    });
    expect(arrows(await cruise(fixture))).toEqual([
      'auth-imports-platform-only: src/auth/authenticate.ts -> src/modules/accounts/tokens.ts',
      'platform-imports-no-layer-above: src/platform/logger.ts -> src/modules/accounts/tokens.ts',
    ]);
  }, 60_000);

  it('fail when anything but the composition root reaches an event engine past the EventStore seam', async () => {
    write({
      'src/modules/events/event-store.ts': 'export interface EventStore {\n  settle(): Promise<void>;\n}\n',
      'src/modules/events/postgres/tables.ts': "export const EVENT_TABLES = ['events'];\n",
      'src/modules/events/postgres/postgres-event-store.ts':
        "import type { EventStore } from '../event-store';\nimport { EVENT_TABLES } from './tables';\nexport const tables = EVENT_TABLES;\nexport type Store = EventStore;\n",
      // The root may build the engine; a domain may use the interface, not the engine's tables.
      'src/server.ts': "export { tables } from './modules/events/postgres/postgres-event-store';\n",
      'src/modules/workspaces/workspace-purge.ts':
        "import type { EventStore } from '../events/event-store';\nimport { EVENT_TABLES } from '../events/postgres/tables';\nexport const purge = (store: EventStore) => [store, EVENT_TABLES];\n",
    });
    expect(arrows(await cruise(fixture))).toEqual([
      'event-engines-behind-the-seam: src/modules/workspaces/workspace-purge.ts -> src/modules/events/postgres/tables.ts',
    ]);
  }, 60_000);

  it('fail on a domain arrow against the written direction, and on a cycle of folders', async () => {
    write({
      // analytics -> saved-filters is allowed; saved-filters -> analytics is not, and closes a cycle.
      'src/modules/analytics/analytics.inputs.ts':
        "import { parse } from '../saved-filters/event-filter';\nexport const input = parse;\n",
      'src/modules/saved-filters/event-filter.ts':
        "import { input } from '../analytics/analytics.inputs';\nexport const parse = () => input;\n",
    });
    const found = arrows(await cruise(fixture));
    expect(found).toContain(
      'domain-direction:saved-filters: src/modules/saved-filters/event-filter.ts -> src/modules/analytics/analytics.inputs.ts',
    );
    expect(found.filter((arrow) => arrow.startsWith('domain-direction:analytics'))).toEqual([]);
    expect(found.some((arrow) => arrow.startsWith('no-folder-cycles:'))).toBe(true);
  }, 60_000);
});
