import { TallyRequestError } from '../errors';
import type {
  EventFilterInput,
  Interval,
  TallySdkOverviewQuery,
  TallySdkOverviewQueryVariables,
  TallySdkSessionsQuery,
  TallySdkSessionsQueryVariables,
  TallySdkToolsUsageQuery,
  TallySdkToolsUsageQueryVariables,
} from '../generated/graphql';
import { OVERVIEW, SESSIONS, TOOLS_USAGE } from './operations';

export type { EventFilterInput, Interval };

type Analytics<Q> = Q extends { workspace?: { analytics: infer A } | null } ? A : never;

export type Overview = Analytics<TallySdkOverviewQuery>['overview'];
export type UsageRow = Analytics<TallySdkToolsUsageQuery>['toolsUsage'][number];
export type SessionSummary = Analytics<TallySdkSessionsQuery>['sessions']['nodes'][number];

/** One line of an NDJSON export (`GET /v1/export/events`). */
export interface ExportedEvent {
  id: string;
  timestamp: string;
  sessionId: string;
  name: string;
  type: string;
  userId: string | null;
  durationMs: number | null;
  status: string | null;
  properties: Record<string, unknown> | null;
}

export interface ReporterOptions {
  /** Where Tally is, e.g. `https://tally.example.com`. */
  url: string;
  /** An API key (any role reads analytics; EDITOR or ADMIN exports). */
  key?: string;
  /** Or a person's access token. */
  token?: string;
  /** The workspace to read; a key may leave it out (it reads its own). */
  workspaceId?: string;
  /** Another fetch (a proxy agent, tests); default the platform's. */
  fetch?: typeof fetch;
}

/** A time range (at most 366 days) and the analytics filter, as the dashboard's filter bar sets them. */
export interface RangeQuery {
  from: Date | string;
  to: Date | string;
  filter?: EventFilterInput;
  savedFilterId?: string;
  /** Overrides the reporter's workspace for this call. */
  workspaceId?: string;
}

export interface TallyReporter {
  /** Totals and the series of the range (Overview). */
  overview(query: RangeQuery & { interval?: Interval }): Promise<Overview>;
  /** Per event name: count, sessions, error rate, durations (Tools & Usage). */
  toolsUsage(query: RangeQuery & { limit?: number }): Promise<UsageRow[]>;
  /** Every session of the range, newest first, page after page (`pageSize` per request, at most 100). */
  sessions(query: RangeQuery & { pageSize?: number }): AsyncIterableIterator<SessionSummary>;
  /** The range's events as Tally exports them (NDJSON), parsed one by one while they stream. */
  exportEvents(query: RangeQuery): AsyncIterableIterator<ExportedEvent>;
  /** The export's bytes as they stream (`csv` or `ndjson`), to write to a file or pass on. */
  exportStream(query: RangeQuery & { format: 'csv' | 'ndjson' }): Promise<ReadableStream<Uint8Array>>;
}

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value;
}

