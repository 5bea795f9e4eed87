import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { MemberRole } from '@tally/shared';
import { ErrorAlert } from '../../app/ui/error-state';
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
    <Modal
      opened={opened}
      onClose={onClose}
      title="Step down as Owner"
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Stack gap="md">
        {error ? <ErrorAlert title="Your role was not changed" error={error} /> : null}
        <Text size="sm">
          You will be {role ? withArticle(role) : 'a member'} of {teamName} and no longer an Owner. Only another Owner
          can make you an Owner again.
        </Text>
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button color="red" loading={loading} onClick={onConfirm}>
            Change my role
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
