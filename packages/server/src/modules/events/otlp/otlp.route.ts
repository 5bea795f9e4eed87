import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ERROR_HTTP_STATUS } from '@tally/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../../auth/authenticate';
import type { Principal } from '../../../auth/principal';
import { databaseUnavailable, isDatabaseUnavailable } from '../../../platform/db/unavailable';
import { AppError } from '../../../platform/errors';
import { addLogBindings, principalLogFields } from '../../../platform/logger';
import type { OtlpCounters } from '../../../platform/metrics/metrics';
import { MAX_BATCH_BYTES, MAX_EVENTS_PER_BATCH } from '../ingest.schema';
import { type IngestService, requireEventSender } from '../ingest.service';
import { MalformedExportError, readLogsRequest } from './otlp-logs.decode';
import { type MappedExport, mapLogsExport } from './otlp-logs.mapping';
import {
  type ExportAnswer,
  logsResponseJson,
  logsResponseProtobuf,
  protobufLogsToJson,
  statusProtobuf,
} from './otlp-proto';

/**
 * OTLP/HTTP, logs only: `POST /otlp/v1/logs`, where OpenTelemetry exporters send when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is `<Tally>/otlp` (Claude Code, Codex CLI, any OpenTelemetry
 * logs SDK). Bodies in protobuf (`application/x-protobuf`) or JSON (`application/json`), gzip
 * or not. The records become events (otlp-logs.mapping.ts) and go through IngestService like
 * every batch of `POST /v1/events`: the key's workspace, events.track, the rate limit, the
 * timestamp window, group commit, the answer after the commit, client ids deduplicated.
 *
 * Answers as the OTLP specification says: 200 with an ExportLogsServiceResponse in the request's
 * encoding (`partialSuccess` counts the records refused and says why); errors with a
 * google.rpc.Status body — 400 for data that cannot be read (not retried, nothing stored), 401,
 * 403, 413, 415, and 429/503 with Retry-After (the statuses exporters retry).
 */

/** A body as sent (compressed or not): the same limit as `POST /v1/events`. */
export const MAX_OTLP_BODY_BYTES = MAX_BATCH_BYTES;
/**
 * A body once inflated. OTLP's encodings spell out every attribute's key and type, so the same
 * events take about three times the bytes of `/v1/events` JSON.
 */
export const MAX_OTLP_INFLATED_BYTES = 4 * MAX_BATCH_BYTES;

/** The signals OTLP has besides logs: answered, never stored. */
const UNSUPPORTED_SIGNALS = ['metrics', 'traces'] as const;

/** google.rpc.Code values for the Status bodies. */
const GRPC = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const GRPC_BY_STATUS: Readonly<Record<number, number>> = {
  400: GRPC.INVALID_ARGUMENT,
  401: GRPC.UNAUTHENTICATED,
  403: GRPC.PERMISSION_DENIED,
  404: GRPC.NOT_FOUND,
  413: GRPC.RESOURCE_EXHAUSTED,
  415: GRPC.INVALID_ARGUMENT,
  429: GRPC.RESOURCE_EXHAUSTED,
  503: GRPC.UNAVAILABLE,
};

/** A refusal of this endpoint's own (encoding, compression, decoding), with its HTTP status. */
class OtlpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly grpc: number = GRPC_BY_STATUS[status] ?? GRPC.INVALID_ARGUMENT,
  ) {
    super(message);
  }
}

type Encoding = 'protobuf' | 'json';

/** The body's encoding from its Content-Type (parameters such as charset ignored). */
function encodingOf(request: FastifyRequest): Encoding | null {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

const gunzipAsync = promisify(gunzip);

/** The body inflated as Content-Encoding says (gzip or none), at most MAX_OTLP_INFLATED_BYTES. */
async function inflate(body: Buffer, contentEncoding: string | undefined): Promise<Buffer> {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return body;
  if (coding !== 'gzip') {
    throw new OtlpRefusal(415, `Content-Encoding "${coding}" is not supported: send gzip, or no Content-Encoding.`);
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: MAX_OTLP_INFLATED_BYTES });
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new OtlpRefusal(
        413,
        `The body inflates to more than ${MAX_OTLP_INFLATED_BYTES} bytes: send smaller batches (OTEL_BLRP_MAX_EXPORT_BATCH_SIZE).`,
      );
    }
    throw new OtlpRefusal(400, 'The body is not valid gzip.');
  }
}

/** The export's records, decoded; OtlpRefusal 400 when the body is not an ExportLogsServiceRequest. */
function decode(body: Buffer, encoding: Encoding): unknown {
  try {
    if (encoding === 'protobuf') return protobufLogsToJson(body);
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new OtlpRefusal(
      400,
      encoding === 'protobuf'
        ? 'The body is not a protobuf ExportLogsServiceRequest.'
        : 'The body is not JSON (an OTLP/JSON ExportLogsServiceRequest).',
    );
  }
}

function send(
  reply: FastifyReply,
  encoding: Encoding,
  status: number,
  json: unknown,
  protobuf: Uint8Array,
): FastifyReply {
  if (encoding === 'protobuf') {
    return reply.code(status).type('application/x-protobuf').send(Buffer.from(protobuf));
  }
  return reply.code(status).type('application/json').send(json);
}

