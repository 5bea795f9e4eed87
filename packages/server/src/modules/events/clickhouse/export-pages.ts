import { Readable } from 'node:stream';
import type { AnalyticsQuery, ExportFormat } from '../event-store';
import { CSV_HEADER, float8Text } from '../export-format';
import { ChParams, type ChReads, type Tables, eventCondition } from './sql';

/*
 * The ClickHouse store's export: ClickHouse writes every line itself, exactly as the shared
 * serializer (export-format.ts) would, and Node only passes the bytes on — the way the
 * PostgreSQL store's COPY does (postgres/export-copy.ts). The contract suite compares the bytes.
 *
 * One statement per page, keyset after the last (ts, id), in primary key order (read in order,
 * so a page reads its own rows and no more): each page is a bounded statement with the store's
 * limits, memory stays constant however large the range, and stopping the stream stops reading.
 * chdb answers a statement only once it has run to its end (its connection buffers the whole
 * result), so one statement for the whole export would hold the whole file in memory.
 */

/** Rows per page, at most. */
export const EXPORT_PAGE_ROWS = 50_000;
/**
 * Bytes of lines a page stops at (ClickHouse's `max_result_bytes`, `break`: at the end of the
 * block that passes it), so that rows with large properties make shorter pages, not larger ones.
 * A page's statement needs about 5 MB and twice its bytes in ClickHouse, and its answer is a
 * Buffer of its own until the garbage collector takes it: 8 MB pages exported about a quarter
 * faster, but the server's RSS grew about twice as much (`pnpm bench export` with a garbage
 * collection before each round: up to 125 MB, against up to 62 MB with 4 MB pages).
 */
export const EXPORT_PAGE_BYTES = 4 * 1024 * 1024;
/** Bytes per chunk handed on: small enough that a stalled reader shows (stall-guard.ts). */
const CHUNK_BYTES = 64 * 1024;

/*
 * The lines' SQL, written raw: what is here is what ClickHouse reads. A part used more than once
 * is named (`… AS _name`) where it is first written and used by its name after.
 */
const sql = String.raw;

/**
 * A text column of the CSV export, with a cell that a spreadsheet would read as a formula made
 * plain text: one that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in
 * front (export-format.ts, `neutralised`; the same columns). Named `_plain_<column>`.
 */
function neutralised(column: string): string {
  return sql`(if(ascii(${column}) IN (9, 13, 43, 45, 61, 64), concat('''', ${column}), ${column}) AS _plain_${column})`;
}

/**
 * A CSV field as PostgreSQL's COPY writes it (export-format.ts, `csvField`); NULL stays NULL.
 * `name` is the name of `text` when it has one.
 */
function csvField(text: string, name = text): string {
  return sql`multiIf(${text} = '', '""', multiSearchAny(${name}, ['"', ',', '\n', '\r']),
    concat('"', replaceAll(${name}, '"', '""'), '"'), ${name})`;
}

/** A text column neutralised, as a CSV field. */
const csvText = (column: string) => csvField(neutralised(column), `_plain_${column}`);

/**
 * A string as JSON.stringify writes it: `"` and `\` escaped, the control characters as `\b`,
 * `\t`, `\n`, `\f`, `\r` or `\u00xx`, nothing else (ClickHouse's own JSON escapes `/` and more).
 * Few strings need escaping at all; they go byte by byte. NULL stays NULL.
 */
function jsonString(column: string): string {
  const escaped = sql`arrayStringConcat(arrayMap(c -> multiIf(
      c = '"', '\\"', c = '\\', '\\\\', c = char(8), '\\b', c = char(9), '\\t', c = char(10), '\\n',
      c = char(12), '\\f', c = char(13), '\\r', c < ' ', concat('\\u00', lower(hex(c))), c),
    splitByString('', ${column})))`;
  return sql`concat('"', if(match(${column}, '[\\x00-\\x1f"\\\\]'), ${escaped}, ${column}), '"')`;
}

/** An event's time as Date.toISOString writes it (`…T…Z`, to the millisecond). */
const TIMESTAMP = sql`concat(replaceOne(toString(ts), ' ', 'T'), 'Z')`;

/**
 * `duration_ms` as PostgreSQL's float8 output writes a double (export-format.ts, `float8Text`),
 * in all but rare cases: ClickHouse's `toString` writes the shortest exact digits as JavaScript's
 * String() does, which is float8's text from 1e-4 up to 1e15. A duration outside that range (or
 * not finite) comes beside its line too (RARE_DURATION): Node rewrites its text with float8Text
 * (`rewritten`). Rare in practice, and cheaper so than in SQL, which each page would analyse.
 */
const DURATION = sql`toString(duration_ms)`;
const RARE_DURATION = sql`if(NOT isFinite(duration_ms) OR (duration_ms != 0 AND abs(duration_ms) < 1e-4)
    OR abs(duration_ms) >= 1e15, duration_ms, NULL)`;

