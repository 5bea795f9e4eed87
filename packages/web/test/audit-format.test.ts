import { AUDIT_ACTIONS } from '@tally/shared';
import { describeActor, describeAuditEntry, describeAuditSentence } from '../src/modules/audit/audit-format';

/** Details as the server writes them for each action (packages/server/src/modules/**). */
const SERVER_DETAILS: Record<string, Record<string, unknown>> = {
  'team.created': { name: 'Acme' },
  'team.renamed': { from: 'Acme', to: 'Acme Corp' },
  'team.deleted': { name: 'Acme', apiKeysRevoked: 2, invitationsRevoked: 1 },
  'member.invited': { email: 'grace@example.com', role: 'VIEWER' },
  'invitation.resent': { email: 'grace@example.com', role: 'VIEWER' },
  'invitation.revoked': { email: 'grace@example.com', reason: 'replaced by a new invitation' },
  'invitation.accepted': { email: 'grace@example.com', role: 'VIEWER' },
  'member.role_changed': { name: 'Grace Hopper', email: 'grace@example.com', from: 'VIEWER', to: 'EDITOR' },
  'member.removed': { name: 'Grace Hopper', email: 'grace@example.com', role: 'EDITOR' },
  'member.left': { name: 'Grace Hopper', email: 'grace@example.com', role: 'ADMIN' },
  'api_key.created': { name: 'CI reporter', role: 'EDITOR', prefix: 'tly_abc', expiresAt: null },
  'api_key.revoked': { name: 'CI reporter', prefix: 'tly_abc' },
  'api_key.rolled': {
    name: 'CI reporter',
    prefix: 'tly_abc',
    newKeyId: 'k2',
    newPrefix: 'tly_def',
    graceUntil: '2026-03-05T10:00:00.000Z',
  },
  'api_key.allowlist_changed': { name: 'CI reporter', prefix: 'tly_abc', before: null, after: ['10.0.0.0/8'] },
  'api_key.policy_changed': {
    before: { maxLifetimeDays: null, maxRole: null, requireAllowlist: false },
    after: { maxLifetimeDays: 90, maxRole: 'EDITOR', requireAllowlist: true },
  },
  'api_key.rate_limits_changed': {
    name: 'CI reporter',
    prefix: 'tly_abc',
    before: { eventsPerMinute: null, queriesPerMinute: null },
    after: { eventsPerMinute: 1000, queriesPerMinute: null },
  },
  'api_key.expiry_warned': {
    name: 'CI reporter',
    prefix: 'tly_abc',
    threshold: 'ONE_DAY',
    expiresAt: '2026-03-05T10:00:00.000Z',
    recipients: 2,
  },
  'saved_filter.created': { name: 'Errors only', filter: { statuses: ['error'] } },
  'saved_filter.updated': {
    from: { name: 'Errors only', filter: {} },
    to: { name: 'Errors and slow calls', filter: {} },
  },
  'saved_filter.deleted': { name: 'Errors only' },
  'annotation.created': { at: '2026-03-04T10:00:00.000Z', text: 'v2.4 released' },
  'annotation.updated': {
    from: { at: '2026-03-04T10:00:00.000Z', text: 'v2.4' },
    to: { at: '2026-03-04T10:00:00.000Z', text: 'v2.4 released' },
  },
  'annotation.deleted': { at: '2026-03-04T10:00:00.000Z', text: 'v2.4 released' },
};

const ALICE = { actorName: 'Alice', actor: { id: 'u1', name: 'Alice', email: 'alice@example.com' }, actorApiKey: null };

describe('every audit action the server can write is said in words', () => {
  it.each(AUDIT_ACTIONS.map((action) => [action]))('%s', (action) => {
    const details = SERVER_DETAILS[action];
    // A new action without details here fails: add what the server writes for it.
    expect(details).toBeDefined();
    for (const entry of [
      { action, details },
      { action, details: null },
    ]) {
      const said = describeAuditEntry(entry);
      // Never the raw code, never empty, never a dash for "unknown".
      expect(said.what).not.toContain(action);
      expect(said.what).not.toMatch(/^[—-]?$/);
      expect(said.what).toMatch(/^[A-Z]/);
      expect(said.phrase).not.toContain(action);
      expect(describeAuditSentence({ ...entry, ...ALICE })).toMatch(/^Alice [a-z]/);
    }
  });

  it('has a test case for every action and none left over', () => {
    expect(Object.keys(SERVER_DETAILS).sort()).toEqual([...AUDIT_ACTIONS].sort());
  });
});

