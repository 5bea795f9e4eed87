/**
 * The browser bundle's entry (dist/tally.browser.min.js, `@tally/sdk/browser`): the tracking half
 * alone, which is what a page needs. The reporting half (`createReporter`) is in the package's
 * main entry for Node, tools and bundlers.
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
} from './client';
export { TallyError, type TallyErrorCode } from './errors';
