import { backoffDelay, parseRetryAfter } from './backoff';
import { TallyError } from './errors';
import { type HookTarget, attachHooks } from './lifecycle';
import { uuid } from './uuid';
import { type JsonObject, byteLength, durationProblem, jsonObject, textProblem, timestamp } from './validate';

export type EventStatus = 'ok' | 'error';

/** What `track()` takes besides the name. */
export interface TrackOptions {
  /** Kind of event: `tool_call`, `pageview`, `custom` (Tally's default), … (up to 50 characters). */
  type?: string;
  /** Any JSON object (at most 8 KiB as JSON). */
  properties?: JsonObject;
  durationMs?: number;
  status?: EventStatus;
  userId?: string;
  /** The session the event belongs to; default: the client's own session (`tally.sessionId`). */
  sessionId?: string;
  /** When it happened; default: now (the client's clock). */
  timestamp?: Date | string | number;
}

/** What `time()` takes besides the name: its type defaults to `tool_call`. */
export type TimeOptions = Omit<TrackOptions, 'durationMs' | 'status' | 'timestamp'>;

/** One event as `POST /v1/events` takes it. */
export interface WireEvent {
  id: string;
  sessionId: string;
  name: string;
  type: string;
  timestamp: string;
  userId?: string;
  durationMs?: number;
  status?: EventStatus;
  properties?: JsonObject;
}

/** One session record as `POST /v1/events` takes it (its attributes are merged into the session's). */
export interface WireSession {
  id: string;
  userId?: string;
  attributes?: JsonObject;
}

export interface TallyOptions {
  /** An API key with the EDITOR or ADMIN role (scope `events.track`). */
  key: string;
  /** Where Tally is, e.g. `https://tally.example.com` (its `/v1/events` is used). */
  url: string;
  /** Events per request: a batch goes as soon as it is this full (default 100, at most 1000). */
  batchSize?: number;
  /** How long an event waits for its batch to fill (default 1000 ms). */
  flushIntervalMs?: number;
  /** Events held while Tally cannot be reached; beyond it the oldest are dropped (default 10,000). */
  maxQueueSize?: number;
  /** Attempts after the first for one batch (network errors, 5xx, 429, 503; default 10; Infinity: until shutdown). */
  maxRetries?: number;
  /** First backoff delay (default 500 ms); it doubles per attempt, with jitter, up to `maxBackoffMs`. */
  minBackoffMs?: number;
  /** Longest backoff delay (default 30 s); a `Retry-After` from Tally is honoured instead (up to 10 min). */
  maxBackoffMs?: number;
  /** One request's time limit (default 10 s): then it counts as a network error and is retried. */
  requestTimeoutMs?: number;
  /** How long `shutdown()` waits for the last events by default (default 5 s). */
  shutdownTimeoutMs?: number;
  /** Every problem (see TallyError); default: a console warning. Never throws into the app. */
  onError?: (error: TallyError) => void;
  /** Node: flush on `beforeExit` and on SIGTERM (then exit as SIGTERM would, unless the app listens too). Default false. */
  flushOnExit?: boolean;
  /** Browsers: send what is queued with `fetch(…, { keepalive: true })` when the page is hidden or left. Default true. */
  flushOnPageHide?: boolean;
  /** The client's own session id, which events without a `sessionId` join (default: a new UUID). */
  sessionId?: string;
  /** The user of events and sessions that name none. */
  userId?: string;
  /** Another fetch (a proxy agent, tests); default the platform's. */
  fetch?: typeof fetch;
  /** Randomness of the backoff jitter (tests); default Math.random. */
  random?: () => number;
}

/** Counts since the client was made. */
export interface TallyStats {
  /** Events waiting to be sent. */
  queued: number;
  /** Events in the request being sent (or waiting to be retried). */
  inFlight: number;
  /** Events Tally acknowledged (202), its duplicates included. */
  sent: number;
  /** Of those, events Tally had already stored (a batch resent after a lost answer). */
  duplicates: number;
  /** Events lost: queue overflow, refusals, retries exhausted, shutdown out of time. */
  dropped: number;
  /** Requests sent again after a failure. */
  retries: number;
}

