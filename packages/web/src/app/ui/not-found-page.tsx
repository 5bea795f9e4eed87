import { Button, Center, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

interface NotFoundProps {
  title?: string;
  message?: string;
  /** Where the button leads and what it says. */
  to?: string;
  linkLabel?: string;
  fullPage?: boolean;
}

export function NotFound({
  title = 'Page not found',
  message = "The address you opened doesn't match any page of Tally.",
  to = '/',
  linkLabel = 'Go to the dashboard',
  fullPage = false,
}: NotFoundProps) {
  return (
    // A whole page of its own is its page's <main>; inside the dashboard it sits in the shell's.
    <Center mih={fullPage ? '100vh' : 320} p="md" component={fullPage ? 'main' : 'div'}>
      <title>{`${title} · Tally`}</title>
      <Stack align="center" gap="sm" ta="center" maw={440}>
        <Title order={1} size="h2" tabIndex={-1} data-page-heading>
          {title}
        </Title>
        <Text c="dimmed">{message}</Text>
        <Button component={Link} to={to} mt="sm">
          {linkLabel}
        </Button>
      </Stack>
    </Center>
  );
}

export function NotFoundPage() {
  return <NotFound fullPage />;
}
