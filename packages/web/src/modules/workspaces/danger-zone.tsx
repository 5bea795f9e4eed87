import { Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { DeleteTeamModal } from './delete-team-modal';

interface DangerZoneProps {
  team: { id: string; name: string };
  headingOrder?: 2 | 3;
}

/** Shown only to callers who hold workspace.delete in a team (the settings decide). */
export function DangerZone({ team, headingOrder = 2 }: DangerZoneProps) {
  const [opened, setOpened] = useState(false);
  return (
    <Paper
      withBorder
      radius="md"
      p="lg"
      component="section"
      aria-labelledby="danger-zone-title"
      style={{ borderColor: 'var(--mantine-color-red-4)' }}
    >
      <Stack gap="md">
        <Title order={headingOrder} size="h4" id="danger-zone-title" c="red">
          Danger Zone
        </Title>
        <Group justify="space-between" align="center" gap="md">
          <Stack gap={2} maw={480}>
            <Text size="sm" fw={600}>
              Delete this team
            </Text>
            <Text size="sm" c="dimmed">
              All its API keys are revoked at once and its analytics data is scheduled for deletion. This cannot be
              undone.
            </Text>
          </Stack>
          <Button
            color="red"
            variant="outline"
            leftSection={<IconTrash size={16} aria-hidden />}
            onClick={() => {
              setOpened(true);
            }}
          >
            Delete Team
          </Button>
        </Group>
      </Stack>
      <DeleteTeamModal
        team={team}
        opened={opened}
        onClose={() => {
          setOpened(false);
        }}
      />
    </Paper>
  );
}
