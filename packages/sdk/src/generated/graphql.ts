/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type DateRangeInput = {
  from: string;
  to: string;
};

export type EventFilterInput = {
  names?: Array<string> | null | undefined;
  properties?: Array<PropertyConditionInput> | null | undefined;
  types?: Array<string> | null | undefined;
  userIds?: Array<string> | null | undefined;
};

export type Interval =
  | 'DAY'
  | 'HOUR';

export type PropertyConditionInput = {
  key: string;
  op: PropertyOp;
  value?: string | null | undefined;
};

export type PropertyOp =
  | 'CONTAINS'
  | 'EQ'
  | 'EXISTS'
  | 'NEQ';

export type TallySdkOverviewQueryVariables = Exact<{
  workspaceId?: string | number | null | undefined;
  range: DateRangeInput;
  filter?: EventFilterInput | null | undefined;
  savedFilterId?: string | number | null | undefined;
  interval?: Interval | null | undefined;
}>;


export type TallySdkOverviewQuery = { workspace: { analytics: { overview: { sessions: number, events: number, users: number, errors: number, avgSessionDurationMs: number | null, series: Array<{ at: string, sessions: number, events: number }>, annotations: Array<{ id: string, at: string, text: string }> } } } | null };

export type TallySdkToolsUsageQueryVariables = Exact<{
  workspaceId?: string | number | null | undefined;
  range: DateRangeInput;
  filter?: EventFilterInput | null | undefined;
  savedFilterId?: string | number | null | undefined;
  limit?: number | null | undefined;
}>;


export type TallySdkToolsUsageQuery = { workspace: { analytics: { toolsUsage: Array<{ name: string, type: string, count: number, sessions: number, errorRate: number, avgDurationMs: number | null, p95DurationMs: number | null }> } } | null };

export type TallySdkSessionsQueryVariables = Exact<{
  workspaceId?: string | number | null | undefined;
  range: DateRangeInput;
  filter?: EventFilterInput | null | undefined;
  savedFilterId?: string | number | null | undefined;
  after?: string | null | undefined;
  first?: number | null | undefined;
}>;


export type TallySdkSessionsQuery = { workspace: { analytics: { sessions: { nodes: Array<{ id: string, userId: string | null, startedAt: string, endedAt: string, durationMs: number, eventCount: number, errorCount: number, attributes: unknown }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } } | null };
