import { ANALYTICS_LIMITS, Interval, PropertyOp, type EventFilter } from '@tally/shared';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';

/** The date range presets of every analytics page. */
export const RANGE_PRESETS = [
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number]['value'];

export const DEFAULT_PRESET: RangePreset = '7d';

function isPreset(value: string | null): value is RangePreset {
  return RANGE_PRESETS.some((p) => p.value === value);
}

function list(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * A preset's range, ending at the next whole minute: the query's variables stay the same within
 * a minute (no refetch per render), and an event sent a moment ago is inside.
 */
export function presetRange(preset: RangePreset, now: number = Date.now()): { from: string; to: string } {
  const to = Math.ceil((now + 1) / 60_000) * 60_000;
  const ms = RANGE_PRESETS.find((p) => p.value === preset)?.ms ?? RANGE_PRESETS[1].ms;
  return { from: new Date(to - ms).toISOString(), to: new Date(to).toISOString() };
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
  preset: RangePreset;
  range: { from: string; to: string };
  interval: Interval;
  /** The ad-hoc filter; null when none of its lists or property conditions has a value. */
  filter: EventFilter | null;
  savedFilterId: string | null;
  setPreset: (preset: RangePreset) => void;
  setInterval: (interval: Interval) => void;
  setFilter: (filter: EventFilter | null) => void;
  setSavedFilterId: (id: string | null) => void;
  /** Selects a saved filter and shows its lists in the filter bar. */
  applySaved: (id: string, filter: EventFilter) => void;
  /** Moves the range's end to now. */
  refresh: () => void;
  /** The query string to carry the range and filter to another analytics page. */
  search: string;
}

/** The preset and interval of an address's query string (defaults where absent or unknown). */
function readPresetAndInterval(params: URLSearchParams): { preset: RangePreset; interval: Interval } {
  const rawPreset = params.get('range');
  const preset: RangePreset = isPreset(rawPreset) ? rawPreset : DEFAULT_PRESET;
  const rawInterval = params.get('interval');
  const interval: Interval =
    rawInterval === Interval.HOUR || rawInterval === Interval.DAY
      ? rawInterval
      : preset === '24h'
        ? Interval.HOUR
        : Interval.DAY;
  return { preset, interval };
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
  const { preset, interval } = readPresetAndInterval(params);
  const filter = readFilter(params.get('names'), params.get('types'), params.get('users'), params.get('props'));
  const savedFilterId = params.get('saved');
  return {
    workspaceId,
    range: presetRange(preset, now),
    filter: savedFilterId ? null : filter,
    savedFilterId,
    interval,
  };
}

/** Range, interval and filter live in the address, so a link or a reload keeps them. */
export function useAnalyticsParams(): AnalyticsParams {
  const [params, setParams] = useSearchParams();
  const { preset, interval } = readPresetAndInterval(params);
  // The range's end is fixed when the page opens and on each choice of range (or refresh):
  // "Load more" pages through one list rather than one that moves under it. Kept per preset: the
  // new end is set when a range is chosen and used once the address says that range, so a render
  // between the two (the address updates a moment later) still asks for the old range as it was,
  // not for the old range with a new end — a request nobody chose.
  const [opened] = useState(() => Date.now());
  const [anchors, setAnchors] = useState<Partial<Record<RangePreset, number>>>({});
  const anchor = anchors[preset] ?? opened;
  const range = useMemo(() => presetRange(preset, anchor), [preset, anchor]);
  const refresh = useCallback(() => {
    setAnchors((current) => ({ ...current, [preset]: Date.now() }));
  }, [preset]);
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
        next.delete('interval');
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
    for (const key of ['range', 'names', 'types', 'users', 'props', 'saved']) {
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
    filter,
    savedFilterId,
    setPreset,
    setInterval,
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
