import { useMutation, useQuery } from '@apollo/client/react';
import { Alert, Button, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconEye, IconUserPlus } from '@tabler/icons-react';
import { type MemberRole, Scope, can, invitableRoles } from '@tally/shared';
import { useState } from 'react';
import type { ErrorMessages } from '../../app/graphql-errors';
import { useCurrentUser } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { NotFound } from '../../app/ui/not-found-page';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import {
  ChangeMemberRoleDocument,
  type MemberFieldsFragment,
  TeamMembersDocument,
  WorkspacesDocument,
} from '../../graphql/generated';
import { InviteMemberModal } from '../invitations/invite-member-modal';
import { PendingInvitations } from '../invitations/pending-invitations';
import { type WorkspaceSummary, withArticle } from '../workspaces/workspace-list';
import { LeaveTeamModal } from './leave-team-modal';
import { updateMemberInList } from './member-cache';
import { MembersTable } from './members-table';
import { RemoveMemberModal } from './remove-member-modal';
import { StepDownModal } from './step-down-modal';

const ROLE_CHANGE_MESSAGES: ErrorMessages = {
  FORBIDDEN: "Your role in this team doesn't allow this change.",
  NOT_FOUND: 'This person is no longer a member of the team.',
};

/** The Members tab of a team's view. */
export function MembersTab({ team }: { team: WorkspaceSummary }) {
  const user = useCurrentUser();
  const variables = { workspaceId: team.id };
  const { data, error, refetch } = useQuery(TeamMembersDocument, { variables, fetchPolicy: 'cache-and-network' });
  const [changeRole] = useMutation(ChangeMemberRoleDocument);

  const [pending, setPending] = useState<{ userId: string; role: MemberRole } | null>(null);
  const [roleError, setRoleError] = useState<{ email: string; error: unknown } | null>(null);
  const [stepDown, setStepDown] = useState<{ opened: boolean; role: MemberRole | null; error: unknown }>({
    opened: false,
    role: null,
    error: null,
  });
  const [inviteOpened, setInviteOpened] = useState(false);
  const [removeTarget, setRemoveTarget] = useState<MemberFieldsFragment | null>(null);
  const [removeOpened, setRemoveOpened] = useState(false);
  const [leaveOpened, setLeaveOpened] = useState(false);

  // The query's role and scopes are the freshest; the workspace list's are there before it answers.
  const workspace = data?.workspace;
  const viewerRole = workspace?.viewerRole ?? team.viewerRole;
  const canManage = can(workspace?.viewerScopes ?? team.viewerScopes, Scope.MEMBERS_MANAGE);
  const inviteRoles = canManage ? invitableRoles(viewerRole) : [];
  const members = workspace?.members ?? [];
  const self = members.find((m) => m.user.id === user.id) ?? null;

  /** Resolves to the error, or null once the new role is in place. */
  async function applyRoleChange(member: MemberFieldsFragment, role: MemberRole): Promise<unknown> {
    const isSelf = member.user.id === user.id;
    setPending({ userId: member.user.id, role });
    try {
      const { data: changed } = await changeRole({
        variables: { workspaceId: team.id, userId: member.user.id, role },
        update(cache, result) {
          if (result.data) updateMemberInList(cache, team.id, result.data.changeMemberRole);
        },
        // Stepping down changes the viewer's own role and scopes: every control follows them.
        refetchQueries: isSelf ? [{ query: TeamMembersDocument, variables }, { query: WorkspacesDocument }] : [],
        awaitRefetchQueries: true,
      });
      if (changed) {
        const who = isSelf ? 'You are' : `${changed.changeMemberRole.user.name} is`;
        notifications.show({
          color: 'green',
          title: 'Role changed',
          message: `${who} now ${withArticle(changed.changeMemberRole.role)} of ${team.name}.`,
        });
      }
      return null;
    } catch (caught) {
      return caught;
    } finally {
      setPending(null);
    }
  }

  function handleChangeRole(member: MemberFieldsFragment, role: MemberRole) {
    setRoleError(null);
    if (member.user.id === user.id) {
      setStepDown({ opened: true, role, error: null });
      return;
    }
    void applyRoleChange(member, role).then((caught) => {
      if (caught) setRoleError({ email: member.user.email, error: caught });
    });
  }

  async function confirmStepDown() {
    if (!self || !stepDown.role) return;
    const caught = await applyRoleChange(self, stepDown.role);
    setStepDown((previous) => (caught ? { ...previous, error: caught } : { ...previous, opened: false }));
  }

  const header = (
    <PageHeader
      order={2}
      title="Members"
      description={
        workspace ? `${members.length} ${members.length === 1 ? 'member' : 'members'}` : 'Who is in this team.'
      }
      actions={
        inviteRoles.length > 0 ? (
          <Button
            leftSection={<IconUserPlus size={16} aria-hidden />}
            onClick={() => {
              setInviteOpened(true);
            }}
          >
            Invite
          </Button>
        ) : null
      }
    />
  );

  if (data && !workspace) {
    return (
      <NotFound
        title="Team not found"
        message="This team doesn't exist any more or you are no longer a member of it."
      />
    );
  }

  return (
    <>
      {header}
      <QueryContent
        data={data}
        error={error}
        refetch={refetch}
        errorTitle="Members couldn't be loaded"
        loadingLabel="Loading members…"
      >
        {() => (
          <Stack gap="xl">
            <Stack gap="md">
              {!canManage ? (
                <Alert variant="light" color="gray" icon={<IconEye size={18} aria-hidden />} py="xs">
                  You can see who is in this team, but your role here doesn&apos;t allow inviting or managing members.
                </Alert>
              ) : null}
              {roleError ? (
                <ErrorAlert
                  title={`Couldn't change the role of ${roleError.email}`}
                  error={roleError.error}
                  messages={ROLE_CHANGE_MESSAGES}
                />
              ) : null}
              <MembersTable
                members={members}
                viewerId={user.id}
                viewerRole={viewerRole}
                canManage={canManage}
                pending={pending}
                onChangeRole={handleChangeRole}
                onRemove={(member) => {
                  setRemoveTarget(member);
                  setRemoveOpened(true);
                }}
                onLeave={() => {
                  setLeaveOpened(true);
                }}
              />
            </Stack>
            {canManage ? <PendingInvitations team={team} /> : null}
          </Stack>
        )}
      </QueryContent>

      {inviteRoles.length > 0 ? (
        <InviteMemberModal
          team={team}
          roles={inviteRoles}
          opened={inviteOpened}
          onClose={() => {
            setInviteOpened(false);
          }}
        />
      ) : null}
      <RemoveMemberModal
        team={team}
        member={removeTarget}
        opened={removeOpened}
        onClose={() => {
          setRemoveOpened(false);
        }}
      />
      <LeaveTeamModal
        team={team}
        opened={leaveOpened}
        onClose={() => {
          setLeaveOpened(false);
        }}
      />
      <StepDownModal
        teamName={team.name}
        role={stepDown.role}
        opened={stepDown.opened}
        loading={pending !== null && pending.userId === user.id}
        error={stepDown.error}
        onConfirm={() => void confirmStepDown()}
        onClose={() => {
          setStepDown((previous) => ({ ...previous, opened: false, error: null }));
        }}
      />
    </>
  );
}
