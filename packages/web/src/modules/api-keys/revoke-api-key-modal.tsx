import { useMutation } from '@apollo/client/react';
import { Code, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ConfirmModal } from '../../app/ui/confirm-modal';
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
    <ConfirmModal
      opened={opened}
      onClose={close}
      title="Revoke API key"
      confirmLabel="Revoke key"
      onConfirm={() => void handleRevoke()}
      loading={loading}
      error={error}
      errorTitle="Couldn't revoke the key"
      errorMessages={{
        FORBIDDEN: "Your role in this workspace doesn't allow revoking API keys.",
        NOT_FOUND: 'This key no longer exists in this workspace.',
      }}
    >
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
    </ConfirmModal>
  );
}
