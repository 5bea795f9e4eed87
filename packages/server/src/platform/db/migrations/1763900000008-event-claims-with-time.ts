import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The id ledger (`event_ids`) also claims client ids sent WITH a timestamp, for the ClickHouse
 * event store (modules/events/clickhouse/): ClickHouse has no unique key to refuse a copy, so a
 * batch's client ids are claimed here, in the transaction that spans its insert there. Such an
 * event's identity is its id and its time (a copy at another time is another event, as on
 * PostgreSQL), so `ts` joins the key; claims without a timestamp keep `-infinity`, and the
 * PostgreSQL store's inserts, which name no `ts`, mean exactly what they meant before.
 */
export class EventClaimsWithTime1763900000008 implements MigrationInterface {
  name = 'EventClaimsWithTime1763900000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_ids ADD COLUMN ts timestamptz NOT NULL DEFAULT '-infinity'`);
    await q.query(`ALTER TABLE event_ids DROP CONSTRAINT event_ids_pkey, ADD PRIMARY KEY (workspace_id, id, ts)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM event_ids WHERE ts <> '-infinity'`);
    await q.query(`ALTER TABLE event_ids DROP CONSTRAINT event_ids_pkey, ADD PRIMARY KEY (workspace_id, id)`);
    await q.query(`ALTER TABLE event_ids DROP COLUMN ts`);
  }
}
