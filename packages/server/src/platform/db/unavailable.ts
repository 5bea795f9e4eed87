import { ErrorCode } from '@tally/shared';
import { AppError } from '../errors';

/**
 * Whether an error means the database cannot be reached right now (stopped, restarting, a
 * broken connection, no connection within DATABASE_CONNECT_TIMEOUT_MS) rather than a bug: REST
 * and GraphQL answer such errors with UNAVAILABLE, 503 and Retry-After, so that clients send
 * again later.
 */
const SOCKET_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** SQLSTATEs: admin_shutdown, crash_shutdown, cannot_connect_now (class 08 is checked below). */
const SERVER_GOING_AWAY: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03']);

/** What node-postgres and its pool throw when a connection ends or none comes in time. */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Connection ended unexpectedly',
];

/** Retry-After, in seconds, for answers given while the database is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth += 1) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (SOCKET_ERRORS.has(code) || SERVER_GOING_AWAY.has(code) || code.startsWith('08'))) {
      return true;
    }
    if (typeof message === 'string' && DRIVER_MESSAGES.some((m) => message.includes(m))) return true;
    // TypeORM wraps the driver's error, GraphQL a resolver's (originalError; `thrownValue` when
    // graphql-js did not take it for an Error, as for one made in another realm); an
    // AggregateError (a refused dual-stack connect) holds several.
    const inner = e as {
      driverError?: unknown;
      originalError?: unknown;
      thrownValue?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (Array.isArray(inner.errors) && inner.errors.some((x) => isDatabaseUnavailable(x))) return true;
    e = inner.driverError ?? inner.originalError ?? inner.thrownValue ?? inner.cause;
  }
  return false;
}

/** The answer to a request that met an unreachable database: UNAVAILABLE (503) with `retryAfterSeconds`. */
export function databaseUnavailable(): AppError {
  return new AppError(ErrorCode.UNAVAILABLE, 'The database cannot be reached; try again shortly.', {
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
  });
}
