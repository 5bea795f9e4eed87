import { useMutation } from '@apollo/client/react';
import { Text } from '@mantine/core';
import { ConfirmModal } from '../../app/ui/confirm-modal';
import { DeleteSavedFilterDocument, type SavedFilterFieldsFragment } from '../../graphql/generated';

export interface DeleteFilterModalProps {
  workspaceId: string;
  target: SavedFilterFieldsFragment | null;
  onClose: (deleted: boolean) => void;
}

/** Asks before deleting a saved filter for everyone in the workspace. */
export function DeleteFilterModal({ workspaceId, target, onClose }: DeleteFilterModalProps) {
  const [remove, { loading, error, reset }] = useMutation(DeleteSavedFilterDocument);
  function close(deleted: boolean) {
    reset();
    onClose(deleted);
  }
  return (
    <ConfirmModal
      opened={target !== null}
      onClose={() => {
        close(false);
      }}
      title="Delete filter"
      confirmLabel="Delete filter"
      loading={loading}
      error={error}
      errorTitle="The filter couldn't be deleted"
      onConfirm={() => {
        if (!target) return;
        void remove({ variables: { workspaceId, savedFilterId: target.id } })
          .then(() => {
            close(true);
          })
          .catch(() => undefined);
      }}
    >
      <Text size="sm">
        Delete the saved filter <strong>{target?.name}</strong> for everyone in this workspace? This can&apos;t be
        undone.
      </Text>
    </ConfirmModal>
  );
}
