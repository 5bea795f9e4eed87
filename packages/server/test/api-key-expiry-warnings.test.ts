import { createTally } from '../src/server';
import { API_KEY_EXPIRY_WARNINGS_JOB, sendApiKeyExpiryWarnings } from '../src/modules/api-keys/api-key-expiry-warnings';
import { AuditService } from '../src/modules/audit/audit.service';
import { JOB_SCHEMA } from '../src/platform/jobs/job-queue';
import { MAIL_SEND_JOB } from '../src/platform/mail/mail-send.job';
import { manualClock } from './drivers/clock';
import { drainJobs } from './drivers/jobs';
import { createKey, createRoleTeam, createUser } from './factories';
import {
  FAST_JOBS,
  type TestServer,
  codeOf,
  createTestDatabase,
  gqlRequest,
  startTestServer,
  testConfig,
} from './harness';
import { type CaughtMail, type MailCatcher, startMailCatcher } from './mail-catcher';

/**
 * Expiry warnings (issue 22): seven days and one day before a key expires, and when it has, its
 * workspace's OWNERs and ADMINs get one email each, through the job queue, once per key and
 * threshold (also across runs and restarts). Time moves on a clock the test holds.
 */

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const PUBLIC_URL = 'https://tally.example.com';

const ROLL = `mutation($workspaceId: ID!, $apiKeyId: ID!, $graceUntil: DateTime) {
  rollApiKey(workspaceId: $workspaceId, apiKeyId: $apiKeyId, graceUntil: $graceUntil) { apiKey { id expiresAt } }
}`;
const REVOKE = `mutation($workspaceId: ID!, $apiKeyId: ID!) { revokeApiKey(workspaceId: $workspaceId, apiKeyId: $apiKeyId) { id } }`;
const EXPIRING = `query($id: ID) { workspace(id: $id) { apiKeysExpiringSoon { id name status expiresAt } } }`;

const clock = manualClock();
let server: TestServer;
let mail: MailCatcher;
beforeAll(async () => {
  mail = await startMailCatcher();
  server = await startTestServer({ SMTP_URL: mail.url, PUBLIC_URL }, { clock: clock.now });
});
afterAll(async () => {
  await server.close();
  await mail.close();
});

/** One pass of the scheduled job, as the schedule would send it, and the emails it queued. */
async function runWarnings(target: TestServer['tally'] = server.tally): Promise<void> {
  await target.jobs.send(API_KEY_EXPIRY_WARNINGS_JOB, {});
  await drainJobs(target, API_KEY_EXPIRY_WARNINGS_JOB);
  await drainJobs(target, MAIL_SEND_JOB, 15_000);
}

function mailsAbout(keyName: string): CaughtMail[] {
  return mail.messages.filter((m) => m.subject.includes(`"${keyName}"`));
}

function recipients(mails: CaughtMail[]): string[] {
  return mails.flatMap((m) => m.to).sort();
}

async function noticesOf(keyId: string): Promise<string[]> {
  const rows: Array<{ threshold: string }> = await server.tally.db.query(
    `SELECT threshold FROM api_key_expiry_notices WHERE api_key_id = $1 ORDER BY noticed_at, threshold`,
    [keyId],
  );
  return rows.map((r) => r.threshold);
}

function inDays(days: number): string {
  return new Date(clock.now() + days * DAY).toISOString();
}

