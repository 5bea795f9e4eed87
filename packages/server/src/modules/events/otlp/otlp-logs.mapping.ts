import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { MAX_JSON_BYTES, describeIssues, ingestEventSchema, ingestSessionSchema, inspectJson } from '../ingest.schema';
import type { OtlpLogRecord, OtlpLogsRequest, OtlpValue } from './otlp-logs.decode';

/**
 * OpenTelemetry log records as Tally events: what `POST /otlp/v1/logs` stores. Pure: the same
 * export always maps to the same events, with the same ids, so a retried export is stored once.
 *
 * Agents' events, as Claude Code ("Monitoring" in its documentation: `claude_code.tool_result`,
 * `claude_code.api_request`, …, with `event.name` "tool_result", …) and OpenAI's Codex CLI
 * (`event.name` "codex.tool_result", …) export them:
 * - tool_result → type `tool_call` named after the tool (`tool_name`), `durationMs` from
 *   `duration_ms`, `status` from `success` ("true"/"false");
 * - api_request → type `api_request` named after the model, tokens and cost as numbers among
 *   the properties; api_error → the same with `status: error`;
 * - user_prompt → type `prompt`, its text only when the client sent it (not redacted);
 * - tool_decision → type `tool_decision` named after the tool, the decision among the properties;
 * - `session.id` (Codex: `conversation.id`) → the session; `user.account_uuid`, else `user.id`
 *   (Codex: `user.account_id`) → `userId`; the resource's attributes (service.name and version,
 *   os.type, …) and the standard `terminal.type`, `app.version`, `organization.id`,
 *   `user.email` → the session's attributes.
 * Any other record → a `custom` event named by its `event.name` attribute, else the record's
 * event name field, else its body when that is a string. Its other attributes are its properties.
 */

export type IngestEventInput = z.input<typeof ingestEventSchema>;
export type IngestSessionInput = z.input<typeof ingestSessionSchema>;

/** The event timestamps taken, in ms since the epoch (IngestService.timestampWindow). */
export interface TimeWindow {
  earliest: number;
  latest: number;
}

export interface MappedExport {
  /** Log records in the export. */
  records: number;
  /** The events of the records taken, in the export's order. */
  events: IngestEventInput[];
  /** Their sessions, one per id, with the attributes the records carried. */
  sessions: IngestSessionInput[];
  /** Records refused (events.length + refused === records). */
  refused: number;
  /** Why, the first few distinct reasons, for the answer's `errorMessage`. */
  reasons: string[];
}

/** Attribute keys Claude Code and Codex put on every event, and what they become. */
const SESSION_KEYS = ['session.id', 'conversation.id'];
const USER_KEYS = ['user.account_uuid', 'user.id', 'user.account_id', 'enduser.id'];
/** Standard attributes of the client, not of one event: kept with the session. */
const CLIENT_KEYS = ['terminal.type', 'app.version', 'organization.id', 'user.email', 'app.entrypoint'];
/** Said by the event itself (its kind and time), not kept as properties. */
const EVENT_KEYS = ['event.name', 'event.timestamp'];

/** Attributes that hold a number even when sent as a string (Claude Code sends them as strings). */
const NUMERIC_KEYS = new Set([
  'duration_ms',
  'cost_usd',
  'cost_usd_micros',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_creation_tokens',
  'input_token_count',
  'output_token_count',
  'cached_token_count',
  'reasoning_token_count',
  'tool_token_count',
  'prompt_length',
  'tool_result_size_bytes',
  'tool_input_size_bytes',
  'status_code',
  'attempt',
  'event.sequence',
]);

