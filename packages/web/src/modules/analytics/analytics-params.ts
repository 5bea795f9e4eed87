import { ANALYTICS_LIMITS, type Interval, PropertyOp, type EventFilter } from '@tally/shared';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { DEFAULT_PRESET, type Range, type RangePreset, intervalsFor, isPreset, readRange } from './analytics-range';

export {
  CUSTOM_RANGE,
  DEFAULT_PRESET,
  RANGE_PRESETS,
  type Range,
  type RangePreset,
  presetRange,
} from './analytics-range';

function list(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

export type PropertyCondition = NonNullable<EventFilter['properties']>[number];

function isPropertyOp(value: unknown): value is PropertyOp {
  return Object.values<unknown>(PropertyOp).includes(value);
}

/** Property conditions from any JSON (the address, a saved filter); what is not one is left out. */
export function asConditions(value: unknown): PropertyCondition[] {
  if (!Array.isArray(value)) return [];
  return value
    .flatMap((item: unknown): PropertyCondition[] => {
      if (!item || typeof item !== 'object') return [];
      const { key, op, value: compared } = item as Record<string, unknown>;
      if (typeof key !== 'string' || !key.trim() || !isPropertyOp(op)) return [];
      if (op === PropertyOp.EXISTS) return [{ key, op }];
      return typeof compared === 'string' ? [{ key, op, value: compared }] : [];
    })
    .slice(0, ANALYTICS_LIMITS.filterProperties);
}

function readConditions(raw: string | null): PropertyCondition[] {
  if (!raw) return [];
  try {
    return asConditions(JSON.parse(raw));
  } catch {
    return [];
  }
}

function writeFilter(next: URLSearchParams, value: EventFilter | null) {
  if (value?.properties?.length) next.set('props', JSON.stringify(value.properties));
  else next.delete('props');
  for (const [key, values] of [
    ['names', value?.names],
    ['types', value?.types],
    ['users', value?.userIds],
  ] as const) {
    if (values?.length) next.set(key, values.join(','));
    else next.delete(key);
  }
}

export interface AnalyticsParams {
  /** The range's preset, or `custom` (then `days` holds the chosen days). */
  preset: RangePreset;
  range: Range;
  interval: Interval;
  /** The intervals this range offers (HOUR only up to 7 days). */
  intervals: readonly Interval[];
  /** The first and last day of a custom range (`YYYY-MM-DD`, local), null for a preset. */
  days: { first: string; last: string } | null;
  /** Overview: whether the chart overlays the previous period. */
  showPrevious: boolean;
  /** The ad-hoc filter; null when none of its lists or property conditions has a value. */
  filter: EventFilter | null;
  savedFilterId: string | null;
  setPreset: (preset: RangePreset) => void;
  /** A custom range of whole local days, both included (`YYYY-MM-DD`). */
  setCustomRange: (first: string, last: string) => void;
  setInterval: (interval: Interval) => void;
  setShowPrevious: (show: boolean) => void;
  setFilter: (filter: EventFilter | null) => void;
  setSavedFilterId: (id: string | null) => void;
  /** Selects a saved filter and shows its lists in the filter bar. */
  applySaved: (id: string, filter: EventFilter) => void;
  /** Moves the range's end to now. */
  refresh: () => void;
  /** The query string to carry the range and filter to another analytics page. */
  search: string;
}

/** The ad-hoc filter of an address's lists and property conditions; null when it has none. */
function readFilter(
  namesRaw: string | null,
  typesRaw: string | null,
  usersRaw: string | null,
  propsRaw: string | null,
): EventFilter | null {
  const names = list(namesRaw);
  const types = list(typesRaw);
  const userIds = list(usersRaw);
  const properties = readConditions(propsRaw);
  if (!names.length && !types.length && !userIds.length && !properties.length) return null;
  return {
    ...(names.length ? { names } : {}),
    ...(types.length ? { types } : {}),
    ...(userIds.length ? { userIds } : {}),
    ...(properties.length ? { properties } : {}),
  };
}

/**
 * What an analytics page at this address asks for when it opens now: the same variables as
 * `analyticsVariables` of `useAnalyticsParams`, from the address alone, so that a route can start
 * the page's query before the page's code has loaded (see overview-preload.ts).
 */
export function analyticsVariablesAt(workspaceId: string, params: URLSearchParams, now: number = Date.now()) {
  const { range, interval } = readRange(params, now);
  const filter = readFilter(params.get('names'), params.get('types'), params.get('users'), params.get('props'));
  const savedFilterId = params.get('saved');
  return {
    workspaceId,
    range,
    filter: savedFilterId ? null : filter,
    savedFilterId,
    interval,
  };
}

/** Range, interval and filter live in the address, so a link or a reload keeps them. */
export function useAnalyticsParams(): AnalyticsParams {
  const [params, setParams] = useSearchParams();
  // The range's end is fixed when the page opens and on each choice of range (or refresh):
  // "Load more" pages through one list rather than one that moves under it. Kept per preset: the
  // new end is set when a range is chosen and used once the address says that range, so a render
  // between the two (the address updates a moment later) still asks for the old range as it was,
  // not for the old range with a new end — a request nobody chose.
  const [opened] = useState(() => Date.now());
  const [anchors, setAnchors] = useState<Partial<Record<RangePreset, number>>>({});
  const rangeRaw = params.get('range');
  const fromRaw = params.get('from');
  const toRaw = params.get('to');
  const intervalRaw = params.get('interval');
  const presetKey: RangePreset = isPreset(rangeRaw) ? rangeRaw : DEFAULT_PRESET;
  const anchor = anchors[presetKey] ?? opened;
  const choice = useMemo(() => {
    const own = new URLSearchParams();
    for (const [key, value] of [
      ['range', rangeRaw],
      ['from', fromRaw],
      ['to', toRaw],
      ['interval', intervalRaw],
    ] as const) {
      if (value !== null) own.set(key, value);
    }
    return readRange(own, anchor);
  }, [rangeRaw, fromRaw, toRaw, intervalRaw, anchor]);
  const { preset, range, interval, days } = choice;
  const intervals = useMemo(() => intervalsFor(range), [range]);
  const showPrevious = params.get('previous') === '1';
  const refresh = useCallback(() => {
    setAnchors((current) => ({ ...current, [presetKey]: Date.now() }));
  }, [presetKey]);
  const namesRaw = params.get('names');
  const typesRaw = params.get('types');
  const usersRaw = params.get('users');
  const propsRaw = params.get('props');
  const filter = useMemo(
    () => readFilter(namesRaw, typesRaw, usersRaw, propsRaw),
    [namesRaw, typesRaw, usersRaw, propsRaw],
  );
  const savedFilterId = params.get('saved');

  const update = useCallback(
    (change: (next: URLSearchParams) => void) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          change(next);
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  const setPreset = useCallback(
    (value: RangePreset) => {
      setAnchors((current) => ({ ...current, [value]: Date.now() }));
      update((next) => {
        next.set('range', value);
        // A custom range keeps the days it has (none: the default preset's range until chosen).
        if (value !== 'custom') {
          next.delete('from');
          next.delete('to');
        }
        next.delete('interval');
      });
    },
    [update],
  );
  const setCustomRange = useCallback(
    (first: string, last: string) => {
      setAnchors((current) => ({ ...current, custom: Date.now() }));
      update((next) => {
        next.set('range', 'custom');
        next.set('from', first <= last ? first : last);
        next.set('to', first <= last ? last : first);
        next.delete('interval');
      });
    },
    [update],
  );
  const setShowPrevious = useCallback(
    (show: boolean) => {
      update((next) => {
        if (show) next.set('previous', '1');
        else next.delete('previous');
      });
    },
    [update],
  );
  const setInterval = useCallback(
    (value: Interval) => {
      update((next) => next.set('interval', value));
    },
    [update],
  );
  const setFilter = useCallback(
    (value: EventFilter | null) => {
      update((next) => {
        writeFilter(next, value);
        // Changed by hand: no longer the saved filter as saved.
        next.delete('saved');
      });
    },
    [update],
  );
  const applySaved = useCallback(
    (id: string, value: EventFilter) => {
      update((next) => {
        writeFilter(next, value);
        next.set('saved', id);
      });
    },
    [update],
  );
  const setSavedFilterId = useCallback(
    (id: string | null) => {
      update((next) => {
        if (id) next.set('saved', id);
        else next.delete('saved');
      });
    },
    [update],
  );

  const search = useMemo(() => {
    const carried = new URLSearchParams();
    for (const key of ['range', 'from', 'to', 'names', 'types', 'users', 'props', 'saved']) {
      const value = params.get(key);
      if (value) carried.set(key, value);
    }
    const text = carried.toString();
    return text ? `?${text}` : '';
  }, [params]);

  return {
    preset,
    range,
    interval,
    intervals,
    days,
    showPrevious,
    filter,
    savedFilterId,
    setPreset,
    setCustomRange,
    setInterval,
    setShowPrevious,
    setFilter,
    setSavedFilterId,
    applySaved,
    refresh,
    search,
  };
}

/** Variables every analytics query takes besides its own. */
export function analyticsVariables(workspaceId: string, p: AnalyticsParams) {
  return {
    workspaceId,
    range: p.range,
    // A saved filter as saved is applied by the server (its property conditions too).
    filter: p.savedFilterId ? null : p.filter,
    savedFilterId: p.savedFilterId,
  };
}

/**
 * How an analytics page's queries fetch: the first answer from the network (what is cached from
 * an earlier visit shown meanwhile), then the cache first. A range's end is fixed when the range
 * is chosen, so new choices are new variables, which are not cached and go to the network; only
 * variables already answered are read from the cache, and that includes the old range that a
 * render during the navigation's transition still shows (with 'cache-and-network' there, each
 * page asked for the old range once more and then the new one again, rounds on end on a slow
 * machine). `nextFetchPolicy` is a function: as a string Apollo drops it when variables change.
 */
export const ANALYTICS_FETCH: { fetchPolicy: 'cache-and-network'; nextFetchPolicy: () => 'cache-first' } = {
  fetchPolicy: 'cache-and-network',
  nextFetchPolicy: () => 'cache-first',
};
