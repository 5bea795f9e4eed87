import { type EventFilter, PropertyOp } from '@tally/shared';
import type { EventData } from '../event-store';

/**
 * The meaning of an event filter, written once; every engine compiles the same filter to its own
 * query language (postgres/filter-sql.ts) and the contract suite holds each to this reference
 * (test/event-store/contract.ts).
 *
 * - A query takes a list of filters (an ad-hoc one and a saved one): an event matches when it
 *   matches every one of them; an empty filter, or none, matches every event.
 * - Within one filter every part that is given must hold. `names`, `types` and `userIds` are
 *   "any of", compared exactly (case and all); an event without a user id never matches a
 *   `userIds` list.
 * - A property condition names one top-level key of the event's `properties` exactly as written:
 *   there are no paths (`a.b` is the key "a.b", never `b` inside `a`). It compares the property's
 *   text, which is what PostgreSQL's `properties ->> key` gives: a string's own characters; a
 *   number, boolean or nested object or array as its JSON text; nothing for a missing key or a
 *   JSON `null`.
 * - EQ: the text exists and equals `value`.
 * - NEQ: the text is missing (no such key, a JSON null, no properties at all) or differs from
 *   `value`. So NEQ on a key the event lacks matches: "not equal to x" includes "unset".
 * - CONTAINS: the text exists and holds `value` ignoring case (both lower-cased; the empty value
 *   is in every existing text). Case folding is exact for ASCII; beyond it an engine folds as its
 *   collation does.
 * - EXISTS: the key is present, even when its value is JSON `null`.
 *
 * Normalisation and limits (event-filter.ts, normalizeEventFilter) come before any of this: lists
 * trimmed, emptied of blanks and duplicates, capped; keys 1–200 characters; a value for all but
 * EXISTS.
 */
export function matchesEvent(event: EventData, filters: readonly EventFilter[]): boolean {
  return filters.every((filter) => matchesOne(event, filter));
}

function matchesOne(event: EventData, filter: EventFilter): boolean {
  if (filter.names?.length && !filter.names.includes(event.name)) return false;
  if (filter.types?.length && !filter.types.includes(event.type)) return false;
  if (filter.userIds?.length && (event.userId === null || !filter.userIds.includes(event.userId))) return false;
  for (const condition of filter.properties ?? []) {
    const properties = event.properties;
    const text = propertyText(properties, condition.key);
    const value = condition.value ?? '';
    switch (condition.op) {
      case PropertyOp.EQ:
        if (text !== value) return false;
        break;
      case PropertyOp.NEQ:
        if (text === value) return false;
        break;
      case PropertyOp.CONTAINS:
        if (text === null || !text.toLowerCase().includes(value.toLowerCase())) return false;
        break;
      case PropertyOp.EXISTS:
        if (!properties || !Object.hasOwn(properties, condition.key)) return false;
        break;
    }
  }
  return true;
}

/** A property's text as `properties ->> key` gives it; null when missing or JSON null. */
export function propertyText(properties: Record<string, unknown> | null, key: string): string | null {
  if (!properties || !Object.hasOwn(properties, key)) return null;
  const value: unknown = properties[key];
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return jsonbText(value);
}

/**
 * JSON text as PostgreSQL writes a jsonb value: object keys ordered by length, then bytes; `", "`
 * between items and `": "` after keys; numbers in plain decimal.
 */
export function jsonbText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return numericText(value);
  if (typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => jsonbText(item)).join(', ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort(
      (a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    return `{${keys.map((key) => `${JSON.stringify(key)}: ${jsonbText(Reflect.get(value, key))}`).join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A JSON number as jsonb's numeric writes it: always plain decimal (`1e-7` is `0.0000001`). */
function numericText(n: number): string {
  const text = JSON.stringify(n);
  const [mantissa = '0', exponentText] = text.split('e');
  if (exponentText === undefined) return text;
  const negative = mantissa.startsWith('-');
  const unsigned = negative ? mantissa.slice(1) : mantissa;
  const dot = unsigned.indexOf('.');
  const digits = unsigned.replace('.', '');
  const point = (dot === -1 ? unsigned.length : dot) + Number(exponentText);
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = `${digits}${'0'.repeat(point - digits.length)}`;
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${plain}` : plain;
}

/** Whether filters (all of which must match) match every event. */
export function isEmptyFilter(filters: readonly EventFilter[]): boolean {
  return filters.every((f) => !f.names?.length && !f.types?.length && !f.userIds?.length && !f.properties?.length);
}

/** Whether rollups keyed by name and type can answer the filters exactly (no user or property parts). */
export function rollupsCanAnswer(filters: readonly EventFilter[]): boolean {
  return filters.every((f) => !f.userIds?.length && !f.properties?.length);
}
