import { Badge, Button, Group, NativeSelect, Paper, Table, Text, VisuallyHidden } from '@mantine/core';
import {
  MEMBER_ROLE_RANK,
  type MemberRole,
  canManageMember,
  canStepDown,
  grantableRoles,
  isMemberRole,
} from '@tally/shared';
import { formatDate, formatDateTime } from '../../app/ui/dates';
import type { MemberFieldsFragment } from '../../graphql/generated';
import { MEMBER_ROLE_LABEL } from '../workspaces/workspace-list';
import { LeaveTeamButton, isLastOwner } from './leave-team-button';

interface MembersTableProps {
  members: readonly MemberFieldsFragment[];
  viewerId: string;
  viewerRole: MemberRole | null;
  /** Whether the viewer holds members.manage here; the shared team rules decide the rest per row. */
  canManage: boolean;
  /** The member whose role is being changed, and the role asked for. */
  pending: { userId: string; role: MemberRole } | null;
  onChangeRole: (member: MemberFieldsFragment, role: MemberRole) => void;
  onRemove: (member: MemberFieldsFragment) => void;
  onLeave: () => void;
}

/** Owners first, then by name. */
function byRoleThenName(a: MemberFieldsFragment, b: MemberFieldsFragment): number {
  const rank = MEMBER_ROLE_RANK[b.role] - MEMBER_ROLE_RANK[a.role];
  return rank !== 0 ? rank : a.user.name.localeCompare(b.user.name, undefined, { sensitivity: 'base' });
}

/**
 * The team's members. What each row offers comes from the shared team rules: a role select
 * where the viewer may change that member (for the viewer's own row, only an Owner stepping
 * down), Remove where the viewer may remove them, and Leave Team on the viewer's own row.
 */
export function MembersTable(props: MembersTableProps) {
  const { members, viewerId, viewerRole, canManage, pending, onChangeRole, onRemove, onLeave } = props;
  const sorted = [...members].sort(byRoleThenName);

  return (
    <Paper withBorder radius="md">
      <Table.ScrollContainer minWidth={720}>
        <Table verticalSpacing="sm" horizontalSpacing="md" aria-label="Members">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Joined</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sorted.map((member) => {
              const self = member.user.id === viewerId;
              const mayChange =
                canManage && (self ? canStepDown(viewerRole) : canManageMember(viewerRole, member.role));
              const mayRemove = canManage && !self && canManageMember(viewerRole, member.role);
              const pendingRole = pending?.userId === member.user.id ? pending.role : null;
              return (
                <Table.Tr key={member.user.id}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Text size="sm" fw={600}>
                        {member.user.name}
                      </Text>
                      {self ? (
                        <Badge size="xs" variant="light" color="gray">
                          You
                        </Badge>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{member.user.email}</Text>
                  </Table.Td>
                  <Table.Td>
                    {mayChange ? (
                      <RoleSelect
                        member={member}
                        roles={grantableRoles(viewerRole)}
                        value={pendingRole ?? member.role}
                        disabled={pending !== null}
                        onChange={(role) => {
                          onChangeRole(member, role);
                        }}
                      />
                    ) : (
                      <Text size="sm">{MEMBER_ROLE_LABEL[member.role]}</Text>
                    )}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Text size="sm">
                      <time dateTime={member.joinedAt} title={formatDateTime(member.joinedAt)}>
                        {formatDate(member.joinedAt)}
                      </time>
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                    {self ? <LeaveTeamButton lastOwner={isLastOwner(members, viewerId)} onLeave={onLeave} /> : null}
                    {mayRemove ? (
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        aria-label={`Remove ${member.user.email}`}
                        onClick={() => {
                          onRemove(member);
                        }}
                      >
                        Remove
                      </Button>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

interface RoleSelectProps {
  member: MemberFieldsFragment;
  roles: readonly MemberRole[];
  value: MemberRole;
  disabled: boolean;
  onChange: (role: MemberRole) => void;
}

/** A native select named for its row ("Role for grace@example.com"). */
function RoleSelect({ member, roles, value, disabled, onChange }: RoleSelectProps) {
  // The member's current role is always an option, even where it is not one the viewer may grant.
  const options = roles.includes(member.role) ? roles : [member.role, ...roles];
  return (
    <NativeSelect
      aria-label={`Role for ${member.user.email}`}
      size="xs"
      w={130}
      data={options.map((role) => ({ value: role, label: MEMBER_ROLE_LABEL[role] }))}
      value={value}
      disabled={disabled}
      onChange={(event) => {
        const next = event.currentTarget.value;
        if (isMemberRole(next) && next !== member.role) onChange(next);
      }}
    />
  );
}
