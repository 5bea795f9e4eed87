import type { EventBatch, EventInput, EventStore, SessionInput } from '../src/modules/events/event-store';

/**
 * Synthetic events for the benches that need many of them (export, analytics): realistic enough
 * that the store's rollups, sessions and indexes look like a real workspace's, deterministic for
 * a seed, generated batch by batch so that ten million events take no more memory than one.
 *
 * The shape: sessions of 30–100 events by default (a session cut by a batch's end is shorter;
 * about 15,000 sessions a million events), spread over the last 30 days with a daily and weekly rhythm; 200
 * event names with a long tail — 185 tools called as `tool_call`, 10 pages as `pageview`, 5
 * `custom` events, each kind's names picked with Zipf frequencies (s = 1: the first tool is
 * called about 90 times as often as the 90th) — as an agent product with hundreds of tools has;
 * tool calls fail at their own rate (about 3 % of all events are errors); log-normal durations
 * and gaps; a pool of `max(5,000, count / 500)` users, some of whom are far more active, and 15 %
 * anonymous sessions; small `properties` on every event and `attributes` on every session.
 */

export interface DatasetOptions {
  /** Seed of the generator (default 1): the same seed, count and `now` give the same events. */
  seed?: number;
  /** The end of the 30 days the events fall in (default: now). */
  now?: Date;
  /** Events per batch (default 5,000). */
  batchSize?: number;
  /** Fewest and most events of a session (default 30–100: about 15,000 sessions a million events). */
  sessionLength?: readonly [number, number];
}

export interface LoadOptions extends DatasetOptions {
  /** Batches written at once (default 2). */
  writers?: number;
  /**
   * Batches of the dataset per writeBatch call (default 1): the same events in fewer, bigger
   * statements, for a store whose every insert costs (ClickHouse makes a part per insert). The
   * dataset's sessions never span batches, so a merged batch stores the same as its parts.
   */
  group?: number;
  /** Count the events (and errors) in this range too, for checking a store's answers (`inRange`). */
  range?: { from: Date; to: Date };
  /** Progress lines while loading (default true). */
  log?: boolean;
  /**
   * VACUUM (ANALYZE) the event tables afterwards, as autovacuum does minutes after a load, so that
   * the benches that follow see the state of a live database rather than whether autovacuum has
   * happened to run yet, and CHECKPOINT, as the checkpointer does (default true). Not counted in
   * the load rate.
   */
  settle?: boolean;
}

