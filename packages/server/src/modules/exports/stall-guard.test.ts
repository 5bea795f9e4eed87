import { once } from 'node:events';
import { ExportStalledError, StallGuard } from './stall-guard';

/** More than the readable side holds: the rest waits in the guard until a reader takes it. */
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Holds this process for `ms` (a long synchronous task, or a machine too busy to run it). */
function hold(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no timer, no I/O runs meanwhile
  }
}

describe('StallGuard', () => {
  it('ends an export whose bytes wait and nobody takes them', async () => {
    const guard = new StallGuard(0.1);
    guard.write(CHUNK);
    guard.write(CHUNK);
    const [error] = (await once(guard, 'error')) as [Error];
    expect(error).toBeInstanceOf(ExportStalledError);
    expect(error.message).toBe("The export's reader took nothing for 0.1 s; the export was ended.");
    expect(guard.destroyed).toBe(true);
  });

  it('does not end an export whose reader takes bytes slowly but steadily', async () => {
    // The reader's pace on a clock the test moves (the guard's timer and performance.now());
    // setImmediate and nextTick stay real, so the guard's judgement and the stream's events run.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const guard = new StallGuard(0.1);
      const errors: Error[] = [];
      guard.on('error', (error: Error) => errors.push(error));
      let taken = 0;
      for (let i = 0; i < 6; i += 1) guard.write(CHUNK);
      guard.end();
      // One chunk every 60 ms: each well within the timeout, all of them far beyond it.
      for (let turn = 0; turn < 20 && taken < 6 * CHUNK.length; turn += 1) {
        const chunk = guard.read(CHUNK.length) as Buffer | null;
        if (chunk) taken += chunk.length;
        jest.advanceTimersByTime(60);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(taken).toBe(6 * CHUNK.length);
      expect(errors).toEqual([]);
      expect(guard.destroyed).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  it('does not blame the reader when this process was held up past the timeout', async () => {
    const guard = new StallGuard(0.1);
    guard.write(CHUNK);
    guard.write(CHUNK);
    let taken = 0;
    // The process is held for three timeouts; the reader's bytes are taken as soon as it runs
    // again, but after the timers of that turn of the event loop (as socket work comes after them).
    await new Promise<void>((resolve) => {
      setImmediate(() => {
        hold(300);
        setImmediate(() => {
          let chunk: Buffer | null;
          while ((chunk = guard.read() as Buffer | null) !== null) taken += chunk.length;
          resolve();
        });
      });
    });
    expect(guard.destroyed).toBe(false);
    expect(taken).toBe(2 * CHUNK.length);
    guard.destroy();
  });
});
