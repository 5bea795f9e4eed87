import { randomUUID } from 'node:crypto';
import { ErrorCode, Scope } from '@tally/shared';
import { AppError, forbidden, notFound, unauthenticated } from '../../platform/errors';
import type { Principal } from '../../auth/principal';
import { type KeyUsageCounter, USAGE_NOT_COUNTED } from '../../auth/key-usage';
import type { BatchedRateLimit } from '../../platform/rate-limits/batched-rate-limit';
import type { EventBatch, EventStore } from './event-store';
import { type IngestIssue, describeIssues, ingestBatchSchema } from './ingest.schema';

export interface IngestResult {
  /** Events in the batch, all of them stored now (or before, by an earlier send of the same ids). */
  accepted: number;
  /** Of those, how many had been stored before (a resent batch). */
  duplicates: number;
}

/** A refused batch: BAD_USER_INPUT with every problem found, by item. */
export class InvalidBatchError extends AppError {
  constructor(readonly issues: IngestIssue[]) {
    super(ErrorCode.BAD_USER_INPUT, `The batch was not stored: ${issues.length} problem(s) found.`, { issues });
  }
}

/**
 * `POST /v1/events`: the workspace is always the key's (never the body's), the caller must hold
 * events.track there (API keys of role EDITOR or ADMIN; no member role grants it), the batch is
 * checked whole before anything is stored, the key's rate limit is taken per event, and the
 * answer comes only after the store has committed the batch.
 */
/** The event timestamps taken, relative to a batch's arrival (config.ts, EVENT_TIMESTAMP_*). */
export interface TimestampWindow {
  maxAgeDays: number;
  maxAheadHours: number;
}

const HOUR_MS = 60 * 60 * 1000;

/** What ingest needs to know of workspaces (WorkspaceService, wired in server.ts). */
export interface IngestWorkspaces {
  /** Whether the workspace takes events (not deleted): from a cache, so cheap on every batch. */
  isLive(workspaceId: string): Promise<boolean>;
  /** A batch was stored in a workspace deleted while it was written: its purge runs (again). */
  purgeAgain(workspaceId: string): Promise<void>;
}

/**
 * Who may send events: an API key holding events.track (role EDITOR or ADMIN); UNAUTHENTICATED
 * without a credential, FORBIDDEN for any other. Checked by every way in before its body is read.
 */
export function requireEventSender(
  principal: Principal | null,
): asserts principal is Extract<Principal, { kind: 'apiKey' }> {
  if (!principal) throw unauthenticated('Send an API key: "Authorization: Bearer tly_…" or "X-API-Key: tly_…".');
  if (principal.kind !== 'apiKey' || !principal.access.scopes.has(Scope.EVENTS_TRACK)) {
    throw forbidden(`Sending events needs the ${Scope.EVENTS_TRACK} scope: an API key of role EDITOR or ADMIN.`);
  }
}

export class IngestService {
  constructor(
    private readonly store: EventStore,
    /** Events per key per window. */
    private readonly limit: BatchedRateLimit,
    /** Every month of a timestamp taken is a partition that stays: the window bounds how many. */
    private readonly window: TimestampWindow,
    private readonly workspaces: IngestWorkspaces,
    /** Each key's accepted events and refused batches, per day (the key's usage). */
    private readonly usage: KeyUsageCounter = USAGE_NOT_COUNTED,
  ) {}

  /** Shares this instance's pending rate-limit counts now (tests, shutdown). */
  flushLimits(): Promise<void> {
    return this.limit.flush();
  }

  /**
   * A batch refused before it reached `ingest` (an OTLP body that could not be read): counted in
   * the key's usage as a bad batch, as `ingest` counts one that fails validation.
   */
  countUnreadableBatch(principal: Principal | null): void {
    if (principal?.kind === 'apiKey') this.usage.count(principal.workspaceId, principal.apiKeyId, 'refusedInvalid');
  }