describe('describeAuditEntry (the Audit tab)', () => {
  it.each([
    ['team.created', { name: 'Acme' }, 'Created the team “Acme”', 'Acme'],
    ['team.renamed', { from: 'Acme', to: 'Acme Corp' }, 'Renamed the team to “Acme Corp”', 'Acme → Acme Corp'],
    [
      'member.invited',
      { email: 'grace@example.com', role: 'VIEWER' },
      'Invited grace@example.com',
      'grace@example.com · Viewer',
    ],
    [
      'member.role_changed',
      { name: 'Grace Hopper', email: 'grace@example.com', from: 'VIEWER', to: 'EDITOR' },
      'Changed the role of Grace Hopper to Editor',
      'Grace Hopper (grace@example.com) · Viewer → Editor',
    ],
    ['member.left', { name: 'Grace Hopper', role: 'ADMIN' }, 'Left the team', 'Grace Hopper · Admin'],
    [
      'member.left',
      { name: 'Grace Hopper', role: 'ADMIN', reason: 'account deleted' },
      'Left the team (account deleted)',
      'Grace Hopper · Admin',
    ],
    [
      'api_key.created',
      { name: 'CI reporter', role: 'EDITOR', prefix: 'tly_abc' },
      'Created the API key “CI reporter”',
      'CI reporter · Editor',
    ],
    [
      'invitation.revoked',
      { email: 'a@b.c', reason: 'replaced by a new invitation' },
      'Revoked the invitation to a@b.c',
      'a@b.c · replaced by a new invitation',
    ],
    [
      'saved_filter.updated',
      { from: { name: 'Errors' }, to: { name: 'Errors only' } },
      'Changed the saved filter “Errors only”',
      'Errors → Errors only',
    ],
    [
      'api_key.policy_changed',
      { after: { maxLifetimeDays: 90, maxRole: 'EDITOR', requireAllowlist: true } },
      'Changed the API key policy',
      'keys live at most 90 days · roles up to Editor · an IP allowlist required',
    ],
    [
      'api_key.rate_limits_changed',
      { name: 'CI reporter', after: { eventsPerMinute: 1000, queriesPerMinute: null } },
      'Changed the rate limits of the API key “CI reporter”',
      '1,000 events a minute · the default GraphQL queries a minute',
    ],
    [
      'api_key.expiry_warned',
      { name: 'CI reporter', threshold: 'EXPIRED', expiresAt: '2026-03-05T10:00:00.000Z', recipients: 1 },
      'Emailed owners and admins that the API key “CI reporter” has expired',
      '5 Mar 2026 · 1 email',
    ],
    [
      'api_key.allowlist_changed',
      { name: 'CI reporter', after: ['10.0.0.0/8', '192.0.2.1'] },
      'Changed the IP allowlist of the API key “CI reporter”',
      '10.0.0.0/8, 192.0.2.1',
    ],
  ])('says %s in words', (action, details, what, said) => {
    expect(describeAuditEntry({ action, details })).toMatchObject({ what, details: said });
  });

  it('says the whole entry as a sentence', () => {
    expect(
      describeAuditSentence({ action: 'annotation.created', details: { text: 'v2.4 released', at: null }, ...ALICE }),
    ).toBe('Alice created the annotation “v2.4 released”');
    expect(
      describeAuditSentence({
        action: 'api_key.revoked',
        details: { name: 'Old key' },
        actorName: 'Nightly job',
        actor: null,
        actorApiKey: { id: 'k', name: 'Nightly job' },
      }),
    ).toBe('Nightly job (API key) revoked the API key “Old key”');
  });

  it('says an action it does not know in words too, and survives odd details', () => {
    expect(describeAuditEntry({ action: 'report.shared', details: { name: 'x' } })).toMatchObject({
      what: 'Recorded “report shared”',
      details: null,
    });
    expect(describeAuditEntry({ action: 'member.role_changed', details: null })).toMatchObject({
      what: "Changed a member's role",
      details: null,
    });
    expect(describeAuditEntry({ action: 'team.renamed', details: ['not', 'an', 'object'] })).toMatchObject({
      what: 'Renamed the team',
      details: null,
    });
  });
});

describe('describeActor', () => {
  it('names the person as they were called, and marks a key', () => {
    const none = { actor: null, actorApiKey: null };
    expect(describeActor({ ...none, actorName: 'Ada Lovelace' })).toBe('Ada Lovelace');
    expect(
      describeActor({ actorName: 'Nightly job', actor: null, actorApiKey: { id: 'k', name: 'Nightly job' } }),
    ).toBe('Nightly job (API key)');
    expect(describeActor({ ...none, actorName: null })).toBe('Unknown');
  });
});
