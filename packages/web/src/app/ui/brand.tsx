import { Group, Text } from '@mantine/core';

/** The Tally mark and word. */
export function Brand({ size = 26 }: { size?: number }) {
  return (
    <Group gap={8} wrap="nowrap">
      <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden focusable="false">
        <rect width="32" height="32" rx="7" fill="var(--mantine-primary-color-filled)" />
        <path d="M9 22V14M16 22V9M23 22v-5" stroke="#fff" strokeWidth="3" strokeLinecap="round" />
      </svg>
      <Text fw={700} size="lg" lh={1}>
        Tally
      </Text>
    </Group>
  );
}
