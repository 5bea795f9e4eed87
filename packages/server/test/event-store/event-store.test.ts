import { MemoryEventStore } from '../../src/modules/events/reference/memory-event-store';
import { CHDB_SKIPPED, chdbAvailable } from '../drivers/clickhouse';
import { startTestServer } from '../harness';
import { runEventStoreContract } from './contract';

describe('the reference in-memory store', () => {
  runEventStoreContract(() =>
    Promise.resolve({
      store: new MemoryEventStore(),
      newWorkspace: () => Promise.resolve(crypto.randomUUID()),
      close: () => Promise.resolve(),
    }),
  );
});

describe.each([
  ['the PostgreSQL store', 'postgres', true],
  [`the ClickHouse store (chdb)${chdbAvailable ? '' : ` — ${CHDB_SKIPPED}`}`, 'clickhouse', chdbAvailable],
] as const)('%s', (_name, store, available) => {
  if (!available) {
    it.skip('runs where chdb is installed', () => undefined);
    return;
  }
  runEventStoreContract(async () => {
    const server = await startTestServer({ EVENTS_STORE: store });
    return {
      store: server.tally.services.events,
      newWorkspace: async () => {
        const rows: Array<{ id: string }> = await server.tally.db.query(
          `INSERT INTO workspaces (kind, name) VALUES ('TEAM', 'Contract') RETURNING id`,
        );
        const id = rows[0]?.id;
        if (!id) throw new Error('workspace insert failed');
        return id;
      },
      close: () => server.close(),
    };
  });
});
