import type { EventFilter } from '@tally/shared';
import { asConditions } from '../analytics/analytics-params';

/** A saved filter's stored filter (JSON) as an event filter; what is not one is left out. */
export function asFilter(value: unknown): EventFilter {
  if (!value || typeof value !== 'object') return {};
  const raw = value as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  return {
    names: strings(raw.names) ?? null,
    types: strings(raw.types) ?? null,
    userIds: strings(raw.userIds) ?? null,
    properties: asConditions(raw.properties),
  };
}

/** An event filter as SavedFilterInput's filter: empty lists as null. */
export function toInput(filter: EventFilter | null) {
  return {
    names: filter?.names?.length ? filter.names : null,
    types: filter?.types?.length ? filter.types : null,
    userIds: filter?.userIds?.length ? filter.userIds : null,
    properties: filter?.properties?.length ? filter.properties : null,
  };
}
