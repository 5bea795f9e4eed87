import { MemberRole } from './roles';
import { canManageMember, canStepDown, grantableRoles, invitableRoles } from './team-rules';

const { OWNER, ADMIN, EDITOR, VIEWER } = MemberRole;

describe('team rules', () => {
  it('OWNER cannot be invited; OWNER and ADMIN invite up to ADMIN; nobody else invites', () => {
    expect(invitableRoles(OWNER)).toEqual([ADMIN, EDITOR, VIEWER]);
    expect(invitableRoles(ADMIN)).toEqual([ADMIN, EDITOR, VIEWER]);
    expect(invitableRoles(EDITOR)).toEqual([]);
    expect(invitableRoles(VIEWER)).toEqual([]);
    expect(invitableRoles(null)).toEqual([]);
  });

  it('only an OWNER grants OWNER; an ADMIN grants up to ADMIN', () => {
    expect(grantableRoles(OWNER)).toEqual([OWNER, ADMIN, EDITOR, VIEWER]);
    expect(grantableRoles(ADMIN)).toEqual([ADMIN, EDITOR, VIEWER]);
    expect(grantableRoles(EDITOR)).toEqual([]);
    expect(grantableRoles(undefined)).toEqual([]);
  });

  it('members are managed downwards', () => {
    const table = [OWNER, ADMIN, EDITOR, VIEWER].map((actor) =>
      [OWNER, ADMIN, EDITOR, VIEWER].map((target) => (canManageMember(actor, target) ? 'y' : '-')).join(''),
    );
    expect(table).toEqual(['yyyy', '--yy', '----', '----']);
    expect(canStepDown(OWNER)).toBe(true);
    expect(canStepDown(ADMIN)).toBe(false);
  });
});
