import { useMutation } from '@apollo/client/react';
import { Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ConfirmModal } from '../../app/ui/confirm-modal';
import { type MemberFieldsFragment, RemoveMemberDocument } from '../../graphql/generated';
import { removeMemberFromList } from './member-cache';

interface RemoveMemberModalProps {
  team: { id: string; name: string };
  /** Kept by the page while the dialog closes, so its words don't vanish. */
  member: MemberFieldsFragment | null;
  opened: boolean;
  onClose: () => void;
}

export function RemoveMemberModal({ team, member, opened, onClose }: RemoveMemberModalProps) {
  const [removeMember, { loading, error, reset }] = useMutation(RemoveMemberDocument);

  function close() {
    reset();
    onClose();
  }

  async function handleRemove() {
    if (!member) return;
    try {
      const { data } = await removeMember({
        variables: { workspaceId: team.id, userId: member.user.id },
        update(cache, result) {
          if (result.data?.removeMember) removeMemberFromList(cache, team.id, member.user.id);
        },
      });
      if (data?.removeMember) {
        notifications.show({
          color: 'green',
          title: 'Member removed',
          message: `${member.user.name} no longer has access to ${team.name}.`,
        });
        close();
      }
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <ConfirmModal
      opened={opened}
      onClose={close}
      title="Remove member"
      confirmLabel="Remove"
      onConfirm={() => void handleRemove()}
      loading={loading}
      error={error}
      errorTitle="Couldn't remove the member"
      errorMessages={{
        FORBIDDEN: "Your role in this team doesn't allow removing this member.",
        NOT_FOUND: 'This person is no longer a member of the team.',
      }}
    >
      <Text size="sm">
        Remove{' '}
        <Text span fw={600}>
          {member?.user.name}
        </Text>{' '}
        ({member?.user.email}) from {team.name}? They lose access to its analytics and API keys at once. To come back
        they need a new invitation.
      </Text>
    </ConfirmModal>
  );
}
