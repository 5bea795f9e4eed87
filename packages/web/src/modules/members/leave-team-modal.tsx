import { useMutation } from '@apollo/client/react';
import { Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ConfirmModal } from '../../app/ui/confirm-modal';
import { LeaveTeamDocument } from '../../graphql/generated';
import { useExitTeam } from '../workspaces/use-exit-team';

interface LeaveTeamModalProps {
  team: { id: string; name: string };
  opened: boolean;
  onClose: () => void;
}

/**
 * Leave Team, confirmed. The last Owner gets LAST_OWNER from the server, whose message says what
 * to do (make another member an owner first); it is shown here, in the dialog.
 */
export function LeaveTeamModal({ team, opened, onClose }: LeaveTeamModalProps) {
  const [leaveTeam, { loading, error, reset }] = useMutation(LeaveTeamDocument);
  const exitTeam = useExitTeam();

  function close() {
    reset();
    onClose();
  }

  async function handleLeave() {
    try {
      const { data } = await leaveTeam({ variables: { workspaceId: team.id } });
      if (!data?.leaveTeam) return;
      await exitTeam(team.id);
      notifications.show({ color: 'green', title: 'You left the team', message: `You are no longer in ${team.name}.` });
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <ConfirmModal
      opened={opened}
      onClose={close}
      title="Leave Team"
      confirmLabel="Leave Team"
      onConfirm={() => void handleLeave()}
      loading={loading}
      error={error}
      errorTitle="You can't leave this team yet"
      errorMessages={{ NOT_FOUND: "This team doesn't exist any more or you are no longer a member of it." }}
    >
      <Text size="sm">
        Leave{' '}
        <Text span fw={600}>
          {team.name}
        </Text>
        ? You lose access to its analytics and API keys at once. To come back, you need a new invitation.
      </Text>
    </ConfirmModal>
  );
}
