import { appendCursorPage } from '../src/app/use-cursor-pages';

interface Answer {
  workspace: {
    id: string;
    analytics: {
      session: {
        id: string;
        eventCount: number;
        events: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } | null;
    };
  } | null;
}

function answer(ids: string[], endCursor: string | null, eventCount = 5): Answer {
  return {
    workspace: {
      id: 'w1',
      analytics: {
        session: {
          id: 's1',
          eventCount,
          events: { nodes: ids.map((id) => ({ id })), pageInfo: { hasNextPage: endCursor !== null, endCursor } },
        },
      },
    },
  };
}

const eventsOf = (data: Answer) => data.workspace?.analytics.session?.events;

describe('appendCursorPage (useCursorPages: Load more appends the next page)', () => {
  it('puts the new page under the shown ones, with the new page’s pageInfo and the rest of its answer', () => {
    const shown = answer(['e1', 'e2'], 'c2', 5);
    const merged = appendCursorPage(shown, answer(['e3', 'e4'], null, 6), eventsOf);
    expect(eventsOf(merged)?.nodes.map((n) => n.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(eventsOf(merged)?.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
    expect(merged.workspace?.analytics.session?.eventCount).toBe(6);
  });

  it('does not repeat a node that moved onto the next page while the list changed', () => {
    const merged = appendCursorPage(answer(['e1', 'e2'], 'c2'), answer(['e2', 'e3'], 'c3'), eventsOf);
    expect(eventsOf(merged)?.nodes.map((n) => n.id)).toEqual(['e1', 'e2', 'e3']);
    expect(eventsOf(merged)?.pageInfo.endCursor).toBe('c3');
  });

  it('leaves both answers as they were (copies the path to the list, nothing else)', () => {
    const shown = answer(['e1'], 'c1');
    const next = answer(['e2'], null);
    const snapshot = JSON.stringify([shown, next]);
    const merged = appendCursorPage(shown, next, eventsOf);
    expect(JSON.stringify([shown, next])).toBe(snapshot);
    expect(merged).not.toBe(next);
    expect(merged.workspace).not.toBe(next.workspace);
  });

  it('keeps what is shown when either answer has no list (the session or the workspace is gone)', () => {
    const shown = answer(['e1'], 'c1');
    expect(appendCursorPage(shown, { workspace: null }, eventsOf)).toBe(shown);
    expect(appendCursorPage({ workspace: null }, answer(['e2'], null), eventsOf)).toEqual({ workspace: null });
  });
});
