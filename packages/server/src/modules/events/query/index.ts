/** The event filter: its normalisation and limits, and its meaning (matches-event.ts). */
export { PROPERTY_VALUE_MAX_LENGTH, normalizeEventFilter, parseEventFilterJson } from './event-filter';
export { isEmptyFilter, jsonbText, matchesEvent, propertyText, rollupsCanAnswer } from './matches-event';
