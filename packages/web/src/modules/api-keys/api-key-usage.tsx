import { ActionIcon, Box, Code, CopyButton, Paper, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { GRAPHQL_ENDPOINT } from '../../app/apollo-client';

function curlExample(endpoint: string): string {
  return [
    `curl ${endpoint} \\`,
    `  -H 'Authorization: Bearer <key>' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"query":"{ workspace { id name } }"}'`,
  ].join('\n');
}

/** How to send a key: the two headers the server accepts, and a request to try. */
export function ApiKeyUsage() {
  const example = curlExample(`${window.location.origin}${GRAPHQL_ENDPOINT}`);
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-labelledby="api-key-usage-title">
      <Stack gap="sm">
        <Title order={2} size="h5" id="api-key-usage-title">
          Using a key
        </Title>
        <Text size="sm" c="dimmed">
          Send the key with every request, in <Code>Authorization: Bearer &lt;key&gt;</Code> or, as SDKs do, in{' '}
          <Code>X-API-Key: &lt;key&gt;</Code>. A key acts only in this workspace, so queries can leave the workspace id
          out. For example:
        </Text>
        <Box pos="relative">
          <Code block fz="xs" pr={48} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {example}
          </Code>
          <CopyButton value={example} timeout={2000}>
            {({ copied, copy }) => (
              <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow position="left">
                <ActionIcon
                  variant="subtle"
                  color={copied ? 'green' : 'gray'}
                  onClick={copy}
                  aria-label={copied ? 'Example copied' : 'Copy example'}
                  pos="absolute"
                  top={6}
                  right={6}
                >
                  {copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
                </ActionIcon>
              </Tooltip>
            )}
          </CopyButton>
        </Box>
      </Stack>
    </Paper>
  );
}
