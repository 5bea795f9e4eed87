import { type EventFilter, PropertyOp } from '@tally/shared';
import pLimit from 'p-limit';
import type { ReadGate } from '../event-store';
import { tooBig, tooSlow } from '../read-refusals';
import type { ClickHouse } from './connection';

/**
 * Collects a statement's values as ClickHouse query parameters (`{p1:Type}`): no value is ever
 * pasted into the SQL, the workspace least of all.
 */
export class ChParams {
  readonly values: Record<string, unknown> = {};
  private count = 0;

  add(value: unknown, type: string): string {
    this.count += 1;
    const name = `p${this.count}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }

  /** A point in time, as a DateTime64(3, 'UTC') expression of a millisecond parameter. */
  time(at: Date): string {
    return `fromUnixTimestamp64Milli(${this.add(at.getTime(), 'Int64')}, 'UTC')`;
  }
}

/** The store's tables, qualified with its database (a session default is not to be relied on). */
export interface Tables {
  events: string;
  sessionStats: string;
  sessionNames: string;
  sessionUpdates: string;
  eventHours: string;
  rollupDeltas: string;
}

export function tablesOf(database: string): Tables {
  const t = (name: string) => `\`${database}\`.\`${name}\``;
  return {
    events: t('events'),
    sessionStats: t('session_stats'),
    sessionNames: t('session_names'),
    sessionUpdates: t('session_updates'),
    eventHours: t('event_hours'),
    rollupDeltas: t('rollup_deltas'),
  };
}

/** A DateTime64(3) as ClickHouse reads it in JSONEachRow and parameters (UTC, to the millisecond). */
export function chTime(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}

/** The names/types part of the filters (columns `name` and `type`). */
export function nameTypeCondition(filters: readonly EventFilter[], params: ChParams): string {
  const parts: string[] = [];
  for (const filter of filters) {
    if (filter.names?.length) parts.push(`name IN ${params.add(filter.names, 'Array(String)')}`);
    if (filter.types?.length) parts.push(`type IN ${params.add(filter.types, 'Array(String)')}`);
  }
  return parts.length ? parts.join(' AND ') : '1';
}

/**
 * Filters as a condition on `events` rows, meaning exactly what query/matches-event.ts says (the
 * contract suite checks it). A property is compared by its text as PostgreSQL's `->>` gives it,
 * which the ingest writes beside the JSON (`prop_text`, only keys with a non-null value;
 * `prop_keys`, every key): ClickHouse's own JSON functions rewrite numbers and nested JSON.
 */
export function eventCondition(filters: readonly EventFilter[], params: ChParams): string {
  const parts: string[] = [];
  const nameType = nameTypeCondition(filters, params);
  if (nameType !== '1') parts.push(nameType);
  for (const filter of filters) {
    if (filter.userIds?.length) {
      parts.push(`user_id IS NOT NULL AND user_id IN ${params.add(filter.userIds, 'Array(String)')}`);
    }
    for (const condition of filter.properties ?? []) {
      const key = params.add(condition.key, 'String');
      const value = condition.value ?? '';
      const has = `mapContains(prop_text, ${key})`;
      switch (condition.op) {
        case PropertyOp.EQ:
          parts.push(`(${has} AND prop_text[${key}] = ${params.add(value, 'String')})`);
          break;
        case PropertyOp.NEQ:
          parts.push(`NOT (${has} AND prop_text[${key}] = ${params.add(value, 'String')})`);
          break;
        case PropertyOp.CONTAINS:
          parts.push(
            `(${has} AND positionUTF8(lowerUTF8(prop_text[${key}]), lowerUTF8(${params.add(value, 'String')})) > 0)`,
          );
          break;
        case PropertyOp.EXISTS:
          parts.push(`has(prop_keys, ${key})`);
          break;
      }
    }
  }
  return parts.length ? parts.map((p) => `(${p})`).join(' AND ') : '1';
}

/** ClickHouse's error codes for a query stopped by a limit (TIMEOUT_EXCEEDED, MEMORY_LIMIT_EXCEEDED). */
const TIMEOUT_EXCEEDED = '159';
const MEMORY_LIMIT_EXCEEDED = '241';

/**
 * Runs the read statements: each with its limits written into it (`SETTINGS …` of the statement
 * itself: chdb keeps a session's `SET`s for the next statement, so nothing is set for a session),
 * through the request's gate when there is one. A statement stopped by a limit is the caller's
 * too-wide question: BAD_USER_INPUT, as on PostgreSQL.
 */
export class ChReads {
  private readonly settings: string;
  /**
   * In-process ClickHouse (chdb) runs one statement at a time, in arrival order: reads go in one
   * by one, so an ingest's statements wait behind one read at most, never behind every request's.
   */
  private readonly turns: pLimit.Limit | null;

