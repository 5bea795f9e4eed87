import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type BaselineKind, startBaseline } from './baseline-server';
import { type BenchContext, createKey, execFileAsync, onLoadCore, onServerCore, signUp } from './context';
import { type Row, microseconds, row } from './rows';

const QUERY = JSON.stringify({ query: '{ workspace { id name } }' });
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** The repository's root (this file runs from packages/server/dist/bench). */
const ROOT = resolve(__dirname, '../../../..');
/** How long a server child may take to say where it listens. */
const START_TIMEOUT_MS = 120_000;

interface Load {
  /** Mean requests per second. */
  rps: number;
  /** Requests answered. */
  total: number;
}

/**
 * Requests per second from autocannon in a child process, so that the load generator has its
 * own core and never shares the measured server's event loop.
 */
async function load(url: string, headers: Record<string, string>): Promise<Load> {
  const [command, args] = onLoadCore([
    require.resolve('autocannon/autocannon.js'),
    '--json',
    '--connections',
    String(CONNECTIONS),
    '--duration',
    String(DURATION_S),
    '--method',
    'POST',
    '--headers',
    'content-type=application/json',
    ...Object.entries(headers).flatMap(([name, value]) => ['--headers', `${name}=${value}`]),
    '--body',
    QUERY,
    `${url}/graphql`,
  ]);
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    non2xx: number;
    errors: number;
  };
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`load test saw ${result.non2xx} non-2xx responses and ${result.errors} errors at ${url}`);
  }
  return { rps: result.requests.average, total: result.requests.total };
}

