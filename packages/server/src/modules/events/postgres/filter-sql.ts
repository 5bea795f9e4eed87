import { type EventFilter, PropertyOp } from '@tally/shared';

/** Hands out the placeholder of a value, with an optional cast (`uuid`, `text[]`, …). */
export interface Placeholders {
  add(value: unknown, cast?: string): string;
}

/** Collects a statement's values and hands out their placeholders: no value is ever pasted in. */
export class SqlParams implements Placeholders {
  readonly values: unknown[] = [];

  constructor(...initial: unknown[]) {
    this.values.push(...initial);
  }

  /** The placeholder of a new value, with an optional cast (`uuid`, `text[]`, …). */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}

/**
 * Placeholders for a statement that takes no parameters (`COPY (…) TO STDOUT`): each value becomes
 * a transaction-local setting, set beforehand with real parameters (`set_config(name, value, true)`
 * for every entry of `settings`), and the statement reads it back with `current_setting`. Only the
 * setting's name, made here from a fixed prefix and a counter, is written into the statement.
 */
export class SettingParams implements Placeholders {
  readonly settings: Array<{ name: string; value: string }> = [];

  /** `prefix` is a custom setting's namespace and stem, e.g. `tally.export_p`. */
  constructor(private readonly prefix: string) {
    if (!/^[a-z_]+\.[a-z_]+$/.test(prefix)) throw new Error(`bad setting prefix ${prefix}`);
  }

  add(value: unknown, cast?: string): string {
    const name = `${this.prefix}${this.settings.length + 1}`;
    if (cast?.endsWith('[]')) {
      // An array travels as JSON text and is unpacked once (an InitPlan), not per row.
      this.settings.push({ name, value: JSON.stringify(value) });
      return `ARRAY(SELECT jsonb_array_elements_text(current_setting('${name}')::jsonb)::${cast.slice(0, -2)})`;
    }
    this.settings.push({ name, value: value instanceof Date ? value.toISOString() : String(value) });
    return `current_setting('${name}')::${cast ?? 'text'}`;
  }
}

/** Up to this many names, a names condition is one the indexes take (see nameIn). */
const INDEXED_NAMES = 16;

/**
 * `alias.name` is one of `names`. A few names are an index condition: one index descent per name
 * and range read, the fastest way to a few names among hundreds. A longer list is a hashed test
 * of each row the ranges hold (the `|| ''` keeps the planner from descending once per name):
 * Tools & Usage's previous period asks for the 200 names it shows, and as index conditions over a
 * 30-day range's 15 block ranges those were 3,000 descents, about 20 ms even where the period
 * held no events at all.
 */
export function nameIn(alias: string, names: readonly string[], params: Placeholders): string {
  const list = params.add(names, 'text[]');
  return names.length > INDEXED_NAMES ? `(${alias}.name || '') = ANY(${list})` : `${alias}.name = ANY(${list})`;
}

/** The names/types part of the filters, on columns `name` and `type` of `alias`. */
export function nameTypeCondition(filters: readonly EventFilter[], params: Placeholders, alias: string): string {
  const parts: string[] = [];
  for (const filter of filters) {
    if (filter.names?.length) parts.push(nameIn(alias, filter.names, params));
    if (filter.types?.length) parts.push(`${alias}.type = ANY(${params.add(filter.types, 'text[]')})`);
  }
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

/**
 * Filters as a condition on the events of `alias`, meaning exactly what query/matches-event.ts
 * says (the contract suite checks it): every filter and every part of one must hold; names, types
 * and user ids are "any of"; a property condition compares `properties ->> key`.
 */
export function eventCondition(filters: readonly EventFilter[], params: Placeholders, alias: string): string {
  const parts: string[] = [];
  const nameType = nameTypeCondition(filters, params, alias);
  if (nameType !== 'TRUE') parts.push(nameType);
  for (const filter of filters) {
    if (filter.userIds?.length) parts.push(`${alias}.user_id = ANY(${params.add(filter.userIds, 'text[]')})`);
    parts.push(...propertyConditions(filter, params, alias));
  }
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

function propertyConditions(filter: EventFilter, params: Placeholders, alias: string): string[] {
  const parts: string[] = [];
  for (const condition of filter.properties ?? []) {
    const key = params.add(condition.key, 'text');
    const value = condition.value ?? '';
    const field = `(${alias}.properties ->> ${key})`;
    switch (condition.op) {
      case PropertyOp.EQ:
        parts.push(`${field} = ${params.add(value, 'text')}`);
        break;
      case PropertyOp.NEQ:
        parts.push(`${field} IS DISTINCT FROM ${params.add(value, 'text')}`);
        break;
      case PropertyOp.CONTAINS:
        parts.push(`strpos(lower(${field}), lower(${params.add(value, 'text')})) > 0`);
        break;
      case PropertyOp.EXISTS:
        parts.push(`COALESCE(${alias}.properties ? ${key}, FALSE)`);
        break;
    }
  }
  return parts;
}