export interface LoadResult {
  events: number;
  sessions: number;
  /** Events with status `error`. */
  errors: number;
  /** Events and errors with a timestamp in `range` (when given; else all of them). */
  inRange: { events: number; errors: number };
  /** A range that holds every loaded event: the earliest timestamp and just after the latest. */
  from: Date;
  to: Date;
  /** Time spent in writeBatch calls, start to end (not the settling). */
  loadMs: number;
  eventsPerSecond: number;
  settleMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const SPAN_HOURS = 30 * 24;
const MAX_GAP_MS = 10 * 60 * 1000;
const ANONYMOUS_SHARE = 0.15;
const TOOL_CALL_SHARE = 0.85;
const PAGEVIEW_SHARE = 0.1;
/** Of all events; only tool calls fail. */
const ERROR_SHARE = 0.03;

interface Tool {
  name: string;
  /** Median duration in milliseconds. */
  medianMs: number;
  /** Relative: scaled so that ERROR_SHARE of all events are errors. */
  errorRate: number;
}

const NAMED_TOOLS: readonly Tool[] = [
  { name: 'read_file', medianMs: 12, errorRate: 0.01 },
  { name: 'search_code', medianMs: 85, errorRate: 0.015 },
  { name: 'run_shell', medianMs: 900, errorRate: 0.07 },
  { name: 'edit_file', medianMs: 25, errorRate: 0.02 },
  { name: 'list_directory', medianMs: 8, errorRate: 0.005 },
  { name: 'web_search', medianMs: 1400, errorRate: 0.04 },
  { name: 'fetch_url', medianMs: 650, errorRate: 0.06 },
  { name: 'run_tests', medianMs: 8500, errorRate: 0.09 },
  { name: 'git_diff', medianMs: 40, errorRate: 0.01 },
  { name: 'query_database', medianMs: 120, errorRate: 0.035 },
  { name: 'write_file', medianMs: 20, errorRate: 0.015 },
  { name: 'git_commit', medianMs: 180, errorRate: 0.02 },
  { name: 'create_issue', medianMs: 450, errorRate: 0.03 },
  { name: 'send_message', medianMs: 300, errorRate: 0.025 },
  { name: 'summarize', medianMs: 2600, errorRate: 0.02 },
  { name: 'translate', medianMs: 1900, errorRate: 0.02 },
  { name: 'lint_code', medianMs: 2100, errorRate: 0.04 },
  { name: 'open_pull_request', medianMs: 800, errorRate: 0.05 },
  { name: 'generate_image', medianMs: 7200, errorRate: 0.08 },
  { name: 'deploy_preview', medianMs: 45000, errorRate: 0.12 },
];
/** Tools in all: the named ones first (the most used), then a long tail of MCP servers' tools. */
const TOOL_COUNT = 185;
const MCP_SERVERS = ['github', 'jira', 'slack', 'postgres', 'browser', 'figma', 'linear', 'notion', 'sentry'] as const;
const MCP_VERBS = ['get', 'list', 'search', 'create', 'update', 'delete', 'sync', 'export', 'preview', 'describe'];
const MCP_NOUNS = ['item', 'page', 'record', 'comment', 'thread', 'file', 'issue', 'run', 'user', 'view'];
/** The named tools, then the tail: each with a median duration and error rate of its own (by its rank). */
const TOOLS: readonly Tool[] = [
  ...NAMED_TOOLS,
  ...Array.from({ length: TOOL_COUNT - NAMED_TOOLS.length }, (_, i) => ({
    name: `mcp__${MCP_SERVERS[i % MCP_SERVERS.length]}__${MCP_VERBS[Math.floor(i / MCP_SERVERS.length) % MCP_VERBS.length]}_${MCP_NOUNS[Math.floor(i / (MCP_SERVERS.length * MCP_VERBS.length)) % MCP_NOUNS.length]}`,
    medianMs: Math.round(20 * 1.6 ** (i % 13)),
    errorRate: 0.005 + (((i * 37) % 23) / 23) * 0.08,
  })),
];
const PAGES = [
  '/overview',
  '/sessions',
  '/settings',
  '/tools',
  '/activity',
  '/members',
  '/api-keys',
  '/billing',
  '/exports',
  '/onboarding',
] as const;
const CUSTOM = ['feedback_submitted', 'plan_upgraded', 'invite_sent', 'trial_started', 'limit_reached'] as const;
const MODELS = ['claude-sonnet', 'claude-haiku', 'gpt-4.1', 'gemini-2.5-pro'] as const;
const CLIENTS = ['cli', 'vscode', 'web'] as const;
const REFERRERS = [null, null, 'https://example.com/', 'https://news.example.org/item'] as const;
const PLANS = ['free', 'pro', 'team'] as const;
const OS = ['linux', 'macos', 'windows'] as const;
const VERSIONS = ['1.8.2', '1.9.0', '1.9.1', '2.0.0-beta.3'] as const;

/** Cumulative Zipf weights (s = 1) of `n` items, for `pickSkewed`. */
function zipf(n: number): number[] {
  const cumulative: number[] = [];
  let sum = 0;
  for (let k = 1; k <= n; k += 1) {
    sum += 1 / k;
    cumulative.push(sum);
  }
  return cumulative.map((c) => c / sum);
}
const TOOL_WEIGHTS = zipf(TOOLS.length);
const PAGE_WEIGHTS = zipf(PAGES.length);
const CUSTOM_WEIGHTS = zipf(CUSTOM.length);
/** Event names the generator uses: 200. */
export const DATASET_NAMES = TOOLS.length + PAGES.length + CUSTOM.length;
/** Users of a dataset of `count` events. */
export function datasetUsers(count: number): number {
  return Math.max(5000, Math.round(count / 500));
}
const TOOL_ERROR_SCALE =
  ERROR_SHARE /
  TOOL_CALL_SHARE /
  TOOLS.reduce((sum, tool, k) => sum + tool.errorRate * ((TOOL_WEIGHTS[k] ?? 1) - (TOOL_WEIGHTS[k - 1] ?? 0)), 0);

/** sfc32, seeded through splitmix32: fast, 128 bits of state, good enough for test data. */
class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seeds: number[]) {
    let h = 0x9e3779b9;
    for (const seed of seeds) h = splitmix32(h ^ (seed >>> 0));
    this.a = splitmix32(h);
    this.b = splitmix32(this.a);
    this.c = splitmix32(this.b);
    this.d = splitmix32(this.c);
    for (let i = 0; i < 12; i += 1) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Log-normal with the given median and σ of the underlying normal. */
  logNormal(median: number, sigma: number): number {
    const u = 1 - this.next();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
    return median * Math.exp(sigma * normal);
  }

