import { ANALYTICS_LIMITS, type EventFilter, PropertyOp } from '@tally/shared';
import { z } from 'zod';
import { badInput } from '../../../platform/errors';
import { CONTROL_CHARACTER_REFUSAL, holdsControlCharacter } from '../../../platform/text';

/** Longest value a property condition compares with (EventFilterInput's `value`, @MaxLength). */
export const PROPERTY_VALUE_MAX_LENGTH = 1000;

/**
 * EventFilterInput's shape, for an event filter that arrives outside GraphQL (the export's
 * `filter` query parameter, as JSON). What it checks beyond the shape is normalizeEventFilter's.
 */
const eventFilterShape = z.strictObject({
  names: z.array(z.string()).nullish(),
  types: z.array(z.string()).nullish(),
  userIds: z.array(z.string()).nullish(),
  properties: z
    .array(
      z.strictObject({
        key: z.string(),
        op: z.enum(PropertyOp),
        value: z.string().nullish(),
      }),
    )
    .nullish(),
});

/** Parses an EventFilterInput written as JSON and normalises it; BAD_USER_INPUT names what is wrong. */
export function parseEventFilterJson(text: string, field: string): EventFilter {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badInput(`The ${field} is not JSON: pass an EventFilterInput, e.g. {"names":["search"]}.`, { field });
  }
  // What GraphQL refuses in the same filter, with the same words: a NUL (`\u0000` in JSON) or a
  // lone surrogate would otherwise reach PostgreSQL, which fails the query (a 500).
  if (holdsControlCharacter(json)) throw badInput(`The ${field} ${CONTROL_CHARACTER_REFUSAL}`, { field });
  const parsed = eventFilterShape.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw badInput(`The ${field} is not an EventFilterInput${at}: ${issue?.message ?? 'unexpected shape'}.`, {
      field,
    });
  }
  return normalizeEventFilter(parsed.data);
}

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
    if (condition.value.length > PROPERTY_VALUE_MAX_LENGTH) {
      throw badInput(`A property condition's value is at most ${PROPERTY_VALUE_MAX_LENGTH} characters.`, {
        field: 'properties',
      });
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
