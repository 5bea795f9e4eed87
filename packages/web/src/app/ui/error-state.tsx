import { Alert, Button, Group, Stack } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { describeError, type ErrorMessages } from '../graphql-errors';

interface ErrorAlertProps {
  error: unknown;
  title?: string;
  messages?: ErrorMessages;
}

/** An error from the server, in words people can act on (role="alert", so it is announced). */
export function ErrorAlert({ error, title = 'Something went wrong', messages }: ErrorAlertProps) {
  return (
    <Alert color="red" variant="light" title={title} icon={<IconAlertCircle size={18} aria-hidden />}>
      {describeError(error, messages)}
    </Alert>
  );
}

interface ErrorStateProps extends ErrorAlertProps {
  onRetry?: () => void;
}

/** A page or section that could not load, with a way to try again. */
export function ErrorState({ error, title = "This page couldn't be loaded", messages, onRetry }: ErrorStateProps) {
  return (
    <Stack gap="sm" maw={560}>
      <ErrorAlert error={error} title={title} messages={messages} />
      {onRetry ? (
        <Group>
          <Button variant="default" onClick={onRetry}>
            Try again
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}