  /** A version 4 UUID. */
  uuid(): string {
    const a = this.uint32();
    const b = this.uint32();
    const c = this.uint32();
    const d = this.uint32();
    return (
      `${HEX[a >>> 24]}${HEX[(a >>> 16) & 0xff]}${HEX[(a >>> 8) & 0xff]}${HEX[a & 0xff]}-` +
      `${HEX[b >>> 24]}${HEX[(b >>> 16) & 0xff]}-${HEX[0x40 | ((b >>> 8) & 0x0f)]}${HEX[b & 0xff]}-` +
      `${HEX[0x80 | ((c >>> 24) & 0x3f)]}${HEX[(c >>> 16) & 0xff]}-${HEX[(c >>> 8) & 0xff]}${HEX[c & 0xff]}` +
      `${HEX[d >>> 24]}${HEX[(d >>> 16) & 0xff]}${HEX[(d >>> 8) & 0xff]}${HEX[d & 0xff]}`
    );
  }
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The index of the first cumulative weight above `u` (binary search). */
function firstAbove(cumulative: readonly number[], u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] ?? 1) > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The events of a dataset as numbered batches, each made on demand from its own seed: batch `i`
 * is the same whichever writer makes it and in whatever order. Batches follow time: batch `i`
 * holds the sessions that start in the `i`-th slice of the 30 days (slices of equal traffic, so
 * busy hours are narrower), as a live workspace's traffic arrives.
 */
export class SyntheticEvents {
  readonly batchCount: number;
  readonly batchSize: number;
  readonly users: number;
  private readonly seed: number;
  private readonly sessionLength: readonly [number, number];
  /** Traffic up to the end of each hour of the 30 days, as a share of the whole. */
  private readonly hours: number[];
  private readonly start: number;

