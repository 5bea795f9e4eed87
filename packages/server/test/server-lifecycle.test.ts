import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ConfigError, loadConfig, withDotEnv } from '../src/platform/config';
import { loadJwtSecret } from '../src/platform/secrets';
import { SIGN_UP, uniqueEmail } from './factories';
import { gqlRequest, startTestServer, waitFor } from './harness';

describe('health endpoints', () => {
  it('answers /healthz and /readyz while the database is reachable', async () => {
    const server = await startTestServer();
    try {
      const health = await fetch(`${server.url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', changeFeed: 'listening', databases: { postgres: 'up' } });
      expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const threaded = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'proxy-42.a' } });
      expect(threaded.headers.get('x-request-id')).toBe('proxy-42.a');
      const junk = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith "junk"' } });
      expect(junk.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await server.close();
    }
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const server = await startTestServer();
    try {
      const res = await fetch(`${server.url}/v1/nothing-here`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(expect.objectContaining({ error: 'NOT_FOUND' }));
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes a request already in flight before closing, and refuses new ones', async () => {
    const server = await startTestServer();
    const accounts = server.tally.services.accounts;
    const original = accounts.signUp.bind(accounts);
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    accounts.signUp = async (input, ip) => {
      entered();
      await gate;
      return original(input, ip);
    };

    const inFlight = server.gql(SIGN_UP, { email: uniqueEmail(), password: 'long enough password', name: 'Late' });
    await inside; // the request is being handled now
    const closing = server.tally.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const res = await inFlight;
    await closing;
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await server.close();
  });

  it('leaves no timer behind once closed', async () => {
    // A timer that outlives close, even an unref'd one, keeps the closed Tally and all it reaches
    // in memory: in jest, the whole test file's modules, until the end of the run.
    const timers = trackTimers();
    try {
      const server = await startTestServer();
      const res = await server.gql(SIGN_UP, { email: uniqueEmail(), password: 'long enough password', name: 'Timers' });
      expect(res.errors).toBeUndefined();
      await server.close();
      expect(timers.pending()).toEqual([]);
    } finally {
      timers.restore();
    }
  });
});

/**
 * Records the timers started through the global functions until `restore`; `pending` lists those
 * that would still run: intervals not cleared, timeouts neither fired nor cleared (each with the
 * first frame of the code that started it).
 */
function trackTimers(): { pending(): string[]; restore(): void } {
  const original = { setTimeout, setInterval, clearTimeout, clearInterval };
  const live = new Map<unknown, string>();
  const where = (kind: string, ms: unknown) =>
    `${kind} ${String(ms)} ms ${
      (new Error().stack ?? '')
        .split('\n')
        .slice(1)
        .find((line) => !line.includes('trackTimers') && !line.includes(__filename))
        ?.trim() ?? '?'
    }`;
  const clear = (timer: unknown) => {
    live.delete(timer);
  };
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original.setTimeout(
      (...callArgs: unknown[]) => {
        live.delete(timer);
        callback(...callArgs);
      },
      ms,
      ...args,
    );
    live.set(timer, where('setTimeout', ms));
    return timer;
  }) as typeof setTimeout;
  globalThis.setInterval = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original.setInterval(callback, ms, ...args);
    live.set(timer, where('setInterval', ms));
    return timer;
  }) as typeof setInterval;
  globalThis.clearTimeout = ((timer?: Parameters<typeof clearTimeout>[0]) => {
    clear(timer);
    original.clearTimeout(timer);
  }) as typeof clearTimeout;
  globalThis.clearInterval = ((timer?: Parameters<typeof clearInterval>[0]) => {
    clear(timer);
    original.clearInterval(timer);
  }) as typeof clearInterval;
  return {
    pending: () => [...live.values()],
    restore: () => Object.assign(globalThis, original),
  };
}

describe('pnpm start on the embedded PostgreSQL', () => {
  const main = join(__dirname, '..', 'dist', 'src', 'main.js');

  /** Runs the built server as `pnpm start` does, without DATABASE_URL; resolves with its URL. */
  /** The environment of `pnpm start` without DATABASE_URL on `dataDir`. */
  function startEnv(dataDir: string, logLevel = 'warn'): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      NODE_ENV: 'development',
      LOG_LEVEL: logLevel,
    };
    delete env.DATABASE_URL;
    delete env.JWT_SECRET;
    return env;
  }

  function startBuilt(
    dataDir: string,
    logLevel = 'warn',
  ): Promise<{ url: string; child: ChildProcess; output: () => string }> {
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first (pnpm test does).`);
    const env = startEnv(dataDir, logLevel);
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`no URL printed in time:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Tally is running:\s+(http:\/\/\S+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve({ url: match[1], child, output: () => output });
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${output}`));
      });
    });
  }

  function stop(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  }

  it('initialises on first start, keeps data and secrets across a restart, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-start-'));
    const email = uniqueEmail('restart');
    const first = await startBuilt(dataDir);
    let token: string | undefined;
    try {
      const res = await gqlRequest<{ signUp: { accessToken: string } }>(first.url, SIGN_UP, {
        email,
        password: 'long enough password',
        name: 'Restart',
      });
      expect(res.errors).toBeUndefined();
      token = res.data?.signUp.accessToken;
      const page = await fetch(first.url, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
    } finally {
      expect(await stop(first.child)).toBe(0);
    }
    // An ordinary user's cluster is DATA_DIR/pg; root's lives where the postgres user can reach it.
    const cluster = existsSync(join(dataDir, 'pg-cluster'))
      ? readFileSync(join(dataDir, 'pg-cluster'), 'utf8').trim()
      : join(dataDir, 'pg');
    expect(existsSync(join(cluster, 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(true);

    const second = await startBuilt(dataDir);
    try {
      // The generated secret was kept: the old access token is still valid.
      const me = await gqlRequest<{ me: { email: string } }>(second.url, '{ me { email } }', {}, { token });
      expect(me.data).toEqual({ me: { email } });
      const login = await gqlRequest(
        second.url,
        `mutation($e: String!) { logIn(email: $e, password: "long enough password") { user { email } } }`,
        { e: email },
      );
      expect(login.data).toEqual({ logIn: { user: { email } } });
    } finally {
      expect(await stop(second.child)).toBe(0);
      await rm(dataDir, { recursive: true, force: true });
      if (cluster !== join(dataDir, 'pg')) await rm(cluster, { recursive: true, force: true });
    }
  }, 120_000);

  it('stops calmly on Ctrl-C (SIGINT): in order, exit status 0, no warning or stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-sigint-'));
    const started = await startBuilt(dataDir, 'info');
    let cluster = join(dataDir, 'pg');
    try {
      await fetch(`${started.url}/healthz`);
      const exited = new Promise<number | null>((resolve) => {
        started.child.removeAllListeners('exit');
        started.child.on('exit', (code) => resolve(code));
      });
      started.child.kill('SIGINT');
      expect(await exited).toBe(0);
      const lines = started
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(lines.filter((line) => line.level >= 40)).toEqual([]);
      expect(lines.map((line) => line.msg).slice(-2)).toEqual(['shutting down: draining requests', 'Tally stopped']);
      expect(started.output()).not.toMatch(/\n\s+at |ELIFECYCLE|Error:/);
    } finally {
      if (existsSync(join(dataDir, 'pg-cluster'))) cluster = readFileSync(join(dataDir, 'pg-cluster'), 'utf8').trim();
      await rm(dataDir, { recursive: true, force: true });
      await rm(cluster, { recursive: true, force: true });
    }
  }, 60_000);

  /** Runs a program to its end; resolves with its exit status and output. */
  function runToEnd(
    args: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }

  /** The cluster folder of a DATA_DIR (root keeps it elsewhere and names it in pg-cluster). */
  function clusterOf(dataDir: string): string {
    return existsSync(join(dataDir, 'pg-cluster'))
      ? readFileSync(join(dataDir, 'pg-cluster'), 'utf8').trim()
      : join(dataDir, 'pg');
  }

  function postmasterPid(cluster: string): number {
    return Number.parseInt(readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  const repoRoot = join(__dirname, '..', '..', '..');

  it('refuses a second start on the same DATA_DIR in one line, before touching anything; the first keeps serving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-twice-'));
    const first = await startBuilt(dataDir);
    try {
      const owner = JSON.parse(readFileSync(join(dataDir, 'owner.json'), 'utf8')) as { pid: number; url: string };
      expect(owner).toEqual(expect.objectContaining({ pid: first.child.pid, url: first.url }));
      const line = `Tally cannot start: a Tally already runs on DATA_DIR ${dataDir} (pid ${first.child.pid}, at ${first.url}): stop it with Ctrl-C in its terminal or \`kill ${first.child.pid}\`, or start a second one with its own DATA_DIR and PORT (e.g. DATA_DIR=.data-2 PORT=4001 pnpm start) or with DATABASE_URL`;
      // The server itself, and `pnpm start` (scripts/start.mjs, which answers before building).
      for (const program of [main, join(repoRoot, 'scripts', 'start.mjs')]) {
        const second = await runToEnd([program], startEnv(dataDir));
        expect({ program, code: second.code, stderr: second.stderr.trim().split('\n') }).toEqual({
          program,
          code: 1,
          stderr: [line],
        });
        expect(second.stdout).toBe('');
      }
      const ready = await fetch(`${first.url}/readyz`);
      expect(ready.status).toBe(200);
      const signUp = await gqlRequest(first.url, SIGN_UP, {
        email: uniqueEmail('twice'),
        password: 'long enough password',
        name: 'Twice',
      });
      expect(signUp.errors).toBeUndefined();
    } finally {
      expect(await stop(first.child)).toBe(0);
      await rm(clusterOf(dataDir), { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('pnpm seed beside a running Tally sends its data to it and leaves it serving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-seed-'));
    const first = await startBuilt(dataDir);
    try {
      const seed = await runToEnd([join(__dirname, '..', 'dist', 'scripts', 'seed.js')], {
        ...startEnv(dataDir),
        SEED_EVENTS: '300',
        SEED_AGENT_SESSIONS: '3',
      });
      expect(seed.stderr).toBe('');
      expect(seed.code).toBe(0);
      expect(seed.stdout).toContain(`Seeding the running Tally at ${first.url}`);
      expect(seed.stdout).toContain('Log in as demo@tally.local');
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
      // The data are in the running Tally: the demo owner logs in and sees the team, members in every role.
      const login = await gqlRequest<{ logIn: { accessToken: string } }>(
        first.url,
        `mutation { logIn(email: "demo@tally.local", password: "tally demo password") { accessToken } }`,
        {},
      );
      expect(login.errors).toBeUndefined();
      const teams = await gqlRequest<{
        workspaces: Array<{ id: string; name: string; members: Array<{ role: string }> }>;
      }>(first.url, '{ workspaces { id name members { role } } }', {}, { token: login.data?.logIn.accessToken });
      const team = teams.data?.workspaces.find((w) => w.name.startsWith('Acme Analytics'));
      expect(team?.members.map((m) => m.role).sort()).toEqual(['ADMIN', 'EDITOR', 'OWNER', 'VIEWER']);
      // A share came as Claude Code sends it, through /otlp/v1/logs: its prompts and API requests are there.
      expect(seed.stdout).toMatch(/\d+ events of 3 Claude Code sessions sent through \/otlp\/v1\/logs/);
      const usage = await gqlRequest<{
        workspace: { analytics: { toolsUsage: Array<{ type: string; count: number }> } };
      }>(
        first.url,
        `query($w: ID!, $range: DateRangeInput!) { workspace(id: $w) { analytics(range: $range, filter: { types: ["prompt", "api_request"] }) { toolsUsage(limit: 10) { type count } } } }`,
        {
          w: team?.id,
          range: {
            from: new Date(Date.now() - 31 * 86_400_000).toISOString(),
            to: new Date(Date.now() + 60_000).toISOString(),
          },
        },
        { token: login.data?.logIn.accessToken },
      );
      const counted = (type: string) =>
        (usage.data?.workspace.analytics.toolsUsage ?? [])
          .filter((r) => r.type === type)
          .reduce((n, r) => n + r.count, 0);
      expect(counted('prompt')).toBe(3);
      expect(counted('api_request')).toBeGreaterThanOrEqual(6);
    } finally {
      expect(await stop(first.child)).toBe(0);
      await rm(clusterOf(dataDir), { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('stops its PostgreSQL when Tally is killed (SIGKILL), and the next start takes the folder over', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-killed-'));
    const first = await startBuilt(dataDir);
    const cluster = clusterOf(dataDir);
    try {
      const postgres = postmasterPid(cluster);
      expect(alive(postgres)).toBe(true);
      const exited = new Promise((resolve) => {
        first.child.removeAllListeners('exit');
        first.child.on('exit', resolve);
      });
      first.child.kill('SIGKILL');
      await exited;
      await waitFor(() => !alive(postgres), 30_000, "the killed Tally's PostgreSQL has stopped");
      const second = await startBuilt(dataDir);
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
      expect(await stop(second.child)).toBe(0);
      expect(existsSync(join(dataDir, 'owner.json'))).toBe(false);
    } finally {
      await rm(cluster, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('stops with one clear line when DATA_DIR cannot work', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tally-bad-'));
    const file = join(folder, 'a-file');
    writeFileSync(file, 'not a folder');
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATA_DIR: join(file, 'data'), LOG_LEVEL: 'warn' };
      delete env.DATABASE_URL;
      const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `Tally cannot start: DATA_DIR ${join(file, 'data')} cannot be used (a part of the path is a file, not a folder): set DATA_DIR to a folder this user can write, e.g. DATA_DIR=$HOME/.tally`,
      ]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('pnpm build (scripts/build.mjs): only what changed', () => {
  const repoRoot = join(__dirname, '..', '..', '..');

  /** The checkout, copied with its dist folders; node_modules linked, not copied. */
  function copyCheckout(): string {
    const copy = mkdtempSync(join(tmpdir(), 'tally-build-'));
    for (const file of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.base.json', 'scripts']) {
      cpSync(join(repoRoot, file), join(copy, file), { recursive: true });
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
    mkdirSync(join(copy, 'packages'));
    for (const pkg of ['shared', 'sdk', 'server', 'web']) {
      const from = join(repoRoot, 'packages', pkg);
      cpSync(from, join(copy, 'packages', pkg), {
        recursive: true,
        filter: (path) => !['node_modules', 'test-results'].includes(basename(path)),
      });
      if (existsSync(join(from, 'node_modules'))) {
        symlinkSync(join(from, 'node_modules'), join(copy, 'packages', pkg, 'node_modules'));
      }
    }
    return copy;
  }

  /** As `pnpm build` runs it: without jest's NODE_ENV=test (an input of the web app). */
  function buildEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    if (extra.NODE_ENV === undefined) delete env.NODE_ENV;
    return env;
  }

  function build(copy: string, ...args: string[]): { status: number | null; line: string } {
    const result = spawnSync(process.execPath, [join(copy, 'scripts', 'build.mjs'), ...args], {
      cwd: copy,
      encoding: 'utf8',
      env: buildEnv(),
    });
    const lines = result.stdout.trim().split('\n');
    return { status: result.status, line: lines[lines.length - 1] ?? '' };
  }

  it('rebuilds nothing when nothing changed, and always what a change touches', async () => {
    const copy = copyCheckout();
    try {
      expect(build(copy).status).toBe(0); // whatever the checkout's state, everything is built now
      expect(build(copy)).toEqual({ status: 0, line: 'Build: nothing changed' });

      // A new file of the web app: only the web app is rebuilt, and the file is served.
      writeFileSync(join(copy, 'packages', 'web', 'public', 'build-check.txt'), 'fresh\n');
      expect(build(copy)).toEqual({ status: 0, line: 'Build: rebuilt web (shared, sdk, server unchanged)' });
      expect(readFileSync(join(copy, 'packages', 'web', 'dist', 'build-check.txt'), 'utf8')).toBe('fresh\n');
      expect(build(copy)).toEqual({ status: 0, line: 'Build: nothing changed' });

      // A missing output, a VITE_ variable, a shared source: each is rebuilt with what uses it.
      await rm(join(copy, 'packages', 'server', 'dist', 'src', 'main.js'));
      expect(build(copy, '--dry-run').line).toBe('Build: would rebuild server');
      const withVite = spawnSync(process.execPath, [join(copy, 'scripts', 'build.mjs'), '--dry-run'], {
        cwd: copy,
        encoding: 'utf8',
        env: buildEnv({ VITE_SOMETHING: '1' }),
      });
      expect(withVite.stdout.trim()).toBe('Build: would rebuild server, web');
      appendFileSync(join(copy, 'packages', 'shared', 'src', 'index.ts'), '\n// changed\n');
      expect(build(copy, '--dry-run').line).toBe('Build: would rebuild shared, server, web');
      // An SDK source: the SDK and the server (whose `pnpm seed` uses it).
      appendFileSync(join(copy, 'packages', 'sdk', 'src', 'index.ts'), '\n// changed\n');
      expect(build(copy, '--dry-run').line).toBe('Build: would rebuild shared, sdk, server, web');
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('configuration', () => {
  it('applies defaults', () => {
    const config = loadConfig({});
    expect(config).toEqual(
      expect.objectContaining({
        port: 4000,
        host: '127.0.0.1',
        production: false,
        databaseUrl: undefined,
        smtpUrl: undefined,
      }),
    );
    expect(config.publicUrl).toBe('http://127.0.0.1:4000');
    expect(config.corsOrigins).toEqual(['http://127.0.0.1:4000', 'https://studio.apollographql.com']);
  });

  it('names every bad setting in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', NODE_ENV: 'prod' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/DATABASE_URL/);
    expect(problems).toMatch(/JWT_SECRET/);
    expect(problems).toMatch(/NODE_ENV/);
  });

  it('trims PUBLIC_URL and takes CORS_ORIGINS as a list', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://tally.example.com/',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config.publicUrl).toBe('https://tally.example.com');
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('reads .env under the environment: a variable already set wins', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tally-dotenv-'));
    try {
      const file = join(folder, '.env');
      writeFileSync(file, '# comment\nPORT=4800\nLOG_LEVEL=debug\nPUBLIC_URL="https://tally.example.com"\n');
      const config = loadConfig(withDotEnv({ LOG_LEVEL: 'warn' }, file));
      expect(config.port).toBe(4800);
      expect(config.logLevel).toBe('warn');
      expect(config.publicUrl).toBe('https://tally.example.com');
      expect(withDotEnv({ PORT: '1' }, join(folder, 'missing.env'))).toEqual({ PORT: '1' });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('generates a JWT secret once and keeps it in DATA_DIR', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-secret-'));
    const first = await loadJwtSecret({ dataDir, jwtSecret: undefined, jwtSecretFile: undefined });
    const second = await loadJwtSecret({ dataDir, jwtSecret: undefined, jwtSecretFile: undefined });
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(second).toBe(first);
  });
});
