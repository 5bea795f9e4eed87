import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import type { Config } from '../src/platform/config';
import type { Tally } from '../src/server';
import type { EventsStoreName } from './rows';

export const execFileAsync = promisify(execFile);

/** Pin this process to core 0 and load generators to core 1 when taskset and two cores exist. */
export const PINNING = availableParallelism() >= 2 && existsSync('/usr/bin/taskset') && process.env.BENCH_PIN !== '0';

/** `[command, args]` that runs `node …args` on the load generator's core when pinning. */
export function onLoadCore(args: string[]): [string, string[]] {
  return PINNING ? ['taskset', ['-c', '1', process.execPath, ...args]] : [process.execPath, args];
}

/** `[command, args]` that runs `node …args` on the measured server's core (this process's) when pinning. */
export function onServerCore(args: string[]): [string, string[]] {
  return PINNING ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
}

/** A running Tally in this process and where it listens. */
export interface BenchTally {
  tally: Tally;
  url: string;
}

/**
 * What every benchmark group gets: a running Tally (this process) with the PostgreSQL event store
 * and its settings, and, when ClickHouse rows run, a second one with the ClickHouse store on the
 * same PostgreSQL (users, keys and workspaces are shared: a key made on one works on the other).
 */
export interface BenchContext {
  tally: Tally;
  url: string;
  config: Config;
  /** Raw events for the analytics and export rows (`--events`, default 10 million). */
  events: number;
  /** The event stores whose rows run (`--store`). */
  stores: readonly EventsStoreName[];
  /** Tally with EVENTS_STORE=clickhouse (chdb in this process); null when no ClickHouse row runs. */
  clickhouse: BenchTally | null;
  /** `--events-ch`: raw events of the extra ClickHouse-only analytics row (null: no such row). */
  eventsClickHouse: number | null;
  /** Records a row that could not be measured: printed after the table, and the run fails. */
  failed(name: string, reason: string): void;
}

export async function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export interface BenchAccount {
  email: string;
  password: string;
  accessToken: string;
  /** The account's personal workspace. */
  workspaceId: string;
}

const PASSWORD = 'benchmark password';

export async function signUp(url: string, label: string): Promise<BenchAccount> {
  const email = `bench-${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const signed = await gql<{ signUp: { accessToken: string } }>(
    url,
    'mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, name: "Bench") { accessToken } }',
    { e: email, p: PASSWORD },
  );
  const accessToken = signed.signUp.accessToken;
  const workspaces = await gql<{ workspaces: Array<{ id: string }> }>(url, '{ workspaces { id } }', {}, accessToken);
  const workspaceId = workspaces.workspaces[0]?.id;
  if (!workspaceId) throw new Error('no workspace');
  return { email, password: PASSWORD, accessToken, workspaceId };
}

export async function createKey(
  url: string,
  account: BenchAccount,
  role: 'ADMIN' | 'EDITOR' | 'VIEWER',
): Promise<string> {
  const created = await gql<{ createApiKey: { secret: string } }>(
    url,
    'mutation($w: ID!, $r: ApiKeyRole!) { createApiKey(workspaceId: $w, input: { name: "bench", role: $r }) { secret } }',
    { w: account.workspaceId, r: role },
    account.accessToken,
  );
  return created.createApiKey.secret;
}