/** A CSV record (export-format.ts, `csvLine`): the same columns, CRLF. */
const CSV_LINE = sql`concat(${csvField('id')}, ',', ${TIMESTAMP}, ',', ${csvText('session_id')}, ',', ${csvText('name')}, ',',
    ${csvText('type')}, ',', ifNull(${csvText('user_id')}, ''), ',', ifNull(${DURATION}, ''), ',',
    ifNull(${csvField('status')}, ''), ',', ifNull(${csvField('properties')}, ''), '\r\n')`;

/**
 * An NDJSON line (export-format.ts, `ndjsonLine`: `json_build_object(…)::text`'s spacing), with
 * `properties` as stored: jsonb's text already (clickhouse/ingest.ts).
 */
const NDJSON_LINE = sql`concat('{"id" : ', ${jsonString('id')}, ', "timestamp" : "', ${TIMESTAMP},
    '", "sessionId" : ', ${jsonString('session_id')}, ', "name" : ', ${jsonString('name')},
    ', "type" : ', ${jsonString('type')}, ', "userId" : ', ifNull(${jsonString('user_id')}, 'null'),
    ', "durationMs" : ', ifNull(${DURATION}, 'null'), ', "status" : ', ifNull(${jsonString('status')}, 'null'),
    ', "properties" : ', ifNull(properties, 'null'), '}\n')`;

/** The SQL expression of an export line of `format` over a row of `events`. */
export function exportLine(format: ExportFormat): string {
  return format === 'csv' ? CSV_LINE : NDJSON_LINE;
}

const HEADER = Buffer.from(`${CSV_HEADER.join(',')}\r\n`);

interface Page {
  /** The lines, one after the other. */
  lines: Buffer;
  rows: number;
  /** The last row's key (null: no rows). */
  last: Key | null;
}

type Key = { ms: number; id: string };

const cut = () => new Error('a cut page of the ClickHouse export');

/**
 * A line whose duration toString wrote (`text`) as float8 writes it (`float8Text(duration)`).
 * In CSV it is the seventh field (the fields before it are quoted when they hold a comma); in
 * NDJSON it follows the key `durationMs`, which no string before it can hold unescaped.
 */
export function rewritten(line: Buffer, format: ExportFormat, duration: number): Buffer {
  let at = 0;
  let end: number;
  if (format === 'csv') {
    for (let field = 0; field < 6; field += 1) {
      if (line[at] === 0x22) {
        // A quoted field: up to the quote that is not doubled.
        at += 1;
        for (;;) {
          at = line.indexOf(0x22, at) + 1;
          if (at === 0) throw cut();
          if (line[at] !== 0x22) break;
          at += 1;
        }
        at += 1;
      } else {
        at = line.indexOf(0x2c, at) + 1;
        if (at === 0) throw cut();
      }
    }
    end = line.indexOf(0x2c, at);
  } else {
    const key = line.indexOf(DURATION_KEY);
    at = key + DURATION_KEY.length;
    end = key === -1 ? -1 : line.indexOf(STATUS_KEY, at);
  }
  if (end === -1) throw cut();
  return Buffer.concat([line.subarray(0, at), Buffer.from(float8Text(duration)), line.subarray(end)]);
}
const DURATION_KEY = Buffer.from(', "durationMs" : ');
const STATUS_KEY = Buffer.from(', "status" : ');

/** An NDJSON line's start, before its id's JSON string. */
const NDJSON_ID_KEY = Buffer.from('{"id" : ');
/** Between the id's JSON string and the time, in an NDJSON line. */
const NDJSON_TIME_KEY = Buffer.from(', "timestamp" : "');
/** `…T…Z` to the millisecond: DateTime64(3) years have four digits. */
const TIME_LENGTH = 24;

/**
 * The key (time, id) of an export line, read back from its first two fields: the id as
 * `csvField` or `jsonString` wrote it, then the time. So a page's answer need not carry every
 * row's key beside its line, only its lines.
 */
export function keyOfLine(line: Buffer, format: ExportFormat): Key {
  let id: string;
  let timeAt: number;
  if (format === 'csv') {
    if (line[0] === 0x22) {
      // Quoted: up to the quote that is not doubled.
      let end = 1;
      for (;;) {
        end = line.indexOf(0x22, end);
        if (end === -1) throw cut();
        if (line[end + 1] !== 0x22) break;
        end += 2;
      }
      id = line.toString('utf8', 1, end).replaceAll('""', '"');
      timeAt = end + 2;
    } else {
      const comma = line.indexOf(0x2c);
      if (comma === -1) throw cut();
      id = line.toString('utf8', 0, comma);
      timeAt = comma + 1;
    }
  } else {
    if (!line.subarray(0, NDJSON_ID_KEY.length).equals(NDJSON_ID_KEY)) throw cut();
    const start = NDJSON_ID_KEY.length;
    // The string's closing quote: one not escaped by an odd number of backslashes.
    let end = start + 1;
    for (;;) {
      end = line.indexOf(0x22, end);
      if (end === -1) throw cut();
      let slashes = 0;
      while (line[end - 1 - slashes] === 0x5c) slashes += 1;
      if (slashes % 2 === 0) break;
      end += 1;
    }
    id = JSON.parse(line.toString('utf8', start, end + 1)) as string;
    timeAt = end + 1 + NDJSON_TIME_KEY.length;
  }
  const ms = Date.parse(line.toString('latin1', timeAt, timeAt + TIME_LENGTH));
  if (!Number.isFinite(ms)) throw cut();
  return { ms, id };
}