  constructor(
    readonly count: number,
    options: DatasetOptions = {},
  ) {
    if (!Number.isInteger(count) || count < 1) throw new Error('count must be a positive whole number');
    this.seed = options.seed ?? 1;
    this.batchSize = options.batchSize ?? 5000;
    this.sessionLength = options.sessionLength ?? [30, 100];
    this.batchCount = Math.ceil(count / this.batchSize);
    this.users = datasetUsers(count);
    // Whole hours, so the rhythm is the same at any time of day; sessions start an hour or more
    // before `now`, so that they have ended by then.
    const end = (Math.floor((options.now ?? new Date()).getTime() / HOUR_MS) - 1) * HOUR_MS;
    this.start = end - 30 * DAY_MS;
    const weights: number[] = [];
    for (let h = 0; h < SPAN_HOURS; h += 1) {
      const at = new Date(this.start + h * HOUR_MS);
      // Busiest around 15:00 UTC, quietest around 03:00; weekends at 45 %.
      const daily = 0.15 + 0.85 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (at.getUTCHours() - 3)) / 24));
      const weekly = at.getUTCDay() === 0 || at.getUTCDay() === 6 ? 0.45 : 1;
      weights.push(daily * weekly);
    }
    const total = weights.reduce((sum, w) => sum + w, 0);
    let running = 0;
    this.hours = weights.map((w) => (running += w / total));
  }

  /** The time at traffic share `u` (0…1) of the 30 days. */
  private timeAt(u: number): number {
    const hour = firstAbove(this.hours, u);
    const before = hour === 0 ? 0 : (this.hours[hour - 1] ?? 0);
    const within = (this.hours[hour] ?? 1) - before;
    const fraction = within > 0 ? Math.min(1, Math.max(0, (u - before) / within)) : 0;
    return this.start + (hour + fraction) * HOUR_MS;
  }

  /** Batch `index` (0 … batchCount − 1), made now. */
  batch(index: number): EventBatch {
    if (!Number.isInteger(index) || index < 0 || index >= this.batchCount) throw new Error(`no batch ${index}`);
    const random = new Random(this.seed, index);
    const size = Math.min(this.batchSize, this.count - index * this.batchSize);
    const events: EventInput[] = [];
    const sessions: SessionInput[] = [];
    while (events.length < size) {
      const length = Math.min(random.int(...this.sessionLength), size - events.length);
      const sessionId = random.uuid();
      // Some users are far more active: the square skews picks towards the start of the pool.
      const userId = random.next() < ANONYMOUS_SHARE ? null : `user-${Math.floor(random.next() ** 2 * this.users) + 1}`;
      const client = random.pick(CLIENTS);
      const model = random.pick(MODELS);
      sessions.push({
        id: sessionId,
        userId,
        attributes: { os: random.pick(OS), appVersion: random.pick(VERSIONS), client },
      });
      let at = this.timeAt((index + random.next()) / this.batchCount);
      for (let i = 0; i < length; i += 1) {
        if (i > 0) at += Math.min(MAX_GAP_MS, random.logNormal(15_000, 1.1));
        events.push(this.event(random, sessionId, userId, Math.round(at), client, model));
      }
    }
    return { events, sessions };
  }

  private event(
    random: Random,
    sessionId: string,
    userId: string | null,
    at: number,
    client: string,
    model: string,
  ): EventInput {
    const id = random.uuid();
    const timestamp = new Date(at);
    const kind = random.next();
    // Whole literals of one shape (no spread of a shared part: V8 makes those ten times slower).
    if (kind < TOOL_CALL_SHARE) {
      const tool = TOOLS[firstAbove(TOOL_WEIGHTS, random.next())] ?? TOOLS[0];
      if (!tool) throw new Error('no tools');
      const failed = random.next() < tool.errorRate * TOOL_ERROR_SCALE;
      return {
        id,
        clientId: false,
        clientTimestamp: true,
        timestamp,
        sessionId,
        name: tool.name,
        type: 'tool_call',
        userId,
        durationMs: Math.round(random.logNormal(tool.medianMs, failed ? 1.4 : 0.9) * 10) / 10,
        status: failed ? 'error' : 'ok',
        properties: { model, client, tokens: Math.round(random.logNormal(900, 0.8)) },
      };
    }
    if (kind < TOOL_CALL_SHARE + PAGEVIEW_SHARE) {
      const page = PAGES[firstAbove(PAGE_WEIGHTS, random.next())] ?? PAGES[0];
      return {
        id,
        clientId: false,
        clientTimestamp: true,
        timestamp,
        sessionId,
        name: page,
        type: 'pageview',
        userId,
        durationMs: Math.round(random.logNormal(350, 0.6)),
        status: null,
        properties: { path: page, referrer: random.pick(REFERRERS) },
      };
    }
    return {
      id,
      clientId: false,
      clientTimestamp: true,
      timestamp,
      sessionId,
      name: CUSTOM[firstAbove(CUSTOM_WEIGHTS, random.next())] ?? CUSTOM[0],
      type: 'custom',
      userId,
      durationMs: null,
      status: null,
      properties: { plan: random.pick(PLANS) },
    };
  }
}

