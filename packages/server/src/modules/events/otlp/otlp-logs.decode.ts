import { z } from 'zod';

/**
 * An OTLP logs export (ExportLogsServiceRequest) as Tally reads it, whichever encoding it came
 * in: OTLP/JSON parsed, or protobuf turned into the same shape (otlp-proto.ts). Fields Tally
 * does not use are ignored, as the specification asks of receivers.
 */

/** An attribute's value: AnyValue as plain JSON (int64 as a number when it fits, bytes as base64). */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

export interface OtlpLogRecord {
  /** Nanoseconds since the epoch as a decimal string; absent when 0 or not sent. */
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  body?: OtlpValue;
  attributes: Record<string, OtlpValue>;
  /** Hex, as OTLP/JSON writes them; absent when empty. */
  traceId?: string;
  spanId?: string;
  /** The record's own event name field (OTLP 1.5+). */
  eventName?: string;
}

export interface OtlpScopeLogs {
  scope: { name?: string; version?: string };
  logRecords: OtlpLogRecord[];
}

export interface OtlpResourceLogs {
  resource: Record<string, OtlpValue>;
  scopeLogs: OtlpScopeLogs[];
}

export type OtlpLogsRequest = OtlpResourceLogs[];

/** How deep an attribute's value is kept (arrays and key-value lists in one another). */
export const MAX_VALUE_DEPTH = 8;

/** A fixed64/int64 as OTLP/JSON may write it: a decimal string, a number, or protobufjs's long bits. */
const int64 = z.union([z.string().regex(/^-?\d{1,20}$/), z.number(), z.object({ low: z.number(), high: z.number() })]);

const keyValue = z.object({ key: z.string(), value: z.unknown().optional() });
const attributes = z.array(keyValue).max(10_000).optional();

const logRecordSchema = z.object({
  timeUnixNano: int64.optional(),
  observedTimeUnixNano: int64.optional(),
  severityNumber: z.number().optional(),
  severityText: z.string().optional(),
  body: z.unknown().optional(),
  attributes,
  traceId: z.string().optional(),
  spanId: z.string().optional(),
  eventName: z.string().optional(),
});

const scopeLogsSchema = z.object({
  scope: z.object({ name: z.string().optional(), version: z.string().optional() }).optional(),
  logRecords: z.array(logRecordSchema).optional(),
});

const resourceLogsSchema = z.object({
  resource: z.object({ attributes }).optional(),
  scopeLogs: z.array(scopeLogsSchema).optional(),
});

export const exportLogsRequestSchema = z.object({ resourceLogs: z.array(resourceLogsSchema).optional() });

/** A request that is not an ExportLogsServiceRequest: refused whole, with what was wrong. */
export class MalformedExportError extends Error {}

/** Reads a parsed body (OTLP/JSON, or protobuf as JSON) into the shape Tally maps from. */
export function readLogsRequest(body: unknown): OtlpLogsRequest {
  const parsed = exportLogsRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new MalformedExportError(
      `Not an ExportLogsServiceRequest${where ? ` at ${where}` : ''}: ${issue?.message ?? 'invalid'}.`,
    );
  }
  return (parsed.data.resourceLogs ?? []).map((resourceLogs) => ({
    resource: attributeMap(resourceLogs.resource?.attributes),
    scopeLogs: (resourceLogs.scopeLogs ?? []).map((scopeLogs) => ({
      scope: {
        ...(scopeLogs.scope?.name ? { name: scopeLogs.scope.name } : {}),
        ...(scopeLogs.scope?.version ? { version: scopeLogs.scope.version } : {}),
      },
      logRecords: (scopeLogs.logRecords ?? []).map(readRecord),
    })),
  }));
}

function readRecord(record: z.infer<typeof logRecordSchema>): OtlpLogRecord {
  const out: OtlpLogRecord = { attributes: attributeMap(record.attributes) };
  const time = nanos(record.timeUnixNano);
  if (time) out.timeUnixNano = time;
  const observed = nanos(record.observedTimeUnixNano);
  if (observed) out.observedTimeUnixNano = observed;
  if (record.severityNumber && Number.isInteger(record.severityNumber)) out.severityNumber = record.severityNumber;
  if (record.severityText) out.severityText = record.severityText;
  if (record.body !== undefined) {
    const body = anyValue(record.body, 1);
    if (body !== null) out.body = body;
  }
  const traceId = hexId(record.traceId);
  if (traceId) out.traceId = traceId;
  const spanId = hexId(record.spanId);
  if (spanId) out.spanId = spanId;
  if (record.eventName) out.eventName = record.eventName;
  return out;
}

/** A positive count of nanoseconds as a decimal string; undefined for 0 or nothing. */
function nanos(value: z.infer<typeof int64> | undefined): string | undefined {
  if (value === undefined) return undefined;
  let n: bigint;
  if (typeof value === 'object') n = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  else if (typeof value === 'number') n = Number.isInteger(value) ? BigInt(value) : 0n;
  else n = BigInt(value);
  return n > 0n ? n.toString() : undefined;
}

/** Trace and span ids: hex, all zeros meaning none. */
function hexId(value: string | undefined): string | undefined {
  if (!value || !/^[0-9a-fA-F]{1,64}$/.test(value) || /^0+$/.test(value)) return undefined;
  return value.toLowerCase();
}

/** Attributes as an object; a key given twice keeps its last value (the data model says keys are unique). */
function attributeMap(list: ReadonlyArray<{ key: string; value?: unknown }> | undefined): Record<string, OtlpValue> {
  const map: Record<string, OtlpValue> = {};
  for (const { key, value } of list ?? []) {
    if (key === '' || key === '__proto__') continue;
    map[key] = anyValue(value, 1);
  }
  return map;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * AnyValue as plain JSON: its one set field's value. Nesting past MAX_VALUE_DEPTH, and values
 * that are no AnyValue, become null (the record is kept).
 */
function anyValue(value: unknown, depth: number): OtlpValue {
  if (!isRecord(value) || depth > MAX_VALUE_DEPTH) return null;
  if (typeof value['stringValue'] === 'string') return value['stringValue'];
  if (typeof value['boolValue'] === 'boolean') return value['boolValue'];
  if ('intValue' in value) return intValue(value['intValue']);
  if ('doubleValue' in value) {
    const double = Number(value['doubleValue']);
    return Number.isFinite(double) ? double : null;
  }
  if (typeof value['bytesValue'] === 'string') return value['bytesValue'];
  const array = value['arrayValue'];
  if (isRecord(array)) {
    const values = Array.isArray(array['values']) ? array['values'] : [];
    return values.map((item: unknown) => anyValue(item, depth + 1));
  }
  const kvlist = value['kvlistValue'];
  if (isRecord(kvlist)) {
    const out: Record<string, OtlpValue> = {};
    for (const entry of Array.isArray(kvlist['values']) ? kvlist['values'] : []) {
      if (!isRecord(entry) || typeof entry['key'] !== 'string' || entry['key'] === '__proto__') continue;
      out[entry['key']] = anyValue(entry['value'], depth + 1);
    }
    return out;
  }
  return null;
}

/** int64: a number when it is exact, else its decimal string. */
function intValue(value: unknown): OtlpValue {
  let n: bigint;
  try {
    if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
    else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) n = BigInt(value);
    else if (isRecord(value) && typeof value['low'] === 'number' && typeof value['high'] === 'number') {
      n = BigInt.asIntN(64, (BigInt(value['high'] >>> 0) << 32n) | BigInt(value['low'] >>> 0));
    } else return null;
  } catch {
    return null;
  }
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n.toString();
}
