import { useMutation } from '@apollo/client/react';
import { Text } from '@mantine/core';
import { ConfirmModal } from '../../app/ui/confirm-modal';
import { formatDateTime } from '../../app/ui/dates';
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
    <ConfirmModal
      opened={target !== null}
      onClose={() => {
        close(false);
      }}
      title="Delete annotation"
      confirmLabel="Delete annotation"
      loading={loading}
      error={error}
      errorTitle="The annotation couldn't be deleted"
      onConfirm={() => {
        if (!target) return;
        void remove({ variables: { workspaceId, annotationId: target.id } })
          .then(() => {
            close(true);
          })
          .catch(() => undefined);
      }}
    >
      <Text size="sm">
        Delete the annotation <strong>{target?.text}</strong>
        {target ? ` (${formatDateTime(target.at)})` : ''} for everyone in this workspace? This can&apos;t be undone.
      </Text>
    </ConfirmModal>
  );
}
