/**
 * The reporting half's GraphQL operations. GraphQL Code Generator reads them from here (the
 * `GraphQL` comment marks them) and writes their types into ../generated/graphql.ts from the
 * server's schema: `pnpm --filter @tally/sdk run codegen` (the output is committed).
 */

export const OVERVIEW = /* GraphQL */ `
  query TallySdkOverview(
    $workspaceId: ID
    $range: DateRangeInput!
    $filter: EventFilterInput
    $savedFilterId: ID
    $interval: Interval
  ) {
    workspace(id: $workspaceId) {
      analytics(range: $range, filter: $filter, savedFilterId: $savedFilterId) {
        overview(interval: $interval) {
          sessions
          events
          users
          errors
          avgSessionDurationMs
          series {
            at
            sessions
            events
          }
          annotations {
            id
            at
            text
          }
        }
      }
    }
  }
`;

export const TOOLS_USAGE = /* GraphQL */ `
  query TallySdkToolsUsage(
    $workspaceId: ID
    $range: DateRangeInput!
    $filter: EventFilterInput
    $savedFilterId: ID
    $limit: Int
  ) {
    workspace(id: $workspaceId) {
      analytics(range: $range, filter: $filter, savedFilterId: $savedFilterId) {
        toolsUsage(limit: $limit) {
          name
          type
          count
          sessions
          errorRate
          avgDurationMs
          p95DurationMs
        }
      }
    }
  }
`;

export const SESSIONS = /* GraphQL */ `
  query TallySdkSessions(
    $workspaceId: ID
    $range: DateRangeInput!
    $filter: EventFilterInput
    $savedFilterId: ID
    $after: String
    $first: Int
  ) {
    workspace(id: $workspaceId) {
      analytics(range: $range, filter: $filter, savedFilterId: $savedFilterId) {
        sessions(after: $after, first: $first) {
          nodes {
            id
            userId
            startedAt
            endedAt
            durationMs
            eventCount
            errorCount
            attributes
          }
          pageInfo {
            hasNextPage
            endCursor
          }
        }
      }
    }
  }
`;