/** What a prompt's text is replaced by when the client does not send it. */
const REDACTED = /^[<[(]?redacted[>\])]?$/i;
/** Longest string kept in properties and attributes (Claude Code's tool input runs to ~4 K). */
const MAX_STRING = 1024;
const MAX_NAME = 200;
const MAX_KEY = 200;
/** How many distinct reasons the answer names. */
const MAX_REASONS = 3;
const MAX_DURATION_MS = 7 * 24 * 60 * 60 * 1000;
/** ms since the epoch beyond which no Date exists. */
const MAX_DATE_MS = 8.64e15;

export function mapLogsExport(request: OtlpLogsRequest, window: TimeWindow): MappedExport {
  const mapped: MappedExport = { records: 0, events: [], sessions: [], refused: 0, reasons: [] };
  const sessions = new Map<string, SessionSeen>();
  const refuse = (reason: string) => {
    mapped.refused += 1;
    if (mapped.reasons.length < MAX_REASONS && !mapped.reasons.includes(reason)) mapped.reasons.push(reason);
  };
  for (const resourceLogs of request) {
    for (const scopeLogs of resourceLogs.scopeLogs) {
      for (const record of scopeLogs.logRecords) {
        mapped.records += 1;
        const id = recordId(resourceLogs.resource, scopeLogs.scope, record);
        const event = mapRecord(record, resourceLogs.resource, id);
        const at = eventTime(record);
        if (at !== undefined) {
          if (!(at >= window.earliest && at <= window.latest)) {
            refuse(
              `a record's time must lie between ${new Date(window.earliest).toISOString()} and ${new Date(window.latest).toISOString()}`,
            );
            continue;
          }
          event.timestamp = new Date(at).toISOString();
        }
        const checked = ingestEventSchema.safeParse(event);
        if (!checked.success) {
          const issue = describeIssues(checked.error, 1)[0];
          refuse(issue ? `${issue.path}: ${issue.message}` : 'not a valid event');
          continue;
        }
        mapped.events.push(event);
        addSession(sessions, event, record, resourceLogs.resource);
      }
    }
  }
  // A session whose attributes Tally would refuse keeps its id and user (bounded() makes that rare).
  mapped.sessions = [...sessions].map(([id, seen]) => {
    const session: IngestSessionInput = { id };
    if (seen.userId) session.userId = seen.userId;
    const attributes = bounded(seen.attributes);
    if (attributes) session.attributes = attributes;
    if (ingestSessionSchema.safeParse(session).success) return session;
    const { attributes: _refused, ...rest } = session;
    return rest;
  });
  return mapped;
}

/** Which of Claude Code's and Codex's events a record is, from its name without the prefix. */
function agentKind(name: string | undefined): string | undefined {
  if (!name) return undefined;
  return name.replace(/^(claude_code|codex)\./, '');
}

