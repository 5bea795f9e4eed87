import { INVITABLE_ROLES, MEMBER_ROLE_RANK, MEMBER_ROLES, isApiKeyRole, isMemberRole } from './roles';

describe('roles', () => {
  it('never lets an invitation carry OWNER', () => {
    expect(INVITABLE_ROLES).toEqual(['ADMIN', 'EDITOR', 'VIEWER']);
  });

  it('ranks roles from OWNER down to VIEWER', () => {
    const ranked = [...MEMBER_ROLES].sort((a, b) => MEMBER_ROLE_RANK[b] - MEMBER_ROLE_RANK[a]);
    expect(ranked).toEqual(['OWNER', 'ADMIN', 'EDITOR', 'VIEWER']);
  });

  it('recognises role values and nothing else', () => {
    expect(isMemberRole('OWNER')).toBe(true);
    expect(isMemberRole('owner')).toBe(false);
    expect(isApiKeyRole('OWNER')).toBe(false);
    expect(isApiKeyRole('VIEWER')).toBe(true);
    expect(isApiKeyRole(undefined)).toBe(false);
  });
});
