import { useQuery } from '@apollo/client/react';
import { Avatar, Button, Group, Stack, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconLogout } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { MeDocument } from '../../graphql/generated';
import { workspacePath } from '../paths';
import { useCurrentUser, useSessionActions } from '../session/session-context';

function initials(name: string, email: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 0 ? words.slice(0, 2).map((w) => w.charAt(0)) : [email.charAt(0)];
  return letters.join('').toUpperCase();
}

/**
 * Who is signed in, as a link to the account page, and the Log out button. The button is
 * always visible (not hidden in a dropdown), so it is one click and one accessible name away.
 */
export function UserMenu() {
  const sessionUser = useCurrentUser();
  const { data } = useQuery(MeDocument);
  const user = data?.me ?? sessionUser;
  const { logOut } = useSessionActions();
  // The account page opens inside the workspace in the address (its sidebar stays).
  const { workspaceId } = useParams();
  const [pending, setPending] = useState(false);

  async function handleLogOut() {
    setPending(true);
    const reached = await logOut();
    if (!reached) {
      notifications.show({
        color: 'yellow',
        title: 'Logged out on this device only',
        message:
          "The server couldn't be reached, so your session may still be active there. Log out again when you are back online.",
        autoClose: false,
      });
    }
  }

  return (
    <Group gap="sm" wrap="nowrap">
      <UnstyledButton
        component={Link}
        to={workspaceId ? workspacePath(workspaceId, 'account') : '/'}
        title="Account"
        style={{ borderRadius: 'var(--mantine-radius-md)' }}
      >
        <Group gap="sm" wrap="nowrap">
          {/* The link's name: "Account:" then what it shows (its visible words stay in its name). */}
          <VisuallyHidden>Account: </VisuallyHidden>
          <Avatar radius="xl" size={32} color="indigo" aria-hidden>
            {initials(user.name, user.email)}
          </Avatar>
          <Stack gap={0} visibleFrom="xs" miw={0}>
            <Text size="sm" fw={500} truncate="end" maw={220}>
              {user.name}
            </Text>
            <Text size="xs" c="dimmed" truncate="end" maw={220}>
              {user.email}
            </Text>
          </Stack>
        </Group>
      </UnstyledButton>
      <Button
        variant="default"
        size="xs"
        leftSection={<IconLogout size={16} aria-hidden />}
        loading={pending}
        onClick={() => void handleLogOut()}
      >
        Log out
      </Button>
    </Group>
  );
}