export interface Tracker {
  /** Queues an event; it is sent with the next batch. Never throws: problems go to `onError`. */
  track(name: string, options?: TrackOptions): void;
  /**
   * Runs `fn` and records it as an event (type `tool_call` unless given) with its duration and
   * `status` ok, or `error` when it throws or its promise rejects. Returns what `fn` returns (the
   * promise of an async `fn`) and throws or rejects with `fn`'s own error.
   */
  time<T>(name: string, fn: () => T, options?: TimeOptions): T;
}

/** A session: its own id, its attributes, and events tracked on it. */
export interface TallySession extends Tracker {
  readonly id: string;
  /** Merges more attributes into the session's (sent with its next events). */
  update(attributes: JsonObject): void;
}

export interface Tally extends Tracker {
  /** The session of events tracked without one. */
  readonly sessionId: string;
  /** A new session (or `options.id`'s) with attributes (app version, device, …) and its user. */
  session(attributes?: JsonObject, options?: { id?: string; userId?: string }): TallySession;
  /** Resolves once every event tracked before the call was sent or dropped. Never rejects. */
  flush(): Promise<void>;
  /**
   * Stops taking events, sends what is left within `timeoutMs` (default `shutdownTimeoutMs`),
   * drops the rest (reported) and removes the exit and page hooks. Never rejects.
   */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
  stats(): TallyStats;
}

interface Queued {
  seq: number;
  event: WireEvent;
}

interface Batch {
  items: Queued[];
  sessions: WireSession[];
}

type Outcome =
  | { kind: 'ok'; duplicates: number }
  | { kind: 'retry'; retryAfterMs: number | null; why: string }
  | { kind: 'split' }
  | { kind: 'rejected'; status: number; message: string; issues: Array<{ path: string; message: string }> }
  | { kind: 'fatal'; code: 'unauthorized' | 'rejected'; status: number; message: string };

/** What one keepalive request may carry: browsers allow 64 KiB in flight for all of a page's keepalive requests. */
const KEEPALIVE_BYTES = 60 * 1024;
/** What one request may carry (Tally refuses bodies over 1 MiB with 413; then the batch is split). */
const MAX_BATCH_EVENTS = 1000;

function positive(value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(value, max) : fallback;
}

