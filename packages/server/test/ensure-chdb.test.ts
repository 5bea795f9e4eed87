import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * scripts/ensure-chdb.mjs, which installs ClickHouse's in-process engine for `pnpm test` and for
 * `pnpm start` with EVENTS_STORE=clickhouse. Without network: an install is faked on disk where
 * the script only reads one, and a registry that refuses connections stands for "no registry".
 * The script is ESM (import.meta), so it runs in a child node, as `pnpm` runs it.
 */
const repoRoot = join(__dirname, '..', '..', '..');
const script = join(repoRoot, 'scripts', 'ensure-chdb.mjs');
const pinned = (
  JSON.parse(readFileSync(join(repoRoot, 'tools', 'chdb', 'package.json'), 'utf8')) as {
    dependencies: { chdb: string };
  }
).dependencies.chdb;

let work: string;
let closedPort: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tally-ensure-chdb-'));
  // A port nothing listens on: npm's requests to it are refused at once.
  closedPort = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  dir: string | null;
  failure: string | null;
  logged: string[];
}

/** Runs `code` (which may use the script's exports as `c`) in a child node; its stdout as JSON. */
function inNode<T>(code: string, env: NodeJS.ProcessEnv = {}): T {
  const program = `import * as c from ${JSON.stringify(pathToFileURL(script).href)};\n${code}`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    cwd: work,
    env: { PATH: process.env.PATH, HOME: work, ...env },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`child node failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as T;
}

const ensure = (env: NodeJS.ProcessEnv): Outcome =>
  inNode<Outcome>(
    `const logged = []; const dir = c.ensureChdb({ env: process.env, log: (l) => logged.push(l) });
     console.log(JSON.stringify({ dir, failure: c.chdbFailure(), logged }));`,
    env,
  );

/** A folder laid out like an install: chdb's package.json at `version`, with or without the marker. */
function fakeInstall(dir: string, version: string, marker: boolean): void {
  mkdirSync(join(dir, 'node_modules', 'chdb'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'chdb', 'package.json'), JSON.stringify({ name: 'chdb', version }));
  if (marker) writeFileSync(join(dir, '.tally-chdb-installed'), JSON.stringify({ chdb: version }));
}

/** npm pointed at a registry that refuses, with an empty cache of its own: no network at all. */
const noRegistry = (cache: string): NodeJS.ProcessEnv => ({
  npm_config_registry: `http://127.0.0.1:${closedPort}/`,
  npm_config_cache: cache,
  npm_config_fetch_retries: '0',
  npm_config_update_notifier: 'false',
});

describe('chdbDir', () => {
  it('is CHDB_DIR (made absolute) when set, else <XDG_CACHE_HOME or ~/.cache>/tally/chdb-<pinned version>', () => {
    const dirs = inNode<Record<string, string>>(
      `console.log(JSON.stringify({
        set: c.chdbDir({ CHDB_DIR: 'engines/chdb' }),
        xdg: c.chdbDir({ XDG_CACHE_HOME: '/var/cache/me' }),
        relativeXdg: c.chdbDir({ XDG_CACHE_HOME: 'cache' }),
        home: c.chdbDir({}),
        processEnv: c.chdbDir(),
      }));`,
      { CHDB_DIR: '/opt/chdb' },
    );
    expect(pinned).toBe('3.4.0');
    expect(dirs).toEqual({
      set: join(work, 'engines', 'chdb'),
      xdg: `/var/cache/me/tally/chdb-${pinned}`,
      // The XDG spec: a relative XDG_CACHE_HOME is ignored.
      relativeXdg: join(work, '.cache', 'tally', `chdb-${pinned}`),
      home: join(work, '.cache', 'tally', `chdb-${pinned}`),
      processEnv: '/opt/chdb',
    });
  });
});

describe('ensureChdb', () => {
  it('takes a complete install as it is: no npm, no line printed', () => {
    const dir = join(work, 'complete');
    fakeInstall(dir, pinned, true);
    // A registry that refuses: had npm run, this would fail.
    expect(ensure({ CHDB_DIR: dir, ...noRegistry(join(work, 'npm-cache-1')) })).toEqual({
      dir,
      failure: null,
      logged: [],
    });
    // The default folder (no CHDB_DIR) is found the same way.
    const cached = join(work, 'xdg', 'tally', `chdb-${pinned}`);
    fakeInstall(cached, pinned, true);
    expect(ensure({ XDG_CACHE_HOME: join(work, 'xdg') })).toEqual({ dir: cached, failure: null, logged: [] });
  });

  it('never takes a half-finished install (no marker) or another version as done, and never overwrites it', () => {
    const half = join(work, 'half');
    fakeInstall(half, pinned, false);
    const other = join(work, 'other-version');
    fakeInstall(other, '3.3.0', true);
    for (const dir of [half, other]) {
      expect(ensure({ CHDB_DIR: dir, ...noRegistry(join(work, 'npm-cache-2')) })).toEqual({
        dir: null,
        failure: `${dir} exists but holds no complete chdb ${pinned} install: remove it, or set CHDB_DIR elsewhere`,
        logged: [],
      });
      expect(readdirSync(dir).sort()).toEqual(
        dir === half ? ['node_modules'] : ['.tally-chdb-installed', 'node_modules'],
      );
    }
  });

  it('without a registry: null and the reason, one line printed, nothing left beside the target', () => {
    const parent = join(work, 'offline');
    const target = join(parent, 'chdb');
    mkdirSync(parent);
    // An install of a process that is gone (killed mid-install) is cleared; one of a live process stays.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const abandoned = `.chdb.installing-${gone}-x1`;
    const running = `.chdb.installing-${process.pid}-x2`;
    for (const name of [abandoned, running]) mkdirSync(join(parent, name));
    const outcome = ensure({ CHDB_DIR: target, ...noRegistry(join(work, 'npm-cache-3')) });
    expect(outcome.dir).toBeNull();
    expect(outcome.failure).toMatch(new RegExp(`^npm install failed: .*127\\.0\\.0\\.1:${closedPort}.*ECONNREFUSED`));
    expect(outcome.failure).not.toContain('\n');
    expect(outcome.logged).toEqual([
      `ClickHouse's in-process engine (chdb, ~180 MB download) is missing: installing it into ${target} once…`,
    ]);
    expect(readdirSync(parent)).toEqual([running]);
    expect(existsSync(target)).toBe(false);
  });

  it('as `pnpm chdb:install`: exit 1 with one line naming the folder and the reason', () => {
    const target = join(work, 'cli', 'chdb');
    const child = spawnSync(process.execPath, [script], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: work, CHDB_DIR: target, ...noRegistry(join(work, 'npm-cache-4')) },
      encoding: 'utf8',
    });
    expect(child.status).toBe(1);
    expect(child.stdout).toBe(
      `ClickHouse's in-process engine (chdb, ~180 MB download) is missing: installing it into ${target} once…\n`,
    );
    expect(child.stderr).toMatch(new RegExp(`^Could not install chdb into ${target}: npm install failed: [^\\n]+\\n$`));
    expect(readdirSync(join(work, 'cli'))).toEqual([]);
  });
});
