import { Button, Code, Group, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconSend } from '@tabler/icons-react';
import { Link } from 'react-router';
import { workspacePath } from '../../app/paths';
import { CopyableCode } from '../../app/ui/copyable-code';
import { EVENTS_ENDPOINT, KEY_PLACEHOLDER, ingestCurl } from '../api-keys/api-key-example';

/** Instead of blank charts: how to send the first event. */
export function FirstEventPanel({ workspaceId }: { workspaceId: string }) {
  return (
    <Paper withBorder radius="md" p="xl" maw={820}>
      <Stack gap="sm">
        <Group gap="sm">
          <ThemeIcon size={40} radius="xl" variant="light" aria-hidden>
            <IconSend size={22} stroke={1.6} />
          </ThemeIcon>
          <Title order={2} size="h4">
            No events yet
          </Title>
        </Group>
        <Text size="sm">
          Nothing was sent to this workspace in this range. SDKs send sessions and events to{' '}
          <Code>POST {EVENTS_ENDPOINT}</Code> with an API key; try it with this request, your key in place of{' '}
          <Code>{KEY_PLACEHOLDER}</Code>, then reload this page.
        </Text>
        <CopyableCode code={ingestCurl(window.location.origin)} label="Copy the curl command" />
        <Group>
          <Button component={Link} to={workspacePath(workspaceId, 'getting-started')} variant="default">
            Open Getting started
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
