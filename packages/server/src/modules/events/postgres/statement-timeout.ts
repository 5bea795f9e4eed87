import { type AppError, badInput } from '../../../platform/errors';

/**
 * Whether PostgreSQL stopped a statement because of `statement_timeout` (query_canceled, 57014,
 * "canceling statement due to statement timeout"), not a cancel request or a shutdown.
 */
export function isStatementTimeout(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code: unknown = Reflect.get(error, 'code');
  const message: unknown = Reflect.get(error, 'message');
  return code === '57014' && typeof message === 'string' && message.includes('statement timeout');
}

/** What a caller hears when one of its analytics statements ran out of time. */
export function tooSlow(timeoutMs: number | null): AppError {
  const limit = timeoutMs === null ? '' : ` (${timeoutMs} ms)`;
  return badInput(
    `This analytics query took too long${limit} and was stopped: narrow the range or the filter, or ask for fewer fields at once.`,
    timeoutMs === null ? { reason: 'STATEMENT_TIMEOUT' } : { reason: 'STATEMENT_TIMEOUT', timeoutMs },
  );
}
