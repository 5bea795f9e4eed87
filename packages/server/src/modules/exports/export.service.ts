import type { Readable } from 'node:stream';
import { ErrorCode, type EventFilter, type MemberRole, Scope, scopesForMemberRole } from '@tally/shared';
import { z } from 'zod';
import { AppError, badInput, forbidden, notFound, unauthenticated } from '../../errors';
import type { Principal } from '../../graphql/context';
import type { AnalyticsQuery, EventStore, ExportFormat } from '../events/event-store';
import { parseEventFilterJson } from '../saved-filters/event-filter';

/** Exports one instance streams at once; more wait for a free one (429). */
export const CONCURRENT_EXPORTS = 4;

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
  private running = 0;

  constructor(
    private readonly store: EventStore,
    private readonly roles: WorkspaceRoles,
    private readonly queries: AnalyticsQueries,
  ) {}

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
    if (this.running >= CONCURRENT_EXPORTS) {
      throw new AppError(ErrorCode.RATE_LIMITED, 'Too many exports are running. Try again in 5 seconds.', {
        retryAfterSeconds: 5,
      });
    }
    this.running += 1;
    let stream: Readable;
    try {
      stream = await this.store.exportEvents(selection, query.format);
    } catch (error) {
      this.running -= 1;
      throw error;
    }
    stream.once('close', () => {
      this.running -= 1;
    });
    return { stream, ...describe(query.format, selection.from, selection.to) };
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
