import { Button, Group, Modal, Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import type { ErrorMessages } from '../graphql-errors';
import { ErrorAlert } from './error-state';

export interface ConfirmModalProps {
  opened: boolean;
  /** Closes without doing anything (Cancel, Escape, ×). */
  onClose: () => void;
  title: string;
  /** What will happen, in words. */
  children: ReactNode;
  /** The button that does it: "Revoke key", "Leave Team". */
  confirmLabel: string;
  onConfirm: () => void;
  loading?: boolean;
  /** The last attempt's error, shown above the words; its title says what failed. */
  error?: unknown;
  errorTitle?: string;
  errorMessages?: ErrorMessages;
  /** Red for what cannot be undone (the default); the brand colour otherwise. */
  danger?: boolean;
  /** False while the confirm button must not be used (e.g. a name still to type). */
  confirmDisabled?: boolean;
}

/**
 * The one confirmation dialog: the words, an error from the last attempt, Cancel (focused
 * first, so Enter never confirms by accident) and the confirming button.
 */
export function ConfirmModal({
  opened,
  onClose,
  title,
  children,
  confirmLabel,
  onConfirm,
  loading = false,
  error,
  errorTitle = 'Something went wrong',
  errorMessages,
  danger = true,
  confirmDisabled = false,
}: ConfirmModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={title}
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Stack gap="md">
        {error ? <ErrorAlert title={errorTitle} error={error} messages={errorMessages} /> : null}
        {children}
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button color={danger ? 'red' : undefined} loading={loading} disabled={confirmDisabled} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
