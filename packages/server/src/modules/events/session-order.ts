import { DEFAULT_SESSION_ORDER, SessionOrderField, type SessionOrder } from '@tally/shared';
import type { SessionData, SessionKey } from './event-store';

/**
 * A session's value in a list sorted by `field`, as every engine sorts by it: its start in epoch
 * milliseconds, its duration (end − start) in milliseconds, its events, its errors. Times are
 * kept to the millisecond, so each is a whole number.
 */
export function sessionSortValue(session: SessionData, field: SessionOrderField): number {
  switch (field) {
    case SessionOrderField.STARTED_AT:
      return session.startedAt.getTime();
    case SessionOrderField.DURATION:
      return session.endedAt.getTime() - session.startedAt.getTime();
    case SessionOrderField.EVENTS:
      return session.eventCount;
    case SessionOrderField.ERRORS:
      return session.errorCount;
  }
}

/** The key of a session in a list sorted by `order`: where the next page continues. */
export function sessionKeyOf(session: SessionData, order: SessionOrder = DEFAULT_SESSION_ORDER): SessionKey {
  return { value: sessionSortValue(session, order.field), id: session.id };
}
