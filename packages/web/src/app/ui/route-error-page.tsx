import { Button, Center, Code, Stack, Text, Title } from '@mantine/core';
import { isRouteErrorResponse, useRouteError } from 'react-router';
import { NotFound } from './not-found-page';

/** The router's last line of defence: an error thrown while rendering a page. */
export function RouteErrorPage() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFound fullPage />;
  const detail = error instanceof Error ? error.message : null;
  return (
    <Center mih="100vh" p="md" component="main">
      <title>Error · Tally</title>
      <Stack align="center" gap="sm" ta="center" maw={480}>
        <Title order={1} size="h2">
          Something went wrong
        </Title>
        <Text c="dimmed">The dashboard hit an unexpected problem. Reloading the page usually helps.</Text>
        {detail ? <Code block>{detail}</Code> : null}
        <Button
          mt="sm"
          onClick={() => {
            window.location.reload();
          }}
        >
          Reload
        </Button>
      </Stack>
    </Center>
  );
}
