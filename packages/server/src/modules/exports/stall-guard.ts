import { Transform, type TransformCallback } from 'node:stream';

/** Why an export whose reader stopped taking its bytes was ended. */
export class ExportStalledError extends Error {
  constructor(seconds: number) {
    super(`The export's reader took nothing for ${seconds} s; the export was ended.`);
    this.name = 'ExportStalledError';
  }
}

/**
 * Passes an export's bytes through unchanged and ends it (destroys it with ExportStalledError)
 * when its reader stops taking them: nothing passed for `timeoutSeconds` while bytes wait in
 * this stream for the reader. Bytes wait here only once the socket pushes back (Fastify's pipe
 * pauses this stream when the response's buffer is full); a query that is merely slow to find
 * its next row leaves nothing waiting, so it is not ended.
 *
 * One timer per export, re-armed by `refresh()` on each chunk (no new timer per chunk).
 *
 * A timer that fires late says this process was held up (a busy machine, a long synchronous task),
 * not the reader: the reader's progress is only seen once the pending socket work has run, which
 * comes after timers in Node's event loop. So a late timer re-arms, and a stall is judged in
 * `setImmediate`, after that work.
 */
export class StallGuard extends Transform {
  private readonly timer: NodeJS.Timeout;
  /** Bytes waiting for the reader when the timer was last armed. */
  private waiting = 0;
  /** When the timer was last armed (performance.now()). */
  private armedAt = performance.now();
  private readonly timeoutMs: number;

  constructor(private readonly timeoutSeconds: number) {
    super();
    this.timeoutMs = timeoutSeconds * 1000;
    this.timer = setTimeout(() => this.check(), timeoutSeconds * 1000);
    this.timer.unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(null, chunk);
    this.arm();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    done(error);
  }

  private arm(): void {
    this.waiting = this.readableLength;
    this.armedAt = performance.now();
    this.timer.refresh();
  }

  private check(): void {
    if (this.destroyed) return;
    if (performance.now() - this.armedAt > this.timeoutMs * 1.5) {
      this.arm();
      return;
    }
    setImmediate(() => {
      if (this.destroyed) return;
      // Bytes wait and the reader took none of them since the timer was armed: stalled.
      if (this.readableLength > 0 && this.readableLength >= this.waiting) {
        this.destroy(new ExportStalledError(this.timeoutSeconds));
      } else this.arm();
    });
  }
}
