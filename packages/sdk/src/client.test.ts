import { backoffDelay, parseRetryAfter } from './backoff';
import { type Tally, type TallyOptions, type WireEvent, type WireSession, createTally } from './client';
import type { TallyError } from './errors';
import type { JsonObject } from './validate';

/**
 * The tracking half against a scripted fetch (the platform's part, not ours) and jest's fake
 * timers: batching, backoff, Retry-After, queue bounds, refusals, and that nothing ever throws
 * into the app. The same client against a real Tally: test/sdk.integration.test.ts.
 */

interface Call {
  at: number;
  url: string;
  init: RequestInit;
  events: WireEvent[];
  sessions: WireSession[] | undefined;
}

type Answer = Response | Error | Promise<Response>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function accepted(n: number, duplicates = 0): Response {
  return new Response(JSON.stringify({ accepted: n, duplicates }), {
    status: 202,
    headers: { 'content-type': 'application/json' },
  });
}

function status(code: number, body: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: code,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A fetch that records each request and answers with `answer(call, index)` (default: 202). */
function scripted(answer: (call: Call, index: number) => Answer = (call) => accepted(call.events.length)) {
  const calls: Call[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const body = JSON.parse(String(init.body)) as { events: WireEvent[]; sessions?: WireSession[] };
    const call: Call = { at: Date.now(), url: String(input), init, events: body.events, sessions: body.sessions };
    calls.push(call);
    const result = await answer(call, calls.length - 1);
    if (result instanceof Error) throw result;
    return result;
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const clients: Tally[] = [];
function client(options: Partial<TallyOptions> & Pick<TallyOptions, 'fetch'>, errors: TallyError[] = []): Tally {
  const tally = createTally({
    key: 'tly_test',
    url: 'http://tally.test/',
    onError: (error) => errors.push(error),
    random: () => 0.5,
    flushOnPageHide: false,
    ...options,
  });
  clients.push(tally);
  return tally;
}

/** Lets timers due within `ms` run, with the promise jobs between them. */
const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-12-01T12:00:00Z') });
});

afterEach(async () => {
  for (const tally of clients.splice(0)) await Promise.race([tally.shutdown({ timeoutMs: 0 }), advance(10)]);
  jest.useRealTimers();
});

describe('backoff', () => {
  test('doubles from the base with equal jitter, capped', () => {
    expect(backoffDelay(0, 500, 30_000, () => 0)).toBe(250);
    expect(backoffDelay(0, 500, 30_000, () => 1)).toBe(500);
    expect(backoffDelay(3, 500, 30_000, () => 0.5)).toBe(3000);
    expect(backoffDelay(20, 500, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(20, 500, 30_000, () => 0)).toBe(15_000);
  });

  test('Retry-After in seconds or as an HTTP date, bounded', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('99999', now)).toBe(600_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe('batching', () => {
  test('a full batch goes at once; the rest after flushIntervalMs', async () => {
    const { calls, fetch } = scripted();
    const tally = client({ fetch, batchSize: 100, flushIntervalMs: 1000 });
    for (let i = 0; i < 250; i += 1) tally.track(`e${i}`);
    await advance(0);
    expect(calls.map((c) => c.events.length)).toEqual([100, 100]);
    await advance(999);
    expect(calls).toHaveLength(2);
    await advance(1);
    expect(calls.map((c) => c.events.length)).toEqual([100, 100, 50]);
    expect(calls.flatMap((c) => c.events.map((e) => e.name))).toEqual(Array.from({ length: 250 }, (_, i) => `e${i}`));
    expect(tally.stats()).toMatchObject({ queued: 0, inFlight: 0, sent: 250, dropped: 0 });
  });

  test('every event carries its own UUID, its client time and the fields given; the key goes as a bearer token', async () => {
    const { calls, fetch } = scripted();
    const tally = client({ fetch, userId: 'ada' });
    tally.track('search_docs', {
      type: 'tool_call',
      durationMs: 182,
      status: 'ok',
      properties: { query: 'pricing' },
      sessionId: 's-42',
    });
    await advance(500);
    tally.track('/settings', { type: 'pageview', timestamp: new Date('2026-11-30T08:00:00+02:00') });
    await advance(500);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.url).toBe('http://tally.test/v1/events');
    expect(new Headers(call?.init.headers).get('authorization')).toBe('Bearer tly_test');
    expect(call?.events).toEqual([
      {
        id: expect.stringMatching(UUID),
        sessionId: 's-42',
        name: 'search_docs',
        type: 'tool_call',
        timestamp: '2026-12-01T12:00:00.000Z',
        userId: 'ada',
        durationMs: 182,
        status: 'ok',
        properties: { query: 'pricing' },
      },
      {
        id: expect.stringMatching(UUID),
        sessionId: tally.sessionId,
        name: '/settings',
        type: 'pageview',
        timestamp: '2026-11-30T06:00:00.000Z',
        userId: 'ada',
      },
    ]);
    expect(new Set(call?.events.map((e) => e.id)).size).toBe(2);
  });

  test('batchSize and flushIntervalMs are configurable; flush() sends a partial batch at once', async () => {
    const { calls, fetch } = scripted();
    const tally = client({ fetch, batchSize: 3, flushIntervalMs: 60_000 });
    for (let i = 0; i < 7; i += 1) tally.track(`e${i}`);
    await advance(0);
    expect(calls.map((c) => c.events.length)).toEqual([3, 3]);
    const flushed = tally.flush();
    await advance(0);
    await flushed;
    expect(calls.map((c) => c.events.length)).toEqual([3, 3, 1]);
  });

  test('a session record goes with the first batch that holds its events, and only then', async () => {
    const { calls, fetch } = scripted();
    const tally = client({ fetch });
    const session = tally.session({ app: '2.3.0', os: 'macOS' }, { userId: 'ada' });
    tally.track('outside');
    await tally.flush();
    expect(calls[0]?.sessions).toBeUndefined();
    session.track('search_docs', { type: 'tool_call' });
    session.track('run_query', { type: 'tool_call' });
    await tally.flush();
    expect(calls[1]?.events.map((e) => [e.sessionId, e.userId])).toEqual([
      [session.id, 'ada'],
      [session.id, 'ada'],
    ]);
    expect(calls[1]?.sessions).toEqual([{ id: session.id, userId: 'ada', attributes: { app: '2.3.0', os: 'macOS' } }]);
    session.track('later');
    await tally.flush();
    expect(calls[2]?.sessions).toBeUndefined();
    session.update({ plan: 'pro' });
    session.track('after update');
    await tally.flush();
    expect(calls[3]?.sessions).toEqual([{ id: session.id, userId: 'ada', attributes: { plan: 'pro' } }]);
  });
});

describe('retries', () => {
  test('5xx and network errors: exponential backoff with jitter, the same events (same ids) again', async () => {
    const { calls, fetch } = scripted((call, i) =>
      i === 0 ? status(500) : i === 1 ? new TypeError('fetch failed') : accepted(call.events.length),
    );
    const errors: TallyError[] = [];
    const tally = client({ fetch, minBackoffMs: 500, maxBackoffMs: 30_000 }, errors);
    tally.track('a');
    tally.track('b');
    await advance(1000);
    expect(calls).toHaveLength(1);
    // attempt 0: 500/2 + 0.5 × 500/2 = 375 ms
    await advance(374);
    expect(calls).toHaveLength(1);
    await advance(1);
    expect(calls).toHaveLength(2);
    // attempt 1: 1000/2 + 0.5 × 1000/2 = 750 ms
    await advance(749);
    expect(calls).toHaveLength(2);
    await advance(1);
    expect(calls).toHaveLength(3);
    const ids = calls.map((c) => c.events.map((e) => e.id).join());
    expect(new Set(ids).size).toBe(1);
    expect(tally.stats()).toMatchObject({ sent: 2, retries: 2, dropped: 0 });
    expect(errors).toEqual([]);
  });

  test('429 and 503 wait for Retry-After (seconds or a date), not the backoff', async () => {
    const { calls, fetch } = scripted((call, i) =>
      i === 0
        ? status(429, { error: 'RATE_LIMITED' }, { 'retry-after': '3' })
        : i === 1
          ? status(503, { error: 'UNAVAILABLE' }, { 'retry-after': new Date(Date.now() + 7000).toUTCString() })
          : accepted(call.events.length),
    );
    const tally = client({ fetch, minBackoffMs: 10 });
    tally.track('a');
    await advance(1000);
    expect(calls).toHaveLength(1);
    await advance(2999);
    expect(calls).toHaveLength(1);
    await advance(1);
    expect(calls).toHaveLength(2);
    // The second answer (at 4000 ms) names a date 7 s later.
    await advance(6999);
    expect(calls).toHaveLength(2);
    await advance(1);
    expect(calls).toHaveLength(3);
    expect(tally.stats()).toMatchObject({ sent: 1, retries: 2 });
  });

  test('a request that hangs times out and is retried', async () => {
    let first = true;
    const { calls, fetch } = scripted((call) => {
      if (!first) return accepted(call.events.length);
      first = false;
      return new Promise<Response>((_, reject) => {
        call.init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    });
    const tally = client({ fetch, requestTimeoutMs: 2000, minBackoffMs: 100 });
    tally.track('a');
    await advance(1000 + 2000 + 75);
    expect(calls).toHaveLength(2);
    expect(tally.stats()).toMatchObject({ sent: 1, retries: 1 });
  });

  test('after maxRetries the batch is dropped and reported', async () => {
    const { calls, fetch } = scripted(() => status(502));
    const errors: TallyError[] = [];
    const tally = client({ fetch, maxRetries: 2, minBackoffMs: 100, maxBackoffMs: 100 }, errors);
    tally.track('a');
    tally.track('b');
    await advance(1000 + 100 + 100);
    expect(calls).toHaveLength(3);
    expect(errors.map((e) => [e.code, e.dropped])).toEqual([['retries_exhausted', 2]]);
    expect(tally.stats()).toMatchObject({ dropped: 2, sent: 0, queued: 0 });
    await advance(10_000);
    expect(calls).toHaveLength(3);
  });

  test.each([
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [400, 'rejected'],
  ])('%i is never retried: reported through onError and dropped', async (code, errorCode) => {
    const { calls, fetch } = scripted(() => status(code, { error: 'X', message: `refused with ${code}` }));
    const errors: TallyError[] = [];
    const tally = client({ fetch, minBackoffMs: 10 }, errors);
    tally.track('a');
    await advance(1000);
    await advance(60_000);
    expect(calls).toHaveLength(1);
    expect(errors.map((e) => [e.code, e.status, e.dropped])).toEqual([[errorCode, code, 1]]);
    expect(errors[0]?.message).toContain(`refused with ${code}`);
    expect(tally.stats()).toMatchObject({ dropped: 1, sent: 0, retries: 0 });
  });

  test('a 400 that names items: those are dropped, the rest sent once more', async () => {
    const { calls, fetch } = scripted((call, i) =>
      i === 0
        ? status(400, {
            error: 'BAD_USER_INPUT',
            message: 'Invalid batch',
            issues: [{ path: 'events[1].timestamp', message: 'outside the window' }],
          })
        : accepted(call.events.length),
    );
    const errors: TallyError[] = [];
    const tally = client({ fetch }, errors);
    tally.track('a');
    tally.track('b');
    tally.track('c');
    await advance(1000);
    expect(calls.map((c) => c.events.map((e) => e.name))).toEqual([
      ['a', 'b', 'c'],
      ['a', 'c'],
    ]);
    expect(errors.map((e) => [e.code, e.dropped, e.issues?.[0]?.path])).toEqual([
      ['rejected', 1, 'events[1].timestamp'],
    ]);
    expect(tally.stats()).toMatchObject({ sent: 2, dropped: 1 });
  });

  test('413: the batch is split in halves until Tally takes it', async () => {
    const { calls, fetch } = scripted((call) => (call.events.length > 2 ? status(413) : accepted(call.events.length)));
    const tally = client({ fetch });
    for (let i = 0; i < 5; i += 1) tally.track(`e${i}`);
    await advance(1000);
    expect(calls.map((c) => c.events.length)).toEqual([5, 3, 2, 1, 2]);
    expect(tally.stats()).toMatchObject({ sent: 5, dropped: 0 });
  });
});

describe('the queue is bounded', () => {
  test('beyond maxQueueSize the oldest are dropped, counted and reported once per overflow', async () => {
    const { calls, fetch } = scripted();
    const errors: TallyError[] = [];
    const tally = client({ fetch, maxQueueSize: 5, batchSize: 100, flushIntervalMs: 1000 }, errors);
    for (let i = 0; i < 8; i += 1) tally.track(`e${i}`);
    expect(tally.stats()).toMatchObject({ queued: 5, dropped: 3 });
    expect(errors.map((e) => e.code)).toEqual(['queue_full']);
    await advance(1000);
    expect(calls[0]?.events.map((e) => e.name)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
    for (let i = 0; i < 6; i += 1) tally.track(`f${i}`);
    expect(errors.map((e) => e.code)).toEqual(['queue_full', 'queue_full']);
    expect(tally.stats().dropped).toBe(4);
  });

  test('while Tally is down, new events queue behind the batch being retried, within the bound', async () => {
    let down = true;
    const { calls, fetch } = scripted((call) => (down ? new TypeError('ECONNREFUSED') : accepted(call.events.length)));
    const tally = client({ fetch, batchSize: 2, maxQueueSize: 3, minBackoffMs: 100, maxBackoffMs: 100 });
    tally.track('a');
    tally.track('b');
    await advance(0);
    for (let i = 0; i < 5; i += 1) tally.track(`q${i}`);
    expect(tally.stats()).toMatchObject({ inFlight: 2, queued: 3, dropped: 2 });
    down = false;
    await advance(100);
    await advance(1000);
    const names = calls.filter((c, i) => i > 0 && c.events.length > 0).map((c) => c.events.map((e) => e.name));
    expect(names.flat()).toEqual(['a', 'b', 'q2', 'q3', 'q4']);
  });
});

describe('never throws into the app', () => {
  test('bad input is reported and not queued; the other events of the batch still go', async () => {
    const { calls, fetch } = scripted();
    const errors: TallyError[] = [];
    const tally = client({ fetch }, errors);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    // What an untyped caller (plain JavaScript) may pass.
    const list: unknown = [1, 2];
    const fine: unknown = 'fine';
    const nothing: unknown = undefined;
    const bad: Array<() => void> = [
      () => tally.track(''),
      () => tally.track('x'.repeat(201)),
      () => tally.track('bell\u0007'),
      () => tally.track('a', { durationMs: -1 }),
      () => tally.track('a', { durationMs: Number.NaN }),
      () => tally.track('a', { status: fine as 'ok' }),
      () => tally.track('a', { properties: cyclic }),
      () => tally.track('a', { properties: { big: 1n } }),
      () => tally.track('a', { properties: { text: 'x'.repeat(9000) } }),
      () => tally.track('a', { properties: list as JsonObject }),
      () => tally.track('a', { timestamp: 'yesterday' }),
      () => tally.track(nothing as string),
      () => tally.session({ self: cyclic }),
    ];
    for (const call of bad) expect(call).not.toThrow();
    tally.track('good');
    await advance(1000);
    expect(errors.map((e) => e.code)).toEqual(Array.from({ length: bad.length }, () => 'invalid_event'));
    expect(calls.flatMap((c) => c.events.map((e) => e.name))).toEqual(['good']);
  });

  test('an onError that throws, a fetch that throws at once, and track after shutdown do not reach the app', async () => {
    const fetch = (() => {
      throw new Error('boom');
    }) as typeof globalThis.fetch;
    const tally = client({
      fetch,
      maxRetries: 0,
      onError: () => {
        throw new Error('the app’s handler is broken');
      },
    });
    expect(() => tally.track('a')).not.toThrow();
    await advance(1000);
    expect(tally.stats()).toMatchObject({ dropped: 1 });
    await expect(tally.shutdown()).resolves.toBeUndefined();
    expect(() => tally.track('after')).not.toThrow();
    await expect(tally.flush()).resolves.toBeUndefined();
  });

  test('methods work when taken off the client', async () => {
    const { calls, fetch } = scripted();
    const { track, flush } = client({ fetch });
    track('detached');
    await flush();
    expect(calls[0]?.events[0]?.name).toBe('detached');
  });
});

describe('time()', () => {
  test('a sync call: its duration and ok; a throw is recorded as error and rethrown', async () => {
    const { calls, fetch } = scripted();
    const tally = client({ fetch });
    const value = tally.time('parse', () => {
      jest.advanceTimersByTime(40);
      return 42;
    });
    expect(value).toBe(42);
    const thrown = new RangeError('bad input');
    expect(() =>
      tally.time('parse', () => {
        throw thrown;
      }),
    ).toThrow(thrown);
    await tally.flush();
    expect(calls[0]?.events.map((e) => [e.name, e.type, e.status, e.durationMs, e.properties])).toEqual([
      ['parse', 'tool_call', 'ok', 40, undefined],
      ['parse', 'tool_call', 'error', 0, { error: 'RangeError' }],
    ]);
  });

  test('an async call: timed until it settles; a rejection is recorded and passed on', async () => {
    const { calls, fetch } = scripted();
    const tally = client({ fetch });
    const session = tally.session({ agent: 'support-bot' });
    const ok = session.time(
      'search_docs',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        return 'found';
      },
      { properties: { query: 'pricing' } },
    );
    const failure = new Error('upstream down');
    const failed = tally.time('fetch_url', async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw failure;
    });
    const failedResult = expect(failed).rejects.toBe(failure);
    await advance(250);
    await expect(ok).resolves.toBe('found');
    await failedResult;
    await tally.flush();
    const events = calls.flatMap((c) => c.events);
    expect(events.map((e) => [e.name, e.status, e.durationMs, e.sessionId, e.properties])).toEqual([
      ['fetch_url', 'error', 100, tally.sessionId, { error: 'Error' }],
      ['search_docs', 'ok', 250, session.id, { query: 'pricing' }],
    ]);
    expect(events.every((e) => e.timestamp === '2026-12-01T12:00:00.000Z')).toBe(true);
  });
});

describe('flush() and shutdown()', () => {
  test('flush() resolves once the events tracked before it are acknowledged', async () => {
    let release: (() => void) | undefined;
    const { calls, fetch } = scripted(
      (call) =>
        new Promise<Response>((resolve) => {
          release = () => resolve(accepted(call.events.length));
        }),
    );
    const tally = client({ fetch });
    tally.track('a');
    let flushed = false;
    void tally.flush().then(() => (flushed = true));
    await advance(0);
    expect(calls).toHaveLength(1);
    expect(flushed).toBe(false);
    release?.();
    await advance(0);
    expect(flushed).toBe(true);
  });

  test('shutdown() sends what is left, then drops (and reports) what it could not send in time', async () => {
    const { calls, fetch } = scripted(() => status(503, {}, { 'retry-after': '60' }));
    const errors: TallyError[] = [];
    const tally = client({ fetch }, errors);
    tally.track('a');
    tally.track('b');
    const done = tally.shutdown({ timeoutMs: 2000 });
    await advance(2000);
    await done;
    expect(calls).toHaveLength(1);
    expect(errors.map((e) => [e.code, e.dropped])).toEqual([['shutdown', 2]]);
    expect(tally.stats()).toMatchObject({ dropped: 2, queued: 0 });
    await advance(120_000);
    expect(calls).toHaveLength(1);
    tally.track('late');
    expect(errors.at(-1)?.code).toBe('closed');
  });
});

describe('page hide (browsers)', () => {
  /** The page's window and document, as far as the client uses them. */
  function fakePage() {
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    Object.assign(globalThis, { window: win, document: doc });
    return { win, doc };
  }

  afterEach(() => {
    Reflect.deleteProperty(globalThis, 'window');
    Reflect.deleteProperty(globalThis, 'document');
  });

  test('hidden: the queue goes at once with keepalive, 60 KiB at most in flight; the rest waits', async () => {
    const { win, doc } = fakePage();
    const { calls, fetch } = scripted();
    const tally = client({ fetch, flushOnPageHide: true, batchSize: 1000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 400; i += 1) tally.track(`e${i}`, { properties: { pad: 'x'.repeat(200) } });
    doc.visibilityState = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(calls).toHaveLength(1);
    const first = calls[0];
    expect(first?.init.keepalive).toBe(true);
    expect(new TextEncoder().encode(String(first?.init.body)).length).toBeLessThanOrEqual(60 * 1024);
    const sent = first?.events.length ?? 0;
    expect(sent).toBeGreaterThan(100);
    expect(sent).toBeLessThan(400);
    expect(first?.events.map((e) => e.name)).toEqual(Array.from({ length: sent }, (_, i) => `e${i}`));
    await advance(0);
    expect(tally.stats()).toMatchObject({ sent, queued: 400 - sent });
    win.dispatchEvent(new Event('pagehide'));
    expect(calls[1]?.init.keepalive).toBe(true);
    expect(calls[1]?.events[0]?.name).toBe(`e${sent}`);
  });

  test('a keepalive request that fails puts its events back; they go the usual way', async () => {
    const { doc } = fakePage();
    const { calls, fetch } = scripted((call, i) => (i === 0 ? new TypeError('offline') : accepted(call.events.length)));
    const tally = client({ fetch, flushOnPageHide: true, flushIntervalMs: 1000 });
    tally.track('a');
    tally.track('b');
    doc.visibilityState = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    await advance(0);
    expect(tally.stats().queued).toBe(2);
    await advance(1000);
    expect(calls.map((c) => [c.init.keepalive === true, c.events.map((e) => e.name)])).toEqual([
      [true, ['a', 'b']],
      [false, ['a', 'b']],
    ]);
    expect(calls[0]?.events.map((e) => e.id)).toEqual(calls[1]?.events.map((e) => e.id));
  });
});
