import { type Readable, pipeline } from 'node:stream';
import { ErrorCode, type EventFilter, type MemberRole, Scope, scopesForMemberRole } from '@tally/shared';
import { z } from 'zod';
import { AppError, badInput, forbidden, notFound, unauthenticated } from '../../platform/errors';
import type { Principal } from '../../auth/principal';
import type { AnalyticsQuery, EventStore, ExportFormat } from '../events/event-store';
import { parseEventFilterJson } from '../events/query';
import { StallGuard } from './stall-guard';

/** Exports streamed at once (more wait for a free slot: 429), and when a stalled one ends. */
export interface ExportLimits {
  /** On this instance, across workspaces. */
  maxConcurrent: number;
  /** Of one workspace on this instance, so that one workspace cannot take every slot. */
  maxConcurrentPerWorkspace: number;
  /** An export whose reader takes nothing for this long is ended (StallGuard). */
  stallTimeoutSeconds: number;
}

/** What a client that finds no free slot is told to wait. */
const RETRY_AFTER_SECONDS = 5;

const querySchema = z.object({
  workspaceId: z.string().max(100).optional(),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  format: z.enum(['ndjson', 'csv']).default('csv'),
  /** A saved filter of the workspace, as `Workspace.analytics(savedFilterId)` takes it. */
  savedFilterId: z.string().max(100).optional(),
  /** An EventFilterInput as JSON, as `Workspace.analytics(filter)` takes it. */
  filter: z.string().max(16_384).optional(),
});

export interface OpenedExport {
  stream: Readable;
  contentType: string;
  filename: string;
}

export interface WorkspaceRoles {
  /** A user's role in a live workspace; null when none. */
  roleOf(userId: string, workspaceId: string): Promise<MemberRole | null>;
}

/**
 * What the analytics queries make of a range and filters (AnalyticsService): the range checked,
 * the ad-hoc filter normalised, the saved filter looked up in the workspace (NOT_FOUND otherwise).
 */
export interface AnalyticsQueries {
  analytics(
    workspaceId: string,
    range: { from: Date; to: Date },
    filter: EventFilter | null | undefined,
    savedFilterId: string | null | undefined,
  ): Promise<{ query: AnalyticsQuery }>;
}

/**
 * `GET /v1/export/events`: analytics.export in the workspace. An API key exports its own
 * workspace (`workspaceId` may be left out; any other id is NOT_FOUND); a signed-in user names the
 * workspace and needs a role there that grants the scope (none: NOT_FOUND, as for an unknown id).
 * `filter` (an EventFilterInput as JSON) and `savedFilterId` narrow it as they narrow the analytics
 * queries; both given, an event must match both.
 */
export class ExportService {
  /** Slots taken, per workspace (a workspace without a running export has no entry). */
  private readonly slots = new Map<string, number>();
  private taken = 0;
  private startedCount = 0;
  /** The streams of the running exports, ended when the server stops. */
  private readonly streams = new Set<Readable>();

  constructor(
    private readonly store: EventStore,
    private readonly roles: WorkspaceRoles,
    private readonly queries: AnalyticsQueries,
    private readonly limits: ExportLimits,
  ) {}

  /** Exports holding a slot now: on this instance, or of one workspace. */
  running(workspaceId?: string): number {
    return workspaceId === undefined ? this.taken : (this.slots.get(workspaceId) ?? 0);
  }

  /** Exports started (a slot taken) since this instance started. */
  get started(): number {
    return this.startedCount;
  }

  /**
   * Ends every running export (the server is stopping): each gives its slot back and closes its
   * database connection, which rolls its transaction back; their clients see a cut response.
   */
  stopAll(): void {
    for (const stream of this.streams) stream.destroy(new Error('Tally is stopping.'));
  }

  async open(principal: Principal | null, rawQuery: unknown): Promise<OpenedExport> {
    if (!principal) throw unauthenticated();
    const parsed = querySchema.safeParse(rawQuery);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badInput(`Bad export query: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), {
        field: String(issue?.path[0] ?? ''),
      });
    }
    const query = parsed.data;
    const workspaceId = await this.workspaceOf(principal, query.workspaceId);
    // The same range and filters as every analytics query: checked and resolved by the same code.
    const filter = query.filter === undefined ? null : parseEventFilterJson(query.filter, 'filter');
    const { query: selection } = await this.queries.analytics(
      workspaceId,
      { from: new Date(query.from), to: new Date(query.to) },
      filter,
      query.savedFilterId,
    );
    this.take(workspaceId);
    let source: Readable;
    try {
      source = await this.store.exportEvents(selection, query.format);
    } catch (error) {
      this.giveBack(workspaceId);
      throw error;
    }
    // The pipeline calls back once, however the export ends: all rows passed, the COPY failed
    // (its raw stream emits 'error' but no 'close'), the client went away, the reader stalled,
    // the server stopped. On an error it destroys the other stream too, which closes the
    // database connection (the store releases it) and so rolls the transaction back.
    const stream = new StallGuard(this.limits.stallTimeoutSeconds);
    this.streams.add(stream);
    stream.once('close', () => this.streams.delete(stream));
    pipeline(source, stream, () => this.giveBack(workspaceId));
    return { stream, ...describe(query.format, selection.from, selection.to) };
  }

  /** Takes a slot of the workspace, or refuses with RATE_LIMITED when none is free. */
  private take(workspaceId: string): void {
    const ofWorkspace = this.slots.get(workspaceId) ?? 0;
    if (ofWorkspace >= this.limits.maxConcurrentPerWorkspace) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `This workspace already runs ${ofWorkspace} exports, the most it may run at once. Try again in ${RETRY_AFTER_SECONDS} seconds.`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS },
      );
    }
    if (this.taken >= this.limits.maxConcurrent) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `Too many exports are running. Try again in ${RETRY_AFTER_SECONDS} seconds.`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS },
      );
    }
    this.slots.set(workspaceId, ofWorkspace + 1);
    this.taken += 1;
    this.startedCount += 1;
  }

  private giveBack(workspaceId: string): void {
    const ofWorkspace = (this.slots.get(workspaceId) ?? 0) - 1;
    if (ofWorkspace > 0) this.slots.set(workspaceId, ofWorkspace);
    else this.slots.delete(workspaceId);
    this.taken -= 1;
  }

  private async workspaceOf(principal: Principal, asked: string | undefined): Promise<string> {
    if (principal.kind === 'apiKey') {
      if (asked !== undefined && asked !== principal.workspaceId) throw notFound('Workspace');
      if (!principal.access.scopes.has(Scope.ANALYTICS_EXPORT)) throw forbidden(needsScope());
      return principal.workspaceId;
    }
    if (asked === undefined) throw badInput('Pass the workspaceId to export.', { field: 'workspaceId' });
    const role = await this.roles.roleOf(principal.userId, asked);
    if (!role) throw notFound('Workspace');
    if (!scopesForMemberRole(role).includes(Scope.ANALYTICS_EXPORT)) throw forbidden(needsScope());
    return asked;
  }
}

function needsScope(): string {
  return `This needs the ${Scope.ANALYTICS_EXPORT} scope in this workspace.`;
}

function describe(format: ExportFormat, from: Date, to: Date): Omit<OpenedExport, 'stream'> {
  const day = (at: Date) => at.toISOString().slice(0, 10);
  return {
    contentType: format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8',
    filename: `events-${day(from)}-${day(to)}.${format}`,
  };
}
