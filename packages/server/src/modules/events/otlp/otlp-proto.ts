import { isAbsolute, join, resolve, sep } from 'node:path';
import { Root, type Type } from 'protobufjs';

/**
 * OTLP's protobuf messages, from the published .proto files (packages/server/proto, vendored
 * from open-telemetry/opentelemetry-proto) read by protobufjs: no wire format is decoded by
 * hand here. Loaded once, on first use.
 */

/** packages/server/proto, whether this file runs from src/ (ts-node, jest) or dist/src/ (built). */
const PROTO_DIR = resolve(
  __dirname,
  __dirname.split(sep).includes('dist') ? '../../../../../proto' : '../../../../proto',
);

interface Messages {
  request: Type;
  response: Type;
  status: Type;
}

let messages: Messages | undefined;

function load(): Messages {
  if (messages) return messages;
  const root = new Root();
  // Imports in the .proto files are written from the root of the tree ("opentelemetry/proto/…").
  root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(PROTO_DIR, target));
  root.loadSync(['opentelemetry/proto/collector/logs/v1/logs_service.proto', 'google/rpc/status.proto']);
  messages = {
    request: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
    status: root.lookupType('google.rpc.Status'),
  };
  return messages;
}

/**
 * An ExportLogsServiceRequest in protobuf as a plain object shaped like OTLP/JSON (lowerCamelCase
 * names, 64-bit numbers as decimal strings, trace and span ids as hex, other bytes as base64), so
 * both encodings go through one schema (otlp-logs.decode.ts). Throws on bytes that are not one.
 */
export function protobufLogsToJson(body: Uint8Array): unknown {
  const { request } = load();
  const object = request.toObject(request.decode(body), {
    longs: String,
    enums: Number,
    bytes: String,
    defaults: false,
    arrays: false,
  });
  hexIds(object);
  return object;
}

/** protobufjs writes bytes as base64; OTLP/JSON writes trace and span ids as hex. */
function hexIds(object: Record<string, unknown>): void {
  for (const resourceLogs of arrayAt(object, 'resourceLogs')) {
    for (const scopeLogs of arrayAt(resourceLogs, 'scopeLogs')) {
      for (const record of arrayAt(scopeLogs, 'logRecords')) {
        for (const key of ['traceId', 'spanId']) {
          const value = record[key];
          if (typeof value === 'string') record[key] = Buffer.from(value, 'base64').toString('hex');
        }
      }
    }
  }
}

function arrayAt(object: Record<string, unknown>, key: string): Array<Record<string, unknown>> {
  const value = object[key];
  return Array.isArray(value)
    ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    : [];
}

/** What an export was answered with: nothing refused, or how many records and why. */
export interface ExportAnswer {
  rejectedLogRecords: number;
  errorMessage: string;
}

/**
 * The ExportLogsServiceResponse: `partialSuccess` only when something was refused (the
 * specification: a full success leaves it unset).
 */
export function logsResponseJson(answer: ExportAnswer): Record<string, unknown> {
  if (answer.rejectedLogRecords === 0 && answer.errorMessage === '') return {};
  return {
    partialSuccess: { rejectedLogRecords: String(answer.rejectedLogRecords), errorMessage: answer.errorMessage },
  };
}

export function logsResponseProtobuf(answer: ExportAnswer): Uint8Array {
  const { response } = load();
  const body =
    answer.rejectedLogRecords === 0 && answer.errorMessage === ''
      ? {}
      : { partialSuccess: { rejectedLogRecords: answer.rejectedLogRecords, errorMessage: answer.errorMessage } };
  return response.encode(response.fromObject(body)).finish();
}

/** google.rpc.Status, the body of every OTLP/HTTP error answer (4xx, 5xx). */
export function statusProtobuf(code: number, message: string): Uint8Array {
  const { status } = load();
  return status.encode(status.fromObject({ code, message })).finish();
}

/** The answers' and errors' decoders, for tests (clients decode them with their own copies). */
export function decodeLogsResponse(body: Uint8Array): Record<string, unknown> {
  const { response } = load();
  return response.toObject(response.decode(body), { longs: Number });
}

export function decodeStatus(body: Uint8Array): Record<string, unknown> {
  const { status } = load();
  return status.toObject(status.decode(body));
}
