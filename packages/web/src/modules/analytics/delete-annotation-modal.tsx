import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { formatDateTime } from '../../app/ui/dates';
import { ErrorAlert } from '../../app/ui/error-state';
import { DeleteAnnotationDocument } from '../../graphql/generated';
import type { AnnotationValue } from './add-annotation-modal';

interface DeleteAnnotationModalProps {
  workspaceId: string;
  /** The annotation to delete; null: closed. */
  target: AnnotationValue | null;
  onClose: (deleted: boolean) => void;
}

/** Asks before deleting an annotation for everyone in the workspace. */
export function DeleteAnnotationModal({ workspaceId, target, onClose }: DeleteAnnotationModalProps) {
  const [remove, { loading, error, reset }] = useMutation(DeleteAnnotationDocument);
  function close(deleted: boolean) {
    reset();
    onClose(deleted);
  }
  return (
    <Modal
      opened={target !== null}
      onClose={() => {
        close(false);
      }}
      title="Delete annotation"
    >
      <Stack>
        {error ? <ErrorAlert error={error} title="The annotation couldn't be deleted" /> : null}
        <Text size="sm">
          Delete the annotation <strong>{target?.text}</strong>
          {target ? ` (${formatDateTime(target.at)})` : ''} for everyone in this workspace? This can&apos;t be undone.
        </Text>
        <Group justify="flex-end">
          <Button
            variant="default"
            data-autofocus
            onClick={() => {
              close(false);
            }}
          >
            Cancel
          </Button>
          <Button
            color="red"
            loading={loading}
            onClick={() => {
              if (!target) return;
              void remove({ variables: { workspaceId, annotationId: target.id } })
                .then(() => {
                  close(true);
                })
                .catch(() => undefined);
            }}
          >
            Delete annotation
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
