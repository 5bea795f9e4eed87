import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ErrorAlert } from '../../app/ui/error-state';
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
    <Modal
      opened={opened}
      onClose={close}
      title="Leave Team"
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Stack gap="md">
        {error ? (
          <ErrorAlert
            title="You can't leave this team yet"
            error={error}
            messages={{ NOT_FOUND: "This team doesn't exist any more or you are no longer a member of it." }}
          />
        ) : null}
        <Text size="sm">
          Leave{' '}
          <Text span fw={600}>
            {team.name}
          </Text>
          ? You lose access to its analytics and API keys at once. To come back, you need a new invitation.
        </Text>
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={close} data-autofocus>
            Cancel
          </Button>
          <Button color="red" loading={loading} onClick={() => void handleLeave()}>
            Leave Team
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
