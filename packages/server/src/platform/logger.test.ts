import { Writable } from 'node:stream';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import { QueryFailedError } from 'typeorm';
import {
  PRETTY_OPTIONS,
  addLogBindings,
  createLogger,
  lazyChildLoggerFactory,
  serializeRequest,
  stopLogger,
} from './logger';

function memoryLogger(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

describe('lazy per-request child logger', () => {
  it('writes nothing and makes no child below the level', () => {
    const { logger, lines } = memoryLogger('warn');
    const childSpy = jest.spyOn(logger, 'child');
    const child = lazyChildLoggerFactory(logger, { reqId: 'r1' }, {});
    child.info('incoming request');
    child.debug({ a: 1 }, 'details');
    expect(lines).toEqual([]);
    expect(childSpy).not.toHaveBeenCalled();
    expect(child.level).toBe('warn');
  });

  it('writes with the request bindings at or above the level', () => {
    const { logger, lines } = memoryLogger('warn');
    const child = lazyChildLoggerFactory(logger, { reqId: 'r2' }, {});
    child.error({ code: 'X' }, 'failed');
    child.warn('careful');
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, reqId: 'r2', code: 'X', msg: 'failed' }),
      expect.objectContaining({ level: 40, reqId: 'r2', msg: 'careful' }),
    ]);
  });

  it('writes through the parent, with every binding in front of the line, and makes no child', () => {
    const { logger, lines } = memoryLogger('info');
    const childSpy = jest.spyOn(logger, 'child');
    const child = lazyChildLoggerFactory(logger, { reqId: 'r4' }, {});
    addLogBindings(child, { principal: 'apiKey', workspaceId: 'w1' });
    addLogBindings(child, { operationName: 'Overview' });
    child.info({ method: 'POST', status: 200 }, 'request completed');
    child.warn('careful %s', 'now');
    expect(childSpy).not.toHaveBeenCalled();
    expect(lines).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        pid: expect.any(Number),
        hostname: expect.any(String),
        reqId: 'r4',
        principal: 'apiKey',
        workspaceId: 'w1',
        operationName: 'Overview',
        method: 'POST',
        status: 200,
        msg: 'request completed',
      },
      expect.objectContaining({ level: 40, reqId: 'r4', operationName: 'Overview', msg: 'careful now' }),
    ]);
    // The same keys in the same order as a pino child writes them.
    const viaChild = memoryLogger('info');
    viaChild.logger
      .child({ reqId: 'r4', principal: 'apiKey', workspaceId: 'w1', operationName: 'Overview' })
      .info({ method: 'POST', status: 200 }, 'request completed');
    expect(Object.keys(lines[0] ?? {})).toEqual(Object.keys(viaChild.lines[0] ?? {}));
  });

  it('makes a child for an error, with the bindings added so far', () => {
    const { logger, lines } = memoryLogger('info');
    const child = lazyChildLoggerFactory(logger, { reqId: 'r5' }, {});
    addLogBindings(child, { principal: 'user' });
    child.error(new Error('boom'));
    addLogBindings(child, { operationName: 'Late' });
    child.info('after');
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, reqId: 'r5', principal: 'user', msg: 'boom' }),
      expect.objectContaining({ level: 30, reqId: 'r5', principal: 'user', operationName: 'Late', msg: 'after' }),
    ]);
  });

  it('uses the level a route gives its child before any child exists', () => {
    const { logger, lines } = memoryLogger('info');
    const child = lazyChildLoggerFactory(logger, { reqId: 'r6' }, { level: 'debug' });
    child.debug('route-level debug');
    expect(lines).toEqual([expect.objectContaining({ level: 20, reqId: 'r6', msg: 'route-level debug' })]);
  });

  it('honours a level set on the child', () => {
    const { logger, lines } = memoryLogger('warn');
    const child = lazyChildLoggerFactory(logger, { reqId: 'r3' }, {});
    child.level = 'debug';
    child.debug('now visible');
    expect(lines).toEqual([expect.objectContaining({ level: 20, reqId: 'r3', msg: 'now visible' })]);
  });
});

describe('what the logger never writes', () => {
  function sinkLogger() {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { logger: createLogger({ logLevel: 'info', production: true }, sink), lines };
  }

  it("drops a failed query's SQL, parameters and the driver's detail, keeping what says what went wrong", () => {
    const driverError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      detail: 'Key (email)=(ada@example.com) already exists.',
      where: 'unnamed portal parameter $1',
    });
    const error = new QueryFailedError(
      'INSERT INTO "users"("email", "password_hash") VALUES ($1, $2)',
      ['ada@example.com', '$scrypt$N=131072$secret-hash'],
      driverError,
    );
    const { logger, lines } = sinkLogger();
    logger.error({ err: error }, 'unhandled GraphQL error');
    logger.error({ err: new Error('wrapper', { cause: error }) }, 'wrapped');

    expect(lines).toHaveLength(2);
    const logged = lines.join('\n');
    expect(logged).not.toMatch(/ada@example\.com|secret-hash|INSERT|password_hash|unnamed portal/);
    const first = JSON.parse(lines[0] ?? '{}') as { err: Record<string, unknown> };
    expect(first.err).toMatchObject({
      type: 'QueryFailedError',
      message: 'invalid byte sequence for encoding "UTF8": 0x00',
      code: '22021',
      driverError: expect.objectContaining({ code: '22021' }),
    });
  });

  it('logs request URLs without their query string', () => {
    expect(
      serializeRequest({ method: 'GET', url: '/invite/accept?token=abc&password=hunter2', host: 'h', ip: '1.2.3.4' }),
    ).toEqual({ method: 'GET', url: '/invite/accept', host: 'h', remoteAddress: '1.2.3.4', remotePort: undefined });
    expect(serializeRequest({ method: 'POST', url: '/graphql' })).toMatchObject({ url: '/graphql' });
  });
});

describe('the development terminal', () => {
  it('shows a request as one line, its fields inline (not ~30 lines of indented JSON)', () => {
    const pretty = prettyFactory({ ...PRETTY_OPTIONS, colorize: false });
    const line = {
      level: 30,
      time: Date.now(),
      reqId: 'r1',
      principal: 'user',
      userId: 'u1',
      workspaceId: 'w1',
      operationName: 'Overview',
      method: 'POST',
      route: '/graphql',
      status: 200,
      responseTime: 12.3,
      msg: 'request completed',
    };
    const shown = pretty(line);
    expect(shown.trimEnd().split('\n')).toHaveLength(1);
    expect(shown).toContain('request completed');
    expect(shown).toContain('"operationName":"Overview"');
    // The debug line's request object stays on its line too.
    const incoming = pretty({ ...line, msg: 'incoming request', req: { method: 'POST', url: '/graphql' } });
    expect(incoming.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('the stdout logger', () => {
  afterEach(() => jest.useRealTimers());

  it('flushes on a timer until stopLogger, which leaves nothing running', () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const logger = createLogger({ logLevel: 'silent', production: true });
    expect(jest.getTimerCount()).toBe(1);
    stopLogger(logger);
    expect(jest.getTimerCount()).toBe(0);
    // Once more is nothing; the logger still takes lines.
    stopLogger(logger);
    logger.info('after stop');
  });
});
