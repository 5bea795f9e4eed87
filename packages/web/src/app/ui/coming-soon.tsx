import { Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import type { Icon } from '@tabler/icons-react';

interface ComingSoonProps {
  icon: Icon;
  /** What the page will do, in a sentence or two. */
  children: string;
}

/** An honest placeholder for a page that a later release fills in. */
export function ComingSoon({ icon: IconComponent, children }: ComingSoonProps) {
  return (
    <Paper withBorder radius="md" p="xl" maw={640}>
      <Stack align="center" gap="sm" py="lg" ta="center">
        <ThemeIcon size={48} radius="xl" variant="light" aria-hidden>
          <IconComponent size={26} stroke={1.6} />
        </ThemeIcon>
        <Title order={2} size="h4">
          Coming soon
        </Title>
        <Text c="dimmed" size="sm" maw={460}>
          {children}
        </Text>
        <Text c="dimmed" size="xs">
          This page is not available yet in this version of Tally.
        </Text>
      </Stack>
    </Paper>
  );
}
