import { MAX_JSON_BYTES, ingestEventSchema, inspectJson } from '../ingest.schema';
import { type OtlpLogRecord, type OtlpLogsRequest, readLogsRequest } from './otlp-logs.decode';
import { DROPPED_KEY, bounded, mapLogsExport, recordId } from './otlp-logs.mapping';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const WINDOW = { earliest: NOW - 366 * 86_400_000, latest: NOW + 86_400_000 };
/** 2026-03-02T09:00:00Z in nanoseconds. */
const TIME = 1772442000000000000n;
const NANOS = (iso: string) => (BigInt(Date.parse(iso)) * 1_000_000n).toString();

/** Claude Code's resource, as its documentation lists it. */
const CLAUDE_RESOURCE = {
  'service.name': 'claude-code',
  'service.version': '2.0.62',
  'os.type': 'linux',
  'host.arch': 'x64',
};

/** The standard attributes Claude Code puts on every event. */
const STANDARD = {
  'session.id': 'sess-1',
  'user.id': 'device-hash',
  'user.account_uuid': 'acc-uuid-1',
  'organization.id': 'org-1',
  'terminal.type': 'vscode',
  'app.version': '2.0.62',
};

function exportOf(records: OtlpLogRecord[], resource: Record<string, string> = CLAUDE_RESOURCE): OtlpLogsRequest {
  return [{ resource, scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: records }] }];
}

function claudeRecord(
  name: string,
  attributes: Record<string, string>,
  at = '2026-03-02T09:00:00.000Z',
): OtlpLogRecord {
  return {
    timeUnixNano: NANOS(at),
    body: `claude_code.${name}`,
    attributes: { ...STANDARD, 'event.name': name, 'event.timestamp': at, ...attributes },
  };
}

describe('Claude Code events', () => {
  it('a tool result is a tool_call named after the tool, with its duration, status and the rest as properties', () => {
    const mapped = mapLogsExport(
      exportOf([
        claudeRecord('tool_result', {
          tool_name: 'Bash',
          success: 'true',
          duration_ms: '632',
          tool_result_size_bytes: '294',
          decision_source: 'user_temporary',
          decision_type: 'accept',
          tool_parameters: '{"bash_command":"ls"}',
        }),
        claudeRecord('tool_result', { tool_name: 'Edit', success: 'false', duration_ms: '12', error: 'no such file' }),
      ]),
      WINDOW,
    );
    expect(mapped.refused).toBe(0);
    expect(mapped.events).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        sessionId: 'sess-1',
        userId: 'acc-uuid-1',
        type: 'tool_call',
        name: 'Bash',
        durationMs: 632,
        status: 'ok',
        timestamp: '2026-03-02T09:00:00.000Z',
        properties: {
          tool_result_size_bytes: 294,
          decision_source: 'user_temporary',
          decision_type: 'accept',
          tool_parameters: '{"bash_command":"ls"}',
        },
      },
      expect.objectContaining({
        type: 'tool_call',
        name: 'Edit',
        durationMs: 12,
        status: 'error',
        properties: { error: 'no such file' },
      }),
    ]);
    for (const event of mapped.events) expect(ingestEventSchema.safeParse(event).success).toBe(true);
  });

  it('an API request is an api_request named after the model, tokens and cost as numbers; an API error has status error', () => {
    const mapped = mapLogsExport(
      exportOf([
        claudeRecord('api_request', {
          model: 'claude-sonnet-4-5',
          cost_usd: '0.0187215',
          duration_ms: '845',
          input_tokens: '372',
          output_tokens: '32',
          cache_read_tokens: '31133',
          cache_creation_tokens: '156',
        }),
        claudeRecord('api_error', {
          model: 'claude-sonnet-4-5',
          error: 'overloaded',
          status_code: '529',
          duration_ms: '1200',
          attempt: '2',
        }),
      ]),
      WINDOW,
    );
    expect(
      mapped.events.map(({ type, name, status, durationMs, properties }) => ({
        type,
        name,
        status,
        durationMs,
        properties,
      })),
    ).toEqual([
      {
        type: 'api_request',
        name: 'claude-sonnet-4-5',
        status: 'ok',
        durationMs: 845,
        properties: {
          cost_usd: 0.0187215,
          input_tokens: 372,
          output_tokens: 32,
          cache_read_tokens: 31133,
          cache_creation_tokens: 156,
        },
      },
      {
        type: 'api_request',
        name: 'claude-sonnet-4-5',
        status: 'error',
        durationMs: 1200,
        properties: { error: 'overloaded', status_code: 529, attempt: 2 },
      },
    ]);
  });

  it('a prompt keeps its text only when the client sent it; a tool decision is an event of its own', () => {
    const mapped = mapLogsExport(
      exportOf([
        claudeRecord('user_prompt', { prompt_length: '42', prompt: '<REDACTED>' }),
        claudeRecord('user_prompt', { prompt_length: '5', prompt: 'hello\nthere' }),
        claudeRecord('tool_decision', { tool_name: 'Write', decision: 'reject', source: 'user_reject' }),
      ]),
      WINDOW,
    );
    expect(mapped.events.map(({ type, name, status, properties }) => ({ type, name, status, properties }))).toEqual([
      { type: 'prompt', name: 'prompt', status: undefined, properties: { prompt_length: 42 } },
      { type: 'prompt', name: 'prompt', status: undefined, properties: { prompt_length: 5, prompt: 'hello\nthere' } },
      {
        type: 'tool_decision',
        name: 'Write',
        status: undefined,
        properties: { decision: 'reject', source: 'user_reject' },
      },
    ]);
  });

  it("the resource and the client's standard attributes are the session's attributes, the account its user", () => {
    const mapped = mapLogsExport(
      exportOf([
        claudeRecord('tool_result', { tool_name: 'Read', success: 'true', duration_ms: '3' }),
        claudeRecord('tool_result', { tool_name: 'Read', success: 'true', duration_ms: '4' }),
      ]),
      WINDOW,
    );
    expect(mapped.sessions).toEqual([
      {
        id: 'sess-1',
        userId: 'acc-uuid-1',
        attributes: {
          ...CLAUDE_RESOURCE,
          'terminal.type': 'vscode',
          'app.version': '2.0.62',
          'organization.id': 'org-1',
        },
      },
    ]);
    // Nothing of the session is repeated on each event.
    expect(mapped.events[0]?.properties).toBeUndefined();
  });
});

