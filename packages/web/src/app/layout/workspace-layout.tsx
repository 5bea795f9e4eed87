import { useQuery } from '@apollo/client/react';
import { AppShell, Burger, Divider, Group, ScrollArea, Skeleton, Stack } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, useMemo } from 'react';
import { Link, Outlet, useMatch, useNavigate, useParams } from 'react-router';
import { WorkspacesDocument } from '../../graphql/generated';
import { rememberWorkspace } from '../../modules/workspaces/last-workspace';
import { sortWorkspaces } from '../../modules/workspaces/workspace-list';
import { isWorkspaceSection, workspacePath } from '../paths';
import { useCurrentUser } from '../session/session-context';
import { Brand } from '../ui/brand';
import { ErrorState } from '../ui/error-state';
import { NotFound } from '../ui/not-found-page';
import { PageLoader } from '../ui/page-loader';
import { MainNav } from './main-nav';
import { UserMenu } from './user-menu';
import type { WorkspaceOutletContext } from './workspace-context';
import { WorkspaceSelector } from './workspace-selector';

/** The app shell of /w/:workspaceId/*: header, sidebar with the workspace selector, page. */
export function WorkspaceLayout() {
  const { workspaceId = '' } = useParams();
  const sectionMatch = useMatch('/w/:workspaceId/:section/*');
  const section = isWorkspaceSection(sectionMatch?.params.section) ? sectionMatch.params.section : null;
  const navigate = useNavigate();
  const user = useCurrentUser();
  const [navbarOpened, { toggle: toggleNavbar, close: closeNavbar }] = useDisclosure(false);

  const { data, error, refetch } = useQuery(WorkspacesDocument);
  const workspaces = useMemo(() => sortWorkspaces(data?.workspaces ?? []), [data]);
  const current = workspaces.find((w) => w.id === workspaceId);
  const personal = workspaces[0];

  useEffect(() => {
    if (current) rememberWorkspace(user.id, current.id);
  }, [current, user.id]);

  const outletContext = useMemo<WorkspaceOutletContext | null>(
    () => (current ? { workspace: current } : null),
    [current],
  );

  function selectWorkspace(id: string) {
    closeNavbar();
    void navigate(workspacePath(id, section ?? 'overview'));
  }

  let main;
  if (!data && error) {
    main = <ErrorState title="Your workspaces couldn't be loaded" error={error} onRetry={() => void refetch()} />;
  } else if (!data) {
    main = <PageLoader />;
  } else if (!outletContext) {
    main = (
      <NotFound
        title="Workspace not found"
        message="This workspace doesn't exist or you are no longer a member of it."
        to={personal ? workspacePath(personal.id) : '/'}
        linkLabel="Go to your personal workspace"
      />
    );
  } else {
    main = <Outlet context={outletContext} />;
  }

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 264, breakpoint: 'sm', collapsed: { mobile: !navbarOpened } }}
      padding="xl"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navbarOpened}
              onClick={toggleNavbar}
              hiddenFrom="sm"
              size="sm"
              aria-label={navbarOpened ? 'Close navigation' : 'Open navigation'}
            />
            <Link to="/" aria-label="Tally home" style={{ color: 'inherit', textDecoration: 'none' }}>
              <Brand />
            </Link>
          </Group>
          <UserMenu />
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="md" aria-label="Main">
        <AppShell.Section>
          {data ? (
            <WorkspaceSelector workspaces={workspaces} current={current} onSelect={selectWorkspace} />
          ) : (
            <Stack gap={6} aria-hidden>
              <Skeleton height={12} width={80} />
              <Skeleton height={36} />
            </Stack>
          )}
        </AppShell.Section>
        <Divider my="md" />
        <AppShell.Section grow component={ScrollArea}>
          {current ? <MainNav workspaceId={current.id} active={section} onNavigate={closeNavbar} /> : null}
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main bg="var(--mantine-color-gray-0)">{main}</AppShell.Main>
    </AppShell>
  );
}
