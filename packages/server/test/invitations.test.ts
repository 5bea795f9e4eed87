import { createRoleTeam, createUser, type RoleTeam, SIGN_UP, type TestUser, uniqueEmail, createKey } from './factories';
import { type TestServer, codeOf, startTestServer, waitFor } from './harness';
import { drainJobs } from './drivers/jobs';
import { type CaughtMail, type MailCatcher, startMailCatcher } from './mail-catcher';

const INVITE = `mutation($w: ID!, $e: String!, $r: MemberRole!) {
  inviteMember(workspaceId: $w, email: $e, role: $r) { id email role status expiresAt invitedBy { id } }
}`;
const RESEND = `mutation($w: ID!, $i: ID!) { resendInvitation(workspaceId: $w, invitationId: $i) { id status expiresAt lastSentAt } }`;
const REVOKE = `mutation($w: ID!, $i: ID!) { revokeInvitation(workspaceId: $w, invitationId: $i) { id status } }`;
const ACCEPT = `mutation($t: String!) { acceptInvitation(token: $t) { id name viewerRole } }`;
const PREVIEW = `query($t: String!) {
  invitationPreview(token: $t) { workspaceName email role status expiresAt accountExists invitedByName }
}`;
const LIST = `query($id: ID, $s: InvitationStatus) {
  workspace(id: $id) { invitations(status: $s) { id email status deliveredAt lastSendError invitedBy { id } } }
}`;

type Invited = { inviteMember: { id: string; email: string; role: string; status: string; expiresAt: string } };

let server: TestServer;
let mail: MailCatcher;
let cast: RoleTeam;

beforeAll(async () => {
  mail = await startMailCatcher();
  server = await startTestServer({
    SMTP_URL: mail.url,
    PUBLIC_URL: 'https://tally.example.com',
    INVITATIONS_PER_INVITER_PER_HOUR: '1000',
    INVITATIONS_PER_WORKSPACE_PER_HOUR: '1000',
  });
  cast = await createRoleTeam(server, 'Invite Team');
});
afterAll(async () => {
  await server.close();
  await mail.close();
});

function tokenOf(message: CaughtMail): string {
  const match = /https:\/\/tally\.example\.com\/invite\/([A-Za-z0-9_-]{43})/.exec(message.text);
  if (!match?.[1]) throw new Error(`no invitation link in: ${message.text}`);
  return match[1];
}

async function invite(email: string, role = 'VIEWER', by: TestUser = cast.owner, teamId = cast.teamId) {
  const res = await server.gql<Invited>(INVITE, { w: teamId, e: email, r: role }, { token: by.accessToken });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  const message = await mail.waitFor(
    (m) => m.to.includes(email.trim().toLowerCase()) && !m.text.includes('resent-marker'),
  );
  return { invitation: res.data.inviteMember, token: tokenOf(message), message };
}

async function memberRole(teamId: string, userId: string): Promise<string | null> {
  const rows: Array<{ role: string }> = await server.tally.db.query(
    `SELECT role FROM members WHERE workspace_id = $1 AND user_id = $2`,
    [teamId, userId],
  );
  return rows[0]?.role ?? null;
}

