import { Box, Center, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Brand } from '../../app/ui/brand';

interface AuthLayoutProps {
  title: string;
  /** The browser tab's title before " · Tally" ("Log in"); the heading's words when left out. */
  documentTitle?: string;
  subtitle?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}

/**
 * The centred card around the log-in, sign-up, password and invitation pages: the brand in a
 * banner, everything else in <main>, so that every piece of the page sits in a landmark.
 */
export function AuthLayout({ title, documentTitle, subtitle, children, footer }: AuthLayoutProps) {
  return (
    <Box bg="var(--mantine-color-gray-0)" mih="100vh">
      <title>{`${documentTitle ?? title} · Tally`}</title>
      <Center mih="100vh" p="md">
        <Stack w="100%" maw={420} gap="lg">
          <Center component="header">
            <Brand size={32} />
          </Center>
          <Stack component="main" gap="lg">
            <Paper withBorder shadow="sm" radius="md" p="xl">
              <Stack gap={4} mb="lg">
                <Title order={1} size="h3">
                  {title}
                </Title>
                {subtitle ? (
                  <Text c="dimmed" size="sm">
                    {subtitle}
                  </Text>
                ) : null}
              </Stack>
              {children}
            </Paper>
            {footer ? (
              <Text ta="center" size="sm" c="dimmed">
                {footer}
              </Text>
            ) : null}
          </Stack>
        </Stack>
      </Center>
    </Box>
  );
}
