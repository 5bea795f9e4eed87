import {
  Badge,
  Box,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  VisuallyHidden,
} from '@mantine/core';
import {
  MEMBER_ROLE_RANK,
  type MemberRole,
  canManageMember,
  canStepDown,
  grantableRoles,
  isMemberRole,
} from '@tally/shared';
import type { ReactNode } from 'react';
import { formatDate, formatDateTime } from '../../app/ui/dates';
import { useContainerWidth } from '../../app/ui/use-container-width';
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

/** Below this width (of the list, not of the window) members are shown as cards. */
const TABLE_MIN_WIDTH = 720;

/** What the viewer may do on one member's row, from the shared team rules. */
interface RowRights {
  self: boolean;
  mayChange: boolean;
  mayRemove: boolean;
  pendingRole: MemberRole | null;
}

function rightsOf(member: MemberFieldsFragment, props: MembersTableProps): RowRights {
  const { viewerId, viewerRole, canManage, pending } = props;
  const self = member.user.id === viewerId;
  return {
    self,
    mayChange: canManage && (self ? canStepDown(viewerRole) : canManageMember(viewerRole, member.role)),
    mayRemove: canManage && !self && canManageMember(viewerRole, member.role),
    pendingRole: pending?.userId === member.user.id ? pending.role : null,
  };
}

function MemberName({ member, self }: { member: MemberFieldsFragment; self: boolean }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" fw={600} style={{ overflowWrap: 'break-word', minWidth: 0 }}>
        {member.user.name}
      </Text>
      {self ? (
        <Badge size="xs" variant="light" color="gray" style={{ flexShrink: 0 }}>
          You
        </Badge>
      ) : null}
    </Group>
  );
}

function RoleCell({
  member,
  rights,
  props,
  fullWidth = false,
}: {
  member: MemberFieldsFragment;
  rights: RowRights;
  props: MembersTableProps;
  fullWidth?: boolean;
}) {
  if (!rights.mayChange) return <Text size="sm">{MEMBER_ROLE_LABEL[member.role]}</Text>;
  return (
    <RoleSelect
      member={member}
      roles={grantableRoles(props.viewerRole)}
      value={rights.pendingRole ?? member.role}
      disabled={props.pending !== null}
      fullWidth={fullWidth}
      onChange={(role) => {
        props.onChangeRole(member, role);
      }}
    />
  );
}

function Joined({ member }: { member: MemberFieldsFragment }) {
  return (
    <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
      <time dateTime={member.joinedAt} title={formatDateTime(member.joinedAt)}>
        {formatDate(member.joinedAt)}
      </time>
    </Text>
  );
}

/** Leave Team on the viewer's own row, Remove where the viewer may remove that member. */
function MemberActions({
  member,
  rights,
  props,
}: {
  member: MemberFieldsFragment;
  rights: RowRights;
  props: MembersTableProps;
}) {
  return (
    <>
      {rights.self ? (
        <LeaveTeamButton lastOwner={isLastOwner(props.members, props.viewerId)} onLeave={props.onLeave} />
      ) : null}
      {rights.mayRemove ? (
        <Button
          size="xs"
          variant="subtle"
          color="red"
          aria-label={`Remove ${member.user.email}`}
          onClick={() => {
            props.onRemove(member);
          }}
        >
          Remove
        </Button>
      ) : null}
    </>
  );
}

/**
 * The team's members. What each row offers comes from the shared team rules: a role select
 * where the viewer may change that member (for the viewer's own row, only an Owner stepping
 * down), Remove where the viewer may remove them, and Leave Team on the viewer's own row.
 * A table where there is room for every column (the role select and Remove always in sight),
 * cards where there is not (phones, narrow windows).
 */
export function MembersTable(props: MembersTableProps) {
  const sorted = [...props.members].sort(byRoleThenName);
  const [containerRef, width] = useContainerWidth<HTMLDivElement>();
  let content: ReactNode = null;
  if (width !== null && width < TABLE_MIN_WIDTH) {
    content = <MemberCards members={sorted} props={props} />;
  } else if (width !== null) {
    content = (
      <Paper withBorder radius="md">
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
              const rights = rightsOf(member, props);
              return (
                <Table.Tr key={member.user.id}>
                  <Table.Td>
                    <MemberName member={member} self={rights.self} />
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'break-word' }}>
                    <Text size="sm">{member.user.email}</Text>
                  </Table.Td>
                  <Table.Td>
                    <RoleCell member={member} rights={rights} props={props} />
                  </Table.Td>
                  <Table.Td>
                    <Joined member={member} />
                  </Table.Td>
                  <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                    <MemberActions member={member} rights={rights} props={props} />
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Paper>
    );
  }
  // The wrapper is always there, so its width is known before the list is drawn.
  return <div ref={containerRef}>{content}</div>;
}

/** One card per member, every fact and control of the table's row included, nothing off-screen. */
function MemberCards({ members, props }: { members: MemberFieldsFragment[]; props: MembersTableProps }) {
  return (
    <Stack component="ul" gap="sm" m={0} p={0} style={{ listStyle: 'none' }} aria-label="Members">
      {members.map((member) => {
        const rights = rightsOf(member, props);
        return (
          <Paper
            component="li"
            key={member.user.id}
            withBorder
            radius="md"
            p="md"
            data-testid="member-card"
            aria-label={member.user.name}
          >
            <Stack gap="sm">
              <Box miw={0}>
                <MemberName member={member} self={rights.self} />
                <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                  {member.user.email}
                </Text>
              </Box>
              <SimpleGrid component="dl" cols={2} spacing="sm" verticalSpacing="xs" m={0}>
                <Box miw={0}>
                  <Text component="dt" size="xs" c="dimmed" fw={600}>
                    Role
                  </Text>
                  <Box component="dd" m={0} mt={2}>
                    <RoleCell member={member} rights={rights} props={props} fullWidth />
                  </Box>
                </Box>
                <Box miw={0}>
                  <Text component="dt" size="xs" c="dimmed" fw={600}>
                    Joined
                  </Text>
                  <Box component="dd" m={0} mt={2}>
                    <Joined member={member} />
                  </Box>
                </Box>
              </SimpleGrid>
              {rights.self || rights.mayRemove ? (
                <Group justify="flex-end" gap="xs" wrap="wrap">
                  <MemberActions member={member} rights={rights} props={props} />
                </Group>
              ) : null}
            </Stack>
          </Paper>
        );
      })}
    </Stack>
  );
}

interface RoleSelectProps {
  member: MemberFieldsFragment;
  roles: readonly MemberRole[];
  value: MemberRole;
  disabled: boolean;
  /** In a card: as wide as its column, however narrow. */
  fullWidth?: boolean;
  onChange: (role: MemberRole) => void;
}

/** A native select named for its row ("Role for grace@example.com"). */
function RoleSelect({ member, roles, value, disabled, fullWidth = false, onChange }: RoleSelectProps) {
  // The member's current role is always an option, even where it is not one the viewer may grant.
  const options = roles.includes(member.role) ? roles : [member.role, ...roles];
  return (
    <NativeSelect
      aria-label={`Role for ${member.user.email}`}
      size="xs"
      w={fullWidth ? '100%' : 130}
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