describe('API key expiry warnings', () => {
  it('emails each OWNER and ADMIN once per threshold (7 days, 1 day, expired), never EDITORs or VIEWERs', async () => {
    const team = await createRoleTeam(server, 'Expiry Team');
    const name = `deploy-${team.teamId.slice(0, 8)}`;
    const { apiKey } = await createKey(server, team.owner, team.teamId, { name, expiresAt: inDays(10) });
    const owners = [team.owner.email, team.admin.email].sort();

    await runWarnings();
    expect(mailsAbout(name)).toEqual([]);

    clock.advance(3 * DAY); // 7 days left
    await runWarnings();
    const week = mailsAbout(name);
    expect(recipients(week)).toEqual(owners);
    for (const m of week) {
      expect(m.subject).toBe(`API key "${name}" expires in 7 days`);
      expect(m.text).toContain(`The API key "${name}" (${apiKey.prefix}…) in the team "Expiry Team" expires in 7 days`);
      expect(m.text).toContain(new Date(apiKey.expiresAt ?? '').toUTCString());
      expect(m.text).toContain(`${PUBLIC_URL}/w/${team.teamId}/api-keys`);
      expect(m.html).toContain(`<a href="${PUBLIC_URL}/w/${team.teamId}/api-keys">`);
    }
    // The same pass again, and a later one still inside the first threshold: nothing new.
    await runWarnings();
    clock.advance(2 * DAY);
    await runWarnings();
    expect(mailsAbout(name)).toHaveLength(2);

    clock.advance(4 * DAY); // 1 day left
    await runWarnings();
    await runWarnings();
    const day = mailsAbout(name).slice(2);
    expect(recipients(day)).toEqual(owners);
    expect(day.map((m) => m.subject)).toEqual([
      `API key "${name}" expires in 24 hours`,
      `API key "${name}" expires in 24 hours`,
    ]);

    clock.advance(DAY); // expired
    await runWarnings();
    await runWarnings();
    const ended = mailsAbout(name).slice(4);
    expect(recipients(ended)).toEqual(owners);
    for (const m of ended) {
      expect(m.subject).toBe(`API key "${name}" has expired`);
      expect(m.text).toContain('Requests made with it are refused (401)');
    }
    expect(mailsAbout(name)).toHaveLength(6);
    // Each warning is in the workspace's audit log, by Tally itself, once.
    const audited: Array<{ actor_name: string; actor_user_id: string | null; details: Record<string, unknown> }> =
      await server.tally.db.query(
        `SELECT actor_name, actor_user_id, details FROM audit_entries
          WHERE workspace_id = $1 AND action = 'api_key.expiry_warned' AND target_id = $2 ORDER BY at, id`,
        [team.teamId, apiKey.id],
      );
    expect(
      audited.map((row) => [row.actor_name, row.actor_user_id, row.details['threshold'], row.details['recipients']]),
    ).toEqual([
      ['Tally', null, 'SEVEN_DAYS', 2],
      ['Tally', null, 'ONE_DAY', 2],
      ['Tally', null, 'EXPIRED', 2],
    ]);
    expect(audited[0]?.details).toMatchObject({ name, prefix: apiKey.prefix, expiresAt: apiKey.expiresAt });
    for (const other of [team.editor, team.viewer, team.stranger]) {
      expect(mail.messages.filter((m) => m.to.includes(other.email))).toEqual([]);
    }
    expect(await noticesOf(apiKey.id)).toEqual(['SEVEN_DAYS', 'ONE_DAY', 'EXPIRED']);

    // Long after, nothing more.
    clock.advance(30 * DAY);
    await runWarnings();
    expect(mailsAbout(name)).toHaveLength(6);
  });

  it('gives a key made within a day of its end only the one-day warning; a personal workspace its owner', async () => {
    const user = await createUser(server);
    const name = `short-${user.id.slice(0, 8)}`;
    const { apiKey } = await createKey(server, user, user.personalWorkspaceId, {
      name,
      expiresAt: new Date(clock.now() + 5 * HOUR).toISOString(),
    });

    await runWarnings();
    const sent = mailsAbout(name);
    expect(recipients(sent)).toEqual([user.email]);
    expect(sent[0]?.subject).toBe(`API key "${name}" expires in 5 hours`);
    expect(sent[0]?.text).toContain('in your personal workspace');
    expect(await noticesOf(apiKey.id)).toEqual(['ONE_DAY']);

    clock.advance(5 * HOUR);
    await runWarnings();
    expect(mailsAbout(name).map((m) => m.subject)).toEqual([
      `API key "${name}" expires in 5 hours`,
      `API key "${name}" has expired`,
    ]);
    expect(await noticesOf(apiKey.id)).toEqual(['ONE_DAY', 'EXPIRED']);
  });

  it('sends nothing for revoked keys, rolled keys (whose end is the grace) or keys without expiry', async () => {
    const team = await createRoleTeam(server, 'Quiet Team');
    const tag = team.teamId.slice(0, 8);
    const revoked = await createKey(server, team.owner, team.teamId, { name: `revoked-${tag}`, expiresAt: inDays(3) });
    const rolled = await createKey(server, team.owner, team.teamId, { name: `rolled-${tag}`, expiresAt: inDays(30) });
    await createKey(server, team.owner, team.teamId, { name: `forever-${tag}` });
    const revoke = await server.gql(
      REVOKE,
      { workspaceId: team.teamId, apiKeyId: revoked.apiKey.id },
      { token: team.admin.accessToken },
    );
    expect(revoke.errors).toBeUndefined();
    const roll = await server.gql<{ rollApiKey: { apiKey: { id: string } } }>(
      ROLL,
      { workspaceId: team.teamId, apiKeyId: rolled.apiKey.id, graceUntil: inDays(1) },
      { token: team.owner.accessToken },
    );
    expect(roll.errors).toBeUndefined();
    // The old key now ends with the grace, tomorrow: inside the one-day threshold.
    const [old] = await server.tally.db.query(`SELECT expires_at, replaced_by_id FROM api_keys WHERE id = $1`, [
      rolled.apiKey.id,
    ]);
    expect(old).toEqual({ expires_at: new Date(inDays(1)), replaced_by_id: roll.data?.rollApiKey.apiKey.id });

    await runWarnings();
    clock.advance(2 * DAY); // the revoked key's and the rolled key's ends have passed
    await runWarnings();
    expect(mail.messages.filter((m) => m.subject.includes(tag))).toEqual([]);
    expect(await noticesOf(revoked.apiKey.id)).toEqual([]);
    expect(await noticesOf(rolled.apiKey.id)).toEqual([]);
  });

  it('lets each warning through once when two passes race (two instances at once)', async () => {
    const team = await createRoleTeam(server, 'Race Team');
    const name = `race-${team.teamId.slice(0, 8)}`;
    const { apiKey } = await createKey(server, team.owner, team.teamId, { name, expiresAt: inDays(2) });
    const deps = {
      db: server.tally.db,
      jobs: server.tally.jobs,
      audit: new AuditService(server.tally.db),
      clock: clock.now,
      publicUrl: PUBLIC_URL,
    };
    const runs = await Promise.all([sendApiKeyExpiryWarnings(deps), sendApiKeyExpiryWarnings(deps)]);
    await drainJobs(server.tally, MAIL_SEND_JOB, 15_000);

    expect(runs.map((r) => r.done)).toEqual([true, true]);
    expect(recipients(mailsAbout(name))).toEqual([team.admin.email, team.owner.email].sort());
    expect(await noticesOf(apiKey.id)).toEqual(['SEVEN_DAYS']);
  });

  it('lists active keys that expire within seven days for anyone who may read keys, not rolled ones', async () => {
    const team = await createRoleTeam(server, 'Banner Team');
    const tag = team.teamId.slice(0, 8);
    const soon = await createKey(server, team.owner, team.teamId, { name: `soon-${tag}`, expiresAt: inDays(2) });
    const sooner = await createKey(server, team.owner, team.teamId, { name: `sooner-${tag}`, expiresAt: inDays(1) });
    await createKey(server, team.owner, team.teamId, { name: `later-${tag}`, expiresAt: inDays(8) });
    await createKey(server, team.owner, team.teamId, { name: `forever-${tag}` });
    const revoked = await createKey(server, team.owner, team.teamId, { name: `gone-${tag}`, expiresAt: inDays(1) });
    await server.gql(
      REVOKE,
      { workspaceId: team.teamId, apiKeyId: revoked.apiKey.id },
      { token: team.owner.accessToken },
    );
    const rolled = await createKey(server, team.owner, team.teamId, { name: `rolled-${tag}`, expiresAt: inDays(60) });
    await server.gql(
      ROLL,
      { workspaceId: team.teamId, apiKeyId: rolled.apiKey.id, graceUntil: inDays(1) },
      { token: team.owner.accessToken },
    );

    const res = await server.gql<{ workspace: { apiKeysExpiringSoon: Array<{ id: string; status: string }> } }>(
      EXPIRING,
      { id: team.teamId },
      { token: team.viewer.accessToken },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.workspace.apiKeysExpiringSoon.map((k) => [k.id, k.status])).toEqual([
      [sooner.apiKey.id, 'ACTIVE'],
      [soon.apiKey.id, 'ACTIVE'],
    ]);

    // Another workspace's member learns nothing; an API key holds no keys.read.
    const stranger = await server.gql(EXPIRING, { id: team.teamId }, { token: team.stranger.accessToken });
    expect(stranger.data?.workspace ?? null).toBeNull();
    expect(['NOT_FOUND', 'FORBIDDEN']).toContain(codeOf(stranger));
    const admin = await createKey(server, team.owner, team.teamId, { name: `reader-${tag}`, role: 'ADMIN' });
    const byKey = await server.gql(EXPIRING, {}, { token: admin.secret });
    expect(codeOf(byKey)).toBe('FORBIDDEN');
  });
});

