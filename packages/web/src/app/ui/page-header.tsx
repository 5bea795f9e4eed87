import { Group, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Breakable } from './breakable';

interface PageHeaderProps {
  title: string;
  description?: ReactNode;
  /** Buttons on the right of the title. */
  actions?: ReactNode;
  /** Shown in the browser tab before " · Tally". */
  documentTitle?: string;
  /**
   * 1 for a page; 2 for a page shown inside another one (a team's tab), which then leaves the
   * browser tab's title to that page.
   */
  order?: 1 | 2;
}

export function PageHeader({ title, description, actions, documentTitle, order = 1 }: PageHeaderProps) {
  return (
    // On a phone the buttons go under the title rather than squeezing it.
    <Group justify="space-between" align="flex-start" mb={order === 1 ? 'xl' : 'lg'} gap="md">
      {order === 1 ? <title>{`${documentTitle ?? title} · Tally`}</title> : null}
      <Stack gap={4} miw={0}>
        <Title
          // A long name (a tool's page) wraps rather than pushing the page sideways.
          style={{ overflowWrap: 'break-word' }}
          order={order}
          size={order === 1 ? 'h2' : 'h3'}
          // The page's heading takes focus after a navigation (workspace layout).
          tabIndex={order === 1 ? -1 : undefined}
          data-page-heading={order === 1 ? true : undefined}
        >
          <Breakable text={title} />
        </Title>
        {description ? (
          <Text c="dimmed" size="sm">
            {description}
          </Text>
        ) : null}
      </Stack>
      {actions ? <Group gap="sm">{actions}</Group> : null}
    </Group>
  );
}
