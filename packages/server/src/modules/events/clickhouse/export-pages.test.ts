import type { EventData, ExportFormat } from '../event-store';
import { serializeEvents } from '../export-format';
import { keyOfLine } from './export-pages';

/** The line the shared serializer writes for `event` (the CSV header left out). */
async function lineOf(event: EventData, format: ExportFormat): Promise<Buffer> {
  async function* one() {
    yield [event];
  }
  const chunks: Buffer[] = [];
  for await (const chunk of serializeEvents(one(), format)) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks);
  return format === 'csv' ? text.subarray(text.indexOf('\r\n') + 2) : text;
}

const event = (id: string, at: string): EventData => ({
  id,
  sessionId: 'a,"b"\nc',
  name: 'tool',
  type: 'tool_call',
  timestamp: new Date(at),
  userId: null,
  durationMs: 1.5,
  status: 'ok',
  properties: { id: 'not this one', ts: '1999-01-01T00:00:00.000Z' },
});

describe("keyOfLine: the next page's key read back from a page's last line", () => {
  // Ingest's ids are UUIDs; the store's own writers may use any text, which the lines quote or escape.
  const ids = [
    '0f8fad5b-d9cb-469f-a165-70867728950e',
    'plain',
    'with,comma',
    'say "hi"',
    '"',
    'back\\slash\\',
    'line\nbreak',
    'ç 日本 🎉',
    '\u0001',
  ];
  for (const format of ['csv', 'ndjson'] as const) {
    it(`reads the time and id of every line the ${format} serializer writes`, async () => {
      for (const [i, id] of ids.entries()) {
        const at = new Date(Date.UTC(2026, 10, 5, 12, 0, 0, i * 7 + 1));
        expect(keyOfLine(await lineOf(event(id, at.toISOString()), format), format)).toEqual({ ms: at.getTime(), id });
      }
    });
  }

  it('refuses a cut line instead of guessing a key', () => {
    expect(() => keyOfLine(Buffer.from('"unterminated'), 'csv')).toThrow('a cut page of the ClickHouse export');
    expect(() => keyOfLine(Buffer.from('id-only'), 'csv')).toThrow('a cut page of the ClickHouse export');
    expect(() => keyOfLine(Buffer.from('{"id" : "x\\"'), 'ndjson')).toThrow('a cut page of the ClickHouse export');
    expect(() => keyOfLine(Buffer.from('[1]'), 'ndjson')).toThrow('a cut page of the ClickHouse export');
  });
});
