import { z } from 'zod';
import { hasControlCharacter } from '../../platform/text';

/**
 * The body of `POST /v1/events`: the one schema that validates every batch and that the
 * README's reference is printed from (`ingestReference()`; a test keeps the two equal).
 */

/** A request body's size. */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Events and sessions per batch. */
export const MAX_EVENTS_PER_BATCH = 1000;
/** Bytes of one event's `properties` (or one session's `attributes`) as JSON. */
export const MAX_JSON_BYTES = 8 * 1024;
const MAX_DURATION_MS = 7 * 24 * 60 * 60 * 1000;

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !hasControlCharacter(value), 'must not contain control characters');

/** How deep `properties` and `attributes` may nest: the object itself is level 1. */
export const MAX_JSON_DEPTH = 32;

/** Characters JSON.stringify writes as two (`\"`, `\\`, `\n`, …) among those a string may hold. */
const ESCAPED = /["\\\t\n\r]/g;

/** Bytes of a string as JSON, quotes included (its control characters are refused elsewhere). */
function jsonStringBytes(text: string): number {
  ESCAPED.lastIndex = 0;
  let escapes = 0;
  while (ESCAPED.test(text)) escapes += 1;
  return Buffer.byteLength(text) + 2 + escapes;
}

export type JsonProblem = 'depth' | 'size' | 'control';

/**
 * One walk over a parsed JSON value that checks its depth, its size as JSON and its keys and
 * strings for control characters, and stops at the first problem: the recursion never goes
 * deeper than MAX_JSON_DEPTH and the work never much past MAX_JSON_BYTES, however the body was
 * built (5,000 levels in 10 KB made JSON.stringify throw a RangeError, a 500). `budget.bytes`
 * counts what JSON.stringify would write (`inspectJson`'s test compares the two).
 */
function walkJson(value: unknown, level: number, budget: { bytes: number }): JsonProblem | undefined {
  if (typeof value === 'string') {
    if (hasControlCharacter(value)) return 'control';
    budget.bytes += jsonStringBytes(value);
  } else if (typeof value === 'number') {
    budget.bytes += Number.isFinite(value) ? String(value).length : 4;
  } else if (typeof value === 'boolean') {
    budget.bytes += value ? 4 : 5;
  } else if (value === null) {
    budget.bytes += 4;
  } else if (typeof value === 'object') {
    if (level > MAX_JSON_DEPTH) return 'depth';
    if (Array.isArray(value)) {
      budget.bytes += value.length === 0 ? 2 : value.length + 1;
      for (const item of value) {
        const problem = walkJson(item, level + 1, budget);
        if (problem) return problem;
      }
    } else {
      let keys = 0;
      for (const key in value) {
        if (hasControlCharacter(key)) return 'control';
        keys += 1;
        budget.bytes += jsonStringBytes(key) + 1;
        const problem = walkJson((value as Record<string, unknown>)[key], level + 1, budget);
        if (problem) return problem;
      }
      budget.bytes += keys === 0 ? 2 : keys + 1;
    }
  }
  return budget.bytes > MAX_JSON_BYTES ? 'size' : undefined;
}

/** What the walk finds in a parsed JSON value: its first problem, else its size as JSON in bytes. */
export function inspectJson(value: unknown): { problem: JsonProblem } | { bytes: number } {
  const budget = { bytes: 0 };
  const problem = walkJson(value, 1, budget);
  return problem ? { problem } : { bytes: budget.bytes };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A JSON object (the body was parsed from JSON, so every value in it is JSON already): keys of
 * at most 200 characters, nested at most MAX_JSON_DEPTH levels, no control characters, at most
 * MAX_JSON_BYTES as JSON. One pass in plain code, not a schema per nested value: this runs for
 * every event of every batch.
 */
const jsonObject = (what: string) =>
  z.custom<Record<string, unknown>>(isPlainObject, `${what} must be a JSON object`).superRefine((value, ctx) => {
    for (const key in value) {
      if (key.length > 200) {
        ctx.addIssue({ code: 'custom', message: `${what} keys must be at most 200 characters` });
        return;
      }
    }
    const problem = walkJson(value, 1, { bytes: 0 });
    if (problem === 'depth') {
      ctx.addIssue({ code: 'custom', message: `${what} must nest at most ${MAX_JSON_DEPTH} levels deep` });
    } else if (problem === 'size') {
      ctx.addIssue({ code: 'custom', message: `${what} must be at most ${MAX_JSON_BYTES} bytes as JSON` });
    } else if (problem === 'control') {
      ctx.addIssue({ code: 'custom', message: `${what} must not contain control characters` });
    }
  });

export const ingestEventSchema = z
  .object({
    id: z
      .uuid()
      .nullish()
      .describe('Optional client UUID: a resent batch with the same ids is stored once, with or without timestamps.'),
    sessionId: text(200).describe('The session the event belongs to (any string up to 200 characters).'),
    name: text(200).describe('What happened: a tool, a page, a custom event (up to 200 characters).'),
    type: text(50).default('custom').describe('Kind of event, e.g. `tool_call` or `pageview` (default `custom`).'),
    // The window of times taken is a setting, checked by IngestService once the batch parsed.
    timestamp: z.iso
      .datetime({ offset: true })
      .nullish()
      .describe(
        'ISO 8601 time with an offset (`Z` or `+02:00`), inside the timestamp window; default: when Tally received it. Kept to the millisecond.',
      ),
    userId: text(200).nullish().describe('Your id of the user, if known.'),
    durationMs: z
      .number()
      .min(0)
      .max(MAX_DURATION_MS)
      .nullish()
      .describe('How long it took, in milliseconds (up to 7 days).'),
    status: z.enum(['ok', 'error']).nullish().describe('`ok` or `error`; errors count in error rates.'),
    properties: jsonObject('properties')
      .nullish()
      .describe(
        `Any JSON object (at most ${MAX_JSON_BYTES / 1024} KiB, ${MAX_JSON_DEPTH} levels deep); filters compare its top-level keys.`,
      ),
  })
  .strict();

export const ingestSessionSchema = z
  .object({
    id: text(200).describe('The session id its events carry.'),
    userId: text(200).nullish().describe("The session's user."),
    attributes: jsonObject('attributes')
      .nullish()
      .describe(
        `A JSON object merged into the session's attributes (at most ${MAX_JSON_BYTES / 1024} KiB, ${MAX_JSON_DEPTH} levels deep), e.g. app version, device.`,
      ),
  })
  .strict();

export const ingestBatchSchema = z
  .object({
    events: z.array(ingestEventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
    sessions: z.array(ingestSessionSchema).max(MAX_EVENTS_PER_BATCH).optional(),
  })
  .strict();

export type IngestBatch = z.infer<typeof ingestBatchSchema>;

/** One problem of a refused batch: where (`events[3].timestamp`) and what. */
export interface IngestIssue {
  path: string;
  message: string;
}

export function describeIssues(error: z.ZodError, max = 100): IngestIssue[] {
  return error.issues.slice(0, max).map((issue) => ({
    path: issue.path
      .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
      .join(''),
    message: issue.message,
  }));
}

/** The README's field reference, printed from the schema (a test compares it with the README). */
export function ingestReference(): string {
  const rows = (schema: z.ZodObject) =>
    Object.entries(schema.shape).map(([name, field]) => {
      const required = !(field instanceof z.ZodType && field.safeParse(undefined).success);
      return `| \`${name}\` | ${required ? 'yes' : 'no'} | ${field instanceof z.ZodType ? (field.description ?? '') : ''} |`;
    });
  return [
    '| event field | required | meaning |',
    '| --- | --- | --- |',
    ...rows(ingestEventSchema),
    '',
    '| session field | required | meaning |',
    '| --- | --- | --- |',
    ...rows(ingestSessionSchema),
  ].join('\n');
}
