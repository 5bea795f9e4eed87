import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { ErrorAlert } from '../../app/ui/error-state';
import { DeleteSavedFilterDocument, type SavedFilterFieldsFragment } from '../../graphql/generated';

export interface DeleteFilterModalProps {
  workspaceId: string;
  target: SavedFilterFieldsFragment | null;
  onClose: (deleted: boolean) => void;
}

/** Asks before deleting a saved filter for everyone in the workspace. */
export function DeleteFilterModal({ workspaceId, target, onClose }: DeleteFilterModalProps) {
  const [remove, { loading, error, reset }] = useMutation(DeleteSavedFilterDocument);
  return (
    <Modal
      opened={target !== null}
      onClose={() => {
        reset();
        onClose(false);
      }}
      title="Delete filter"
    >
      <Stack>
        {error ? <ErrorAlert error={error} title="The filter couldn't be deleted" /> : null}
        <Text size="sm">
          Delete the saved filter <strong>{target?.name}</strong> for everyone in this workspace? This can&apos;t be
          undone.
        </Text>
        <Group justify="flex-end">
          <Button
            variant="default"
            onClick={() => {
              reset();
              onClose(false);
            }}
          >
            Cancel
          </Button>
          <Button
            color="red"
            loading={loading}
            onClick={() => {
              if (!target) return;
              void remove({ variables: { workspaceId, savedFilterId: target.id } })
                .then(() => {
                  onClose(true);
                })
                .catch(() => undefined);
            }}
          >
            Delete filter
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
