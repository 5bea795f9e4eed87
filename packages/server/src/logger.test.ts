import { Writable } from 'node:stream';
import pino from 'pino';
import { lazyChildLoggerFactory } from './logger';

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

  it('honours a level set on the child', () => {
    const { logger, lines } = memoryLogger('warn');
    const child = lazyChildLoggerFactory(logger, { reqId: 'r3' }, {});
    child.level = 'debug';
    child.debug('now visible');
    expect(lines).toEqual([expect.objectContaining({ level: 20, reqId: 'r3', msg: 'now visible' })]);
  });
});
