import { type Readable, Transform, type TransformCallback, pipeline } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { AnalyticsQuery, ExportFormat } from '../event-store';
import { SettingParams, eventCondition } from './filter-sql';

/*
 * The export as one `COPY (SELECT …) TO STDOUT`: PostgreSQL writes the bytes itself, much faster
 * than reading rows and serialising them here. It must give exactly the bytes of the shared
 * serializer (export-format.ts, serializeEvents over scanEvents): the contract suite compares them.
 */

/** CSV with CRLF line ends (RFC 4180): PostgreSQL ends records with LF; quoted LFs stay as they are. */
class CrlfRecords extends Transform {
  private quoted = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const parts: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i += 1) {
      const byte = chunk[i];
      if (byte === 0x22) this.quoted = !this.quoted;
      else if (byte === 0x0a && !this.quoted) {
        parts.push(chunk.subarray(start, i), CRLF);
        start = i + 1;
      }
    }
    parts.push(chunk.subarray(start));
    done(null, Buffer.concat(parts));
  }
}
const CRLF = Buffer.from('\r\n');

/** The export's rows, read through settings of its own transaction (COPY takes no parameters). */
const EXPORT_WHERE = `e.workspace_id = current_setting('tally.export_workspace')::uuid
  AND e.ts >= current_setting('tally.export_from')::timestamptz
  AND e.ts < current_setting('tally.export_to')::timestamptz`;
const EXPORT_TIMESTAMP = `to_char(e.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/**
 * A text column of the CSV export, with a cell that a spreadsheet would read as a formula made
 * plain text (OWASP "CSV Injection"): one that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return gets a `'` in front. In SQL, so the export stays one COPY; `ascii()` of the first
 * character is the cheapest test (NULL stays NULL). Only the columns clients write free text into:
 * ids and timestamps are Tally's own format, `status` is `ok` or `error`, `durationMs` is a number
 * (and stays one, `-5` included), `properties` is a JSON object, so its text starts with `{`.
 */
function csvText(column: string): string {
  return `CASE WHEN ascii(${column}) IN (9, 13, 43, 45, 61, 64) THEN '''' || ${column} ELSE ${column} END`;
}

/** The export's COPY; `filter` is a condition on `e` whose values are settings too (SettingParams). */
function exportSql(format: ExportFormat, filter: string): string {
  const where = filter === 'TRUE' ? EXPORT_WHERE : `${EXPORT_WHERE} AND ${filter}`;
  if (format === 'csv') {
    return `COPY (
    SELECT e.id, ${EXPORT_TIMESTAMP} AS "timestamp", ${csvText('e.session_id')} AS "sessionId",
           ${csvText('e.name')} AS name, ${csvText('e.type')} AS type, ${csvText('e.user_id')} AS "userId",
           e.duration_ms AS "durationMs", e.status, e.properties
      FROM events e WHERE ${where} ORDER BY e.ts, e.id
  ) TO STDOUT WITH (FORMAT csv, HEADER true)`;
  }
  // JSON text never holds a raw control character (json_build_object escapes them), so with
  // CSV framing, a quote and a delimiter it cannot contain, every line goes out exactly as built:
  // unlike COPY's text format, which would double every backslash.
  return `COPY (
    SELECT json_build_object('id', e.id, 'timestamp', ${EXPORT_TIMESTAMP}, 'sessionId', e.session_id,
             'name', e.name, 'type', e.type, 'userId', e.user_id, 'durationMs', e.duration_ms,
             'status', e.status, 'properties', e.properties)::text
      FROM events e WHERE ${where} ORDER BY e.ts, e.id
  ) TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`;
}

/** Streams the matching events of a range as NDJSON or CSV, from one COPY on its own connection. */
export async function exportCopy(pool: Pool, query: AnalyticsQuery, format: ExportFormat): Promise<Readable> {
  // The analytics queries' own filter condition, its values read from settings (COPY takes no parameters).
  const filterParams = new SettingParams('tally.export_p');
  const filter = eventCondition(query.filters, filterParams, 'e');
  const settings = [
    { name: 'tally.export_workspace', value: query.workspaceId },
    { name: 'tally.export_from', value: query.from.toISOString() },
    { name: 'tally.export_to', value: query.to.toISOString() },
    ...filterParams.settings,
  ];
  const client: PoolClient = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(
      `SELECT set_config(s.name, s.value, true) FROM unnest($1::text[], $2::text[]) AS s(name, value)`,
      [settings.map((s) => s.name), settings.map((s) => s.value)],
    );
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  const copy = client.query(copyTo(exportSql(format, filter)));
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    if (error) {
      // Closing the connection is what stops a COPY … TO that nobody reads any more.
      client.release(error);
      return;
    }
    client.query('COMMIT').then(
      () => client.release(),
      (commitError: unknown) => client.release(commitError instanceof Error ? commitError : true),
    );
  };
  if (format === 'ndjson') {
    copy.once('end', () => release());
    copy.once('close', () => release(new Error('export stopped before its end')));
    copy.once('error', (error) => release(error));
    return copy;
  }
  const output = new CrlfRecords();
  pipeline(copy, output, (error) => release(error ?? undefined));
  return output;
}