/**
 * A page's answer, RowBinary rows of (line String, rare Nullable(Float64)), made its lines: each
 * line is moved over the length before it, in place (no copy of the page, nothing new for the
 * garbage collector); the last row's key is read back from its line (keyOfLine), and a line with
 * a rare duration is rewritten (a few bytes longer at most: its own length and the rare value
 * before the next line leave room).
 */
export function splitPage(answer: Buffer, format: ExportFormat): Page {
  let rows = 0;
  let last: Key | null = null;
  let end = 0;
  let at = 0;
  while (at < answer.length) {
    let lineLength = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = answer[at++];
      if (byte === undefined) throw cut();
      lineLength += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    const lineAt = at;
    at += lineLength;
    // Nullable(Float64): 1 for NULL, else 0 and the double.
    const rare = answer[at];
    if (rare === undefined || (rare === 0 && at + 9 > answer.length)) throw cut();
    const duration = rare === 0 ? answer.readDoubleLE(at + 1) : null;
    at += rare === 0 ? 9 : 1;
    // The last row's key, read before its line moves.
    if (at === answer.length) last = keyOfLine(answer.subarray(lineAt, lineAt + lineLength), format);
    if (duration === null) end += answer.copy(answer, end, lineAt, lineAt + lineLength);
    else end += rewritten(answer.subarray(lineAt, lineAt + lineLength), format, duration).copy(answer, end);
    rows += 1;
  }
  return { lines: answer.subarray(0, end), rows, last };
}

/** How large an export's pages are (EXPORT_PAGE_ROWS and EXPORT_PAGE_BYTES; tests ask for small ones). */
export interface PageSize {
  rows: number;
  bytes: number;
  /** Rows per block ClickHouse reads (`max_block_size`; its own default when not given). */
  blockRows?: number;
}

async function* pages(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  format: ExportFormat,
  size: PageSize,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const read = (after: Key | null): Promise<Buffer> => {
    const p = new ChParams();
    const from = after
      ? `AND ts >= ${p.time(new Date(after.ms))} AND (ts, id) > (${p.time(new Date(after.ms))}, ${p.add(after.id, 'String')})`
      : '';
    return reads.bytes(
      `SELECT /* tally:scan */ ${exportLine(format)} AS line, ${RARE_DURATION} AS rare
         FROM ${t.events}
        WHERE workspace_id = ${p.add(query.workspaceId, 'UUID')} AND ts >= ${p.time(query.from)} AND ts < ${p.time(query.to)}
          AND ${eventCondition(query.filters, p)} ${from}
        ORDER BY ts, id LIMIT ${p.add(size.rows, 'UInt32')}`,
      p,
      'RowBinary',
      // One thread reads the range in order; a page stops at the block that passes its bytes.
      [
        `max_result_bytes = ${size.bytes}`,
        `result_overflow_mode = 'break'`,
        'max_threads = 1',
        ...(size.blockRows ? [`max_block_size = ${size.blockRows}`] : []),
      ],
      signal,
    );
  };
  // The CSV header goes out with the first page, not before the first read: a read that fails
  // at once fails before the first byte, so the client gets an error, not a file with a header.
  let header = format === 'csv' ? HEADER : null;
  let next: Promise<Buffer> | null = read(null);
  while (next) {
    const answer: Buffer = await next;
    const page = splitPage(answer, format);
    // A page shorter than asked ran out of rows, unless it was stopped at its bytes. The next
    // page is read while this one is handed on (ClickHouse works off Node's thread).
    const more = page.last !== null && (page.rows === size.rows || answer.length >= size.bytes / 2);
    next = more && page.last && !signal.aborted ? read(page.last) : null;
    // Not awaited when the stream is destroyed first: its failure is nobody's then.
    next?.catch(() => undefined);
    if (header) {
      yield header;
      header = null;
    }
    for (let at = 0; at < page.lines.length; at += CHUNK_BYTES) yield page.lines.subarray(at, at + CHUNK_BYTES);
  }
}

/** The export as one byte stream; destroying it stops the page being read, and the next. */
export function exportPages(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  format: ExportFormat,
  size: PageSize = { rows: EXPORT_PAGE_ROWS, bytes: EXPORT_PAGE_BYTES },
): Readable {
  const stop = new AbortController();
  const stream = Readable.from(pages(reads, t, query, format, size, stop.signal), { objectMode: false });
  stream.once('close', () => stop.abort());
  return stream;
}
