import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';

/**
 * The ingest benchmark's load generator, run as its own process (on its own core when the
 * bench pins): `node ingest-load.js <http|pg> <target> <connections> <seconds> <batch> [key]`.
 *
 * - `http`: POSTs batches to `<target>/v1/events` with the key, counting accepted events (202).
 * - `pg`: the baseline — the same rows as one multi-row INSERT per batch into an unindexed
 *   table, autocommitted (durable), on `connections` connections to the database `<target>`.
 *
 * Prints `{ events, batches, seconds, cpuMs, dbCpuMs }` as JSON (`cpuMs`: this process's CPU
 * during the run; `dbCpuMs`, `pg` only: its PostgreSQL backends'). Both modes build their rows
 * with the same code.
 */

/**
 * CPU time in ms that processes of this host have used so far, by pid (from /proc: Linux, and
 * PostgreSQL on this host); the pids that cannot be read are left out.
 */
export function cpuMsOf(pids: readonly number[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
      used.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // Gone, or not on this host.
    }
  }
  return used;
}

/** This process's CPU in ms since `from` (a process.cpuUsage()). */
export function ownCpuMs(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}

const NAMES = Array.from({ length: 25 }, (_, i) => `tool_${String(i).padStart(2, '0')}`);

interface BenchEvent {
  id: string;
  sessionId: string;
  name: string;
  type: string;
  timestamp: string;
  userId: string;
  durationMs: number;
  status: 'ok' | 'error';
  properties: { model: string; tokens: number };
}

/** Events of one session in a batch: a bigger batch holds several sessions, as an SDK's buffer would. */
const SESSION_EVENTS = 100;

/** One SDK-like batch: the next `size` events of one session (of `size / 100` past 100), a few ms apart. */
function makeBatch(size: number, sequence: number): BenchEvent[] {
  const sessionId = `bench-${process.pid}-${sequence}`;
  const userId = `user-${sequence % 997}`;
  const start = Date.now() - size * 10;
  return Array.from({ length: size }, (_, i) => ({
    id: randomUUID(),
    sessionId: i < SESSION_EVENTS ? sessionId : `${sessionId}-${Math.floor(i / SESSION_EVENTS)}`,
    name: NAMES[(sequence + i * 7) % NAMES.length] ?? 'tool',
    type: i % 10 === 0 ? 'pageview' : 'tool_call',
    timestamp: new Date(start + i * 10).toISOString(),
    userId,
    durationMs: Math.round(Math.exp(3 + ((sequence * 31 + i * 17) % 50) / 10)),
    status: (sequence + i) % 33 === 0 ? 'error' : 'ok',
    properties: { model: i % 2 === 0 ? 'small' : 'large', tokens: (i * 13) % 400 },
  }));
}

async function runHttp(url: string, key: string, connections: number, seconds: number, size: number) {
  const deadline = Date.now() + seconds * 1000;
  let events = 0;
  let batches = 0;
  let sequence = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const body = JSON.stringify({ events: makeBatch(size, (sequence += 1)) });
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      });
      const answer = (await response.json()) as { accepted?: number };
      if (response.status !== 202 || answer.accepted !== size) {
        throw new Error(`ingest answered ${response.status}: ${JSON.stringify(answer)}`);
      }
      events += size;
      batches += 1;
    }
  };
  const started = Date.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: connections }, worker));
  return { events, batches, seconds: (Date.now() - started) / 1000, cpuMs: ownCpuMs(cpu) };
}

const INSERT = `INSERT INTO bench_ingest_baseline
  (id, session_id, name, type, ts, user_id, duration_ms, status, properties)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                       $7::float8[], $8::text[], $9::jsonb[])`;

async function runPg(databaseUrl: string, connections: number, seconds: number, size: number) {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  const deadline = Date.now() + seconds * 1000;
  let events = 0;
  let batches = 0;
  let sequence = 0;
  const worker = async (client: Client) => {
    while (Date.now() < deadline) {
      // Through JSON and back, as the server receives them.
      const batch = JSON.parse(JSON.stringify(makeBatch(size, (sequence += 1)))) as BenchEvent[];
      await client.query({
        name: 'bench-baseline',
        text: INSERT,
        values: [
          batch.map((e) => e.id),
          batch.map((e) => e.sessionId),
          batch.map((e) => e.name),
          batch.map((e) => e.type),
          batch.map((e) => e.timestamp),
          batch.map((e) => e.userId),
          batch.map((e) => e.durationMs),
          batch.map((e) => e.status),
          batch.map((e) => JSON.stringify(e.properties)),
        ],
      });
      events += size;
      batches += 1;
    }
  };
  const pids = await Promise.all(
    clients.map(
      async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0,
    ),
  );
  const dbBefore = cpuMsOf(pids);
  const started = Date.now();
  const cpu = process.cpuUsage();
  let dbCpuMs = 0;
  try {
    await Promise.all(clients.map(worker));
    // Read before the backends exit.
    for (const [pid, ms] of cpuMsOf(pids)) dbCpuMs += ms - (dbBefore.get(pid) ?? 0);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
  return { events, batches, seconds: (Date.now() - started) / 1000, cpuMs: ownCpuMs(cpu), dbCpuMs };
}

async function main(): Promise<void> {
  const [mode, target = '', connections = '8', seconds = '8', size = '100', key = ''] = process.argv.slice(2);
  const result =
    mode === 'http'
      ? await runHttp(target, key, Number(connections), Number(seconds), Number(size))
      : await runPg(target, Number(connections), Number(seconds), Number(size));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