/** What loadEvents needs of the bench context: the event store and the database (to settle). */
export interface LoadTarget {
  tally: {
    services: { events: Pick<EventStore, 'writeBatch'> };
    db: { query(sql: string): Promise<unknown> };
  };
}

/**
 * Loads `count` synthetic events into a workspace through the store's own writeBatch (so its
 * sessions and rollups are exactly what ingest makes of them), `writers` batches at a time, each
 * batch made just before it is written. Prints progress unless `log` is false.
 */
export async function loadEvents(
  context: LoadTarget,
  workspaceId: string,
  count: number,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const dataset = new SyntheticEvents(count, options);
  const store = context.tally.services.events;
  const log = options.log ?? true;
  const writers = Math.max(1, options.writers ?? 2);
  const group = Math.max(1, options.group ?? 1);
  const rangeFrom = options.range?.from.getTime() ?? Number.NEGATIVE_INFINITY;
  const rangeTo = options.range?.to.getTime() ?? Number.POSITIVE_INFINITY;
  let next = 0;
  let loaded = 0;
  let sessions = 0;
  let errors = 0;
  const inRange = { events: 0, errors: 0 };
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const started = performance.now();
  let lastReport = started;

  const writer = async (): Promise<void> => {
    while (next < dataset.batchCount) {
      const first = next;
      next = Math.min(dataset.batchCount, next + group);
      const parts = Array.from({ length: next - first }, (_, i) => dataset.batch(first + i));
      const batch: EventBatch =
        parts.length === 1 && parts[0]
          ? parts[0]
          : { events: parts.flatMap((part) => part.events), sessions: parts.flatMap((part) => part.sessions) };
      for (const event of batch.events) {
        const at = event.timestamp.getTime();
        if (at < from) from = at;
        if (at > to) to = at;
        const error = event.status === 'error';
        if (error) errors += 1;
        if (at >= rangeFrom && at < rangeTo) {
          inRange.events += 1;
          if (error) inRange.errors += 1;
        }
      }
      await store.writeBatch(workspaceId, batch);
      loaded += batch.events.length;
      sessions += batch.sessions.length;
      const now = performance.now();
      if (log && now - lastReport >= 5000) {
        lastReport = now;
        const rate = loaded / ((now - started) / 1000);
        console.log(
          `  loading: ${loaded.toLocaleString('en')} / ${count.toLocaleString('en')} events, ${rate.toFixed(0)} events/s`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: writers }, () => writer()));
  const loadMs = performance.now() - started;
  const eventsPerSecond = loaded / (loadMs / 1000);
  if (log) {
    console.log(
      `  loaded ${loaded.toLocaleString('en')} events in ${sessions.toLocaleString('en')} sessions in ${(loadMs / 1000).toFixed(1)} s: ${eventsPerSecond.toFixed(0)} events/s`,
    );
  }

  let settleMs = 0;
  if (options.settle ?? true) {
    const settling = performance.now();
    await context.tally.db.query(
      'VACUUM (ANALYZE) events, event_ids, sessions, event_name_sessions, event_rollups_hourly, session_rollups_hourly, event_rollups_daily',
    );
    // Millions of rows just written are dirty in shared buffers and the WAL is far past
    // max_wal_size: the checkpoints that follow a load would otherwise run during the
    // measurements after it (seen: an export 5× slower right after a 10M-event load). A live
    // database has long written them out. Needs superuser or pg_checkpoint; skipped without.
    const checkpointed = await context.tally.db.query('CHECKPOINT').then(
      () => true,
      () => false,
    );
    settleMs = performance.now() - settling;
    if (log) {
      console.log(
        `  VACUUM (ANALYZE)${checkpointed ? ' and CHECKPOINT' : ''} of the event tables: ${(settleMs / 1000).toFixed(1)} s`,
      );
    }
  }
  return {
    events: loaded,
    sessions,
    errors,
    inRange,
    from: new Date(from),
    to: new Date(to + 1),
    loadMs,
    eventsPerSecond,
    settleMs,
  };
}
