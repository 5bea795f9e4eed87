import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useEffect, useRef } from 'react';
import type { CreatedApiKey } from './api-key-secret-step';

/** Asked when the secret step would close before the secret was copied. */
export function DiscardSecret({
  created,
  onBack,
  onDiscard,
}: {
  created: CreatedApiKey;
  onBack: () => void;
  onDiscard: () => void;
}) {
  const backButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    backButton.current?.focus();
  }, []);
  return (
    <Stack gap="md">
      <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />} role="alert">
        You haven&apos;t copied the secret of{' '}
        <Text span fw={600}>
          {created.apiKey.name}
        </Text>
        . Once this dialog closes it can&apos;t be shown again: you would have to create a new key (and revoke this
        one).
      </Alert>
      <Group justify="flex-end" gap="sm">
        <Button variant="default" color="red" onClick={onDiscard}>
          Close without copying
        </Button>
        <Button ref={backButton} onClick={onBack}>
          Back to the key
        </Button>
      </Group>
    </Stack>
  );
}
