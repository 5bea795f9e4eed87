import { ANALYTICS_LIMITS, PropertyOp } from '@tally/shared';
import { type FieldNode, type FragmentDefinitionNode, Kind, type SelectionSetNode } from 'graphql';
import type { ComplexityEstimatorArgs } from 'graphql-query-complexity';

/**
 * What analytics fields cost in the GraphQL cost limit (graphql/limits.ts), so that what a
 * request makes PostgreSQL do, not only how many fields it names, decides whether it runs.
 *
 * Each field of `Analytics` that reads the range (overview, toolsUsage, sessions, activity) costs
 * a scan: STATEMENT_COST plus, per day of the range, what its filter makes PostgreSQL read:
 * unfiltered ranges are answered mostly from hourly and daily rollups; names, types and user ids
 * read raw events; property conditions also read every event's JSON, and CONTAINS compares text
 * in it. A saved filter is not known before it runs, so it is priced as the costliest filter.
 * Page sizes (`first`, `limit`) are priced by their fields as before: rows × what each row selects.
 * A scanning field asked to `compare` (the previous period) scans twice, and is priced so.
 *
 * With the limit of 5,000, about two year-long scans with a property filter fit in one request;
 * the dashboard's own operations cost at most a few hundred over 30 days (its Overview compares
 * with the previous period, two scans, and asks for annotations in a request of their own), and
 * every one of them still runs at 366 days with the costliest filter (analytics-cost.test.ts).
 */

/** A statement, however small its range: a round trip, a plan, a connection held. */
export const STATEMENT_COST = 10;

/** Cost per day of range of one scan, by the filter. */
export const COST_PER_DAY = {
  /** No filter: rollups (and the sessions index) answer. */
  unfiltered: 1,
  /** Names, types, user ids: raw events of the range. */
  filtered: 3,
  /** Property conditions EQ, NEQ, EXISTS: raw events and their JSON. */
  property: 5,
  /** A CONTAINS condition (a case-insensitive substring of every event's value), or a saved filter. */
  contains: 6,
} as const;

/** The fields of `Analytics` whose statements read the whole range. */
const SCAN_FIELDS: ReadonlySet<string> = new Set(['overview', 'toolsUsage', 'sessions', 'activity']);

const DAY_MS = 24 * 60 * 60 * 1000;

/** Days of a range as priced: at least 1; a range that is not one is priced as the longest. */
export function rangeDays(range: unknown): number {
  const from = dateOf(range, 'from');
  const to = dateOf(range, 'to');
  if (from === null || to === null) return ANALYTICS_LIMITS.maxRangeDays;
  const days = Math.ceil((to.getTime() - from.getTime()) / DAY_MS);
  return Math.min(Math.max(days, 1), ANALYTICS_LIMITS.maxRangeDays);
}

/** What one day of a scan costs under `filter` (an EventFilterInput's value) and a saved filter. */
export function costPerDay(filter: unknown, savedFilterId: unknown): number {
  if (savedFilterId !== null && savedFilterId !== undefined) return COST_PER_DAY.contains;
  if (typeof filter !== 'object' || filter === null) return COST_PER_DAY.unfiltered;
  const properties: unknown = Reflect.get(filter, 'properties');
  if (Array.isArray(properties) && properties.length > 0) {
    const contains = properties.some(
      (condition: unknown) =>
        typeof condition === 'object' && condition !== null && Reflect.get(condition, 'op') === PropertyOp.CONTAINS,
    );
    return contains ? COST_PER_DAY.contains : COST_PER_DAY.property;
  }
  const lists = ['names', 'types', 'userIds'].map((name): unknown => Reflect.get(filter, name));
  return lists.some((list) => Array.isArray(list) && list.length > 0) ? COST_PER_DAY.filtered : COST_PER_DAY.unfiltered;
}

/** One scan of `Workspace.analytics(range, filter, savedFilterId)`'s range. */
export function scanCost(args: Record<string, unknown>): number {
  return STATEMENT_COST + Math.ceil(rangeDays(args['range']) * costPerDay(args['filter'], args['savedFilterId']));
}

/**
 * The cost of `Workspace.analytics`: its fields' own cost plus one scan per scanning field
 * selected under it (every alias counts; fragments are followed through `context.fragments`,
 * which limits.ts passes; one that cannot be found is priced as every scanning field).
 */
export function analyticsComplexity({ args, childComplexity, node, context }: ComplexityEstimatorArgs): number {
  const fragments: unknown = context?.['fragments'];
  const scans = node.selectionSet ? countScans(node.selectionSet, fragments instanceof Map ? fragments : null) : 0;
  return 1 + childComplexity + scans * scanCost(args);
}

/** A field that runs one small statement (a lookup by id, a session's own events). */
export function statementComplexity({ childComplexity }: { childComplexity: number }): number {
  return STATEMENT_COST + childComplexity;
}

function countScans(
  selectionSet: SelectionSetNode,
  fragments: Map<unknown, unknown> | null,
  visiting: ReadonlySet<string> = new Set(),
): number {
  let scans = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (SCAN_FIELDS.has(selection.name.value)) scans += scansOf(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      scans += countScans(selection.selectionSet, fragments, visiting);
    } else {
      const name = selection.name.value;
      const fragment = fragments?.get(name);
      if (!isFragment(fragment)) scans += SCAN_FIELDS.size;
      else if (!visiting.has(name)) scans += countScans(fragment.selectionSet, fragments, new Set([...visiting, name]));
    }
  }
  return scans;
}

/**
 * One scan, or two when the field compares with another period: a `compare` argument that is
 * not a literal null (a variable is priced as set, whatever its value).
 */
function scansOf(field: FieldNode): number {
  const compare = field.arguments?.find((argument) => argument.name.value === 'compare');
  return compare && compare.value.kind !== Kind.NULL ? 2 : 1;
}

function isFragment(value: unknown): value is FragmentDefinitionNode {
  return typeof value === 'object' && value !== null && Reflect.get(value, 'kind') === Kind.FRAGMENT_DEFINITION;
}

function dateOf(range: unknown, key: 'from' | 'to'): Date | null {
  if (typeof range !== 'object' || range === null) return null;
  const value: unknown = Reflect.get(range, key);
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}
