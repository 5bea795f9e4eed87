import { Button, Menu } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconChevronDown, IconDownload } from '@tabler/icons-react';
import { Scope, can } from '@tally/shared';
import { useState } from 'react';
import { useAccessToken } from '../../app/session/session-context';
import { analyticsVariables, type AnalyticsParams } from './analytics-params';

export type ExportFormat = 'csv' | 'ndjson';

export const EXPORT_ENDPOINT = '/v1/export/events';

/** The export of what the page shows: its range, and its filter or saved filter as the queries take them. */
export function exportUrl(workspaceId: string, params: AnalyticsParams, format: ExportFormat): string {
  const { range, filter, savedFilterId } = analyticsVariables(workspaceId, params);
  const query = new URLSearchParams({ workspaceId, from: range.from, to: range.to, format });
  if (filter) query.set('filter', JSON.stringify(filter));
  if (savedFilterId) query.set('savedFilterId', savedFilterId);
  return `${EXPORT_ENDPOINT}?${query.toString()}`;
}

interface ExportButtonProps {
  workspaceId: string;
  scopes: readonly string[];
  params: AnalyticsParams;
}

/** Downloads the events the page shows (range and filter), for those with analytics.export; nothing for the others. */
export function ExportButton({ workspaceId, scopes, params }: ExportButtonProps) {
  const range = params.range;
  const getAccessToken = useAccessToken();
  const [busy, setBusy] = useState(false);
  if (!can(scopes, Scope.ANALYTICS_EXPORT)) return null;

  async function download(format: ExportFormat) {
    setBusy(true);
    try {
      const token = getAccessToken();
      const response = await fetch(exportUrl(workspaceId, params, format), {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        credentials: 'same-origin',
      });
      if (!response.ok) {
        // The export's error shape: { error, message }.
        const body: unknown = await response.json().catch(() => null);
        const message = body && typeof body === 'object' && 'message' in body ? body.message : null;
        throw new Error(typeof message === 'string' ? message : `The export answered ${String(response.status)}.`);
      }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `tally-events-${range.from.slice(0, 10)}-${range.to.slice(0, 10)}.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => {
        URL.revokeObjectURL(url);
      }, 10_000);
    } catch (error) {
      notifications.show({
        color: 'red',
        title: "The export couldn't be downloaded",
        message: error instanceof Error ? error.message : 'Try again in a moment.',
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Button
          variant="default"
          loading={busy}
          leftSection={<IconDownload size={16} aria-hidden />}
          rightSection={<IconChevronDown size={14} aria-hidden />}
        >
          Export
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => void download('csv')}>CSV</Menu.Item>
        <Menu.Item onClick={() => void download('ndjson')}>NDJSON</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