/** An error as OTLP/HTTP answers it: its status, Retry-After where one is known, a Status body. */
function sendStatus(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  grpc: number = GRPC_BY_STATUS[status] ?? (status >= 500 ? GRPC.INTERNAL : GRPC.INVALID_ARGUMENT),
): FastifyReply {
  return send(reply, encodingOf(request) ?? 'json', status, { code: grpc, message }, statusProtobuf(grpc, message));
}

function errorHandler(production: boolean) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof OtlpRefusal) return sendStatus(request, reply, error.status, error.message, error.grpc);
    if (error instanceof MalformedExportError) return sendStatus(request, reply, 400, error.message);
    let known = error instanceof AppError ? error : null;
    if (!known && isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      known = databaseUnavailable();
    }
    if (known) {
      const retryAfter = known.details?.['retryAfterSeconds'];
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      const issues = known.details?.['issues'];
      const detail = Array.isArray(issues) && issues.length > 0 ? ` ${JSON.stringify(issues.slice(0, 5))}` : '';
      return sendStatus(request, reply, ERROR_HTTP_STATUS[known.code], `${known.message}${detail}`);
    }
    const statusCode = (error as FastifyError).statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return sendStatus(request, reply, statusCode, error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendStatus(request, reply, 500, production ? 'Internal server error.' : error.message);
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function answerOf(mapped: MappedExport): ExportAnswer {
  if (mapped.refused === 0) return { rejectedLogRecords: 0, errorMessage: '' };
  return {
    rejectedLogRecords: mapped.refused,
    errorMessage: `${mapped.refused} of ${mapped.records} log records refused: ${mapped.reasons.join('; ')}.`,
  };
}

export interface OtlpDeps {
  authenticator: Authenticator;
  ingest: IngestService;
  counters?: OtlpCounters;
  /** Hides unexpected errors' messages (NODE_ENV=production). */
  production: boolean;
}

export function registerOtlpRoutes(app: FastifyInstance, deps: OtlpDeps): void {
  // Its own scope: bodies are read as bytes (protobuf, or JSON that is parsed once it is inflated).
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_OTLP_BODY_BYTES }, (_request, body, done) => {
      done(null, body);
    });
    const principals = new WeakMap<FastifyRequest, Principal | null>();
    const counted = (signal: string) =>
      deps.counters
        ? (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
            deps.counters?.export(signal, reply.statusCode);
            done();
          }
        : undefined;

    scope.post(
      '/otlp/v1/logs',
      {
        bodyLimit: MAX_OTLP_BODY_BYTES,
        // The key is checked as the request arrives, before its body is read (as /v1/events).
        onRequest: async (request) => {
          const principal = await deps.authenticator.authenticate(request.headers, request.ip);
          addLogBindings(request.log, principalLogFields(principal));
          requireEventSender(principal);
          principals.set(request, principal);
        },
        onResponse: counted('logs'),
        errorHandler: errorHandler(deps.production),
      },
      async (request, reply) => {
        const principal = principals.get(request) ?? null;
        requireEventSender(principal);
        const encoding = encodingOf(request);
        let mapped: ReturnType<typeof mapLogsExport>;
        try {
          if (!encoding) {
            throw new OtlpRefusal(415, 'Send OTLP/HTTP logs as application/x-protobuf or application/json.');
          }
          const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const body = await inflate(raw, request.headers['content-encoding']);
          mapped = mapLogsExport(readLogsRequest(decode(body, encoding)), deps.ingest.timestampWindow());
        } catch (error) {
          // Unreadable (type, encoding, gzip, protobuf or JSON): a bad batch in the key's usage.
          deps.ingest.countUnreadableBatch(principal);
          throw error;
        }
        let accepted = 0;
        let duplicates = 0;
        try {
          // Batches of the size /v1/events takes; ids come from the records, so an export
          // retried after a failure part way stores each record once.
          for (const events of chunks(mapped.events, MAX_EVENTS_PER_BATCH)) {
            const ids = new Set(events.map((event) => event.sessionId));
            const sessions = mapped.sessions.filter((session) => ids.has(session.id));
            const result = await deps.ingest.ingest(principal, { events, sessions });
            accepted += result.accepted;
            duplicates += result.duplicates;
          }
        } catch (error) {
          deps.counters?.records(accepted, duplicates, mapped.records - accepted);
          throw error;
        }
        deps.counters?.records(accepted, duplicates, mapped.refused);
        const answer = answerOf(mapped);
        return send(reply, encoding, 200, logsResponseJson(answer), logsResponseProtobuf(answer));
      },
    );

    for (const signal of UNSUPPORTED_SIGNALS) {
      scope.post(
        `/otlp/v1/${signal}`,
        { bodyLimit: MAX_OTLP_BODY_BYTES, onResponse: counted(signal), errorHandler: errorHandler(deps.production) },
        async (request, reply) =>
          // 4xx other than 429: exporters do not retry it (OTLP/HTTP, "Failures").
          sendStatus(
            request,
            reply,
            400,
            `Tally takes OpenTelemetry logs only, not ${signal}: send logs to /otlp/v1/logs (OTEL_LOGS_EXPORTER=otlp) and set OTEL_${signal.toUpperCase()}_EXPORTER=none.`,
            GRPC.UNIMPLEMENTED,
          ),
      );
    }
  });
}