describe('inviting', () => {
  it('emails the link from PUBLIC_URL with team, inviter, role and expiry; the email is normalised', async () => {
    const email = uniqueEmail('grace');
    const { invitation, token, message } = await invite(`  ${email.toUpperCase()} `, 'EDITOR');
    expect(invitation).toEqual(expect.objectContaining({ email, role: 'EDITOR', status: 'PENDING' }));
    const days = (Date.parse(invitation.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    expect(message.to).toEqual([email]);
    expect(message.subject).toBe(`"${cast.owner.name}" invited you to "Invite Team" on Tally`);
    expect(message.text).toContain(`https://tally.example.com/invite/${token}`);
    expect(message.text).toContain('as an Editor');
    expect(message.text).toContain(new Date(invitation.expiresAt).toUTCString());
    expect(message.html).toContain(`href="https://tally.example.com/invite/${token}"`);
    // Only the hash is stored.
    const rows: Array<{ token_hash: Buffer }> = await server.tally.db.query(
      `SELECT token_hash FROM invitations WHERE id = $1`,
      [invitation.id],
    );
    expect(rows[0]?.token_hash.toString('utf8')).not.toContain(token);
    const jobs: Array<{ data: string }> = await server.tally.db.query(`SELECT data::text FROM pgboss.job`);
    expect(jobs.map((j) => j.data).join()).not.toContain(token);
    // The send job records the delivery once the SMTP server has accepted the message, a moment
    // after the catcher sees it: polled, with a bound.
    const deliveredAt = async () => {
      const listed = await server.gql<{
        workspace: { invitations: Array<{ id: string; deliveredAt: string | null }> };
      }>(LIST, { id: cast.teamId, s: 'PENDING' }, { token: cast.admin.accessToken });
      return listed.data?.workspace.invitations.find((i) => i.id === invitation.id)?.deliveredAt ?? null;
    };
    await waitFor(async () => (await deliveredAt()) !== null, 10_000, 'the invitation to be marked delivered');
    expect(Date.parse((await deliveredAt()) ?? '')).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['an OWNER role', 'owner', 'OWNER', 'BAD_USER_INPUT'],
    ['by an EDITOR', 'editor', 'VIEWER', 'FORBIDDEN'],
    ['by a VIEWER', 'viewer', 'VIEWER', 'FORBIDDEN'],
    ['a bad email', 'owner', 'VIEWER', 'BAD_USER_INPUT'],
  ] as const)('refuses %s and changes nothing', async (label, actor, role, code) => {
    const email = label === 'a bad email' ? 'not-an-email' : uniqueEmail('nope');
    const res = await server.gql(INVITE, { w: cast.teamId, e: email, r: role }, { token: cast[actor].accessToken });
    expect(codeOf(res)).toBe(code);
    const rows: unknown[] = await server.tally.db.query(`SELECT 1 FROM invitations WHERE email = $1`, [email]);
    expect(rows).toHaveLength(0);
  });

  it('an ADMIN invites up to ADMIN; a personal workspace cannot invite; members and pending ones are CONFLICT', async () => {
    const email = uniqueEmail('admin-invited');
    const ok = await server.gql<Invited>(
      INVITE,
      { w: cast.teamId, e: email, r: 'ADMIN' },
      { token: cast.admin.accessToken },
    );
    expect(ok.data?.inviteMember.role).toBe('ADMIN');
    const again = await server.gql(
      INVITE,
      { w: cast.teamId, e: email, r: 'VIEWER' },
      { token: cast.owner.accessToken },
    );
    expect(codeOf(again)).toBe('CONFLICT');
    const member = await server.gql(
      INVITE,
      { w: cast.teamId, e: cast.viewer.email, r: 'VIEWER' },
      { token: cast.owner.accessToken },
    );
    expect(codeOf(member)).toBe('CONFLICT');
    const personal = await server.gql(
      INVITE,
      { w: cast.owner.personalWorkspaceId, e: uniqueEmail(), r: 'VIEWER' },
      { token: cast.owner.accessToken },
    );
    expect(codeOf(personal)).toBe('BAD_USER_INPUT');
    const stranger = await server.gql(
      INVITE,
      { w: cast.teamId, e: uniqueEmail(), r: 'VIEWER' },
      { token: cast.stranger.accessToken },
    );
    expect(codeOf(stranger)).toBe('NOT_FOUND');
  });

  it('a send the mail server refuses is retried, shown on the invitation, and later delivered', async () => {
    const email = uniqueEmail('retry');
    // Earlier tests' emails are out first, so the refusal meets this one.
    await drainJobs(server.tally, 'invitation.email', 10_000);
    mail.failNext(1);
    const res = await server.gql<Invited>(
      INVITE,
      { w: cast.teamId, e: email, r: 'VIEWER' },
      { token: cast.owner.accessToken },
    );
    expect(res.errors).toBeUndefined();
    const id = res.data?.inviteMember.id;
    // The first attempt fails and is recorded for the dashboard.
    let failed: { last_send_error: string | null } | undefined;
    await waitFor(
      async () => {
        const rows: Array<{ last_send_error: string | null }> = await server.tally.db.query(
          `SELECT last_send_error FROM invitations WHERE id = $1`,
          [id],
        );
        failed = rows[0];
        return Boolean(failed?.last_send_error);
      },
      10_000,
      'the failed first attempt recorded',
    );
    expect(failed?.last_send_error).toMatch(/451/);
    const delivered = await mail.waitFor((m) => m.to.includes(email), 20_000);
    expect(tokenOf(delivered)).toHaveLength(43);
    await drainJobs(server.tally, 'invitation.email', 10_000);
    const rows: Array<{ last_send_error: string | null; delivered_at: Date | null; send_attempts: number }> =
      await server.tally.db.query(
        `SELECT last_send_error, delivered_at, send_attempts FROM invitations WHERE id = $1`,
        [id],
      );
    expect(rows[0]).toEqual(expect.objectContaining({ last_send_error: null, send_attempts: 2 }));
    expect(rows[0]?.delivered_at).not.toBeNull();
  }, 30_000);

  it('is rate limited per team and invited email: another team can still invite the address; a CONFLICT costs nothing', async () => {
    const victim = uniqueEmail('victim');
    const other = await startTestServer({ INVITATIONS_PER_EMAIL_PER_DAY: '2', INVITATIONS_PER_INVITER_PER_HOUR: '4' });
    try {
      const attacker = await createRoleTeam(other, 'Attacker Team');
      const bystander = await createRoleTeam(other, 'Bystander Team');
      const inviteAs = async (team: RoleTeam, email: string) => {
        const res = await other.gql<Invited>(
          INVITE,
          { w: team.teamId, e: email, r: 'VIEWER' },
          { token: team.owner.accessToken },
        );
        return { code: res.errors ? codeOf(res) : 'ok', id: res.data?.inviteMember.id };
      };
      const revoke = async (team: RoleTeam, id: string | undefined) => {
        const res = await other.gql(REVOKE, { w: team.teamId, i: id }, { token: team.owner.accessToken });
        expect(res.errors).toBeUndefined();
      };
      const codes: unknown[] = [];
      const first = await inviteAs(attacker, victim);
      codes.push(first.code);
      // Already pending, already a member: CONFLICT, and none of it counts on any limit.
      for (let i = 0; i < 5; i += 1) codes.push((await inviteAs(attacker, victim)).code);
      for (let i = 0; i < 3; i += 1) codes.push((await inviteAs(attacker, attacker.viewer.email)).code);
      expect(codes).toEqual(['ok', ...Array<string>(8).fill('CONFLICT')]);
      await revoke(attacker, first.id);
      const second = await inviteAs(attacker, victim);
      expect(second.code).toBe('ok');
      await revoke(attacker, second.id);
      // The third invitation from this team to this address in a day is one too many...
      const third = await inviteAs(attacker, victim);
      expect(third.code).toBe('RATE_LIMITED');
      // ...but another team invites the address as usual, and the inviter may still invite others.
      expect((await inviteAs(bystander, victim)).code).toBe('ok');
      expect((await inviteAs(attacker, uniqueEmail('someone-else'))).code).toBe('ok');
      const rows: Array<{ team: string; n: number }> = await other.tally.db.query(
        `SELECT w.name AS team, count(*)::int AS n FROM invitations i JOIN workspaces w ON w.id = i.workspace_id
          WHERE i.email = $1 GROUP BY w.name ORDER BY w.name`,
        [victim],
      );
      expect(rows).toEqual([
        { team: 'Attacker Team', n: 2 },
        { team: 'Bystander Team', n: 1 },
      ]);
    } finally {
      await other.close();
    }
  }, 60_000);
});

describe('the invitation link', () => {
  it('previews only what the landing page needs, and accepting joins with the role', async () => {
    const email = uniqueEmail('joiner');
    const { token } = await invite(email, 'EDITOR');
    const preview = await server.gql<{ invitationPreview: Record<string, unknown> }>(PREVIEW, { t: token });
    expect(preview.data?.invitationPreview).toEqual({
      workspaceName: 'Invite Team',
      email,
      role: 'EDITOR',
      status: 'PENDING',
      expiresAt: expect.any(String),
      accountExists: false,
      invitedByName: cast.owner.name,
    });
    const joiner = await createUser(server, { email });
    const accepted = await server.gql<{ acceptInvitation: { id: string; viewerRole: string } }>(
      ACCEPT,
      { t: token },
      { token: joiner.accessToken },
    );
    expect(accepted.data?.acceptInvitation).toEqual({ id: cast.teamId, name: 'Invite Team', viewerRole: 'EDITOR' });
    expect(await memberRole(cast.teamId, joiner.id)).toBe('EDITOR');
    expect(codeOf(await server.gql(ACCEPT, { t: token }, { token: joiner.accessToken }))).toBe('CONFLICT');
    // The invited person, signed in, still sees what they joined.
    const after = await server.gql<{ invitationPreview: Record<string, unknown> }>(
      PREVIEW,
      { t: token },
      { token: joiner.accessToken },
    );
    expect(after.data?.invitationPreview).toEqual(
      expect.objectContaining({ workspaceName: 'Invite Team', email, status: 'ACCEPTED', accountExists: true }),
    );
  });

  it('a spent link (accepted or revoked) tells anyone else only its status: no team, inviter or email', async () => {
    const acceptedEmail = uniqueEmail('spent');
    const accepted = await invite(acceptedEmail, 'EDITOR');
    const joiner = await createUser(server, { email: acceptedEmail });
    expect((await server.gql(ACCEPT, { t: accepted.token }, { token: joiner.accessToken })).errors).toBeUndefined();
    const revokedEmail = uniqueEmail('withdrawn');
    const revoked = await invite(revokedEmail, 'VIEWER');
    await createUser(server, { email: revokedEmail });
    expect(
      (await server.gql(REVOKE, { w: cast.teamId, i: revoked.invitation.id }, { token: cast.owner.accessToken }))
        .errors,
    ).toBeUndefined();

    for (const [link, status, role] of [
      [accepted, 'ACCEPTED', 'EDITOR'],
      [revoked, 'REVOKED', 'VIEWER'],
    ] as const) {
      // Anonymous, and signed in as someone who is not the invited person.
      for (const as of [undefined, cast.stranger.accessToken, cast.owner.accessToken]) {
        const res = await server.gql<{ invitationPreview: Record<string, unknown> }>(
          PREVIEW,
          { t: link.token },
          as ? { token: as } : {},
        );
        expect(res.errors).toBeUndefined();
        expect(res.data?.invitationPreview).toEqual({
          workspaceName: '',
          email: '',
          role,
          status,
          expiresAt: link.invitation.expiresAt,
          accountExists: false,
          invitedByName: null,
        });
      }
    }
    // A pending link still shows everything to anyone who holds it (the landing page needs it).
    const pending = await invite(uniqueEmail('still-pending'));
    const open = await server.gql<{ invitationPreview: { workspaceName: string; status: string } }>(PREVIEW, {
      t: pending.token,
    });
    expect(open.data?.invitationPreview).toEqual(
      expect.objectContaining({ workspaceName: 'Invite Team', status: 'PENDING', invitedByName: cast.owner.name }),
    );
  });

  it('is bound to the invited email (FORBIDDEN for anyone else, who does not join)', async () => {
    const { token } = await invite(uniqueEmail('bound'));
    const res = await server.gql(ACCEPT, { t: token }, { token: cast.stranger.accessToken });
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(await memberRole(cast.teamId, cast.stranger.id)).toBeNull();
  });

  it('revoked: CONFLICT; expired: INVITATION_EXPIRED; unknown or resent-away: NOT_FOUND and a null preview', async () => {
    const revokedEmail = uniqueEmail('revoked');
    const revoked = await invite(revokedEmail);
    const res = await server.gql<{ revokeInvitation: { status: string } }>(
      REVOKE,
      { w: cast.teamId, i: revoked.invitation.id },
      { token: cast.admin.accessToken },
    );
    expect(res.data?.revokeInvitation.status).toBe('REVOKED');
    const revokedUser = await createUser(server, { email: revokedEmail });
    expect(codeOf(await server.gql(ACCEPT, { t: revoked.token }, { token: revokedUser.accessToken }))).toBe('CONFLICT');
    expect(
      codeOf(await server.gql(REVOKE, { w: cast.teamId, i: revoked.invitation.id }, { token: cast.admin.accessToken })),
    ).toBe('CONFLICT');

    const expiredEmail = uniqueEmail('expired');
    const expired = await invite(expiredEmail);
    await server.tally.db.query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      expired.invitation.id,
    ]);
    const expiredUser = await createUser(server, { email: expiredEmail });
    expect(codeOf(await server.gql(ACCEPT, { t: expired.token }, { token: expiredUser.accessToken }))).toBe(
      'INVITATION_EXPIRED',
    );

    // Resend: a new token and 7 more days; the old link stops working, the new one works.
    const resent = await server.gql<{ resendInvitation: { status: string; expiresAt: string } }>(
      RESEND,
      { w: cast.teamId, i: expired.invitation.id },
      { token: cast.owner.accessToken },
    );
    expect(resent.data?.resendInvitation.status).toBe('PENDING');
    const second = await mail.waitFor((m) => m.to.includes(expiredEmail) && tokenOf(m) !== expired.token);
    const newToken = tokenOf(second);
    expect(await server.gql(PREVIEW, { t: expired.token })).toEqual(
      expect.objectContaining({ data: { invitationPreview: null } }),
    );
    expect(codeOf(await server.gql(ACCEPT, { t: expired.token }, { token: expiredUser.accessToken }))).toBe(
      'NOT_FOUND',
    );
    expect((await server.gql(ACCEPT, { t: newToken }, { token: expiredUser.accessToken })).errors).toBeUndefined();
    expect(codeOf(await server.gql(ACCEPT, { t: 'x'.repeat(43) }, { token: expiredUser.accessToken }))).toBe(
      'NOT_FOUND',
    );
  });

  it('refuses API keys and anonymous callers', async () => {
    const { token } = await invite(uniqueEmail('keyed'));
    const { secret } = await createKey(server, cast.owner, cast.teamId, { role: 'ADMIN' });
    expect(codeOf(await server.gql(ACCEPT, { t: token }, { token: secret }))).toBe('FORBIDDEN');
    expect(codeOf(await server.gql(`mutation { createTeam(name: "By key") { id } }`, {}, { token: secret }))).toBe(
      'FORBIDDEN',
    );
    expect(
      codeOf(
        await server.gql(`mutation($w: ID!) { leaveTeam(workspaceId: $w) }`, { w: cast.teamId }, { token: secret }),
      ),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await server.gql(
          SIGN_UP,
          { email: uniqueEmail(), password: 'long enough password 1', name: 'K' },
          { token: secret },
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(codeOf(await server.gql(ACCEPT, { t: token }))).toBe('UNAUTHENTICATED');
  });
});

describe('an inviter who can no longer invite', () => {
  const CHANGE_ROLE = `mutation($w: ID!, $u: ID!, $r: MemberRole!) { changeMemberRole(workspaceId: $w, userId: $u, role: $r) { role } }`;
  const REMOVE = `mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }`;
  const LEAVE = `mutation($w: ID!) { leaveTeam(workspaceId: $w) }`;

  async function stateOf(id: string): Promise<string | undefined> {
    const rows: Array<{ state: string }> = await server.tally.db.query(
      `SELECT CASE WHEN accepted_at IS NOT NULL THEN 'ACCEPTED' WHEN revoked_at IS NOT NULL THEN 'REVOKED' ELSE 'OPEN' END AS state
         FROM invitations WHERE id = $1`,
      [id],
    );
    return rows[0]?.state;
  }

  async function revocations(
    teamId: string,
  ): Promise<Array<{ target: string; actor: string | null; reason: unknown }>> {
    const rows: Array<{ target_id: string; actor_user_id: string | null; details: { reason?: unknown } }> =
      await server.tally.db.query(
        `SELECT target_id, actor_user_id, details FROM audit_entries
          WHERE workspace_id = $1 AND action = 'invitation.revoked' ORDER BY at, target_id`,
        [teamId],
      );
    return rows.map((r) => ({ target: r.target_id, actor: r.actor_user_id, reason: r.details.reason }));
  }

  /** A fresh team whose ADMIN has invited an ADMIN and a VIEWER (one of them expired), and whose OWNER has invited one. */
  async function adminWithInvitations(label: string) {
    const team = await createRoleTeam(server, `Inviter ${label}`);
    const asAdmin = await invite(uniqueEmail(`${label}-a`), 'ADMIN', team.admin, team.teamId);
    const expired = await invite(uniqueEmail(`${label}-v`), 'VIEWER', team.admin, team.teamId);
    await server.tally.db.query(`UPDATE invitations SET expires_at = now() - interval '1 hour' WHERE id = $1`, [
      expired.invitation.id,
    ]);
    const byOwner = await invite(uniqueEmail(`${label}-o`), 'ADMIN', team.owner, team.teamId);
    return { team, asAdmin, expired, byOwner };
  }

  it('an ADMIN demoted below ADMIN: their open invitations are revoked in the same change, audited, and never accepted', async () => {
    const { team, asAdmin, expired, byOwner } = await adminWithInvitations('demoted');
    const demoted = await server.gql(
      CHANGE_ROLE,
      { w: team.teamId, u: team.admin.id, r: 'EDITOR' },
      { token: team.owner.accessToken },
    );
    expect(demoted.errors).toBeUndefined();
    expect(await stateOf(asAdmin.invitation.id)).toBe('REVOKED');
    // Expired too: otherwise someone could resend it and the old grant would come back.
    expect(await stateOf(expired.invitation.id)).toBe('REVOKED');
    expect(await stateOf(byOwner.invitation.id)).toBe('OPEN');
    expect(await revocations(team.teamId)).toEqual(
      [asAdmin, expired]
        .map((x) => ({ target: x.invitation.id, actor: team.owner.id, reason: "the inviter's role changed to EDITOR" }))
        .sort((x, y) => x.target.localeCompare(y.target)),
    );
    const invitee = await createUser(server, { email: asAdmin.invitation.email });
    expect(codeOf(await server.gql(ACCEPT, { t: asAdmin.token }, { token: invitee.accessToken }))).toBe('CONFLICT');
    expect(await memberRole(team.teamId, invitee.id)).toBeNull();
    expect(
      codeOf(await server.gql(RESEND, { w: team.teamId, i: expired.invitation.id }, { token: team.owner.accessToken })),
    ).toBe('CONFLICT');
    // The OWNER's invitation is untouched and still works.
    const ownerInvitee = await createUser(server, { email: byOwner.invitation.email });
    const joined = await server.gql<{ acceptInvitation: { viewerRole: string } }>(
      ACCEPT,
      { t: byOwner.token },
      { token: ownerInvitee.accessToken },
    );
    expect(joined.data?.acceptInvitation.viewerRole).toBe('ADMIN');
  });

  it.each([
    ['is removed', 'the inviter was removed from the team'],
    ['leaves', 'the inviter left the team'],
  ] as const)('an ADMIN who %s: their open invitations are revoked and audited', async (how, reason) => {
    const { team, asAdmin, expired, byOwner } = await adminWithInvitations(how.replace(' ', '-'));
    const res =
      how === 'is removed'
        ? await server.gql(REMOVE, { w: team.teamId, u: team.admin.id }, { token: team.owner.accessToken })
        : await server.gql(LEAVE, { w: team.teamId }, { token: team.admin.accessToken });
    expect(res.errors).toBeUndefined();
    expect([await stateOf(asAdmin.invitation.id), await stateOf(expired.invitation.id)]).toEqual([
      'REVOKED',
      'REVOKED',
    ]);
    expect(await stateOf(byOwner.invitation.id)).toBe('OPEN');
    const actor = how === 'is removed' ? team.owner.id : team.admin.id;
    expect(await revocations(team.teamId)).toEqual(
      [asAdmin, expired]
        .map((x) => ({ target: x.invitation.id, actor, reason }))
        .sort((x, y) => x.target.localeCompare(y.target)),
    );
    const invitee = await createUser(server, { email: asAdmin.invitation.email });
    expect(codeOf(await server.gql(ACCEPT, { t: asAdmin.token }, { token: invitee.accessToken }))).toBe('CONFLICT');
    expect(await memberRole(team.teamId, invitee.id)).toBeNull();
  });

  it('an OWNER stepping down to ADMIN keeps their invitations: an ADMIN may send them too', async () => {
    const team = await createRoleTeam(server, 'Inviter steps down');
    const second = await createUser(server);
    await server.tally.db.query(`INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')`, [
      team.teamId,
      second.id,
    ]);
    const sent = await invite(uniqueEmail('kept'), 'ADMIN', team.owner, team.teamId);
    const res = await server.gql(
      CHANGE_ROLE,
      { w: team.teamId, u: team.owner.id, r: 'ADMIN' },
      { token: team.owner.accessToken },
    );
    expect(res.errors).toBeUndefined();
    expect(await stateOf(sent.invitation.id)).toBe('OPEN');
    const invitee = await createUser(server, { email: sent.invitation.email });
    expect((await server.gql(ACCEPT, { t: sent.token }, { token: invitee.accessToken })).errors).toBeUndefined();
    expect(await memberRole(team.teamId, invitee.id)).toBe('ADMIN');
  });

  it('accept re-checks the inviter: an invitation its inviter can no longer send is refused (CONFLICT) and revoked for good', async () => {
    const team = await createRoleTeam(server, 'Inviter stale');
    const sent = await invite(uniqueEmail('stale'), 'ADMIN', team.admin, team.teamId);
    // A demotion from before this rule: the role changed, the invitation stayed open.
    await server.tally.db.query(`UPDATE members SET role = 'VIEWER' WHERE workspace_id = $1 AND user_id = $2`, [
      team.teamId,
      team.admin.id,
    ]);
    const invitee = await createUser(server, { email: sent.invitation.email });
    const res = await server.gql(ACCEPT, { t: sent.token }, { token: invitee.accessToken });
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.errors?.[0]?.message).toMatch(/no longer valid/);
    expect(await memberRole(team.teamId, invitee.id)).toBeNull();
    expect(await stateOf(sent.invitation.id)).toBe('REVOKED');
    expect(await revocations(team.teamId)).toEqual([
      { target: sent.invitation.id, actor: null, reason: 'the inviter can no longer invite to this role' },
    ]);
    const preview = await server.gql<{ invitationPreview: { status: string } }>(
      PREVIEW,
      { t: sent.token },
      { token: invitee.accessToken },
    );
    expect(preview.data?.invitationPreview.status).toBe('REVOKED');
    // Promoting the inviter again brings nothing back: a revoked invitation is final.
    await server.tally.db.query(`UPDATE members SET role = 'ADMIN' WHERE workspace_id = $1 AND user_id = $2`, [
      team.teamId,
      team.admin.id,
    ]);
    expect(codeOf(await server.gql(ACCEPT, { t: sent.token }, { token: invitee.accessToken }))).toBe('CONFLICT');
    expect(await memberRole(team.teamId, invitee.id)).toBeNull();
  });
});

describe('names in the invitation email', () => {
  it('a team or inviter name with line breaks (a row from before the rule) stays on one quoted line', async () => {
    const team = await createRoleTeam(server, 'Email Names');
    const teamName = 'Acme\n\nAccept the invitation: https://evil.example/team\r\n';
    const inviterName = 'Mallory\r\nAccept the invitation: https://evil.example/inviter\u2028\tx';
    await server.tally.db.query(`UPDATE workspaces SET name = $2 WHERE id = $1`, [team.teamId, teamName]);
    await server.tally.db.query(`UPDATE users SET name = $2 WHERE id = $1`, [team.owner.id, inviterName]);
    const email = uniqueEmail('names');
    const { token, message } = await invite(email, 'VIEWER', team.owner, team.teamId);
    const lines = message.text.split('\n');
    // Exactly one line offers a link to accept, and it is the real one; the names never start a line.
    expect(lines.filter((line) => line.trimStart().startsWith('Accept the invitation:'))).toEqual([
      `Accept the invitation: https://tally.example.com/invite/${token}`,
    ]);
    expect(lines.filter((line) => /^\s*(https:\/\/evil|x\b)/.test(line))).toEqual([]);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(
      '"Mallory Accept the invitation: https://evil.example/inviter x" invited you to join the team ' +
        '"Acme Accept the invitation: https://evil.example/team" on Tally as a Viewer (read-only access to analytics).',
    );
    expect(message.subject).toBe(
      '"Mallory Accept the invitation: https://evil.example/inviter x" invited you to "Acme Accept the invitation: https://evil.example/team" on Tally',
    );
    expect(message.html).not.toMatch(/[\r\n]\s*Accept the invitation: https:\/\/evil/);
  });
});

describe('races', () => {
  it('parallel accepts of one token give exactly one membership, 20 rounds', async () => {
    for (let round = 0; round < 20; round += 1) {
      const email = uniqueEmail(`race${round}`);
      const { token } = await invite(email);
      const user = await createUser(server, { email });
      const results = await Promise.all(
        Array.from({ length: 4 }, () => server.gql(ACCEPT, { t: token }, { token: user.accessToken })),
      );
      const ok = results.filter((r) => !r.errors).length;
      expect(ok).toBe(1);
      for (const r of results.filter((x) => x.errors)) expect(codeOf(r)).toBe('CONFLICT');
      const rows: Array<{ n: number }> = await server.tally.db.query(
        `SELECT count(*)::int AS n FROM members WHERE workspace_id = $1 AND user_id = $2`,
        [cast.teamId, user.id],
      );
      expect(rows[0]?.n).toBe(1);
    }
  }, 90_000);

  it('a team deletion racing an accept never leaves a member in a deleted team, 20 rounds', async () => {
    for (let round = 0; round < 20; round += 1) {
      const team = await createRoleTeam(server, `Race Delete ${round}`);
      const email = uniqueEmail(`del${round}`);
      const { token } = await invite(email, 'VIEWER', team.owner, team.teamId);
      const user = await createUser(server, { email });
      const [accepted, deleted] = await Promise.all([
        server.gql(ACCEPT, { t: token }, { token: user.accessToken }),
        server.gql(
          `mutation($w: ID!, $n: String!) { deleteTeam(workspaceId: $w, confirmName: $n) }`,
          { w: team.teamId, n: `Race Delete ${round}` },
          { token: team.owner.accessToken },
        ),
      ]);
      expect(deleted.errors).toBeUndefined();
      if (accepted.errors) expect(['NOT_FOUND', 'CONFLICT']).toContain(codeOf(accepted));
      // Either way the user cannot reach the team, and its invitation is not pending.
      const reach = await server.gql(
        `query($id: ID) { workspace(id: $id) { id } }`,
        { id: team.teamId },
        { token: user.accessToken },
      );
      expect(codeOf(reach)).toBe('NOT_FOUND');
      const rows: Array<{ pending: number }> = await server.tally.db.query(
        `SELECT count(*)::int AS pending FROM invitations WHERE workspace_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL`,
        [team.teamId],
      );
      expect(rows[0]?.pending).toBe(0);
    }
  }, 90_000);
});
