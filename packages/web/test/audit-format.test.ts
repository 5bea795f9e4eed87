import { describeActor, describeAuditEntry } from '../src/modules/audit/audit-format';

describe('describeAuditEntry (the Audit tab)', () => {
  it.each([
    ['team.created', { name: 'Acme' }, 'Created the team', 'Acme'],
    ['team.renamed', { from: 'Acme', to: 'Acme Corp' }, 'Renamed the team', 'Acme → Acme Corp'],
    [
      'member.invited',
      { email: 'grace@example.com', role: 'VIEWER' },
      'Invited a member',
      'grace@example.com · Viewer',
    ],
    [
      'member.role_changed',
      { name: 'Grace Hopper', email: 'grace@example.com', from: 'VIEWER', to: 'EDITOR' },
      "Changed a member's role",
      'Grace Hopper (grace@example.com) · Viewer → Editor',
    ],
    ['member.left', { name: 'Grace Hopper', role: 'ADMIN' }, 'Left the team', 'Grace Hopper · Admin'],
    [
      'api_key.created',
      { name: 'CI reporter', role: 'EDITOR', prefix: 'tly_abc' },
      'Created an API key',
      'CI reporter · Editor',
    ],
    [
      'invitation.revoked',
      { email: 'a@b.c', reason: 'replaced by a new invitation' },
      'Revoked an invitation',
      'a@b.c · replaced by a new invitation',
    ],
  ])('says %s in words', (action, details, what, said) => {
    expect(describeAuditEntry({ action, details })).toEqual({ what, details: said });
  });

  it('shows an action it does not know as it is, and survives odd details', () => {
    expect(describeAuditEntry({ action: 'filter.created', details: { name: 'x' } })).toEqual({
      what: 'filter.created',
      details: null,
    });
    expect(describeAuditEntry({ action: 'member.role_changed', details: null })).toEqual({
      what: "Changed a member's role",
      details: null,
    });
    expect(describeAuditEntry({ action: 'team.renamed', details: ['not', 'an', 'object'] })).toEqual({
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
