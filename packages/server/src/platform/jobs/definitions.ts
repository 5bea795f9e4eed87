import type PgBoss from 'pg-boss';

/** pg-boss queue policies: how many jobs of one `singletonKey` may be queued or active at once. */
export type QueuePolicy = 'standard' | 'short' | 'singleton' | 'stately';

export interface JobContext {
  id: string;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Aborted when the job ran past `expireInSeconds` or Tally is stopping and cannot wait. */
  signal: AbortSignal;
}

export interface JobFailure {
  id: string;
  retryCount: number;
  /** False when this was the last attempt. */
  willRetry: boolean;
}

export interface JobDefinition<T> {
  name: string;
  /** Attempts after the first. Default 3. */
  retryLimit?: number;
  /** Whole seconds before a retry. Default 5. */
  retryDelaySeconds?: number;
  /** Doubles the delay on every retry (with jitter: between 1× and 2× of it). Default true. */
  retryBackoff?: boolean;
  /** A run longer than this counts as failed. Default 900 (pg-boss allows up to 24 h). */
  expireInSeconds?: number;
  /**
   * Default `standard` (every job runs). With `singleton`, `stately` or `short`, jobs of the same
   * `singletonKey` are deduplicated as pg-boss 10 documents; a plain `singletonKey` on a standard
   * queue deduplicates nothing.
   */
  policy?: QueuePolicy;
  /** Jobs of this name one instance runs at once. Default 1. */
  concurrency?: number;
  /** Checks the stored payload; throwing cancels the job (a bad payload never gets better). */
  parse?: (data: unknown) => T;
  handler: (data: T, job: JobContext) => Promise<void>;
  /**
   * Called after every failed attempt, e.g. to record the last error on the domain's own row
   * (an invitation's `lastSendError`). Its own errors are logged and ignored.
   */
  onFailure?: (data: T, error: unknown, job: JobFailure) => Promise<void>;
}

export type JobOverrides = Partial<
  Pick<JobDefinition<object>, 'retryLimit' | 'retryDelaySeconds' | 'retryBackoff' | 'expireInSeconds'>
>;

/** A defined job as the queue and its workers use it. */
export interface Registered {
  name: string;
  concurrency: number;
  queue: PgBoss.Queue;
  /** Parses the stored payload (throws when it is invalid) and binds the handlers to it. */
  bind(data: unknown): BoundJob;
}

export interface BoundJob {
  handle(job: JobContext): Promise<void>;
  failed(error: unknown, job: JobFailure): Promise<void>;
}

const DEFAULTS = { retryLimit: 3, retryDelaySeconds: 5, retryBackoff: true, expireInSeconds: 900 } as const;

/** A definition with its defaults and overrides applied, and its pg-boss queue settings. */
export function register<T extends object>(definition: JobDefinition<T>, overrides?: JobOverrides): Registered {
  const d = { ...DEFAULTS, ...definition, ...overrides };
  const { parse, handler, onFailure } = definition;
  return {
    name: d.name,
    concurrency: Math.max(1, d.concurrency ?? 1),
    queue: {
      name: d.name,
      policy: d.policy ?? 'standard',
      retryLimit: d.retryLimit,
      retryDelay: d.retryDelaySeconds,
      retryBackoff: d.retryBackoff,
      expireInSeconds: d.expireInSeconds,
    },
    bind: (stored) => {
      // Without `parse`, the payload is what send<T>() of this same code stored under this name.
      const data = parse ? parse(stored) : (stored as T);
      return {
        handle: (job) => handler(data, job),
        failed: async (error, job) => {
          if (onFailure) await onFailure(data, error, job);
        },
      };
    },
  };
}
