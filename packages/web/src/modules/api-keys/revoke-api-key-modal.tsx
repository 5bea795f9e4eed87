import { useMutation } from '@apollo/client/react';
import { Button, Code, Group, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ErrorAlert } from '../../app/ui/error-state';
import { RevokeApiKeyDocument, type ApiKeyFieldsFragment } from '../../graphql/generated';

interface RevokeApiKeyModalProps {
  workspaceId: string;
  /** The key to revoke; kept by the page while the dialog closes, so its words don't vanish. */
  apiKey: ApiKeyFieldsFragment | null;
  opened: boolean;
  onClose: () => void;
}

export function RevokeApiKeyModal({ workspaceId, apiKey, opened, onClose }: RevokeApiKeyModalProps) {
  // The result carries the key's new status; Apollo's cache updates its row by id.
  const [revokeApiKey, { loading, error, reset }] = useMutation(RevokeApiKeyDocument);

  function close() {
    reset();
    onClose();
  }

  async function handleRevoke() {
    if (!apiKey) return;
    try {
      const { data } = await revokeApiKey({ variables: { workspaceId, apiKeyId: apiKey.id } });
      if (data) {
        notifications.show({
          color: 'green',
          title: 'API key revoked',
          message: `“${data.revokeApiKey.name}” no longer works.`,
        });
        close();
      }
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <Modal
      opened={opened}
      onClose={close}
      title="Revoke API key"
      size="md"
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Stack gap="md">
        {error ? (
          <ErrorAlert
            title="Couldn't revoke the key"
            error={error}
            messages={{
              FORBIDDEN: "Your role in this workspace doesn't allow revoking API keys.",
              NOT_FOUND: 'This key no longer exists in this workspace.',
            }}
          />
        ) : null}
        <Text size="sm">
          Revoke{' '}
          <Text span fw={600}>
            {apiKey?.name}
          </Text>
          ? Apps using this key stop working immediately. This cannot be undone.
        </Text>
        {apiKey ? (
          <Text size="sm" c="dimmed">
            Key <Code fz="xs">{apiKey.prefix}…</Code>
          </Text>
        ) : null}
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={close} data-autofocus>
            Cancel
          </Button>
          <Button
            color="red"
            loading={loading}
            onClick={() => {
              void handleRevoke();
            }}
          >
            Revoke key
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