function now(): number {
  return typeof performance !== 'undefined' && typeof performance.now === 'function' ? performance.now() : Date.now();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defaultOnError(error: TallyError): void {
  if (typeof console !== 'undefined') console.warn(`[tally] ${error.code}: ${error.message}`);
}

class TallyClient implements Tally {
  readonly sessionId: string;
  readonly #endpoint: string;
  readonly #key: string;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #maxQueueSize: number;
  readonly #maxRetries: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #requestTimeoutMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #onError: (error: TallyError) => void;
  readonly #fetcher: typeof fetch;
  readonly #random: () => number;
  readonly #userId: string | undefined;

  #queue: Queued[] = [];
  #nextSeq = 1;
  /** Events with a seq up to this go now even in a batch that is not full (a flush, or the timer). */
  #flushUpTo = 0;
  #inflight: Batch | undefined;
  /** Events sent with keepalive on page hide whose answer has not come. */
  readonly #keepalive = new Set<Queued[]>();
  /** Their bytes (browsers allow 64 KiB of keepalive bodies in flight). */
  #keepaliveBytes = 0;
  /** Events already in a keepalive request (the batch in flight may be sent once that way). */
  readonly #sentWithKeepalive = new WeakSet<Queued>();
  readonly #sessions = new Map<string, WireSession>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sending: Promise<void> | undefined;
  #waiters: Array<{ upTo: number; resolve: () => void }> = [];
  #request: AbortController | undefined;
  #sleeping: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;
  #overflowing = false;
  #closed = false;
  #aborted = false;
  /** Exiting (Node, flushOnExit): timers keep the process alive until the last batch is out. */
  #exiting = false;
  #shutdownPromise: Promise<void> | undefined;
  readonly #detach: () => void;
  readonly #counts = { sent: 0, duplicates: 0, dropped: 0, retries: 0 };

  constructor(options: TallyOptions) {
    this.#endpoint = `${String(options.url).replace(/\/+$/, '')}/v1/events`;
    this.#key = String(options.key);
    this.#batchSize = Math.max(1, Math.floor(positive(options.batchSize, 100, MAX_BATCH_EVENTS)));
    this.#flushIntervalMs = positive(options.flushIntervalMs, 1000);
    this.#maxQueueSize = Math.max(1, Math.floor(positive(options.maxQueueSize, 10_000)));
    this.#maxRetries = options.maxRetries === Infinity ? Infinity : Math.floor(positive(options.maxRetries, 10));
    this.#minBackoffMs = positive(options.minBackoffMs, 500);
    this.#maxBackoffMs = Math.max(this.#minBackoffMs, positive(options.maxBackoffMs, 30_000));
    this.#requestTimeoutMs = positive(options.requestTimeoutMs, 10_000);
    this.#shutdownTimeoutMs = positive(options.shutdownTimeoutMs, 5_000);
    this.#onError = options.onError ?? defaultOnError;
    this.#fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    this.#random = options.random ?? Math.random;
    this.#userId = options.userId;
    this.sessionId = options.sessionId ?? uuid();
    // Methods that work when taken off the object (`const { track } = tally`).
    this.track = this.track.bind(this);
    this.time = this.time.bind(this);
    this.flush = this.flush.bind(this);
    this.shutdown = this.shutdown.bind(this);
    const target: HookTarget = {
      onBeforeExit: () => this.#flushForExit(),
      onSigterm: () => this.#shutdownForExit(),
      onPageHide: () => this.#sendOnPageHide(),
    };
    this.#detach = attachHooks(target, {
      node: options.flushOnExit === true,
      browser: options.flushOnPageHide !== false,
    });
    if (options.userId !== undefined || options.sessionId !== undefined) {
      this.#remember({ id: this.sessionId, ...(options.userId !== undefined ? { userId: options.userId } : {}) });
    }
  }

  // ---- the public surface: every method catches, so nothing reaches the host app ----

  track(name: string, options: TrackOptions = {}): void {
    try {
      if (this.#closed) {
        this.#report(new TallyError('closed', 'tracked after shutdown()', 1));
        return;
      }
      const event = this.#makeEvent(name, options);
      if (event) this.#enqueue(event);
    } catch (error) {
      this.#internal(error);
    }
  }

  time<T>(name: string, fn: () => T, options: TimeOptions = {}): T {
    const startedAt = new Date();
    const started = now();
    const record = (status: EventStatus, error?: unknown) => {
      const durationMs = Math.max(0, Math.round((now() - started) * 1000) / 1000);
      const properties =
        status === 'error'
          ? { ...options.properties, error: error instanceof Error ? error.name : typeof error }
          : options.properties;
      this.track(name, {
        type: 'tool_call',
        ...options,
        ...(properties ? { properties } : {}),
        durationMs,
        status,
        timestamp: startedAt,
      });
    };
    let result: T;
    try {
      result = fn();
    } catch (error) {
      record('error', error);
      throw error;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          record('ok');
          return value;
        },
        (error: unknown) => {
          record('error', error);
          throw error;
        },
      ) as T;
    }
    record('ok');
    return result;
  }

  session(attributes?: JsonObject, options: { id?: string; userId?: string } = {}): TallySession {
    const id = options.id ?? uuid();
    const userId = options.userId ?? this.#userId;
    try {
      this.#remember({
        id,
        ...(userId !== undefined ? { userId } : {}),
        ...(attributes !== undefined ? { attributes } : {}),
      });
    } catch (error) {
      this.#internal(error);
    }
    const track = (name: string, trackOptions: TrackOptions = {}) =>
      this.track(name, { ...(userId !== undefined ? { userId } : {}), ...trackOptions, sessionId: id });
    return {
      id,
      track,
      time: <T>(name: string, fn: () => T, timeOptions: TimeOptions = {}): T =>
        this.time(name, fn, { ...(userId !== undefined ? { userId } : {}), ...timeOptions, sessionId: id }),
      update: (more: JsonObject) => {
        try {
          this.#remember({ id, ...(userId !== undefined ? { userId } : {}), attributes: more });
        } catch (error) {
          this.#internal(error);
        }
      },
    };
  }

  flush(): Promise<void> {
    try {
      const upTo = this.#nextSeq - 1;
      this.#flushUpTo = Math.max(this.#flushUpTo, upTo);
      const done = new Promise<void>((resolve) => this.#waiters.push({ upTo, resolve }));
      this.#settleWaiters();
      void this.#pump();
      return done;
    } catch (error) {
      this.#internal(error);
      return Promise.resolve();
    }
  }

  shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#shutdownPromise)
      this.#shutdownPromise = this.#close(positive(options.timeoutMs, this.#shutdownTimeoutMs));
    return this.#shutdownPromise;
  }

  stats(): TallyStats {
    let inFlight = this.#inflight?.items.length ?? 0;
    for (const items of this.#keepalive) inFlight += items.length;
    return { queued: this.#queue.length, inFlight, ...this.#counts };
  }

  // ---- events in ----

  #makeEvent(name: string, options: TrackOptions): WireEvent | null {
    const sessionId = options.sessionId ?? this.sessionId;
    const userId = options.userId ?? this.#userId;
    const type = options.type ?? 'custom';
    const problems = [
      textProblem(name, 'name', 200),
      textProblem(sessionId, 'sessionId', 200),
      textProblem(type, 'type', 50),
      userId === undefined ? null : textProblem(userId, 'userId', 200),
      options.durationMs === undefined ? null : durationProblem(options.durationMs),
      options.status === undefined || options.status === 'ok' || options.status === 'error'
        ? null
        : 'status must be "ok" or "error"',
    ];
    const event: WireEvent = { id: uuid(), sessionId, name, type, timestamp: new Date().toISOString() };
    if (options.timestamp !== undefined) {
      const at = timestamp(options.timestamp);
      if ('problem' in at) problems.push(at.problem);
      else event.timestamp = at.value;
    }
    if (options.properties !== undefined) {
      const properties = jsonObject(options.properties, 'properties');
      if ('problem' in properties) problems.push(properties.problem);
      else event.properties = properties.value;
    }
    const problem = problems.find((p) => p !== null);
    if (problem) {
      this.#report(new TallyError('invalid_event', problem, 1));
      return null;
    }
    if (userId !== undefined) event.userId = userId;
    if (options.durationMs !== undefined) event.durationMs = options.durationMs;
    if (options.status !== undefined) event.status = options.status;
    return event;
  }

  /** Keeps a session's record until it goes out with the first batch that holds one of its events. */
  #remember(session: WireSession): void {
    const problems = [
      textProblem(session.id, 'session id', 200),
      session.userId === undefined ? null : textProblem(session.userId, 'session userId', 200),
    ];
    let attributes: JsonObject | undefined;
    if (session.attributes !== undefined) {
      const checked = jsonObject(session.attributes, 'session attributes');
      if ('problem' in checked) problems.push(checked.problem);
      else attributes = checked.value;
    }
    const problem = problems.find((p) => p !== null);
    if (problem) {
      this.#report(new TallyError('invalid_event', problem));
      return;
    }
    const known = this.#sessions.get(session.id);
    const merged = { ...known?.attributes, ...attributes };
    this.#sessions.set(session.id, {
      id: session.id,
      ...((session.userId ?? known?.userId) !== undefined ? { userId: session.userId ?? known?.userId } : {}),
      ...(Object.keys(merged).length > 0 ? { attributes: merged } : {}),
    });
  }

  #enqueue(event: WireEvent): void {
    if (this.#queue.length >= this.#maxQueueSize) {
      const dropped = this.#queue.length - this.#maxQueueSize + 1;
      this.#queue.splice(0, dropped);
      this.#counts.dropped += dropped;
      if (!this.#overflowing) {
        this.#overflowing = true;
        this.#report(
          new TallyError('queue_full', `queue full (${this.#maxQueueSize}): oldest events dropped`, dropped),
        );
      }
    }
    this.#queue.push({ seq: this.#nextSeq, event });
    this.#nextSeq += 1;
    this.#settleWaiters();
    if (this.#queue.length >= this.#batchSize) void this.#pump();
    else this.#schedule();
  }

  // ---- sending ----

  #schedule(): void {
    if (this.#timer !== undefined || this.#queue.length === 0 || this.#aborted) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushUpTo = Math.max(this.#flushUpTo, this.#nextSeq - 1);
      void this.#pump();
    }, this.#flushIntervalMs);
    if (!this.#exiting) unref(this.#timer);
  }

  #ready(): boolean {
    const head = this.#queue[0];
    return (
      !this.#aborted && head !== undefined && (this.#queue.length >= this.#batchSize || head.seq <= this.#flushUpTo)
    );
  }

  /** Sends batches, one request at a time, while there are full ones or ones asked for. */
  #pump(): Promise<void> {
    if (this.#sending) return this.#sending;
    if (!this.#ready()) return Promise.resolve();
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#sending = (async () => {
      try {
        while (this.#ready()) {
          const items = this.#queue.splice(0, this.#batchSize);
          this.#overflowing = false;
          const batch: Batch = { items, sessions: this.#takeSessions(items) };
          this.#inflight = batch;
          try {
            await this.#deliver(batch);
          } finally {
            this.#inflight = undefined;
            this.#settleWaiters();
          }
        }
      } catch (error) {
        this.#internal(error);
      } finally {
        this.#sending = undefined;
        this.#schedule();
      }
    })();
    return this.#sending;
  }

  /** The records of the batch's sessions not yet sent: they go with it (Tally keeps them only beside their events). */
  #takeSessions(items: readonly Queued[]): WireSession[] {
    const sessions: WireSession[] = [];
    for (const { event } of items) {
      const session = this.#sessions.get(event.sessionId);
      if (session) {
        sessions.push(session);
        this.#sessions.delete(event.sessionId);
      }
    }
    return sessions;
  }

  /** One batch until Tally took it, refused it, or the retries ran out. */
  async #deliver(batch: Batch): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.#post(batch, false);
      switch (outcome.kind) {
        case 'ok':
          this.#counts.sent += batch.items.length;
          this.#counts.duplicates += outcome.duplicates;
          return;
        case 'split': {
          if (batch.items.length === 1) {
            this.#drop(batch.items.length, 'rejected', 'event too large (413)', 413);
            return;
          }
          const half = Math.ceil(batch.items.length / 2);
          for (const items of [batch.items.slice(0, half), batch.items.slice(half)]) {
            const ids = new Set(items.map((item) => item.event.sessionId));
            await this.#deliver({ items, sessions: batch.sessions.filter((s) => ids.has(s.id)) });
          }
          return;
        }
        case 'rejected': {
          const rest = withoutRefused(batch, outcome.issues);
          const refused = batch.items.length - (rest?.items.length ?? 0);
          this.#drop(refused, 'rejected', outcome.message, outcome.status, outcome.issues);
          // Only the items Tally named are dropped; the rest go once more (never in a loop: a second refusal drops all).
          if (rest && rest.items.length > 0 && attempt === 0) {
            const again = await this.#post(rest, false);
            if (again.kind === 'ok') {
              this.#counts.sent += rest.items.length;
              this.#counts.duplicates += again.duplicates;
            } else {
              this.#drop(rest.items.length, 'rejected', again.kind);
            }
          }
          return;
        }
        case 'fatal':
          this.#drop(batch.items.length, outcome.code, outcome.message, outcome.status);
          return;
        case 'retry':
          if (attempt >= this.#maxRetries || this.#aborted) {
            if (!this.#aborted) {
              this.#drop(
                batch.items.length,
                'retries_exhausted',
                `gave up after ${attempt + 1} attempts: ${outcome.why}`,
              );
            }
            return;
          }
          await this.#sleep(
            outcome.retryAfterMs ?? backoffDelay(attempt, this.#minBackoffMs, this.#maxBackoffMs, this.#random),
          );
          if (this.#aborted) return;
          this.#counts.retries += 1;
      }
    }
  }

  async #post(batch: Batch, keepalive: boolean): Promise<Outcome> {
    const body = JSON.stringify(
      batch.sessions.length > 0
        ? { events: batch.items.map((i) => i.event), sessions: batch.sessions }
        : { events: batch.items.map((i) => i.event) },
    );
    const controller = typeof AbortController === 'undefined' ? undefined : new AbortController();
    const timer = controller ? setTimeout(() => controller.abort(), this.#requestTimeoutMs) : undefined;
    if (timer !== undefined && !this.#exiting) unref(timer);
    if (!keepalive) this.#request = controller;
    try {
      const response = await this.#fetcher(this.#endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#key}` },
        body,
        ...(keepalive ? { keepalive: true } : {}),
        ...(controller ? { signal: controller.signal } : {}),
      });
      return await outcomeOf(response);
    } catch (error) {
      return { kind: 'retry', retryAfterMs: null, why: `network error: ${messageOf(error)}` };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (!keepalive) this.#request = undefined;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      if (!this.#exiting) unref(timer);
      this.#sleeping = { timer, wake };
    });
  }

  #drop(
    count: number,
    code: TallyError['code'],
    message: string,
    status?: number,
    issues?: ReadonlyArray<{ path: string; message: string }>,
  ): void {
    this.#counts.dropped += count;
    this.#report(new TallyError(code, message, count, status, issues));
  }

  /** Resolves the flushes whose events are all out of the queue and out of flight. */
  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    let lowest = this.#queue[0]?.seq ?? this.#nextSeq;
    const inflightHead = this.#inflight?.items[0]?.seq;
    if (inflightHead !== undefined) lowest = Math.min(lowest, inflightHead);
    for (const items of this.#keepalive) lowest = Math.min(lowest, items[0]?.seq ?? lowest);
    const still: Array<{ upTo: number; resolve: () => void }> = [];
    for (const waiter of this.#waiters) {
      if (waiter.upTo < lowest) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  // ---- the end: shutdown, process exit, page hide ----

  async #close(timeoutMs: number): Promise<void> {
    try {
      this.#closed = true;
      this.#detach();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outOfTime = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const result = await Promise.race([this.flush().then(() => 'done' as const), outOfTime]);
      if (timer !== undefined) clearTimeout(timer);
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      if (result === 'timeout') {
        this.#aborted = true;
        this.#sleeping?.wake();
        this.#request?.abort();
        const left = this.#queue.length + (this.#inflight?.items.length ?? 0);
        this.#queue = [];
        if (left > 0) this.#drop(left, 'shutdown', `shutdown timed out: ${left} events unsent`);
        for (const waiter of this.#waiters) waiter.resolve();
        this.#waiters = [];
      }
    } catch (error) {
      this.#internal(error);
    }
  }

  /** Node's beforeExit: the loop is empty; send what is left, with timers that keep the process alive. */
  #flushForExit(): void {
    if (this.#queue.length === 0 && !this.#inflight) return;
    this.#exiting = true;
    if (this.#sleeping) ref(this.#sleeping.timer);
    void this.flush();
  }

  /** SIGTERM: send what is left (bounded by shutdownTimeoutMs); the hook then lets the signal end the process. */
  #shutdownForExit(): Promise<void> {
    this.#exiting = true;
    if (this.#sleeping) ref(this.#sleeping.timer);
    return this.shutdown();
  }

  /**
   * The page is hidden or left: what is queued goes now with `keepalive`, which outlives the page,
   * in requests of at most 60 KiB (browsers allow 64 KiB of keepalive bodies in flight). The
   * batch in flight goes too (its request may die with the page; Tally stores an id once). Events
   * that do not fit wait for the page to come back. Should a keepalive request fail, its events
   * are queued again.
   */
  #sendOnPageHide(): void {
    try {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      const inflight = (this.#inflight?.items ?? []).filter((item) => !this.#sentWithKeepalive.has(item));
      const inflightSessions = this.#inflight?.sessions ?? [];
      const taken: Queued[] = [];
      const sessions: WireSession[] = [];
      // What is in flight with keepalive already counts against the browser's 64 KiB.
      let bytes = this.#keepaliveBytes + 64;
      for (const item of [...inflight, ...this.#queue]) {
        let size = byteLength(JSON.stringify(item.event)) + 1;
        const session =
          this.#sessions.get(item.event.sessionId) ?? inflightSessions.find((s) => s.id === item.event.sessionId);
        const newSession = session !== undefined && !sessions.includes(session);
        if (newSession) size += byteLength(JSON.stringify(session)) + 1;
        if (bytes + size > KEEPALIVE_BYTES) break;
        bytes += size;
        taken.push(item);
        if (newSession) sessions.push(session);
      }
      if (taken.length === 0) return;
      const fromQueue = taken.filter((item) => !inflight.includes(item));
      this.#queue.splice(0, fromQueue.length);
      for (const session of sessions) this.#sessions.delete(session.id);
      for (const item of taken) this.#sentWithKeepalive.add(item);
      const size = bytes - this.#keepaliveBytes;
      this.#keepaliveBytes += size;
      this.#keepalive.add(fromQueue);
      void this.#post({ items: taken, sessions }, true).then((outcome) => {
        this.#keepalive.delete(fromQueue);
        this.#keepaliveBytes -= size;
        if (outcome.kind === 'ok') {
          this.#counts.sent += fromQueue.length;
          this.#counts.duplicates += outcome.duplicates;
        } else if (outcome.kind === 'retry' || outcome.kind === 'split') {
          // The page lived on: they go again the usual way (Tally stores an id once).
          for (const item of fromQueue) this.#sentWithKeepalive.delete(item);
          this.#queue.unshift(...fromQueue);
          this.#schedule();
        } else {
          this.#drop(fromQueue.length, outcome.kind === 'fatal' ? outcome.code : 'rejected', outcome.message);
        }
        this.#settleWaiters();
      });
    } catch (error) {
      this.#internal(error);
    }
  }

  // ---- reporting ----

  #report(error: TallyError): void {
    try {
      this.#onError(error);
    } catch {
      // The app's onError threw: nothing more to do; it must not reach the app's call of track().
    }
  }

  #internal(error: unknown): void {
    this.#report(new TallyError('internal', messageOf(error)));
  }
}

