import type { EventBatch, WriteResult } from './event-store';

/** One batch waiting for its group, as every store's group writer takes them. */
export interface QueuedBatch {
  workspaceId: string;
  batch: EventBatch;
}

/** Writes a group of batches in one commit; one result per batch, in the group's order. */
export type GroupWriter = (group: readonly QueuedBatch[]) => Promise<WriteResult[]>;

export interface GroupLimits {
  /** At most this many batches in one group. */
  batches: number;
  /** At most this many events in one group (a batch bigger than that alone still goes, alone). */
  events: number;
  /** Groups written at once (default 1). */
  writers?: number;
  /**
   * Whether a group of several batches that failed with this error may be written again in
   * halves, so that the batch that made it fail fails alone and the others are stored: only for
   * errors after which surely nothing of the group was stored. Without it, every batch of a
   * failed group gets the error.
   */
  isolate?: (error: unknown) => boolean;
}

interface Pending extends QueuedBatch {
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit, for every event store: batches that arrive while earlier groups are being
 * written wait and go together in the next one (a batch that finds a writer free goes at once,
 * alone). Each caller is answered with its own result once its group has committed, or fails
 * with its group's error — or, where `isolate` allows, only when its own batch is what fails.
 */
export class GroupCommit {
  private readonly queue: Pending[] = [];
  private writing = 0;

  constructor(
    private readonly writeGroup: GroupWriter,
    private readonly limits: GroupLimits,
  ) {}

  write(workspaceId: string, batch: EventBatch): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ workspaceId, batch, resolve, reject });
      if (this.writing < (this.limits.writers ?? 1)) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing += 1;
    try {
      while (this.queue.length > 0) await this.settle(this.take());
    } finally {
      this.writing -= 1;
    }
  }

  /** The next group: the oldest batches, up to the limits. */
  private take(): Pending[] {
    const group: Pending[] = [];
    let events = 0;
    while (this.queue.length > 0 && group.length < this.limits.batches) {
      const next = this.queue[0] as Pending;
      if (group.length > 0 && events + next.batch.events.length > this.limits.events) break;
      group.push(next);
      this.queue.shift();
      events += next.batch.events.length;
    }
    return group;
  }

  private async settle(group: Pending[]): Promise<void> {
    let results: WriteResult[];
    try {
      results = await this.writeGroup(group);
    } catch (error) {
      if (group.length > 1 && this.limits.isolate?.(error)) {
        const half = Math.ceil(group.length / 2);
        await this.settle(group.slice(0, half));
        await this.settle(group.slice(half));
      } else {
        for (const pending of group) pending.reject(error);
      }
      return;
    }
    group.forEach((pending, i) => {
      const result = results[i];
      if (result) pending.resolve(result);
      else pending.reject(new Error(`group commit: no result for batch ${i} of ${group.length}`));
    });
  }
}