  async ingest(principal: Principal | null, body: unknown): Promise<IngestResult> {
    requireEventSender(principal);
    const { workspaceId, apiKeyId } = principal;
    let result: IngestResult;
    try {
      result = await this.take(principal, body);
    } catch (error) {
      if (error instanceof InvalidBatchError) this.usage.count(workspaceId, apiKeyId, 'refusedInvalid');
      else if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) {
        this.usage.count(workspaceId, apiKeyId, 'refusedRateLimit');
      }
      throw error;
    }
    this.usage.count(workspaceId, apiKeyId, 'eventsAccepted', result.accepted);
    return result;
  }

  private async take(principal: Extract<Principal, { kind: 'apiKey' }>, body: unknown): Promise<IngestResult> {
    const parsed = ingestBatchSchema.safeParse(body);
    if (!parsed.success) throw new InvalidBatchError(describeIssues(parsed.error));
    const receivedAt = new Date();
    // Kept to the millisecond, as every reader (cursors, exports) sees it.
    const times = parsed.data.events.map((event) => (event.timestamp ? Date.parse(event.timestamp) : undefined));
    this.checkWindow(times, receivedAt.getTime());
    // The key's own limit, carried on its principal (no lookup on this path).
    await this.limit.consume(principal.apiKeyId, parsed.data.events.length, principal.limits.eventsPerMinute);

    const batch: EventBatch = {
      events: parsed.data.events.map((event, i) => ({
        id: event.id ?? randomUUID(),
        clientId: event.id !== null && event.id !== undefined,
        clientTimestamp: Boolean(event.timestamp),
        timestamp: new Date(times[i] ?? receivedAt.getTime()),
        sessionId: event.sessionId,
        name: event.name,
        type: event.type,
        userId: event.userId ?? null,
        durationMs: event.durationMs ?? null,
        status: event.status ?? null,
        properties: event.properties ?? null,
      })),
      sessions: (parsed.data.sessions ?? []).map((session) => ({
        id: session.id,
        userId: session.userId ?? null,
        attributes: session.attributes ?? null,
      })),
    };
    // A deleted workspace takes nothing. The check is ours, not the store's: a team deleted while
    // this batch was being written is seen afterwards (the cache learns of every deletion over
    // the change feed), and its purge, which may have passed already, runs again.
    if (!(await this.workspaces.isLive(principal.workspaceId))) throw notFound('Workspace');
    const result = await this.store.writeBatch(principal.workspaceId, batch);
    if (!(await this.workspaces.isLive(principal.workspaceId))) {
      await this.workspaces.purgeAgain(principal.workspaceId);
      throw notFound('Workspace');
    }
    return { accepted: batch.events.length, duplicates: result.duplicates };
  }

  /**
   * The event times taken now, in ms since the epoch: for senders that refuse records one by
   * one instead of whole batches (OTLP's partial success, otlp/otlp.route.ts).
   */
  timestampWindow(now: number = Date.now()): { earliest: number; latest: number } {
    return {
      earliest: now - this.window.maxAgeDays * 24 * HOUR_MS,
      latest: now + this.window.maxAheadHours * HOUR_MS,
    };
  }

  /**
   * Refuses the whole batch when a timestamp lies outside the window: each month reached is a
   * partition that stays, so one batch from 2000 to next year made some 330 of them. An import of
   * older data would be a feature of its own.
   */
  private checkWindow(times: ReadonlyArray<number | undefined>, now: number): void {
    const { earliest, latest } = this.timestampWindow(now);
    const issues: IngestIssue[] = [];
    times.forEach((at, i) => {
      if (at === undefined || (at >= earliest && at <= latest) || issues.length >= 100) return;
      issues.push({
        path: `events[${i}].timestamp`,
        message: `must lie between ${new Date(earliest).toISOString()} and ${new Date(latest).toISOString()}: events are taken from the last ${this.window.maxAgeDays} days to ${this.window.maxAheadHours} hours ahead`,
      });
    });
    if (issues.length > 0) throw new InvalidBatchError(issues);
  }
}
