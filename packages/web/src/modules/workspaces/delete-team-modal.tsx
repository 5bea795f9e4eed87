import { useMutation } from '@apollo/client/react';
import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import { ErrorAlert } from '../../app/ui/error-state';
import { DeleteTeamDocument } from '../../graphql/generated';
import { useExitTeam } from './use-exit-team';

interface DeleteTeamModalProps {
  team: { id: string; name: string };
  opened: boolean;
  onClose: () => void;
}

export function DeleteTeamModal({ team, opened, onClose }: DeleteTeamModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Delete Team"
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      {/* Inside the dialog's content: every opening starts with an empty confirmation. */}
      <DeleteTeamForm team={team} onCancel={onClose} />
    </Modal>
  );
}

function DeleteTeamForm({ team, onCancel }: { team: DeleteTeamModalProps['team']; onCancel: () => void }) {
  const [typed, setTyped] = useState('');
  const [deleteTeam, { loading, error, reset }] = useMutation(DeleteTeamDocument);
  const exitTeam = useExitTeam();
  // The server compares the name exactly, so the button does too.
  const matches = typed === team.name;

  async function handleDelete() {
    if (!matches) return;
    try {
      const { data } = await deleteTeam({ variables: { workspaceId: team.id, confirmName: typed } });
      if (!data?.deleteTeam) return;
      await exitTeam(team.id);
      notifications.show({
        color: 'green',
        title: 'Team deleted',
        message: `“${team.name}” is gone. Its API keys no longer work and its analytics data will be deleted.`,
      });
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void handleDelete();
      }}
      noValidate
    >
      <Stack gap="md">
        {error ? (
          <ErrorAlert
            title="Couldn't delete the team"
            error={error}
            messages={{
              FORBIDDEN: 'Only an Owner of this team can delete it.',
              NOT_FOUND: "This team doesn't exist any more or you are no longer a member of it.",
              BAD_USER_INPUT: 'The name you typed does not match the team’s name.',
            }}
          />
        ) : null}
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />}>
          Deleting{' '}
          <Text span fw={600}>
            {team.name}
          </Text>{' '}
          is permanent. All API keys belonging to the team are revoked immediately, pending invitations stop working,
          and all its analytics data is scheduled for deletion. This cannot be undone.
        </Alert>
        <TextInput
          label="Team name"
          description={`Type “${team.name}” to confirm.`}
          name="confirmName"
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(event) => {
            setTyped(event.currentTarget.value);
            reset();
          }}
          data-autofocus
        />
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" color="red" loading={loading} disabled={!matches}>
            Delete Team
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