describe('Codex CLI events', () => {
  it('codex.tool_result is a tool_call; conversation.id is the session, user.account_id the user', () => {
    const mapped = mapLogsExport(
      exportOf(
        [
          {
            // Codex leaves the record's time at 0: its observed time counts.
            observedTimeUnixNano: NANOS('2026-03-02T09:30:00.000Z'),
            body: '',
            attributes: {
              'event.name': 'codex.tool_result',
              'conversation.id': 'conv-9',
              'user.account_id': 'acct-7',
              tool_name: 'shell',
              call_id: 'call-1',
              duration_ms: 250,
              success: 'false',
            },
          },
        ],
        { 'service.name': 'codex_cli_rs' },
      ),
      WINDOW,
    );
    expect(mapped.events).toEqual([
      expect.objectContaining({
        sessionId: 'conv-9',
        userId: 'acct-7',
        type: 'tool_call',
        name: 'shell',
        durationMs: 250,
        status: 'error',
        timestamp: '2026-03-02T09:30:00.000Z',
        properties: { call_id: 'call-1' },
      }),
    ]);
  });
});

describe('any other log record', () => {
  it('is a custom event named by event.name, else by its body; severity ERROR and above is an error', () => {
    const mapped = mapLogsExport(
      exportOf(
        [
          {
            timeUnixNano: NANOS('2026-03-02T09:00:00.000Z'),
            body: 'checkout finished',
            severityText: 'INFO',
            attributes: { 'event.name': 'checkout', cart: { items: 3 } },
            traceId: 'a'.repeat(32),
          },
          {
            timeUnixNano: NANOS('2026-03-02T09:00:01.000Z'),
            body: 'payment failed',
            severityNumber: 17,
            attributes: {},
            traceId: 'a'.repeat(32),
          },
          { attributes: {}, body: { nested: true } },
        ],
        { 'service.name': 'shop' },
      ),
      WINDOW,
    );
    expect(
      mapped.events.map(({ sessionId, type, name, status, properties, timestamp }) => ({
        sessionId,
        type,
        name,
        status,
        properties,
        timestamp,
      })),
    ).toEqual([
      {
        sessionId: 'a'.repeat(32),
        type: 'custom',
        name: 'checkout',
        status: undefined,
        properties: { body: 'checkout finished', severity: 'INFO', cart: { items: 3 } },
        timestamp: '2026-03-02T09:00:00.000Z',
      },
      {
        sessionId: 'a'.repeat(32),
        type: 'custom',
        name: 'payment failed',
        status: 'error',
        properties: { severity: 17 },
        timestamp: '2026-03-02T09:00:01.000Z',
      },
      // No trace, no time: the service's session, and the time Tally receives it.
      {
        sessionId: 'shop',
        type: 'custom',
        name: 'log',
        status: undefined,
        properties: { body: { nested: true } },
        timestamp: undefined,
      },
    ]);
  });

  it('names are one line of at most 200 characters, control characters gone', () => {
    const mapped = mapLogsExport(
      exportOf([{ attributes: {}, body: `line one\u0007\nline two ${'x'.repeat(300)}` }]),
      WINDOW,
    );
    const name = mapped.events[0]?.name ?? '';
    expect(name.length).toBe(200);
    expect(name.startsWith('line one  line two')).toBe(true);
    // The whole body is kept beside a cut name.
    expect(String(mapped.events[0]?.properties?.['body']).startsWith('line one \nline two')).toBe(true);
  });
});

