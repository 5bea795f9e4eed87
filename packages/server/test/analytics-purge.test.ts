import { randomUUID } from 'node:crypto';
import { WORKSPACE_PURGE_JOB } from '../src/modules/workspaces/workspace-purge';
import { type RoleTeam, createRoleTeam, createKeySecret } from './factories';
import { type TestServer, startTestServer } from './harness';
import { drainJobs } from './drivers/jobs';
import { FIXED_DATES_WINDOW, postEvents, storeContents, track } from './analytics-fixtures';

let server: TestServer;

// Small batches, so the purge goes through several of them across partitions.
beforeAll(async () => {
  server = await startTestServer(FIXED_DATES_WINDOW, { purge: { batchSize: 3 } });
});
afterAll(() => server.close());

/**
 * What the store holds of a workspace, as its readers see it: events, sessions and the totals.
 * (That every PostgreSQL table is emptied: event-store/postgres-engine.test.ts.)
 */
const contentsOf = (workspaceId: string) => storeContents(server, workspaceId);

/** What a purged workspace holds: nothing. */
const EMPTY = {
  events: 0,
  sessions: 0,
  usage: 0,
  overview: { sessions: 0, events: 0, users: 0, errors: 0, avgSessionDurationMs: null, series: [] },
};

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
    const before = await contentsOf(kept.teamId);
    expect(before).toMatchObject({ events: 36, sessions: 9, usage: 36, overview: { events: 36, errors: 8 } });
    // The same batches, sent at other moments: only the span of the session without timestamps differs.
    expect(await contentsOf(doomed.teamId)).toEqual({
      ...before,
      overview: { ...before.overview, avgSessionDurationMs: expect.any(Number) },
    });

    const deleted = await server.gql(
      `mutation($w: ID!, $n: String!) { deleteTeam(workspaceId: $w, confirmName: $n) }`,
      { w: doomed.teamId, n: 'Doomed Analytics' },
      { token: doomed.owner.accessToken },
    );
    expect(deleted.data).toEqual({ deleteTeam: true });
    // Its key no longer sends anything.
    expect((await postEvents(server, doomedKey, batch())).status).toBe(401);
    await drainJobs(server.tally, WORKSPACE_PURGE_JOB, 15_000);

    expect(await contentsOf(doomed.teamId)).toEqual(EMPTY);
    expect(await contentsOf(kept.teamId)).toEqual(before);
    // The workspace row records that its purge finished.
    const purged: Array<{ id: string }> = await server.tally.db.query(
      `SELECT id FROM workspaces WHERE id = $1 AND purged_at IS NOT NULL`,
      [doomed.teamId],
    );
    expect(purged).toEqual([{ id: doomed.teamId }]);
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
    expect(await contentsOf(gone.teamId)).toEqual(EMPTY);
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
    expect(await contentsOf(racing.teamId)).toEqual(EMPTY);
  });
});
