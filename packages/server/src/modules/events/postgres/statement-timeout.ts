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
