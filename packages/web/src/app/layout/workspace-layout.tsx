import { useMutation, useQuery } from '@apollo/client/react';
import { AppShell, Burger, Divider, Group, ScrollArea, Skeleton, Stack } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { WorkspaceKind } from '@tally/shared';
import { useEffect, useMemo, useRef } from 'react';
import { Link, Outlet, useMatch, useNavigate, useParams } from 'react-router';
import { RememberWorkspaceDocument, WorkspacesDocument } from '../../graphql/generated';
import { sortWorkspaces } from '../../modules/workspaces/workspace-list';
import { isWorkspaceSection, workspacePath } from '../paths';
import { Brand } from '../ui/brand';
import { ErrorState } from '../ui/error-state';
import { NotFound } from '../ui/not-found-page';
import { PageLoader } from '../ui/page-loader';
import { MAIN_CONTENT_ID, SkipLink, focusPageHeading } from '../ui/skip-link';
import { MainNav } from './main-nav';
import { UserMenu } from './user-menu';
import type { WorkspaceOutletContext } from './workspace-context';
import { WorkspaceSelector } from './workspace-selector';

/** The app shell of /w/:workspaceId/*: header, sidebar with the workspace selector, page. */
export function WorkspaceLayout() {
  const { workspaceId = '' } = useParams();
  const sectionMatch = useMatch('/w/:workspaceId/:section/*');
  const section = isWorkspaceSection(sectionMatch?.params.section) ? sectionMatch.params.section : null;
  // A team's Settings tab is the sidebar's Settings (one place, not two).
  const activeSection = section === 'teams' && sectionMatch?.params['*'] === 'settings' ? 'settings' : section;
  const navigate = useNavigate();
  const [navbarOpened, { toggle: toggleNavbar, close: closeNavbar }] = useDisclosure(false);
  // Below Mantine's `sm` the sidebar is a menu that slides over the page.
  const narrow = useMediaQuery('(max-width: 47.99em)', false, { getInitialValueInEffect: false });
  const menuHidden = narrow && !navbarOpened;
  const burgerRef = useRef<HTMLButtonElement>(null);

  // Escape closes the open menu and gives focus back to its toggle.
  useEffect(() => {
    if (!narrow || !navbarOpened) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      closeNavbar();
      burgerRef.current?.focus();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => {
      document.removeEventListener('keydown', onKeyDown);
    };
  }, [narrow, navbarOpened, closeNavbar]);

  // After a navigation to another page, focus goes to its heading (screen readers read from
  // there). Not on the first load, not when a team's tab changes (focus stays on the tabs), and
  // not after picking a workspace in the selector (focus stays on the selector).
  const teamView = section === 'teams' && Boolean(sectionMatch?.params['*']);
  const pageKey = `${workspaceId}/${section ?? ''}/${teamView ? 'team' : ''}`;
  const previousPageKey = useRef(pageKey);
  const keepFocus = useRef(false);
  useEffect(() => {
    if (previousPageKey.current === pageKey) return;
    previousPageKey.current = pageKey;
    if (keepFocus.current) {
      keepFocus.current = false;
      return;
    }
    focusPageHeading();
  }, [pageKey]);

  const { data, error, refetch } = useQuery(WorkspacesDocument);
  const workspaces = useMemo(() => sortWorkspaces(data?.workspaces ?? []), [data]);
  const current = workspaces.find((w) => w.id === workspaceId);
  const personal = workspaces[0];

  // Remembered on the server, so that log-in opens it again in any browser (homeWorkspace).
  const [rememberWorkspace] = useMutation(RememberWorkspaceDocument);
  const currentId = current?.id;
  useEffect(() => {
    if (!currentId) return;
    // Not remembered (offline, a workspace just left): nothing else depends on it.
    rememberWorkspace({ variables: { workspaceId: currentId } }).catch(() => undefined);
  }, [currentId, rememberWorkspace]);

  const outletContext = useMemo<WorkspaceOutletContext | null>(
    () => (current ? { workspace: current } : null),
    [current],
  );

  function selectWorkspace(id: string) {
    keepFocus.current = true;
    closeNavbar();
    void navigate(workspacePath(id, section ?? undefined));
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
        <SkipLink />
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              ref={burgerRef}
              opened={navbarOpened}
              onClick={toggleNavbar}
              hiddenFrom="sm"
              size="sm"
              aria-label="Navigation"
              aria-expanded={navbarOpened}
              aria-controls="main-navigation"
            />
            <Link to="/" aria-label="Tally home" style={{ color: 'inherit', textDecoration: 'none' }}>
              <Brand />
            </Link>
          </Group>
          <UserMenu />
        </Group>
      </AppShell.Header>

      {/* While the narrow-screen menu is closed it is inert: out of the Tab order and unread. */}
      <AppShell.Navbar p="md" aria-label="Main" id="main-navigation" inert={menuHidden}>
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
          {current ? (
            <MainNav
              workspaceId={current.id}
              isTeam={current.kind === WorkspaceKind.TEAM}
              active={activeSection}
              onNavigate={closeNavbar}
            />
          ) : null}
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main bg="var(--mantine-color-gray-0)" id={MAIN_CONTENT_ID} tabIndex={-1} style={{ outline: 'none' }}>
        {main}
      </AppShell.Main>
    </AppShell>
  );
}
