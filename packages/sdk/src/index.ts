/**
 * `@tally/sdk`: send events to Tally from Node and browsers (batched, retried, each stored once)
 * and read its analytics. No dependencies beyond the platform's fetch.
 */
export {
  createTally,
  type EventStatus,
  type Tally,
  type TallyOptions,
  type TallySession,
  type TallyStats,
  type TimeOptions,
  type TrackOptions,
  type Tracker,
  type WireEvent,
  type WireSession,
} from './client';
export { TallyError, TallyRequestError, type TallyErrorCode } from './errors';
export type { JsonObject } from './validate';
export {
  createReporter,
  type EventFilterInput,
  type ExportedEvent,
  type Interval,
  type Overview,
  type RangeQuery,
  type ReporterOptions,
  type SessionSummary,
  type TallyReporter,
  type UsageRow,
} from './reporting/reporter';