describe('refusals and limits', () => {
  it('a record outside the timestamp window is refused alone, with the reason', () => {
    const mapped = mapLogsExport(
      exportOf([
        claudeRecord('tool_result', { tool_name: 'Bash', success: 'true' }, '2020-01-01T00:00:00.000Z'),
        claudeRecord('tool_result', { tool_name: 'Bash', success: 'true' }),
      ]),
      WINDOW,
    );
    expect(mapped).toMatchObject({ records: 2, refused: 1 });
    expect(mapped.events).toHaveLength(1);
    expect(mapped.reasons[0]).toMatch(/time must lie between/);
  });

  it('properties stay within the size Tally takes: the largest values are left out and named', () => {
    const big = 'y'.repeat(1000);
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 20; i += 1) attributes[`k${i}`] = big;
    attributes['small'] = 'kept';
    const kept = bounded(attributes);
    if (!kept) throw new Error('nothing kept');
    const size = inspectJson(kept);
    expect('bytes' in size && size.bytes <= MAX_JSON_BYTES).toBe(true);
    expect(kept['small']).toBe('kept');
    expect(Array.isArray(kept[DROPPED_KEY])).toBe(true);
  });

  it('long strings are cut, so a 4 K tool input still fits', () => {
    const kept = bounded({ tool_input: 'z'.repeat(4000) });
    expect(String(kept?.['tool_input']).length).toBe(1025);
  });
});

describe('ids', () => {
  it('the same record gets the same id, from JSON or protobuf alike; another record another id', () => {
    const json = readLogsRequest({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeLogs: [
            {
              scope: { name: 's' },
              logRecords: [
                {
                  timeUnixNano: '1772442000000000000',
                  body: { stringValue: 'hello' },
                  attributes: [
                    { key: 'n', value: { intValue: '5' } },
                    { key: 'b', value: { boolValue: false } },
                  ],
                  traceId: 'AB'.repeat(16),
                },
              ],
            },
          ],
        },
      ],
    });
    // protobufjs's shape: int64 as numbers or long bits, keys in another order.
    const other = readLogsRequest({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeLogs: [
            {
              scope: { name: 's' },
              logRecords: [
                {
                  traceId: 'ab'.repeat(16),
                  attributes: [
                    { key: 'b', value: { boolValue: false } },
                    { key: 'n', value: { intValue: 5 } },
                  ],
                  body: { stringValue: 'hello' },
                  timeUnixNano: { low: Number(TIME & 0xffffffffn) | 0, high: Number(TIME >> 32n) },
                },
              ],
            },
          ],
        },
      ],
    });
    const id = (request: OtlpLogsRequest) => {
      const resource = request[0];
      const record = resource?.scopeLogs[0]?.logRecords[0];
      if (!resource || !record) throw new Error('no record');
      return recordId(resource.resource, { name: 's' }, record);
    };
    expect(id(other)).toBe(id(json));
    const changed = structuredClone(json);
    const record = changed[0]?.scopeLogs[0]?.logRecords[0];
    if (!record) throw new Error('no record');
    record.attributes['n'] = 6;
    expect(id(changed)).not.toBe(id(json));
  });

  it('a record carrying a UUID as log.record.uid keeps it', () => {
    const uid = '0b7b0d1e-6c1f-4a53-9d61-2d0c8a9b7f10';
    expect(recordId({}, {}, { attributes: { 'log.record.uid': uid } })).toBe(uid);
  });
});

describe('decoding', () => {
  it('refuses what is not an ExportLogsServiceRequest, naming where', () => {
    expect(() => readLogsRequest({ resourceLogs: [{ scopeLogs: 'nope' }] })).toThrow(/resourceLogs\.0\.scopeLogs/);
    expect(() => readLogsRequest([])).toThrow(/Not an ExportLogsServiceRequest/);
  });

  it('reads every AnyValue kind, and drops nesting past the bound', () => {
    let deep: unknown = { stringValue: 'bottom' };
    for (let i = 0; i < 20; i += 1) deep = { arrayValue: { values: [deep] } };
    const [resource] = readLogsRequest({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  attributes: [
                    { key: 's', value: { stringValue: 'x' } },
                    { key: 'd', value: { doubleValue: 1.5 } },
                    { key: 'i', value: { intValue: '9007199254740993' } },
                    { key: 'y', value: { bytesValue: 'AQI=' } },
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'a', value: { intValue: 1 } }] } } },
                    { key: 'deep', value: deep },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const attributes = resource?.scopeLogs[0]?.logRecords[0]?.attributes ?? {};
    expect(attributes).toMatchObject({ s: 'x', d: 1.5, i: '9007199254740993', y: 'AQI=', kv: { a: 1 } });
    expect(JSON.stringify(attributes['deep'])).not.toContain('bottom');
  });
});
