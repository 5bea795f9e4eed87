import { Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';

export function NoAnalyticsAccess({ workspaceName }: { workspaceName: string }) {
  return (
    <Paper withBorder radius="md" p="xl" maw={640}>
      <Stack align="center" gap="sm" py="lg" ta="center">
        <ThemeIcon size={48} radius="xl" variant="light" color="gray" aria-hidden>
          <IconLock size={26} stroke={1.6} />
        </ThemeIcon>
        <Title order={2} size="h4">
          You don&apos;t have access to analytics here
        </Title>
        <Text c="dimmed" size="sm" maw={460}>
          Your role in {workspaceName} doesn&apos;t include viewing analytics. Ask an owner or admin of this workspace
          if you need access.
        </Text>
      </Stack>
    </Paper>
  );
}
