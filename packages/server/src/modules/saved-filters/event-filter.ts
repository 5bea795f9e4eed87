import { ANALYTICS_LIMITS, type EventFilter, PropertyOp } from '@tally/shared';
import { badInput } from '../../errors';

/** Trims, drops empty and duplicate values, and checks an event filter; what is stored and queried. */
export function normalizeEventFilter(input: EventFilter): EventFilter {
  const list = (values: string[] | null | undefined, field: string): string[] | undefined => {
    if (!values) return undefined;
    const cleaned = [...new Set(values.map((v) => v.trim()).filter((v) => v.length > 0))];
    if (cleaned.length > ANALYTICS_LIMITS.filterValues) {
      throw badInput(`A filter takes at most ${ANALYTICS_LIMITS.filterValues} ${field}.`, { field });
    }
    if (cleaned.some((v) => v.length > 200)) throw badInput(`Filter ${field} are at most 200 characters.`, { field });
    return cleaned.length > 0 ? cleaned : undefined;
  };
  const properties = (input.properties ?? []).map((condition) => {
    const key = condition.key.trim();
    if (key.length === 0 || key.length > 200) {
      throw badInput('A property condition needs a key of 1 to 200 characters.', { field: 'properties' });
    }
    if (condition.op === PropertyOp.EXISTS) return { key, op: condition.op };
    if (condition.value === null || condition.value === undefined) {
      throw badInput(`The ${condition.op} condition on "${key}" needs a value.`, { field: 'properties' });
    }
    return { key, op: condition.op, value: condition.value };
  });
  if (properties.length > ANALYTICS_LIMITS.filterProperties) {
    throw badInput(`A filter takes at most ${ANALYTICS_LIMITS.filterProperties} property conditions.`, {
      field: 'properties',
    });
  }
  const filter: EventFilter = {};
  const names = list(input.names, 'names');
  const types = list(input.types, 'types');
  const userIds = list(input.userIds, 'userIds');
  if (names) filter.names = names;
  if (types) filter.types = types;
  if (userIds) filter.userIds = userIds;
  if (properties.length > 0) filter.properties = properties;
  return filter;
}
