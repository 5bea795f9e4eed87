import type { EventInput, SessionInput } from './event-store';

/**
 * What every engine does with a batch before storing it, written once (the reference store,
 * reference/memory-event-store.ts, states the same rules by its own plain code).
 */

/** A client id twice in one batch: the first copy counts, later ones are duplicates. */
export function firstCopies(events: readonly EventInput[]): EventInput[] {
  const seen = new Set<string>();
  return events.filter((event) => {
    if (!event.clientId) return true;
    if (seen.has(event.id)) return false;
    seen.add(event.id);
    return true;
  });
}

/** A batch's sessions merged per id: the last user id given, attributes merged in order. */
export function mergeSessions(sessions: readonly SessionInput[]): SessionInput[] {
  const byId = new Map<string, SessionInput>();
  for (const session of sessions) {
    const known = byId.get(session.id);
    if (!known) byId.set(session.id, { ...session });
    else {
      known.userId = session.userId ?? known.userId;
      if (session.attributes) known.attributes = { ...known.attributes, ...session.attributes };
    }
  }
  return [...byId.values()];
}
