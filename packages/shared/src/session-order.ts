/** What a list of sessions is sorted by (`Analytics.sessions(orderBy:)`). */
export const SessionOrderField = {
  STARTED_AT: 'STARTED_AT',
  DURATION: 'DURATION',
  EVENTS: 'EVENTS',
  ERRORS: 'ERRORS',
} as const;
export type SessionOrderField = (typeof SessionOrderField)[keyof typeof SessionOrderField];

/** Ascending or descending. */
export const OrderDirection = {
  ASC: 'ASC',
  DESC: 'DESC',
} as const;
export type OrderDirection = (typeof OrderDirection)[keyof typeof OrderDirection];

export interface SessionOrder {
  field: SessionOrderField;
  direction: OrderDirection;
}

/** Newest first: the order when none is asked for. */
export const DEFAULT_SESSION_ORDER: SessionOrder = {
  field: SessionOrderField.STARTED_AT,
  direction: OrderDirection.DESC,
};

export function isSessionOrderField(value: unknown): value is SessionOrderField {
  return Object.values<unknown>(SessionOrderField).includes(value);
}

export function isOrderDirection(value: unknown): value is OrderDirection {
  return value === OrderDirection.ASC || value === OrderDirection.DESC;
}
