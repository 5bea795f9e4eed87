import { Box, NavLink } from '@mantine/core';
import {
  IconActivity,
  IconKey,
  IconLayoutDashboard,
  IconListDetails,
  IconRocket,
  IconSettings,
  IconTool,
  IconUsersGroup,
  type Icon,
} from '@tabler/icons-react';
import { Link } from 'react-router';
import { teamPath, workspacePath, type WorkspaceSection } from '../paths';

interface NavItem {
  section: WorkspaceSection;
  label: string;
  icon: Icon;
}

/** The sidebar's pages, in the user guide's words and order, after Getting started. */
export const NAV_ITEMS: readonly NavItem[] = [
  { section: 'getting-started', label: 'Getting started', icon: IconRocket },
  { section: 'overview', label: 'Overview', icon: IconLayoutDashboard },
  { section: 'sessions', label: 'Sessions', icon: IconListDetails },
  { section: 'tools', label: 'Tools & Usage', icon: IconTool },
  { section: 'activity', label: 'Activity', icon: IconActivity },
  { section: 'teams', label: 'Teams', icon: IconUsersGroup },
  { section: 'api-keys', label: 'API Keys', icon: IconKey },
  { section: 'settings', label: 'Settings', icon: IconSettings },
];

interface MainNavProps {
  workspaceId: string;
  /** A team's Settings are its Settings tab: the sidebar's Settings leads there (one place). */
  isTeam: boolean;
  active: WorkspaceSection | null;
  onNavigate?: () => void;
}

/** A list of links, one per page. */
export function MainNav({ workspaceId, isTeam, active, onNavigate }: MainNavProps) {
  return (
    <Box component="ul" m={0} p={0} style={{ listStyle: 'none', display: 'flex', flexDirection: 'column', gap: 2 }}>
      {NAV_ITEMS.map(({ section, label, icon: IconComponent }) => (
        <li key={section}>
          <NavLink
            component={Link}
            to={
              section === 'settings' && isTeam ? teamPath(workspaceId, 'settings') : workspacePath(workspaceId, section)
            }
            label={label}
            leftSection={<IconComponent size={18} stroke={1.6} aria-hidden />}
            active={active === section}
            aria-current={active === section ? 'page' : undefined}
            onClick={onNavigate}
            styles={{ root: { borderRadius: 'var(--mantine-radius-md)' } }}
          />
        </li>
      ))}
    </Box>
  );
}