/** A server in a process of its own, pinned to the server core. */
interface ChildServer {
  url: string;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** Polls `read` until it gives a URL, the child exits, or START_TIMEOUT_MS pass. */
async function urlOf(child: ChildProcess, what: string, read: () => string | undefined): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const url = read();
    if (url) return url;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening`);
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${what} did not listen within ${START_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

/** A baseline (baseline-server.ts) in its own process on the server core, production mode. */
async function startBaselineProcess(kind: BaselineKind): Promise<ChildServer> {
  const [command, args] = onServerCore([join(__dirname, 'baseline-server.js'), kind]);
  const child = spawn(command, args, {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const url = await urlOf(child, `the ${kind} baseline`, () => {
    const line = output.split('\n', 2);
    return line.length > 1 ? (JSON.parse(line[0] ?? '') as { url: string }).url : undefined;
  });
  return { url, stop: () => stopChild(child) };
}

/**
 * `pnpm start` as a user runs it (scripts/start.mjs: the build check, then the server in the same
 * process) on the server core, in production mode with the default settings (LOG_LEVEL info: one
 * line per request), its log written to a file; on the bench's PostgreSQL, so the key works there.
 */
async function startTallyProcess(databaseUrl: string, dataDir: string): Promise<ChildServer & { log: string }> {
  mkdirSync(dataDir, { recursive: true });
  const log = join(dataDir, 'tally.log');
  const out = openSync(log, 'w');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
  for (const name of ['INGEST_EVENTS_PER_KEY_PER_MINUTE', 'ANALYTICS_QUERIES_PER_MINUTE', 'EVENTS_STORE']) {
    delete env[name];
  }
  const [command, args] = onServerCore([join(ROOT, 'scripts', 'start.mjs')]);
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', out, out] });
  closeSync(out);
  const url = await urlOf(child, 'the `pnpm start` process', () => {
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line.includes('"Tally is running"')) continue;
      const parsed = JSON.parse(line) as { url?: unknown };
      if (typeof parsed.url === 'string') return parsed.url;
    }
    return undefined;
  });
  return { url, log, stop: () => stopChild(child) };
}

/** Info lines "request completed" in a log file. */
async function requestLines(log: string): Promise<number> {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(log), crlfDelay: Infinity })) {
    if (line.includes('"msg":"request completed"') && line.includes('"level":30')) count += 1;
  }
  return count;
}

type Sides<K extends string> = Record<K, number>;

/** The round whose ratio `a / b` is the median. */
function medianRound<K extends string>(rounds: ReadonlyArray<Sides<K>>, a: K, b: K): Sides<K> {
  const mid = [...rounds].sort((x, y) => x[a] / x[b] - y[a] / y[b])[Math.floor(rounds.length / 2)];
  if (!mid) throw new Error('no rounds');
  return mid;
}

/** `api`: the key-authenticated request path and the key check alone. */
export async function apiRows({ tally, url, config, failed }: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const secret = await createKey(url, await signUp(url, 'api'), 'VIEWER');
  const key = { authorization: `Bearer ${secret}` };

  // 1. This Tally (the bench's process) vs bare Apollo on the same HTTP layer in this process.
  const bare = await startBaseline('fastify');
  try {
    // Warm both up, then alternate rounds so that drift on the machine hits both sides.
    await load(bare.url, {});
    await load(url, key);
    // Each round measures both sides back to back; the figure is the round with the median ratio.
    const rounds: Array<Sides<'bare' | 'tally'>> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const bareRps = (await load(bare.url, {})).rps;
      const tallyRps = (await load(url, key)).rps;
      rounds.push({ bare: bareRps, tally: tallyRps });
      console.log(`  round ${round + 1}: tally ${tallyRps.toFixed(0)} req/s, bare ${bareRps.toFixed(0)} req/s`);
    }
    const mid = medianRound(rounds, 'tally', 'bare');
    rows.push(
      row(
        `key-authenticated { workspace { id name } } req/s (${CONNECTIONS} connections) vs bare Apollo from memory`,
        mid.tally,
        'req/s',
        mid.bare,
        0.85,
        'higher',
      ),
    );
  } finally {
    await bare.close();
  }

  // 2. The real `pnpm start` process vs Apollo Server on Express 5 and Apollo's standalone
  // server, each in its own process on the same core, the same query, rounds taking turns.
  const started: ChildServer[] = [];
  try {
    const start = await startTallyProcess(tally.databaseUrl, join(config.dataDir, 'start'));
    started.push(start);
    const express5 = await startBaselineProcess('express5');
    started.push(express5);
    const standalone = await startBaselineProcess('standalone');
    started.push(standalone);
    let startRequests = (await load(start.url, key)).total;
    await load(express5.url, {});
    await load(standalone.url, {});
    const rounds: Array<Sides<'start' | 'express5' | 'standalone'>> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const tallyLoad = await load(start.url, key);
      startRequests += tallyLoad.total;
      const expressRps = (await load(express5.url, {})).rps;
      const standaloneRps = (await load(standalone.url, {})).rps;
      rounds.push({ start: tallyLoad.rps, express5: expressRps, standalone: standaloneRps });
      console.log(
        `  round ${round + 1}: pnpm start ${tallyLoad.rps.toFixed(0)} req/s, Express 5 ${expressRps.toFixed(0)} req/s, standalone ${standaloneRps.toFixed(0)} req/s`,
      );
    }
    // The figure holds only with the request log as it is: one info line per request.
    const lines = await requestLines(start.log);
    const perRequest = lines / startRequests;
    console.log(`  pnpm start wrote ${lines} "request completed" info lines for ${startRequests} requests`);
    if (Math.abs(perRequest - 1) > 0.01) {
      failed('pnpm start rows', `expected one info log line per request, found ${perRequest.toFixed(3)}`);
    }
    const name = (baseline: string) =>
      `the \`pnpm start\` process (production, info log to a file, 1 core), key-authenticated, req/s vs Apollo Server on ${baseline} (own process, same core)`;
    const vsExpress = medianRound(rounds, 'start', 'express5');
    rows.push(row(name('Express 5'), vsExpress.start, 'req/s', vsExpress.express5, 2, 'higher'));
    const vsStandalone = medianRound(rounds, 'start', 'standalone');
    rows.push(row(name('its standalone server'), vsStandalone.start, 'req/s', vsStandalone.standalone, 1, 'higher'));
  } finally {
    for (const server of started) await server.stop();
  }

  // The verify path alone, cached (the state of every request after a key's first).
  const verifier = tally.services.apiKeyVerifier;
  const verifyUs = await microseconds(50_000, () => verifier.verify(secret, '127.0.0.1'));
  // Baseline: the least any key check must do — hash the presented secret, look it up in a map.
  const map = new Map([[createHash('sha256').update(secret).digest('base64'), true]]);
  const minimalUs = await microseconds(50_000, () => map.get(createHash('sha256').update(secret).digest('base64')));
  rows.push(row('API key verify (cached), per call', verifyUs, 'µs', minimalUs, 4, 'lower'));
  return rows;
}
