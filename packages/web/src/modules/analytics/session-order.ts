import { DEFAULT_SESSION_ORDER, OrderDirection, type SessionOrder, SessionOrderField } from '@tally/shared';

/** How each order is written in the address (`?sort=events&dir=asc`) and named on the page. */
export const SESSION_SORTS = [
  { field: SessionOrderField.STARTED_AT, param: 'started', label: 'Started' },
  { field: SessionOrderField.DURATION, param: 'duration', label: 'Duration' },
  { field: SessionOrderField.EVENTS, param: 'events', label: 'Events' },
  { field: SessionOrderField.ERRORS, param: 'errors', label: 'Errors' },
] as const;

/** The order of an address's `sort` and `dir`; newest first where absent or unknown. */
export function readSessionOrder(sortParam: string | null, dirParam: string | null): SessionOrder {
  const sort = SESSION_SORTS.find((s) => s.param === sortParam);
  if (!sort) return DEFAULT_SESSION_ORDER;
  return { field: sort.field, direction: dirParam === 'asc' ? OrderDirection.ASC : OrderDirection.DESC };
}

/** Writes an order into the address; the default order leaves it out. */
export function writeSessionOrder(params: URLSearchParams, order: SessionOrder): void {
  const isDefault = order.field === DEFAULT_SESSION_ORDER.field && order.direction === DEFAULT_SESSION_ORDER.direction;
  const sort = SESSION_SORTS.find((s) => s.field === order.field);
  if (isDefault || !sort) {
    params.delete('sort');
    params.delete('dir');
    return;
  }
  params.set('sort', sort.param);
  params.set('dir', order.direction === OrderDirection.ASC ? 'asc' : 'desc');
}

/**
 * The order after a click on a column: that column, biggest (or newest) first; a second click
 * on the same column turns it around.
 */
export function nextSessionOrder(current: SessionOrder, field: SessionOrderField): SessionOrder {
  if (current.field !== field) return { field, direction: OrderDirection.DESC };
  return { field, direction: current.direction === OrderDirection.DESC ? OrderDirection.ASC : OrderDirection.DESC };
}

/** "Events, most first", for the phone's Sort by select and for screen readers. */
export function describeSessionOrder(order: SessionOrder): string {
  const label = SESSION_SORTS.find((s) => s.field === order.field)?.label ?? 'Started';
  const desc = order.direction === OrderDirection.DESC;
  switch (order.field) {
    case SessionOrderField.STARTED_AT:
      return `${label}, ${desc ? 'newest' : 'oldest'} first`;
    case SessionOrderField.DURATION:
      return `${label}, ${desc ? 'longest' : 'shortest'} first`;
    default:
      return `${label}, ${desc ? 'most' : 'fewest'} first`;
  }
}

/** Every order, as the options of a select: `STARTED_AT.DESC` → "Started, newest first". */
export const SESSION_ORDER_OPTIONS = SESSION_SORTS.flatMap((s) =>
  [OrderDirection.DESC, OrderDirection.ASC].map((direction) => ({
    value: `${s.field}.${direction}`,
    label: describeSessionOrder({ field: s.field, direction }),
  })),
);

export function sessionOrderOfOption(value: string): SessionOrder | null {
  const [field, direction] = value.split('.');
  const sort = SESSION_SORTS.find((s) => s.field === field);
  if (!sort || (direction !== OrderDirection.ASC && direction !== OrderDirection.DESC)) return null;
  return { field: sort.field, direction };
}

/** `search` (a query string, '' or `?…`) with the list's order of `from` added, so a session's page leads back to it. */
export function carrySessionOrder(search: string, from: URLSearchParams): string {
  const params = new URLSearchParams(search);
  for (const key of ['sort', 'dir']) {
    const value = from.get(key);
    if (value) params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
