import { randomUUID } from 'node:crypto';
import { ErrorCode, Scope } from '@tally/shared';
import { AppError, forbidden, unauthenticated } from '../../errors';
import type { Principal } from '../../graphql/context';
import type { BatchedRateLimit } from '../rate-limits/batched-rate-limit';
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
export class IngestService {
  constructor(
    private readonly store: EventStore,
    /** Events per key per window. */
    private readonly limit: BatchedRateLimit,
  ) {}

  /** Shares this instance's pending rate-limit counts now (tests, shutdown). */
  flushLimits(): Promise<void> {
    return this.limit.flush();
  }

  async ingest(principal: Principal | null, body: unknown): Promise<IngestResult> {
    if (!principal) throw unauthenticated('Send an API key: "Authorization: Bearer tly_…" or "X-API-Key: tly_…".');
    if (principal.kind !== 'apiKey' || !principal.access.scopes.has(Scope.EVENTS_TRACK)) {
      throw forbidden(`Sending events needs the ${Scope.EVENTS_TRACK} scope: an API key of role EDITOR or ADMIN.`);
    }
    const parsed = ingestBatchSchema.safeParse(body);
    if (!parsed.success) throw new InvalidBatchError(describeIssues(parsed.error));
    await this.limit.consume(principal.apiKeyId, parsed.data.events.length);

    const receivedAt = new Date();
    const batch: EventBatch = {
      events: parsed.data.events.map((event) => ({
        id: event.id ?? randomUUID(),
        clientId: event.id !== null && event.id !== undefined,
        clientTimestamp: Boolean(event.timestamp),
        // Kept to the millisecond, as every reader (cursors, exports) sees it.
        timestamp: event.timestamp ? new Date(Date.parse(event.timestamp)) : receivedAt,
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
    const result = await this.store.writeBatch(principal.workspaceId, batch);
    return { accepted: batch.events.length, duplicates: result.duplicates };
  }
}
