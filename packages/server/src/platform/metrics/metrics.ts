import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ErrorCode } from '@tally/shared';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundCounter, BoundHistogram, type CounterSeries, type HistogramSeries } from './bound-metrics';

/** What a pg Pool reports about its connections (pg's `Pool` has exactly these). */
export interface PoolUse {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** Whether a value reports connections the way pg's Pool does. */
export function isPoolUse(value: unknown): value is PoolUse {
  if (typeof value !== 'object' || value === null) return false;
  return ['totalCount', 'idleCount', 'waitingCount'].every((key) => typeof Reflect.get(value, key) === 'number');
}

/** Jobs waiting, due for a retry or running, by job name and state (read when scraped). */
export type JobDepth = () => Promise<Array<{ name: string; state: string; count: number }>>;

/** A counter's one series, bound once: `inc()` on the hot path is a number added. */
export interface Tick {
  inc(value?: number): void;
}

/** API key verifications by what the cache said (see api-key-verifier.ts). */
export interface KeyCacheCounters {
  /** Answered from memory. */
  hit: Tick;
  /** Looked up in the database. */
  miss: Tick;
  /** Refused from memory: remembered as unknown or revoked. */
  negativeHit: Tick;
  /** Refused without any lookup: wrong length or checksum. */
  malformed: Tick;
}

/** Finished job attempts, by job name (see job-queue.ts). */
export interface JobCounters {
  completed(name: string): void;
  failed(name: string, willRetry: boolean): void;
}

/** POST /v1/events (see ingest.route.ts). */
export interface IngestCounters {
  /** A batch answered with this HTTP status. */
  batch(status: number): void;
  /** Events of a stored batch, and of those how many had been stored before. */
  accepted(events: number, duplicates: number): void;
  /** Events of a refused batch (when its body was read). */
  rejected(events: number): void;
}

/** POST /otlp/v1/logs and the other OTLP paths (see events/otlp/otlp.route.ts). */
export interface OtlpCounters {
  /** An export of `signal` (logs, metrics, traces) answered with this HTTP status. */
  export(signal: string, status: number): void;
  /** Log records of an export: stored (now or before), of those stored before, refused. */
  records(accepted: number, duplicates: number, refused: number): void;
}

/**
 * Most operation names kept as labels besides the known ones (the dashboard's own and
 * METRICS_OPERATION_NAMES), first come first served; later new names count as `__other`.
 */
export const MAX_OPERATION_NAMES = 100;
/** Longer names are not kept as labels either. */
export const MAX_OPERATION_NAME_LENGTH = 64;

/** Outcome labels: `ok`, or the first error's code when it is one of these; else `OTHER`. */
const KNOWN_CODES: ReadonlySet<string> = new Set<string>([
  ...Object.values(ErrorCode),
  ...Object.values(ApolloServerErrorCode),
]);

/** The series one GraphQL operation label records to. */
interface OperationSeries {
  label: string;
  duration: HistogramSeries;
  /** tally_graphql_requests_total's series by outcome. */
  outcomes: Map<string, CounterSeries>;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Tally's Prometheus metrics, in a registry of their own (one per server instance, so tests
 * can run several). Every label's values are bounded: routes are the registered ones, statuses
 * and codes come from fixed lists, job names from the definitions, and GraphQL operation names
 * (which clients choose) are the known ones (`knownOperations`: the dashboard's own, and those
 * of METRICS_OPERATION_NAMES), which always keep their label, and the first MAX_OPERATION_NAMES
 * other distinct names: made-up names can fill those slots, never take a known name's label.
 * Recording is a counter increment or a histogram observation; gauges (pools, job queue depth)
 * are read only when /metrics is scraped. What every request records (HTTP duration, GraphQL
 * requests and duration, the key cache) goes to series bound once (bound-metrics.ts): a few
 * map lookups and additions per request, no label object or hash string.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly operationNames = new Set<string>();
  private readonly knownOperations: ReadonlySet<string>;
  private readonly httpDuration: BoundHistogram<'method' | 'route' | 'status'>;
  private readonly graphqlRequests: BoundCounter<'operation' | 'outcome'>;
  private readonly graphqlDuration: BoundHistogram<'operation'>;
  /** Bound series by method, route and status. */
  private readonly httpSeries = new Map<string, Map<string, Map<number, HistogramSeries>>>();
  /** Bound series by operation label, then outcome. */
  private readonly graphqlSeries = new Map<string, OperationSeries>();
  private readonly ingestBatches: Counter<'status'>;
  private readonly ingestEvents: Counter<'result'>;
  private readonly otlpExports: Counter<'signal' | 'status'>;
  private readonly otlpRecords: Counter<'result'>;
  private readonly jobAttempts: Counter<'job' | 'outcome'>;
  private readonly pools = new Map<string, PoolUse>();
  private jobDepth: JobDepth | undefined;
  private changeFeed: (() => boolean) | undefined;
  readonly keyCache: KeyCacheCounters;
  readonly jobs: JobCounters;
  readonly ingest: IngestCounters;
  readonly otlp: OtlpCounters;