function mapRecord(record: OtlpLogRecord, resource: Record<string, OtlpValue>, id: string): IngestEventInput {
  const attributes = record.attributes;
  const eventName = text(attributes['event.name']) ?? record.eventName;
  const bodyText = typeof record.body === 'string' ? record.body : undefined;
  const kind = agentKind(eventName ?? bodyText);
  const consumed = new Set([...EVENT_KEYS, ...SESSION_KEYS, ...USER_KEYS, ...CLIENT_KEYS]);
  const event: IngestEventInput = {
    id,
    sessionId: sessionOf(record, resource),
    name: 'log',
    type: 'custom',
  };
  const userId = firstText(USER_KEYS, attributes, resource);
  if (userId) event.userId = line(userId, MAX_NAME);
  const duration = number(attributes['duration_ms']);
  if (duration !== undefined && duration >= 0 && duration <= MAX_DURATION_MS) {
    event.durationMs = duration;
    consumed.add('duration_ms');
  }
  const properties: Record<string, OtlpValue> = {};

  const toolName = text(attributes['tool_name']);
  const model = text(attributes['model']);
  if (kind === 'tool_result' && toolName) {
    event.type = 'tool_call';
    event.name = toolName;
    consumed.add('tool_name').add('success');
    const status = success(attributes['success']);
    event.status = status ?? (attributes['error'] !== undefined ? 'error' : null);
  } else if (kind === 'api_request' || kind === 'api_error') {
    event.type = 'api_request';
    event.name = model ?? 'unknown model';
    consumed.add('model');
    event.status = kind === 'api_error' ? 'error' : 'ok';
  } else if (kind === 'user_prompt') {
    event.type = 'prompt';
    event.name = 'prompt';
    const prompt = text(attributes['prompt']);
    consumed.add('prompt');
    if (prompt !== undefined && !REDACTED.test(prompt.trim())) properties['prompt'] = prompt;
  } else if (kind === 'tool_decision' && toolName) {
    event.type = 'tool_decision';
    event.name = toolName;
    consumed.add('tool_name');
  } else {
    // Any other record: named by its event name, else its body when that is a string.
    event.name = eventName ?? bodyText ?? 'log';
    const status = success(attributes['success']);
    if (status) {
      event.status = status;
      consumed.add('success');
    } else if ((record.severityNumber ?? 0) >= 17) {
      event.status = 'error';
    }
    // The body, unless it is the name (and whole in it).
    if (
      record.body !== undefined &&
      (eventName !== undefined || bodyText === undefined || bodyText.length > MAX_NAME)
    ) {
      properties['body'] = record.body;
    }
    if (record.severityText) properties['severity'] = record.severityText;
    else if (record.severityNumber) properties['severity'] = record.severityNumber;
  }
  event.name = line(event.name, MAX_NAME) || 'log';

  for (const [key, value] of Object.entries(attributes)) {
    if (consumed.has(key) || Object.hasOwn(properties, key)) continue;
    properties[key] = NUMERIC_KEYS.has(key) ? (number(value) ?? value) : value;
  }
  const kept = bounded(properties);
  if (kept) event.properties = kept;
  return event;
}

/** The session a record belongs to: its session id, else its trace, else its service. */
function sessionOf(record: OtlpLogRecord, resource: Record<string, OtlpValue>): string {
  const id =
    firstText(SESSION_KEYS, record.attributes, resource) ??
    record.traceId ??
    text(resource['service.instance.id']) ??
    text(resource['service.name']) ??
    'otlp';
  return line(id, MAX_NAME) || 'otlp';
}

/** What the records said of one session: its user (the first given) and attributes (merged in order). */
interface SessionSeen {
  userId?: string;
  attributes: Record<string, OtlpValue>;
}

function addSession(
  sessions: Map<string, SessionSeen>,
  event: IngestEventInput,
  record: OtlpLogRecord,
  resource: Record<string, OtlpValue>,
): void {
  const seen = sessions.get(event.sessionId) ?? { attributes: {} };
  Object.assign(seen.attributes, resource);
  for (const key of CLIENT_KEYS) {
    const value = record.attributes[key];
    if (value !== undefined && value !== null) seen.attributes[key] = value;
  }
  if (!seen.userId && event.userId) seen.userId = event.userId;
  sessions.set(event.sessionId, seen);
}

