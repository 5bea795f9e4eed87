import { useMutation } from '@apollo/client/react';
import { Alert, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import { ConfirmModal } from '../../app/ui/confirm-modal';
import { DeleteTeamDocument } from '../../graphql/generated';
import { useExitTeam } from './use-exit-team';

interface DeleteTeamModalProps {
  team: { id: string; name: string };
  opened: boolean;
  onClose: () => void;
}

/** Delete Team, confirmed by typing the team's name exactly (the server compares it too). */
export function DeleteTeamModal({ team, opened, onClose }: DeleteTeamModalProps) {
  const [typed, setTyped] = useState('');
  const [deleteTeam, { loading, error, reset }] = useMutation(DeleteTeamDocument);
  const exitTeam = useExitTeam();
  const matches = typed === team.name;

  function close() {
    // Every opening starts with an empty confirmation.
    setTyped('');
    reset();
    onClose();
  }

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
      // Shown in the dialog from `error`.
    }
  }

  return (
    <ConfirmModal
      opened={opened}
      onClose={close}
      title="Delete Team"
      confirmLabel="Delete Team"
      onConfirm={() => void handleDelete()}
      confirmDisabled={!matches}
      loading={loading}
      error={error}
      errorTitle="Couldn't delete the team"
      errorMessages={{
        FORBIDDEN: 'Only an Owner of this team can delete it.',
        NOT_FOUND: "This team doesn't exist any more or you are no longer a member of it.",
        BAD_USER_INPUT: 'The name you typed does not match the team’s name.',
      }}
    >
      <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />}>
        Deleting{' '}
        <Text span fw={600}>
          {team.name}
        </Text>{' '}
        is permanent. All API keys belonging to the team are revoked immediately, pending invitations stop working, and
        all its analytics data is scheduled for deletion. This cannot be undone.
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
        onKeyDown={(event) => {
          // Enter confirms once the name matches, as the form did.
          if (event.key === 'Enter') void handleDelete();
        }}
        data-autofocus
      />
    </ConfirmModal>
  );
}