  constructor(options: { processMetrics?: boolean; knownOperations?: Iterable<string> } = {}) {
    this.knownOperations = new Set(options.knownOperations ?? []);
    const registers = [this.registry];
    // Process metrics (CPU, memory, event loop lag, GC) only where someone reads them: they
    // install observers that live as long as the process.
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });

    this.httpDuration = new BoundHistogram({
      name: 'tally_http_request_duration_seconds',
      help: 'HTTP requests by method, route (as registered; "unmatched" for 404s) and status, with their duration.',
      labelNames: ['method', 'route', 'status'],
      buckets: SECONDS,
      registers,
    });
    this.graphqlRequests = new BoundCounter({
      name: 'tally_graphql_requests_total',
      help: 'GraphQL requests by operation name and outcome ("ok", or the first error\'s code as Tally or Apollo raised it).',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.graphqlDuration = new BoundHistogram({
      name: 'tally_graphql_request_duration_seconds',
      help: 'GraphQL request duration, from the parsed request to the response, by operation name.',
      labelNames: ['operation'],
      buckets: SECONDS,
      registers,
    });
    this.ingestBatches = new Counter({
      name: 'tally_ingest_batches_total',
      help: 'Batches sent to POST /v1/events by HTTP status (202 stored; 400, 401, 403, 413, 429 refused).',
      labelNames: ['status'],
      registers,
    });
    this.ingestEvents = new Counter({
      name: 'tally_ingest_events_total',
      help: 'Events sent to POST /v1/events: accepted (stored now or before), duplicate (of those, stored before), rejected (in a refused batch).',
      labelNames: ['result'],
      registers,
    });
    this.otlpExports = new Counter({
      name: 'tally_otlp_exports_total',
      help: 'OTLP/HTTP exports by signal (logs; metrics and traces are refused) and HTTP status (200 taken, with or without refused records; 4xx, 5xx).',
      labelNames: ['signal', 'status'],
      registers,
    });
    this.otlpRecords = new Counter({
      name: 'tally_otlp_log_records_total',
      help: 'OTLP log records: accepted (stored now or before), duplicate (of those, stored before), refused (counted in partialSuccess).',
      labelNames: ['result'],
      registers,
    });
    const keyCache = new BoundCounter({
      name: 'tally_api_key_cache_total',
      help: 'API key verifications: hit (from memory), miss (database lookup), negative_hit (remembered unknown or revoked), malformed.',
      labelNames: ['result'],
      registers,
    });
    this.jobAttempts = new Counter({
      name: 'tally_job_attempts_total',
      help: 'Finished job attempts by job and outcome: completed, failed_will_retry, failed (no retry left).',
      labelNames: ['job', 'outcome'],
      registers,
    });

    const pools = this.pools;
    new Gauge({
      name: 'tally_db_pool_connections',
      help: 'Database pool connections by pool and state (busy or idle).',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const [pool, use] of pools) {
          this.set({ pool, state: 'busy' }, use.totalCount - use.idleCount);
          this.set({ pool, state: 'idle' }, use.idleCount);
        }
      },
    });
    new Gauge({
      name: 'tally_db_pool_waiting_clients',
      help: 'Queries waiting for a free connection, by pool.',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const [pool, use] of pools) this.set({ pool }, use.waitingCount);
      },
    });
    const depth = () => this.jobDepth;
    new Gauge({
      name: 'tally_job_queue_depth',
      help: 'Jobs by job name and state: created (waiting), retry (waiting for a retry), active (running).',
      labelNames: ['job', 'state'],
      registers,
      async collect() {
        const read = depth();
        if (!read) return;
        this.reset();
        for (const row of await read()) this.set({ job: row.name, state: row.state }, row.count);
      },
    });
    const connected = () => this.changeFeed?.();
    new Gauge({
      name: 'tally_change_feed_connected',
      help: '1 while this instance listens for changes from the others (LISTEN/NOTIFY); 0 while it reconnects.',
      registers,
      collect() {
        const value = connected();
        if (value !== undefined) this.set(value ? 1 : 0);
      },
    });

    this.keyCache = {
      hit: keyCache.bind({ result: 'hit' }),
      miss: keyCache.bind({ result: 'miss' }),
      negativeHit: keyCache.bind({ result: 'negative_hit' }),
      malformed: keyCache.bind({ result: 'malformed' }),
    };
    const attempts = this.jobAttempts;
    this.jobs = {
      completed: (name) => attempts.inc({ job: name, outcome: 'completed' }),
      failed: (name, willRetry) => attempts.inc({ job: name, outcome: willRetry ? 'failed_will_retry' : 'failed' }),
    };
    const accepted = this.ingestEvents.labels({ result: 'accepted' });
    const duplicate = this.ingestEvents.labels({ result: 'duplicate' });
    const rejected = this.ingestEvents.labels({ result: 'rejected' });
    const batches = this.ingestBatches;
    this.ingest = {
      batch: (status) => batches.inc({ status: String(status) }),
      accepted: (events, duplicates) => {
        accepted.inc(events);
        if (duplicates > 0) duplicate.inc(duplicates);
      },
      rejected: (events) => {
        if (events > 0) rejected.inc(events);
      },
    };
    const otlpExports = this.otlpExports;
    const otlpAccepted = this.otlpRecords.labels({ result: 'accepted' });
    const otlpDuplicate = this.otlpRecords.labels({ result: 'duplicate' });
    const otlpRefused = this.otlpRecords.labels({ result: 'refused' });
    this.otlp = {
      export: (signal, status) => otlpExports.inc({ signal, status: String(status) }),
      records: (accepted, duplicates, refused) => {
        if (accepted > 0) otlpAccepted.inc(accepted);
        if (duplicates > 0) otlpDuplicate.inc(duplicates);
        if (refused > 0) otlpRefused.inc(refused);
      },
    };
  }

  /** A pg pool whose connections are reported as `pool`. */
  watchPool(name: string, pool: PoolUse): void {
    this.pools.set(name, pool);
  }

  watchJobQueue(depth: JobDepth): void {
    this.jobDepth = depth;
  }

  watchChangeFeed(connected: () => boolean): void {
    this.changeFeed = connected;
  }

  /** One HTTP request, with Fastify's own measure of it. */
  httpRequest(method: string, route: string | undefined, status: number, milliseconds: number): void {
    const path = route ?? 'unmatched';
    let routes = this.httpSeries.get(method);
    if (!routes) {
      routes = new Map();
      this.httpSeries.set(method, routes);
    }
    let statuses = routes.get(path);
    if (!statuses) {
      statuses = new Map();
      routes.set(path, statuses);
    }
    let series = statuses.get(status);
    if (!series) {
      series = this.httpDuration.bind({ method, route: path, status: String(status) });
      statuses.set(status, series);
    }
    series.observe(milliseconds / 1000);
  }

  /**
   * One GraphQL request. `operation`: the resolved operation's name, null when anonymous,
   * undefined when the document never got that far (it did not parse or validate).
   */
  graphqlRequest(operation: string | null | undefined, errorCode: unknown, milliseconds: number): void {
    const series = this.operationSeries(this.operationLabel(operation));
    const outcome =
      errorCode === null ? 'ok' : typeof errorCode === 'string' && KNOWN_CODES.has(errorCode) ? errorCode : 'OTHER';
    let requests = series.outcomes.get(outcome);
    if (!requests) {
      requests = this.graphqlRequests.bind({ operation: series.label, outcome });
      series.outcomes.set(outcome, requests);
    }
    requests.inc();
    series.duration.observe(milliseconds / 1000);
  }

  /** A request refused before GraphQL ran (a bad credential: the context could not be built). */
  graphqlRefused(errorCode: unknown): void {
    const outcome = typeof errorCode === 'string' && KNOWN_CODES.has(errorCode) ? errorCode : 'OTHER';
    this.graphqlRequests.bind({ operation: '__none', outcome }).inc();
  }

  /** The bound series of an operation label (bounded: see operationLabel). */
  private operationSeries(label: string): OperationSeries {
    let series = this.graphqlSeries.get(label);
    if (!series) {
      series = { label, duration: this.graphqlDuration.bind({ operation: label }), outcomes: new Map() };
      this.graphqlSeries.set(label, series);
    }
    return series;
  }

  /** The label of an operation name: bounded however many names clients make up. */
  operationLabel(name: string | null | undefined): string {
    if (name === undefined) return '__invalid';
    if (name === null) return '__anonymous';
    if (this.knownOperations.has(name) || this.operationNames.has(name)) return name;
    if (name.length > MAX_OPERATION_NAME_LENGTH || this.operationNames.size >= MAX_OPERATION_NAMES) return '__other';
    this.operationNames.add(name);
    return name;
  }

  /** The Prometheus text exposition. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