/** The record's time in ms: its time, else when it was observed, else its `event.timestamp`. */
export function eventTime(record: OtlpLogRecord): number | undefined {
  const nanos = record.timeUnixNano ?? record.observedTimeUnixNano;
  if (nanos !== undefined) {
    const ms = Number(BigInt(nanos) / 1_000_000n);
    return ms <= MAX_DATE_MS ? ms : Number.POSITIVE_INFINITY;
  }
  const stamp = text(record.attributes['event.timestamp']);
  if (stamp === undefined) return undefined;
  const ms = Date.parse(stamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The event's id: the record's own `log.record.uid` when that is a UUID, else a UUID made from a
 * SHA-256 of everything the record says (resource, scope, time, body, attributes, trace), so the
 * same record sent again, in either encoding, gets the same id.
 */
export function recordId(
  resource: Record<string, OtlpValue>,
  scope: { name?: string; version?: string },
  record: OtlpLogRecord,
): string {
  const uid = text(record.attributes['log.record.uid']);
  if (uid && /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(uid)) {
    return uid.toLowerCase();
  }
  const hash = createHash('sha256').update(canonical({ resource, scope, record })).digest();
  // Shaped as an RFC 9562 name-based UUID (version 5 bits, variant 10).
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** JSON with object keys sorted, so equal values give equal text whatever order they came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, nested]) => nested !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, nested]) => `${JSON.stringify(key)}:${canonical(nested)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function text(value: OtlpValue | undefined): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function firstText(keys: readonly string[], ...sources: ReadonlyArray<Record<string, OtlpValue>>): string | undefined {
  for (const source of sources) {
    for (const key of keys) {
      const value = text(source[key]);
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

/** A number, also from a numeric string ("845", "0.0187"). */
function number(value: OtlpValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value)) {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** `success` as Claude Code and Codex send it ("true"/"false", or a boolean). */
function success(value: OtlpValue | undefined): 'ok' | 'error' | undefined {
  if (value === true || value === 'true') return 'ok';
  if (value === false || value === 'false') return 'error';
  return undefined;
}

/* eslint-disable no-control-regex -- removing control characters is the point */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;
const LINE_BREAKS = /[\t\n\r]+/g;
/* eslint-enable no-control-regex */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as Tally stores it: no control characters (they are refused), no broken characters. */
function clean(value: string): string {
  return value.replace(CONTROL, ' ').replace(LONE_SURROGATE, '\uFFFD');
}

/** A name or id: one line, at most `max` characters. */
function line(value: string, max: number): string {
  return clean(value).replace(LINE_BREAKS, ' ').trim().slice(0, max).trim();
}

function cleanValue(value: OtlpValue): OtlpValue {
  if (typeof value === 'string') return clean(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value);
  if (Array.isArray(value)) return value.map(cleanValue);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, OtlpValue> = {};
    for (const [key, nested] of Object.entries(value)) {
      if (key.length <= MAX_KEY) out[clean(key)] = cleanValue(nested);
    }
    return out;
  }
  return value;
}

/** The key under which the names of values left out for size are listed. */
export const DROPPED_KEY = 'otlp.dropped';

/**
 * Values as a properties (or attributes) object Tally takes: keys of at most 200 characters,
 * strings cut at MAX_STRING, no control characters, and within MAX_JSON_BYTES — the largest
 * values are left out until it fits, and their keys listed under DROPPED_KEY. Undefined when empty.
 */
export function bounded(values: Record<string, OtlpValue>): Record<string, OtlpValue> | undefined {
  const entries = Object.entries(values)
    .filter(([key]) => key.length > 0 && key.length <= MAX_KEY)
    .map(([key, value]) => [clean(key), cleanValue(value)] as const);
  if (entries.length === 0) return undefined;
  const sized = entries.map(([key, value]) => ({
    key,
    value,
    bytes: Buffer.byteLength(JSON.stringify(value)) + key.length + 4,
  }));
  const budget = MAX_JSON_BYTES - 512;
  let total = sized.reduce((sum, entry) => sum + entry.bytes, 0);
  const dropped: string[] = [];
  const bySize = [...sized].sort((a, b) => b.bytes - a.bytes);
  for (const entry of bySize) {
    if (total <= budget) break;
    dropped.push(entry.key);
    total -= entry.bytes;
  }
  const out: Record<string, OtlpValue> = {};
  for (const entry of sized) if (!dropped.includes(entry.key)) out[entry.key] = entry.value;
  if (dropped.length > 0) out[DROPPED_KEY] = dropped.slice(0, 20).map((key) => key.slice(0, 100));
  const check = inspectJson(out);
  if ('problem' in check) return { [DROPPED_KEY]: sized.slice(0, 20).map((entry) => entry.key.slice(0, 100)) };
  return out;
}
