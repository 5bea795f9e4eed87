import { Alert, Button, Code, Group, Stack, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useClipboard } from '@mantine/hooks';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import { useEffect, useRef } from 'react';
import { CopyableCode } from '../../app/ui/copyable-code';
import type { ApiKeyFieldsFragment } from '../../graphql/generated';
import { API_KEY_ROLE_LABEL } from './api-key-format';
import { type ApiKeyExample, WORKSPACE_QUERY, apiKeyExample } from './api-key-example';
import { ClaudeCodeSetup } from './claude-code-setup';

/** What createApiKey answered: the key, and its secret (shown once). */
export interface CreatedApiKey {
  apiKey: ApiKeyFieldsFragment;
  secret: string;
}

interface SecretStepProps {
  created: CreatedApiKey;
  onCopied: () => void;
  onDone: () => void;
}

export function SecretStep({ created, onCopied, onDone }: SecretStepProps) {
  const clipboard = useClipboard({ timeout: 2000 });
  const copyButton = useRef<HTMLButtonElement>(null);
  // The examples carry the real secret while it is on screen: copied, they work as they are.
  const example = apiKeyExample(created.apiKey.role, window.location.origin, created.secret);

  // The form (and the button that had focus) is gone: focus goes to Copy, the one thing to do now.
  useEffect(() => {
    copyButton.current?.focus();
  }, []);

  return (
    <Stack gap="md">
      <Text size="sm">
        <Text span fw={600}>
          {created.apiKey.name}
        </Text>{' '}
        is ready, with the {API_KEY_ROLE_LABEL[created.apiKey.role]} role.
      </Text>
      <Alert
        color="yellow"
        variant="light"
        icon={<IconAlertTriangle size={18} aria-hidden />}
        title="Copy this key now. You will not see it again."
      >
        Tally stores only a hash of it. Keep it in a secret manager or an environment variable, never in version
        control. If you lose it, create a new key and revoke this one.
      </Alert>
      <Group gap="sm" align="flex-end" wrap="nowrap">
        <TextInput
          label="Secret"
          value={created.secret}
          readOnly
          style={{ flex: 1 }}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
          onFocus={(event) => {
            event.currentTarget.select();
          }}
          // Copied by hand (Ctrl+C) counts too.
          onCopy={onCopied}
        />
        <Button
          ref={copyButton}
          variant={clipboard.copied ? 'light' : 'filled'}
          color={clipboard.copied ? 'green' : undefined}
          leftSection={clipboard.copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
          onClick={() => {
            clipboard.copy(created.secret);
            onCopied();
          }}
          miw={104}
        >
          {clipboard.copied ? 'Copied' : 'Copy'}
        </Button>
      </Group>
      <VisuallyHidden role="status">{clipboard.copied ? 'Secret copied to the clipboard' : ''}</VisuallyHidden>
      {clipboard.error ? (
        <Text size="sm" c="red" role="alert">
          The browser didn&apos;t allow copying. Select the secret above and copy it yourself.
        </Text>
      ) : null}
      {example ? <KeyExample example={example} /> : null}
      <ClaudeCodeSetup origin={window.location.origin} secret={created.secret} role={created.apiKey.role} />
      <Group justify="flex-end" mt="xs">
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
}

/** What to try with the new key (api-key-example.ts), the secret already in it. */
function KeyExample({ example }: { example: ApiKeyExample }) {
  return (
    <Stack gap={6} component="section" aria-labelledby="key-example-title">
      <Text size="sm" fw={600} id="key-example-title">
        {example.kind === 'query' ? 'Try it: a query this key may run' : 'Try it: send a first event'}
      </Text>
      <Text size="sm" c="dimmed">
        {example.kind === 'query' ? (
          <>This request already holds the new key. It answers with this workspace&apos;s id and name.</>
        ) : (
          <>
            This request already holds the new key. Tally answers 202 with the number of events it accepted. This
            key&apos;s role sends events; it cannot read the workspace over GraphQL, so a query such as{' '}
            <Code>{WORKSPACE_QUERY}</Code> would be refused.
          </>
        )}
      </Text>
      <CopyableCode
        code={example.curl}
        label={example.kind === 'query' ? 'Copy the query example' : 'Copy the event example'}
      />
    </Stack>
  );
}
