import fc from 'fast-check';
import { ingestEventSchema, ingestSessionSchema } from '../ingest.schema';
import { MalformedExportError, readLogsRequest } from './otlp-logs.decode';
import { mapLogsExport } from './otlp-logs.mapping';
import { protobufLogsToJson } from './otlp-proto';

// Whatever a client sends, POST /otlp/v1/logs either refuses it as malformed (400) or maps it to
// events and sessions that ingest takes: no input makes the decoder or the mapping throw anything
// else (a 500), and nothing it maps would make the whole batch fail validation.

const NOW = Date.now();
const WINDOW = { earliest: NOW - 366 * 86_400_000, latest: NOW + 86_400_000 };

function mapOrRefuse(body: unknown): void {
  let request;
  try {
    request = readLogsRequest(body);
  } catch (error) {
    if (error instanceof MalformedExportError) return;
    throw error;
  }
  const mapped = mapLogsExport(request, WINDOW);
  expect(mapped.events.length + mapped.refused).toBe(mapped.records);
  for (const event of mapped.events) expect(ingestEventSchema.safeParse(event).success).toBe(true);
  for (const session of mapped.sessions) expect(ingestSessionSchema.safeParse(session).success).toBe(true);
}

/** An AnyValue of any kind, or something that is none. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.record({ stringValue: fc.string({ unit: 'binary', maxLength: 300 }) }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: fc.oneof(fc.integer(), fc.bigInt().map(String), fc.string()) }),
    fc.record({ doubleValue: fc.oneof(fc.double(), fc.string()) }),
    fc.record({ bytesValue: fc.base64String() }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 4 }) }) }),
    fc.record({
      kvlistValue: fc.record({
        values: fc.array(fc.record({ key: fc.string(), value: tie('value') }), { maxLength: 4 }),
      }),
    }),
    fc.anything(),
  ),
})).value;

const key = fc.oneof(
  fc.constantFrom('session.id', 'event.name', 'tool_name', 'duration_ms', 'success', 'model', 'prompt', 'user.id'),
  fc.string({ unit: 'binary', maxLength: 250 }),
);

const record = fc.record(
  {
    timeUnixNano: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.integer(), fc.constant('0')),
    observedTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
    severityNumber: fc.integer({ min: -5, max: 40 }),
    severityText: fc.string(),
    body: anyValue,
    attributes: fc.array(fc.record({ key, value: anyValue }), { maxLength: 8 }),
    traceId: fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f]{32}$/)),
    eventName: fc.string({ unit: 'binary' }),
  },
  { requiredKeys: [] },
);

describe('OTLP logs: any input is decoded or refused, never a crash', () => {
  it('any ExportLogsServiceRequest-like JSON', () => {
    fc.assert(
      fc.property(
        fc.record({
          resourceLogs: fc.array(
            fc.record(
              {
                resource: fc.record({ attributes: fc.array(fc.record({ key, value: anyValue }), { maxLength: 4 }) }),
                scopeLogs: fc.array(
                  fc.record({
                    scope: fc.record({ name: fc.string() }),
                    logRecords: fc.array(record, { maxLength: 4 }),
                  }),
                  { maxLength: 3 },
                ),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
        }),
        mapOrRefuse,
      ),
      { numRuns: 300 },
    );
  });

  it('any JSON value at all', () => {
    fc.assert(fc.property(fc.jsonValue(), mapOrRefuse), { numRuns: 300 });
  });

  it('any bytes as protobuf: refused by the decoder, or decoded and then mapped or refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        let json: unknown;
        try {
          json = protobufLogsToJson(bytes);
        } catch {
          return;
        }
        mapOrRefuse(json);
      }),
      { numRuns: 2000 },
    );
  });
});
