import type { EventKey, SessionKey } from '../events/event-store';
import { decodeKeysetCursor, encodeCursor } from '../../platform/pagination';

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

/** The cursor of a session in a list of sessions: `[startedAt, id]`. */
export function encodeSessionCursor(key: SessionKey): string {
  return encodeCursor([key.startedAt.toISOString(), key.id]);
}

/** An `after` of a list of sessions as the store's keyset; BAD_USER_INPUT when tampered with. */
export function decodeSessionCursor(after: string | null | undefined): SessionKey | null {
  if (after === null || after === undefined) return null;
  const { time, id } = decodeKeysetCursor(after, 'text');
  return { startedAt: time, id };
}
