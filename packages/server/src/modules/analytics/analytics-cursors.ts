import {
  DEFAULT_SESSION_ORDER,
  type OrderDirection,
  type SessionOrder,
  SessionOrderField,
  isOrderDirection,
  isSessionOrderField,
} from '@tally/shared';
import { badInput } from '../../platform/errors';
import type { EventKey, SessionKey } from '../events/event-store';
import {
  badCursor,
  cursorId,
  cursorTime,
  decodeCursor,
  decodeKeysetCursor,
  encodeCursor,
} from '../../platform/pagination';

// The analytics lists' cursors: the GraphQL side of the store's typed keysets.

/** The cursor of an event in a list of events (activity, a session's timeline): `[ts, id]`. */
export function encodeEventCursor(key: EventKey): string {
  return encodeCursor([key.ts.toISOString(), key.id]);
}

/** An `after` of a list of events as the store's keyset; BAD_USER_INPUT when tampered with. */
export function decodeEventCursor(after: string | null | undefined): EventKey | null {
  if (after === null || after === undefined) return null;
  const { time, id } = decodeKeysetCursor(after, 'uuid');
  return { ts: time, id };
}

/** The name of an order in a session cursor: `STARTED_AT.DESC`, `EVENTS.ASC`, … */
function orderTag(order: SessionOrder): string {
  return `${order.field}.${order.direction}`;
}

/** Whole numbers a session's non-time order value is written as (at most 15 digits: exact in a double). */
const WHOLE = /^\d{1,15}$/;

/**
 * The cursor of a session in a list of sessions in `order`: `[order, value, id]`, the value a
 * time (ISO) for STARTED_AT, else a whole number. The order is in it, so that a cursor is never
 * read as a position in a list sorted another way.
 */
export function encodeSessionCursor(key: SessionKey, order: SessionOrder = DEFAULT_SESSION_ORDER): string {
  const value = order.field === SessionOrderField.STARTED_AT ? new Date(key.value).toISOString() : String(key.value);
  return encodeCursor([orderTag(order), value, key.id]);
}

/**
 * An `after` of a list of sessions in `order` as the store's keyset; BAD_USER_INPUT when tampered
 * with, or when it is a cursor of a list in another order (which names both orders).
 */
export function decodeSessionCursor(
  after: string | null | undefined,
  order: SessionOrder = DEFAULT_SESSION_ORDER,
): SessionKey | null {
  if (after === null || after === undefined) return null;
  const [tag = '', value = '', id = ''] = decodeCursor(after, 3);
  const expected = orderTag(order);
  if (tag !== expected) {
    const [field, direction] = tag.split('.');
    if (!isSessionOrderField(field) || !isOrderDirection(direction)) throw badCursor();
    throw badInput(
      `This cursor belongs to the sessions in ${orderName(field, direction)} order, not in ${orderName(order.field, order.direction)} order: pass an endCursor of the list with the same orderBy.`,
      { field: 'after' },
    );
  }
  if (order.field === SessionOrderField.STARTED_AT)
    return { value: cursorTime(value).getTime(), id: cursorId(id, 'text') };
  if (!WHOLE.test(value)) throw badCursor();
  return { value: Number(value), id: cursorId(id, 'text') };
}

function orderName(field: SessionOrderField, direction: OrderDirection): string {
  return `${field} ${direction}`;
}