/** A reader of Tally's analytics over GraphQL and its export, typed from the server's schema. */
export function createReporter(options: ReporterOptions): TallyReporter {
  const base = String(options.url).replace(/\/+$/, '');
  const fetcher = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const credential: Record<string, string> = options.key
    ? { authorization: `Bearer ${options.key}` }
    : options.token
      ? { authorization: `Bearer ${options.token}` }
      : {};

  async function request(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetcher(url, { ...init, headers: { ...credential, ...init.headers } });
    } catch (error) {
      throw new TallyRequestError(
        'NETWORK',
        `Tally could not be reached: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async function graphql<Q, V>(query: string, variables: V): Promise<Q> {
    const response = await request(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    let body: { data?: Q | null; errors?: Array<{ message?: string; extensions?: { code?: unknown } }> };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new TallyRequestError(
        'INTERNAL_SERVER_ERROR',
        `Tally answered ${response.status} without JSON`,
        response.status,
      );
    }
    const first = body.errors?.[0];
    if (first) {
      const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
      throw new TallyRequestError(code, first.message ?? 'GraphQL error', response.status);
    }
    if (!body.data)
      throw new TallyRequestError(
        'INTERNAL_SERVER_ERROR',
        `Tally answered ${response.status} without data`,
        response.status,
      );
    return body.data;
  }

  function scope(query: RangeQuery) {
    const workspaceId = query.workspaceId ?? options.workspaceId;
    return {
      ...(workspaceId !== undefined ? { workspaceId } : {}),
      range: { from: iso(query.from), to: iso(query.to) },
      ...(query.filter !== undefined ? { filter: query.filter } : {}),
      ...(query.savedFilterId !== undefined ? { savedFilterId: query.savedFilterId } : {}),
    };
  }

  function analyticsOf<A>(data: { workspace?: { analytics: A } | null }): A {
    if (!data.workspace) throw new TallyRequestError('NOT_FOUND', 'Workspace not found.');
    return data.workspace.analytics;
  }

  async function exportResponse(query: RangeQuery, format: 'csv' | 'ndjson'): Promise<Response> {
    const params = new URLSearchParams({ from: iso(query.from), to: iso(query.to), format });
    const workspaceId = query.workspaceId ?? options.workspaceId;
    if (workspaceId !== undefined) params.set('workspaceId', workspaceId);
    if (query.filter !== undefined) params.set('filter', JSON.stringify(query.filter));
    if (query.savedFilterId !== undefined) params.set('savedFilterId', query.savedFilterId);
    const response = await request(`${base}/v1/export/events?${params.toString()}`, { method: 'GET' });
    if (!response.ok || !response.body) {
      let code = 'INTERNAL_SERVER_ERROR';
      let message = `export answered ${response.status}`;
      try {
        const body = (await response.json()) as { error?: unknown; message?: unknown };
        if (typeof body.error === 'string') code = body.error;
        if (typeof body.message === 'string') message = body.message;
      } catch {
        // not JSON: the status says it
      }
      throw new TallyRequestError(code, message, response.status);
    }
    return response;
  }

  return {
    async overview(query) {
      const data = await graphql<TallySdkOverviewQuery, TallySdkOverviewQueryVariables>(OVERVIEW, {
        ...scope(query),
        ...(query.interval !== undefined ? { interval: query.interval } : {}),
      });
      return analyticsOf(data).overview;
    },

    async toolsUsage(query) {
      const data = await graphql<TallySdkToolsUsageQuery, TallySdkToolsUsageQueryVariables>(TOOLS_USAGE, {
        ...scope(query),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      });
      return analyticsOf(data).toolsUsage;
    },

    async *sessions(query) {
      let after: string | undefined;
      for (;;) {
        const data = await graphql<TallySdkSessionsQuery, TallySdkSessionsQueryVariables>(SESSIONS, {
          ...scope(query),
          first: Math.min(100, Math.max(1, query.pageSize ?? 100)),
          ...(after !== undefined ? { after } : {}),
        });
        const page = analyticsOf(data).sessions;
        yield* page.nodes;
        if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
        after = page.pageInfo.endCursor;
      }
    },

    async *exportEvents(query) {
      const response = await exportResponse(query, 'ndjson');
      yield* ndjson<ExportedEvent>(response.body);
    },

    async exportStream(query) {
      const response = await exportResponse(query, query.format);
      if (!response.body) throw new TallyRequestError('INTERNAL_SERVER_ERROR', 'export answered without a body');
      return response.body;
    },
  };
}

/** The lines of an NDJSON stream, parsed as they arrive; stops reading (and cancels) when the caller stops. */
async function* ndjson<T>(body: ReadableStream<Uint8Array> | null): AsyncGenerator<T> {
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let done = false;
  try {
    while (!done) {
      const chunk = await reader.read();
      done = chunk.done;
      buffered += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) yield JSON.parse(line) as T;
    }
    const last = buffered.trim();
    if (last) yield JSON.parse(last) as T;
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