function isThenable(value: unknown): value is Promise<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Node's timers can let the process end without them; browsers' timers are numbers. */
function unref(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') {
    timer.unref();
  }
}

function ref(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null && 'ref' in timer && typeof timer.ref === 'function') timer.ref();
}

/** What Tally's answer means for the batch. */
async function outcomeOf(response: Response): Promise<Outcome> {
  const status = response.status;
  let body: unknown;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const field = (name: string): unknown =>
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  const message = typeof field('message') === 'string' ? String(field('message')) : `HTTP ${status}`;
  if (status >= 200 && status < 300) {
    const duplicates = field('duplicates');
    return { kind: 'ok', duplicates: typeof duplicates === 'number' ? duplicates : 0 };
  }
  if (status === 429 || status === 503) {
    return {
      kind: 'retry',
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
      why: message,
    };
  }
  if (status === 408 || status >= 500) return { kind: 'retry', retryAfterMs: null, why: `HTTP ${status}: ${message}` };
  if (status === 413) return { kind: 'split' };
  if (status === 401 || status === 403) return { kind: 'fatal', code: 'unauthorized', status, message };
  if (status === 400) {
    const raw = field('issues');
    const issues = Array.isArray(raw)
      ? raw.flatMap((issue: unknown) =>
          typeof issue === 'object' && issue !== null
            ? [{ path: String(Reflect.get(issue, 'path') ?? ''), message: String(Reflect.get(issue, 'message') ?? '') }]
            : [],
        )
      : [];
    return { kind: 'rejected', status, message, issues };
  }
  return { kind: 'fatal', code: 'rejected', status, message };
}

/**
 * The batch without the events (and session records) Tally's issues name, or null when an
 * issue names no item (the whole batch is refused, e.g. for its timestamp window).
 */
function withoutRefused(batch: Batch, issues: ReadonlyArray<{ path: string }>): Batch | null {
  if (issues.length === 0) return null;
  const events = new Set<number>();
  const sessions = new Set<number>();
  for (const { path } of issues) {
    const match = /^(events|sessions)\[(\d+)\]/.exec(path);
    if (!match) return null;
    (match[1] === 'events' ? events : sessions).add(Number(match[2]));
  }
  return {
    items: batch.items.filter((_, i) => !events.has(i)),
    sessions: batch.sessions.filter((_, i) => !sessions.has(i)),
  };
}

/** A client that batches, retries and never throws into the app. */
export function createTally(options: TallyOptions): Tally {
  return new TallyClient(options);
}
