import { Badge, Code, Group, Text, Timeline } from '@mantine/core';
import type { AnalyticsEventFieldsFragment } from '../../graphql/generated';
import { formatDateTime } from '../../app/ui/dates';
import { formatDuration } from './analytics-format';

/** A session's events in time order. */
export function EventTimeline({ events }: { events: readonly AnalyticsEventFieldsFragment[] }) {
  return (
    <Timeline bulletSize={14} lineWidth={2} aria-label="Events in time order">
      {events.map((event) => (
        <Timeline.Item
          key={event.id}
          color={event.status === 'error' ? 'red' : 'indigo'}
          title={
            <Group gap="xs">
              <Text fw={600} size="sm">
                {event.name}
              </Text>
              <Badge size="sm" variant="light" color="gray" tt="none">
                {event.type}
              </Badge>
              {event.status === 'error' ? (
                <Badge size="sm" color="red" variant="light" tt="none">
                  Error
                </Badge>
              ) : null}
            </Group>
          }
        >
          <Text size="xs" c="dimmed">
            {formatDateTime(event.timestamp)}
            {event.durationMs !== null && event.durationMs !== undefined
              ? ` · ${formatDuration(event.durationMs)}`
              : ''}
          </Text>
          {event.properties && typeof event.properties === 'object' && Object.keys(event.properties).length ? (
            <Code block fz="xs" mt={4} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
              {JSON.stringify(event.properties, null, 2)}
            </Code>
          ) : null}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
