import type { TestServer } from './harness';

/**
 * A digest of every row a GraphQL call or a REST endpoint could change, per table, so a test
 * can say "nothing changed" and name the table when something did. Row counts alone miss an
 * UPDATE; this hashes whole rows. Left out: what background work writes on its own (a key's
 * coalesced `last_used_at`, an invitation email's delivery columns, a purge's `purged_at` and the
 * rows a purge deletes from a deleted team) and rate-limit rows about to expire.
 */
const TABLES: ReadonlyArray<{ table: string; drop?: readonly string[]; owned?: boolean }> = [
  { table: 'users' },
  { table: 'workspaces', drop: ['purged_at'] },
  { table: 'members', owned: true },
  { table: 'invitations', owned: true, drop: ['delivered_at', 'send_attempts', 'last_send_error'] },
  { table: 'api_keys', owned: true, drop: ['last_used_at'] },
  { table: 'audit_entries' },
  { table: 'saved_filters', owned: true },
  { table: 'annotations', owned: true },
  { table: 'refresh_tokens' },
  { table: 'password_resets' },
  { table: 'email_changes' },
  { table: 'events', owned: true },
  { table: 'sessions', owned: true },
];

const SQL = `SELECT ${TABLES.map(({ table, drop = [], owned }) => {
  const row = drop.reduce((expr, column) => `(${expr} - '${column}')`, 'to_jsonb(t)');
  const where = owned ? ` WHERE t.workspace_id NOT IN (SELECT id FROM workspaces WHERE deleted_at IS NOT NULL)` : '';
  return `(SELECT count(*) || ':' || md5(coalesce(string_agg(r, E'\\n' ORDER BY r), ''))
             FROM (SELECT ${row}::text AS r FROM ${table} t${where}) s) AS ${table}`;
}).join(',\n')},
  (SELECT count(*) || ':' || md5(coalesce(string_agg(key || '=' || points, E'\\n' ORDER BY key), ''))
     FROM rate_limits WHERE expire IS NULL OR expire > extract(epoch FROM now()) * 1000 + 600000) AS rate_limits`;

export type Fingerprint = Record<string, string>;

export async function fingerprint(server: TestServer): Promise<Fingerprint> {
  const rows: Fingerprint[] = await server.tally.db.query(SQL);
  const first = rows[0];
  if (!first) throw new Error('fingerprint query returned nothing');
  return first;
}
