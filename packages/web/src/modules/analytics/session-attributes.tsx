import { Badge, Group, SimpleGrid, Text } from '@mantine/core';

/**
 * A session's attributes (what SDKs send: app, version, plan, …) as `key: value` pairs, by key
 * (the same order whichever engine stored them).
 */
export function attributeEntries(attributes: unknown): Array<[string, string]> {
  if (!attributes || typeof attributes !== 'object' || Array.isArray(attributes)) return [];
  return Object.entries(attributes as Record<string, unknown>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => [
      key,
      value === null ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value),
    ]);
}

interface SessionAttributesProps {
  attributes: unknown;
  /** Chips shown; the rest are counted ("+2 more"). All when absent. */
  max?: number;
}

/**
 * Attributes as chips. A chip never breaks inside a word: a long value ends in an ellipsis, its
 * whole text in the title; chips wrap between each other.
 */
export function SessionAttributes({ attributes, max }: SessionAttributesProps) {
  const entries = attributeEntries(attributes);
  if (entries.length === 0) {
    return (
      <Text span size="sm" c="dimmed">
        None
      </Text>
    );
  }
  const shown = max === undefined ? entries : entries.slice(0, max);
  const hidden = entries.length - shown.length;
  return (
    <Group gap={4} wrap="wrap" component="ul" m={0} p={0} style={{ listStyle: 'none' }}>
      {shown.map(([key, value]) => (
        <li key={key} style={{ minWidth: 0, maxWidth: '100%' }}>
          <Badge
            variant="light"
            color="gray"
            tt="none"
            fw={500}
            maw="100%"
            title={`${key}: ${value}`}
            styles={{ root: { maxWidth: '100%' }, label: { overflow: 'hidden', textOverflow: 'ellipsis' } }}
          >
            {key}: {value}
          </Badge>
        </li>
      ))}
      {hidden > 0 ? (
        <li>
          <Text span size="xs" c="dimmed">
            +{hidden} more
          </Text>
        </li>
      ) : null}
    </Group>
  );
}

/** Every attribute in full, a term and its value each (a session's own page). */
export function SessionAttributeList({ attributes }: { attributes: unknown }) {
  const entries = attributeEntries(attributes);
  if (entries.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        This session has no attributes. SDKs send them with the session (app, version, plan, …).
      </Text>
    );
  }
  return (
    <SimpleGrid component="dl" cols={{ base: 1, xs: 2, md: 4 }} spacing="md" verticalSpacing="xs" m={0}>
      {entries.map(([key, value]) => (
        <div key={key}>
          <Text component="dt" size="xs" c="dimmed" fw={600} style={{ overflowWrap: 'anywhere' }}>
            {key}
          </Text>
          <Text component="dd" m={0} size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
            {value}
          </Text>
        </div>
      ))}
    </SimpleGrid>
  );
}
