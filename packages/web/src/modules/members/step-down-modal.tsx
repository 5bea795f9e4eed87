import { Text } from '@mantine/core';
import type { MemberRole } from '@tally/shared';
import { ConfirmModal } from '../../app/ui/confirm-modal';
import { withArticle } from '../workspaces/workspace-list';

interface StepDownModalProps {
  teamName: string;
  /** The role the viewer chose for themselves. */
  role: MemberRole | null;
  opened: boolean;
  loading: boolean;
  error: unknown;
  onConfirm: () => void;
  onClose: () => void;
}

/** An Owner changing their own role: it cannot be undone by themselves, so it is confirmed. */
export function StepDownModal({ teamName, role, opened, loading, error, onConfirm, onClose }: StepDownModalProps) {
  return (
    <ConfirmModal
      opened={opened}
      onClose={onClose}
      title="Step down as Owner"
      confirmLabel="Change my role"
      onConfirm={onConfirm}
      loading={loading}
      error={error}
      errorTitle="Your role was not changed"
    >
      <Text size="sm">
        You will be {role ? withArticle(role) : 'a member'} of {teamName} and no longer an Owner. Only another Owner can
        make you an Owner again.
      </Text>
    </ConfirmModal>
  );
}
