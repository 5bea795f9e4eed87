import { Center, Loader, Stack, Text } from '@mantine/core';

interface PageLoaderProps {
  label?: string;
  /** Fill the whole window (before the app shell exists) instead of the content area. */
  fullPage?: boolean;
}

export function PageLoader({ label = 'Loading…', fullPage = false }: PageLoaderProps) {
  return (
    <Center mih={fullPage ? '100vh' : 240} component={fullPage ? 'main' : 'div'}>
      <Stack align="center" gap="sm" role="status" aria-live="polite">
        <Loader size="md" aria-hidden />
        <Text size="sm" c="dimmed">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}