describe('API key expiry warnings across a restart', () => {
  it('delivers, after a restart, the emails enqueued before it, once; the next pass sends nothing new', async () => {
    const database = await createTestDatabase();
    const ownClock = manualClock();
    const start = async (smtpUrl: string): Promise<TestServer> => {
      const tally = await createTally(testConfig(database.url, { SMTP_URL: smtpUrl, PUBLIC_URL }), {
        jobs: FAST_JOBS,
        clock: ownClock.now,
      });
      const url = await tally.listen();
      return {
        url,
        tally,
        databaseUrl: database.url,
        clickhouse: null,
        gql: (query, variables, options) => gqlRequest(url, query, variables, options),
        close: () => tally.close(),
      };
    };
    // The first instance's mail server is unreachable: its emails stay queued when it stops.
    const first = await start('smtp://127.0.0.1:1');
    let firstOpen = true;
    let second: TestServer | undefined;
    try {
      const team = await createRoleTeam(first, 'Restart Team');
      const name = `restart-${team.teamId.slice(0, 8)}`;
      const { apiKey } = await createKey(first, team.owner, team.teamId, {
        name,
        expiresAt: new Date(ownClock.now() + 6 * DAY).toISOString(),
      });
      await first.tally.jobs.send(API_KEY_EXPIRY_WARNINGS_JOB, {});
      await drainJobs(first.tally, API_KEY_EXPIRY_WARNINGS_JOB);
      const queued: Array<{ state: string }> = await first.tally.db.query(
        `SELECT state::text AS state FROM ${JOB_SCHEMA}.job WHERE name = $1 AND data->>'subject' LIKE $2`,
        [MAIL_SEND_JOB, `%${name}%`],
      );
      expect(queued).toHaveLength(2);
      expect(queued.every((j) => j.state !== 'completed')).toBe(true);
      await first.close();
      firstOpen = false;

      second = await start(mail.url);
      await drainJobs(second.tally, MAIL_SEND_JOB, 20_000);
      expect(recipients(mailsAbout(name))).toEqual([team.admin.email, team.owner.email].sort());
      await second.tally.jobs.send(API_KEY_EXPIRY_WARNINGS_JOB, {});
      await drainJobs(second.tally, API_KEY_EXPIRY_WARNINGS_JOB);
      await drainJobs(second.tally, MAIL_SEND_JOB);
      expect(mailsAbout(name)).toHaveLength(2);
      const notices: unknown[] = await second.tally.db.query(
        `SELECT threshold FROM api_key_expiry_notices WHERE api_key_id = $1`,
        [apiKey.id],
      );
      expect(notices).toEqual([{ threshold: 'SEVEN_DAYS' }]);
    } finally {
      await second?.close();
      if (firstOpen) await first.close();
      await database.drop();
    }
  });
});
