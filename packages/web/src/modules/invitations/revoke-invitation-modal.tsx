import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ErrorAlert } from '../../app/ui/error-state';
import { type InvitationFieldsFragment, RevokeInvitationDocument } from '../../graphql/generated';
import { INVITATION_ERROR_MESSAGES } from './invitation-format';

interface RevokeInvitationModalProps {
  workspaceId: string;
  /** Kept by the list while the dialog closes, so its words don't vanish. */
  invitation: InvitationFieldsFragment | null;
  opened: boolean;
  onClose: () => void;
}

export function RevokeInvitationModal({ workspaceId, invitation, opened, onClose }: RevokeInvitationModalProps) {
  // The result carries the invitation's new status; Apollo's cache updates its row by id.
  const [revokeInvitation, { loading, error, reset }] = useMutation(RevokeInvitationDocument);

  function close() {
    reset();
    onClose();
  }

  async function handleRevoke() {
    if (!invitation) return;
    try {
      const { data } = await revokeInvitation({ variables: { workspaceId, invitationId: invitation.id } });
      if (data) {
        notifications.show({
          color: 'green',
          title: 'Invitation revoked',
          message: `The link sent to ${data.revokeInvitation.email} no longer works.`,
        });
        close();
      }
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <Modal
      opened={opened}
      onClose={close}
      title="Revoke invitation"
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Stack gap="md">
        {error ? (
          <ErrorAlert title="Couldn't revoke the invitation" error={error} messages={INVITATION_ERROR_MESSAGES} />
        ) : null}
        <Text size="sm">
          Revoke the invitation for{' '}
          <Text span fw={600}>
            {invitation?.email}
          </Text>
          ? The link in their email stops working. You can invite them again later.
        </Text>
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={close} data-autofocus>
            Cancel
          </Button>
          <Button color="red" loading={loading} onClick={() => void handleRevoke()}>
            Revoke invitation
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
