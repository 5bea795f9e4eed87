/** Buckets of Overview's series. */
export const Interval = {
  HOUR: 'HOUR',
  DAY: 'DAY',
} as const;
export type Interval = (typeof Interval)[keyof typeof Interval];

/** How a property condition of an event filter compares. */
export const PropertyOp = {
  EQ: 'EQ',
  NEQ: 'NEQ',
  CONTAINS: 'CONTAINS',
  EXISTS: 'EXISTS',
} as const;
export type PropertyOp = (typeof PropertyOp)[keyof typeof PropertyOp];

/** An event filter as stored in a saved filter and sent as EventFilterInput. */
export interface EventFilter {
  names?: string[] | null;
  types?: string[] | null;
  userIds?: string[] | null;
  properties?: Array<{ key: string; op: PropertyOp; value?: string | null }> | null;
}

/** Caps of analytics inputs (DESIGN.md: list arguments capped); the server and the web app use them. */
export const ANALYTICS_LIMITS = {
  /** Values per filter list (names, types, userIds) and property conditions per filter. */
  filterValues: 50,
  filterProperties: 10,
  /** Longest range a query may ask for. */
  maxRangeDays: 366,
  savedFilterNameMaxLength: 100,
  annotationTextMaxLength: 500,
} as const;
