/**
 * Tally's rules for one event, checked when it is tracked: Tally refuses a whole batch for one
 * bad event, so a bad one is reported at once (`invalid_event`) and never queued, and the other
 * events of its batch still arrive. The server's own schema is the reference
 * (packages/server/src/modules/events/ingest.schema.ts).
 */

export type JsonObject = { [key: string]: unknown };

/** C0 control characters except tab and line breaks, and broken UTF-16: what Tally refuses in text. */
const CONTROL =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const MAX_JSON_BYTES = 8 * 1024;
export const MAX_JSON_DEPTH = 32;
export const MAX_DURATION_MS = 7 * 24 * 60 * 60 * 1000;

const encoder = new TextEncoder();

/** Bytes of a text as UTF-8. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** A problem with a text field (1 to `max` characters, no control characters), or null. */
export function textProblem(value: unknown, what: string, max: number): string | null {
  if (typeof value !== 'string' || value.length === 0) return `${what}: not a non-empty string`;
  if (value.length > max) return `${what} must be at most ${max} characters`;
  if (CONTROL.test(value)) return `${what} must not contain control characters`;
  return null;
}

function jsonWalk(value: unknown, level: number): string | null {
  if (typeof value === 'string') return CONTROL.test(value) ? 'must not contain control characters' : null;
  if (typeof value !== 'object' || value === null) return null;
  if (level > MAX_JSON_DEPTH) return `must nest at most ${MAX_JSON_DEPTH} levels deep`;
  for (const [key, nested] of Object.entries(value)) {
    if (CONTROL.test(key)) return 'must not contain control characters';
    if (level === 1 && key.length > 200) return 'keys must be at most 200 characters';
    const problem = jsonWalk(nested, level + 1);
    if (problem) return problem;
  }
  return null;
}

/**
 * A JSON object as Tally takes it (`properties`, a session's `attributes`): what JSON.stringify
 * makes of `value`, at most 8 KiB, 32 levels deep, no control characters. Returns the object as it
 * will be sent, or the problem.
 */
export function jsonObject(value: unknown, what: string): { value: JsonObject } | { problem: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: `${what} must be a JSON object` };
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    return { problem: `${what}: not JSON` };
  }
  if (byteLength(text) > MAX_JSON_BYTES) return { problem: `${what} must be at most ${MAX_JSON_BYTES} bytes as JSON` };
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { problem: `${what} must be a JSON object` };
  }
  const problem = jsonWalk(parsed, 1);
  return problem ? { problem: `${what} ${problem}` } : { value: parsed as JsonObject };
}

/** An ISO 8601 time (UTC) from a Date, an ISO string or epoch milliseconds, or the problem. */
export function timestamp(value: Date | string | number): { value: string } | { problem: string } {
  const date = value instanceof Date ? value : new Date(value);
  const time = date.getTime();
  if (Number.isNaN(time)) return { problem: 'timestamp must be a valid date' };
  return { value: date.toISOString() };
}

/** A problem with `durationMs` (0 to 7 days), or null. */
export function durationProblem(value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DURATION_MS) {
    return `durationMs must be a number from 0 to ${MAX_DURATION_MS} (7 days)`;
  }
  return null;
}
