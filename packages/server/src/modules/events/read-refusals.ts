import { type AppError, badInput } from '../../platform/errors';

/**
 * What a caller hears when one of its analytics statements hit a limit of the engine (a time
 * limit on every engine, a memory limit on ClickHouse): the caller's too-wide question, not a
 * fault — BAD_USER_INPUT saying what to narrow, the same words on every engine.
 */
export function tooSlow(timeoutMs: number | null): AppError {
  const limit = timeoutMs === null ? '' : ` (${timeoutMs} ms)`;
  return badInput(
    `This analytics query took too long${limit} and was stopped: narrow the range or the filter, or ask for fewer fields at once.`,
    timeoutMs === null ? { reason: 'STATEMENT_TIMEOUT' } : { reason: 'STATEMENT_TIMEOUT', timeoutMs },
  );
}

export function tooBig(limitBytes: number): AppError {
  return badInput(
    `This analytics query needed more memory than allowed (${Math.round(limitBytes / 1048576)} MB) and was stopped: narrow the range or the filter.`,
    { reason: 'MEMORY_LIMIT', limitBytes },
  );
}