  constructor(
    private readonly ch: ClickHouse,
    private readonly limits: { timeoutMs: number; maxMemoryBytes: number },
  ) {
    this.settings = [
      // Seconds, to the millisecond (ANALYTICS_STATEMENT_TIMEOUT_MS, as PostgreSQL's statement_timeout).
      `max_execution_time = ${limits.timeoutMs / 1000}`,
      `timeout_overflow_mode = 'throw'`,
      `max_memory_usage = ${Math.floor(limits.maxMemoryBytes)}`,
      'output_format_json_quote_64bit_integers = 1',
      'join_use_nulls = 1',
      // `FINAL` reads (the rollups' deltas, summed per key as a merge would): every partition key
      // is a function of its table's sorting key, so parts of two partitions never share a key;
      // and a condition on a summed column (`sessions > 0`) must see the sums, not the parts' rows.
      'do_not_merge_across_partitions_select_final = 1',
      'optimize_move_to_prewhere_if_final = 0',
    ].join(', ');
    this.turns = ch.embedded ? pLimit(1) : null;
  }

  rows<R>(gate: ReadGate | undefined, sql: string, params: ChParams | null): Promise<R[]> {
    const run = () =>
      this.refused(async () => {
        const result = await this.ch.client.query({
          query: `${sql}\nSETTINGS ${this.settings}`,
          query_params: params?.values ?? {},
          format: 'JSONEachRow',
        });
        return await result.json<R>();
      });
    return gate ? gate(() => this.inTurn(run)) : this.inTurn(run);
  }

  /**
   * A statement's whole answer as bytes, in `format` (RowBinary, say: a format the client's
   * `query` does not decode), with the same limits and `extra` settings of its own. A server
   * answers it once it has run to its end (`wait_end_of_query`), so a statement that fails is an
   * error here, never a cut answer; chdb always does. `signal` stops waiting for it.
   */
  bytes(sql: string, params: ChParams, format: string, extra: string[] = [], signal?: AbortSignal): Promise<Buffer> {
    return this.inTurn(() =>
      this.refused(async () => {
        const result = await this.ch.client.exec({
          query: `${sql}\nSETTINGS ${[this.settings, ...extra].join(', ')}\nFORMAT ${format}`,
          query_params: params.values,
          clickhouse_settings: { wait_end_of_query: 1 },
          abort_signal: signal,
        });
        const chunks: Buffer[] = [];
        for await (const chunk of result.stream) chunks.push(chunk as Buffer);
        return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
      }),
    );
  }

  /** On chdb, one read at a time (see `turns`); on a server, at once. */
  private inTurn<T>(run: () => Promise<T>): Promise<T> {
    return this.turns ? this.turns(run) : run();
  }

  /** A statement stopped by a limit is the caller's too-wide question: BAD_USER_INPUT. */
  private async refused<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
      if (code === TIMEOUT_EXCEEDED) throw tooSlow(this.limits.timeoutMs);
      if (code === MEMORY_LIMIT_EXCEEDED) throw tooBig(this.limits.maxMemoryBytes);
      throw error;
    }
  }
}

/** A count or sum as ClickHouse writes a 64-bit integer in JSON (quoted). */
export function num(value: string | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}
