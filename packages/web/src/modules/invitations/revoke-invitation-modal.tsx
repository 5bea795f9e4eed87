import { useMutation } from '@apollo/client/react';
import { Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ConfirmModal } from '../../app/ui/confirm-modal';
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
    <ConfirmModal
      opened={opened}
      onClose={close}
      title="Revoke invitation"
      confirmLabel="Revoke invitation"
      onConfirm={() => void handleRevoke()}
      loading={loading}
      error={error}
      errorTitle="Couldn't revoke the invitation"
      errorMessages={INVITATION_ERROR_MESSAGES}
    >
      <Text size="sm">
        Revoke the invitation for{' '}
        <Text span fw={600}>
          {invitation?.email}
        </Text>
        ? The link in their email stops working. You can invite them again later.
      </Text>
    </ConfirmModal>
  );
}
