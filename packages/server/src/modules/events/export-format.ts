import { Readable } from 'node:stream';
import type { EventData, ExportFormat } from './event-store';
import { jsonbText } from './query';

/**
 * The one serializer of exports, shared by every engine: NDJSON (one JSON object per line, LF)
 * or CSV (RFC 4180: a header, CRLF record ends, fields quoted when they hold a comma, a quote or a
 * line break, or are empty texts). An engine may write the same bytes faster its own way — the
 * PostgreSQL store's COPY (postgres/export-copy.ts) does — and the contract suite proves they are
 * identical. Numbers and JSON are written as PostgreSQL writes them (float8 and jsonb text).
 */
export function serializeEvents(batches: AsyncIterable<EventData[]>, format: ExportFormat): Readable {
  return Readable.from(lines(batches, format), { objectMode: false });
}

/** Bytes per chunk: small enough that a stalled reader shows (stall-guard.ts), large enough to be cheap. */
const CHUNK_BYTES = 64 * 1024;

async function* lines(batches: AsyncIterable<EventData[]>, format: ExportFormat): AsyncGenerator<Buffer> {
  // The CSV header goes out with the first batch, not before the first read: a read that fails
  // at once fails before the first byte, so the client gets an error, not a file with a header.
  let header = format === 'csv' ? `${CSV_HEADER.join(',')}\r\n` : '';
  let text = '';
  for await (const batch of batches) {
    text += header;
    header = '';
    for (const event of batch) {
      text += format === 'csv' ? csvLine(event) : ndjsonLine(event);
      if (text.length >= CHUNK_BYTES) {
        yield Buffer.from(text);
        text = '';
      }
    }
  }
  text += header;
  if (text.length > 0) yield Buffer.from(text);
}

export const CSV_HEADER = [
  'id',
  'timestamp',
  'sessionId',
  'name',
  'type',
  'userId',
  'durationMs',
  'status',
  'properties',
];

/**
 * A cell that a spreadsheet would read as a formula, made plain text (OWASP "CSV Injection"): one
 * that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in front. Only the
 * columns clients write free text into (see export-copy.ts, csvText, for why these).
 */
function neutralised(text: string | null): string | null {
  if (text === null) return null;
  return /^[\t\r+\-=@]/.test(text) ? `'${text}` : text;
}

/** A CSV field as PostgreSQL's COPY writes it: NULL empty, an empty text `""`. */
function csvField(text: string | null): string {
  if (text === null) return '';
  if (text === '' || /[",\n\r]/.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

function csvLine(e: EventData): string {
  return `${[
    e.id,
    e.timestamp.toISOString(),
    neutralised(e.sessionId),
    neutralised(e.name),
    neutralised(e.type),
    neutralised(e.userId),
    e.durationMs === null ? null : float8Text(e.durationMs),
    e.status,
    e.properties === null ? null : jsonbText(e.properties),
  ]
    .map(csvField)
    .join(',')}\r\n`;
}

/** One line as `json_build_object(…)::text` writes it: `"key" : value`, `, ` between. */
function ndjsonLine(e: EventData): string {
  const fields: Array<[string, string]> = [
    ['id', JSON.stringify(e.id)],
    ['timestamp', JSON.stringify(e.timestamp.toISOString())],
    ['sessionId', JSON.stringify(e.sessionId)],
    ['name', JSON.stringify(e.name)],
    ['type', JSON.stringify(e.type)],
    ['userId', e.userId === null ? 'null' : JSON.stringify(e.userId)],
    ['durationMs', e.durationMs === null ? 'null' : float8Text(e.durationMs)],
    ['status', e.status === null ? 'null' : JSON.stringify(e.status)],
    ['properties', e.properties === null ? 'null' : jsonbText(e.properties)],
  ];
  return `{${fields.map(([key, value]) => `"${key}" : ${value}`).join(', ')}}\n`;
}

/**
 * A double as PostgreSQL's float8 output writes it: the shortest exact digits, in exponent form
 * (`1e-05`, `1.5e+15`) when the decimal exponent is below -4 or at least 15, else plain.
 */
export function float8Text(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa = '0', exponentText = '0'] = n.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 15) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(n);
}
