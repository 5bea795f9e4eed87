import { useState } from 'react';

/** A page of a cursor-paginated list, as the API returns it (`nodes` + `pageInfo`). */
export interface CursorConnection<TNode extends { id: string }> {
  nodes: readonly TNode[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/** Where the list is in a query's answer (`data.workspace?.auditLog`). */
export type ConnectionOf<TData, TNode extends { id: string }> = (
  data: TData,
) => CursorConnection<TNode> | null | undefined;

/**
 * `value` with the one object `target` (found by identity) replaced by `replacement`; the
 * objects and arrays on the way to it are copied, everything else is shared.
 */
function replaceWithin(value: unknown, target: object, replacement: object): unknown {
  if (value === target) return replacement;
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    const copied = items.map((item) => replaceWithin(item, target, replacement));
    return copied.some((item, i) => item !== items[i]) ? copied : value;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const copied = entries.map(([key, item]) => [key, replaceWithin(item, target, replacement)] as const);
    return copied.some(([, item], i) => item !== entries[i]?.[1]) ? Object.fromEntries(copied) : value;
  }
  return value;
}

/**
 * The answer for the next page, with its list made of the pages shown and then the new one (a
 * node already shown is not repeated: rows can move between pages while the list changes). The
 * rest of the answer (counts, the session's own fields) and `pageInfo` come from the new page.
 * Without a list in either answer, the one shown stays.
 */
export function appendCursorPage<TData, TNode extends { id: string }>(
  shown: TData,
  next: TData,
  connectionOf: ConnectionOf<TData, TNode>,
): TData {
  const before = connectionOf(shown);
  const page = connectionOf(next);
  if (!before || !page) return shown;
  const seen = new Set(before.nodes.map((node) => node.id));
  const merged = { ...page, nodes: [...before.nodes, ...page.nodes.filter((node) => !seen.has(node.id))] };
  // Sound: `merged` has the type of the object it replaces, so the answer keeps its type.
  return replaceWithin(next, page, merged) as TData;
}

/** The part of Apollo's `fetchMore` this hook uses. */
type FetchMore<TData> = (options: {
  variables: { after: string };
  updateQuery: (previous: TData, options: { fetchMoreResult: TData }) => TData;
}) => Promise<unknown>;

/**
 * "Load more" for a query with a cursor-paginated list: `loadMore` fetches the page after the
 * last one shown and appends it (`appendCursorPage`); `loadingMore` while it is on its way;
 * `moreError` why it failed (cleared by the next try). The first page's loading and error stay
 * with the query.
 */
export function useCursorPages<TData, TNode extends { id: string }>(
  data: TData | undefined,
  fetchMore: FetchMore<TData>,
  connectionOf: ConnectionOf<TData, TNode>,
): { loadMore: () => Promise<void>; loadingMore: boolean; moreError: unknown } {
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);

  async function loadMore(): Promise<void> {
    const after = data ? connectionOf(data)?.pageInfo.endCursor : null;
    if (!after) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      await fetchMore({
        variables: { after },
        updateQuery: (previous, { fetchMoreResult }) => appendCursorPage(previous, fetchMoreResult, connectionOf),
      });
    } catch (caught) {
      setMoreError(caught);
    } finally {
      setLoadingMore(false);
    }
  }

  return { loadMore, loadingMore, moreError };
}
