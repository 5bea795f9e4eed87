import { randomUUID } from 'node:crypto';
import { EVENT_TABLES } from '../src/modules/events/postgres/tables';
import { WORKSPACE_PURGE_JOB } from '../src/modules/workspaces/workspace-purge';
import { type RoleTeam, createRoleTeam, createKeySecret } from './factories';
import { type TestServer, startTestServer } from './harness';
import { drainJobs } from './drivers/jobs';
import { FIXED_DATES_WINDOW, postEvents, scalar, track } from './analytics-fixtures';

let server: TestServer;

// Small batches, so the purge goes through several of them across partitions.
beforeAll(async () => {
  server = await startTestServer(FIXED_DATES_WINDOW, { purge: { batchSize: 3 } });
});
afterAll(() => server.close());

/** Rows a workspace holds in each event table. */
async function rowsOf(workspaceId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of EVENT_TABLES) {
    counts[table] = await scalar(server, `SELECT count(*) AS n FROM ${table} WHERE workspace_id = $1`, [workspaceId]);
  }
  return counts;
}

function batch(): unknown {
  // Events in several months (partitions), with client ids, errors and durations: every table gets rows.
  const timed = [
    '2025-11-03T10:00:00Z',
    '2025-12-24T23:30:00Z',
    '2026-01-01T00:00:00Z',
    '2026-01-15T08:00:00Z',
  ].flatMap((timestamp, i) =>
    Array.from({ length: 4 }, (_, j) => ({
      id: randomUUID(),
      sessionId: `s-${i}-${j % 2}`,
      userId: `u-${j % 3}`,
      name: `tool-${j}`,
      type: 'tool_call',
      timestamp,
      durationMs: 10 * (j + 1),
      status: j === 0 ? 'error' : 'ok',
    })),
  );
  // Client ids without timestamps are claimed in event_ids.
  const untimed = Array.from({ length: 2 }, (_, j) => ({ id: randomUUID(), sessionId: 's-now', name: `tool-${j}` }));
  return { events: [...timed, ...untimed], sessions: [{ id: 's-0-0', attributes: { app: '1' } }] };
}

describe('purge after team deletion', () => {
  it("removes the team's events, sessions and rollups, and nothing of another workspace", async () => {
    const doomed = await createRoleTeam(server, 'Doomed Analytics');
    const kept = await createRoleTeam(server, 'Kept Analytics');
    const doomedKey = await createKeySecret(server, doomed.owner, doomed.teamId, 'EDITOR');
    const keptKey = await createKeySecret(server, kept.owner, kept.teamId, 'EDITOR');
    await track(server, doomedKey, batch());
    await track(server, keptKey, batch());
    // Folded rollups, and deltas not folded yet.
    await server.tally.services.events.settle();
    await track(server, doomedKey, batch());
    await track(server, keptKey, batch());
    const before = await rowsOf(kept.teamId);
    expect(Object.values(await rowsOf(doomed.teamId)).every((n) => n > 0)).toBe(true);
    expect(before).toEqual(await rowsOf(doomed.teamId));

    const deleted = await server.gql(
      `mutation($w: ID!, $n: String!) { deleteTeam(workspaceId: $w, confirmName: $n) }`,
      { w: doomed.teamId, n: 'Doomed Analytics' },
      { token: doomed.owner.accessToken },
    );
    expect(deleted.data).toEqual({ deleteTeam: true });
    // Its key no longer sends anything.
    expect((await postEvents(server, doomedKey, batch())).status).toBe(401);
    await drainJobs(server.tally, WORKSPACE_PURGE_JOB, 15_000);

    expect(Object.values(await rowsOf(doomed.teamId))).toEqual(EVENT_TABLES.map(() => 0));
    expect(await rowsOf(kept.teamId)).toEqual(before);
    expect(
      await scalar(server, `SELECT count(*) AS n FROM workspaces WHERE id = $1 AND purged_at IS NOT NULL`, [
        doomed.teamId,
      ]),
    ).toBe(1);
  });

  /** The principal the verifier makes of a key, as the HTTP layer gets it. */
  const verifiedKey = async (secret: string) => {
    const check = await server.tally.services.apiKeyVerifier.verify(secret, '127.0.0.1');
    if (!check.ok) throw new Error(`the key was refused: ${check.reason}`);
    return check.principal;
  };

  const deleteTeam = (team: RoleTeam, name: string) =>
    server.gql(
      `mutation($w: ID!, $n: String!) { deleteTeam(workspaceId: $w, confirmName: $n) }`,
      { w: team.teamId, n: name },
      { token: team.owner.accessToken },
    );

  it('a batch for a workspace deleted after its key was checked stores nothing (the ingest service refuses it)', async () => {
    const gone = await createRoleTeam(server, 'Gone Analytics');
    const key = await createKeySecret(server, gone.owner, gone.teamId, 'EDITOR');
    // The key is checked as the request arrives; the team is deleted before the batch is written.
    const principal = await verifiedKey(key);
    expect((await deleteTeam(gone, 'Gone Analytics')).data).toEqual({ deleteTeam: true });
    await expect(
      server.tally.services.ingest.ingest(principal, { events: [{ sessionId: 's', name: 'x' }] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(Object.values(await rowsOf(gone.teamId))).toEqual(EVENT_TABLES.map(() => 0));
  });

  it('a batch written while its team is deleted is answered NOT_FOUND and purged again', async () => {
    const racing = await createRoleTeam(server, 'Racing Analytics');
    const key = await createKeySecret(server, racing.owner, racing.teamId, 'EDITOR');
    const principal = await verifiedKey(key);
    const store = server.tally.services.events;
    const write = store.writeBatch.bind(store);
    // The deletion and its purge land while the batch is being written.
    jest.spyOn(store, 'writeBatch').mockImplementationOnce(async (workspaceId, batch) => {
      expect((await deleteTeam(racing, 'Racing Analytics')).data).toEqual({ deleteTeam: true });
      await drainJobs(server.tally, WORKSPACE_PURGE_JOB, 15_000);
      return write(workspaceId, batch);
    });
    await expect(
      server.tally.services.ingest.ingest(principal, { events: [{ sessionId: 's', name: 'x' }] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await drainJobs(server.tally, WORKSPACE_PURGE_JOB, 15_000);
    expect(Object.values(await rowsOf(racing.teamId))).toEqual(EVENT_TABLES.map(() => 0));
  });
});
