import { Code, Paper, Stack, Text, Title } from '@mantine/core';
import { Scope } from '@tally/shared';
import { CopyableCode } from '../../app/ui/copyable-code';
import { API_KEY_ROLE_LABEL } from './api-key-format';
import { apiKeyRolesWith, ingestCurl, queryCurl } from './api-key-example';
import { ClaudeCodeSetup } from './claude-code-setup';

function roleList(scope: Scope): string {
  return apiKeyRolesWith(scope)
    .map((role) => API_KEY_ROLE_LABEL[role])
    .join(' and ');
}

/** How to send a key: the headers the server accepts, and what each role may try. */
export function ApiKeyUsage() {
  const origin = window.location.origin;
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-labelledby="api-key-usage-title">
      <Stack gap="sm">
        <Title order={2} size="h5" id="api-key-usage-title">
          Using a key
        </Title>
        <Text size="sm" c="dimmed">
          Send the key with every request, in <Code>Authorization: Bearer &lt;key&gt;</Code> or, as SDKs do, in{' '}
          <Code>X-API-Key: &lt;key&gt;</Code>. A key acts only in this workspace, so queries can leave the workspace id
          out. What a key may do depends on its role.
        </Text>
        <Text size="sm" fw={600}>
          Query analytics and the workspace ({roleList(Scope.WORKSPACE_READ)} keys)
        </Text>
        <CopyableCode code={queryCurl(origin)} label="Copy the query example" />
        <Text size="sm" fw={600}>
          Send events ({roleList(Scope.EVENTS_TRACK)} keys)
        </Text>
        <Text size="sm" c="dimmed">
          What SDKs send: Tally answers 202 with the number of events it accepted.
        </Text>
        <CopyableCode code={ingestCurl(origin)} label="Copy the event example" />
        <ClaudeCodeSetup origin={origin} />
      </Stack>
    </Paper>
  );
}
