import { Field, ObjectType } from 'type-graphql';
import { badInput, isUuid } from './errors';
import { hasControlCharacter } from './text';

@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** `first` of a list argument: default when absent, capped, never below 1. */
export function pageSize(first: number | null | undefined, defaults: { default: number; max: number }): number {
  if (first === null || first === undefined) return defaults.default;
  if (!Number.isInteger(first) || first < 1) throw badInput('`first` must be a positive whole number.');
  return Math.min(first, defaults.max);
}

/** Opaque cursors: base64url of a JSON array of the sort key. Anything else is BAD_USER_INPUT. */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

const BAD_CURSOR = 'This cursor is not valid: pass an endCursor this API returned.';
export const badCursor = () => badInput(BAD_CURSOR, { field: 'after' });

export function decodeCursor(cursor: string, length: number): string[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = null;
  }
  if (!Array.isArray(key) || key.length !== length || !key.every((part) => typeof part === 'string')) {
    throw badCursor();
  }
  return key as string[];
}

/** A time as the cursors write it: ISO 8601 in UTC, years 0001–9999, up to microseconds. */
const CURSOR_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,6})?Z$/;
/** Ids that are not UUIDs (session ids) are texts of at most this many characters. */
const MAX_TEXT_ID = 200;

/** A keyset cursor's position: the time as written (to the microsecond), as a Date, and the id. */
export interface KeysetPosition {
  at: string;
  time: Date;
  id: string;
}

/**
 * A keyset cursor (`[time, id]`), checked so that whatever a client writes into one becomes
 * BAD_USER_INPUT before any query: a real calendar time in the range PostgreSQL stores (a date
 * of year −271821 or 30 February was a 500) and an id of the right kind — a UUID, or a text of
 * at most 200 characters without control characters (a NUL was PostgreSQL's 22021, a 500).
 */
export function decodeKeysetCursor(cursor: string, id: 'uuid' | 'text'): KeysetPosition {
  const [at = '', key = ''] = decodeCursor(cursor, 2);
  return { at, time: cursorTime(at), id: cursorId(key, id) };
}

/**
 * A cursor's time as a Date: a real calendar time in the range PostgreSQL stores, written as the
 * cursors write it; BAD_USER_INPUT otherwise.
 */
export function cursorTime(at: string): Date {
  const time = CURSOR_TIME.exec(at);
  const seconds = time?.[1] ?? '';
  const ms = Date.parse(`${seconds}Z`);
  // The round trip refuses what Date.parse rolls over (30 February, 24:00) and year 0.
  if (!time || Number.isNaN(ms) || seconds.startsWith('0000') || new Date(ms).toISOString().slice(0, 19) !== seconds) {
    throw badCursor();
  }
  return new Date(Date.parse(at));
}

/** A cursor's id: a UUID, or a text of at most 200 characters without control characters. */
export function cursorId(key: string, id: 'uuid' | 'text'): string {
  const valid = id === 'uuid' ? isUuid(key) : key.length > 0 && key.length <= MAX_TEXT_ID && !hasControlCharacter(key);
  if (!valid) throw badCursor();
  return key;
}

/** A store's page as a connection: its nodes, and the cursor of the last one. */
export function connectionOf<T>(
  page: { nodes: T[]; hasNextPage: boolean },
  cursorOf: (node: T) => string,
): { nodes: T[]; pageInfo: PageInfo } {
  const last = page.nodes.at(-1);
  return { nodes: page.nodes, pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? cursorOf(last) : null } };
}
