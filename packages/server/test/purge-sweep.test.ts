import { randomUUID } from 'node:crypto';
import type { EventInput } from '../src/modules/events/event-store';
import { JOB_SCHEMA } from '../src/platform/jobs/schema';
import { WORKSPACE_PURGE_JOB } from '../src/modules/workspaces/workspace-purge';
import { track } from './analytics-fixtures';
import { drainJobs } from './drivers/jobs';
import { type RoleTeam, createKeySecret, createRoleTeam } from './factories';
import { type TestServer, startTestServer, waitFor } from './harness';

/**
 * A deleted team's purge runs twice: at once, and a sweep a while later that removes a batch
 * which was being written while the team was deleted (ingest's live check reads a cache the
 * change feed empties, so such a straggler can land after the first pass). Counted through the
 * EventStore, as any engine answers.
 */
const SWEEP_AFTER_SECONDS = 2;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({}, { purge: { sweepAfterSeconds: SWEEP_AFTER_SECONDS } });
});

afterAll(async () => {
  await server.close();
});

async function storedEvents(workspaceId: string): Promise<number> {
  const now = Date.now();
  const query = { workspaceId, from: new Date(now - 86_400_000), to: new Date(now + 60_000), filters: [] };
  let count = 0;
  for await (const events of server.tally.services.events.scanEvents(query)) count += events.length;
  return count;
}

function straggler(sessionId: string): EventInput {
  return {
    id: randomUUID(),
    clientId: true,
    clientTimestamp: true,
    timestamp: new Date(),
    sessionId,
    name: 'late_tool',
    type: 'tool_call',
    userId: null,
    durationMs: 5,
    status: 'ok',
    properties: null,
  };
}

async function purgedAt(workspaceId: string): Promise<Date | null> {
  const rows: Array<{ purged_at: Date | null }> = await server.tally.db.query(
    `SELECT purged_at FROM workspaces WHERE id = $1`,
    [workspaceId],
  );
  return rows[0]?.purged_at ?? null;
}

async function deleteTeam(team: RoleTeam, name: string): Promise<void> {
  const res = await server.gql(
    `mutation($w: ID!, $n: String!) { deleteTeam(workspaceId: $w, confirmName: $n) }`,
    { w: team.teamId, n: name },
    { token: team.owner.accessToken },
  );
  expect(res.data).toEqual({ deleteTeam: true });
}

it('a batch that lands after the first pass is removed by the sweep; another team keeps its events', async () => {
  const doomed = await createRoleTeam(server, 'Sweep Doomed');
  const kept = await createRoleTeam(server, 'Sweep Kept');
  const doomedKey = await createKeySecret(server, doomed.owner, doomed.teamId, 'EDITOR');
  const keptKey = await createKeySecret(server, kept.owner, kept.teamId, 'EDITOR');
  await track(server, doomedKey, {
    events: [
      { sessionId: 'd1', name: 'a' },
      { sessionId: 'd1', name: 'b' },
    ],
  });
  await track(server, keptKey, { events: [{ sessionId: 'k1', name: 'a' }] });
  expect(await storedEvents(doomed.teamId)).toBe(2);

  await deleteTeam(doomed, 'Sweep Doomed');
  await waitFor(async () => (await purgedAt(doomed.teamId)) !== null, 15_000, 'the first pass');
  expect(await storedEvents(doomed.teamId)).toBe(0);

  // The straggler: written through the store after the first pass, as a batch in flight would be.
  const written = await server.tally.services.events.writeBatch(doomed.teamId, {
    events: [straggler('late'), straggler('late')],
    sessions: [],
  });
  expect(written).toEqual({ stored: 2, duplicates: 0 });
  expect(await storedEvents(doomed.teamId)).toBe(2);

  // The sweep (queued once, by the first pass) removes it.
  await drainJobs(server.tally, WORKSPACE_PURGE_JOB, 20_000);
  expect(await storedEvents(doomed.teamId)).toBe(0);
  const sweeps: Array<{ count: number }> = await server.tally.db.query(
    `SELECT count(*)::int AS count FROM ${JOB_SCHEMA}.job WHERE name = $1 AND data->>'workspaceId' = $2 AND data->>'sweep' = 'true'`,
    [WORKSPACE_PURGE_JOB, doomed.teamId],
  );
  expect(sweeps[0]?.count).toBe(1);
  expect(await storedEvents(kept.teamId)).toBe(1);
}, 60_000);
