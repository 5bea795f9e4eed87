import { type EventFilter, PropertyOp } from '@tally/shared';

/** Collects a statement's values and hands out their placeholders: no value is ever pasted in. */
export class SqlParams {
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

/** Whether filters (all of which must match) match every event. */
export function isEmptyFilter(filters: readonly EventFilter[]): boolean {
  return filters.every((f) => !f.names?.length && !f.types?.length && !f.userIds?.length && !f.properties?.length);
}

/** Whether the hourly rollups, keyed by name and type, can answer the filters exactly. */
export function rollupsCanAnswer(filters: readonly EventFilter[]): boolean {
  return filters.every((f) => !f.userIds?.length && !f.properties?.length);
}

/** The names/types part of the filters, on columns `name` and `type` of `alias`. */
export function nameTypeCondition(filters: readonly EventFilter[], params: SqlParams, alias: string): string {
  const parts: string[] = [];
  for (const filter of filters) {
    if (filter.names?.length) parts.push(`${alias}.name = ANY(${params.add(filter.names, 'text[]')})`);
    if (filter.types?.length) parts.push(`${alias}.type = ANY(${params.add(filter.types, 'text[]')})`);
  }
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

/**
 * Filters (every one must match) as a condition on the events of `alias`: within one filter,
 * names, types and user ids are "any of" and all its parts must hold;
 * property conditions compare the property's text (`properties ->> key`): EQ equal, NEQ missing
 * or different, CONTAINS a case-insensitive substring, EXISTS present (even when null).
 */
export function eventCondition(filters: readonly EventFilter[], params: SqlParams, alias: string): string {
  const parts: string[] = [];
  const nameType = nameTypeCondition(filters, params, alias);
  if (nameType !== 'TRUE') parts.push(nameType);
  for (const filter of filters) {
    if (filter.userIds?.length) parts.push(`${alias}.user_id = ANY(${params.add(filter.userIds, 'text[]')})`);
    parts.push(...propertyConditions(filter, params, alias));
  }
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

function propertyConditions(filter: EventFilter, params: SqlParams, alias: string): string[] {
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
