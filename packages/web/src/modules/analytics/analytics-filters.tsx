import { useQuery } from '@apollo/client/react';
import { Badge, Box, Button, Group, Paper, Select, TagsInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import {
  IconAdjustments,
  IconChevronDown,
  IconChevronUp,
  IconDeviceFloppy,
  IconFilter,
  IconTrash,
  IconX,
} from '@tabler/icons-react';
import { ANALYTICS_LIMITS, Scope, can } from '@tally/shared';
import { useId, useState } from 'react';
import { SavedFiltersDocument } from '../../graphql/generated';
import type { AnalyticsParams } from './analytics-params';
import { ConditionsModal } from './conditions-modal';
import { DeleteFilterModal } from '../saved-filters/delete-filter-modal';
import { describeCondition } from './property-conditions-editor';
import { SaveFilterModal } from '../saved-filters/save-filter-modal';
import { asFilter } from '../saved-filters/saved-filter-values';

interface AnalyticsFiltersProps {
  workspaceId: string;
  scopes: readonly string[];
  params: AnalyticsParams;
}

/** How many filter values are set: each name, type, user id and property condition; a saved filter counts one at least. */
export function filtersSet(params: Pick<AnalyticsParams, 'filter' | 'savedFilterId'>): number {
  const filter = params.filter;
  const values =
    (filter?.names?.length ?? 0) +
    (filter?.types?.length ?? 0) +
    (filter?.userIds?.length ?? 0) +
    (filter?.properties?.length ?? 0);
  return values === 0 && params.savedFilterId ? 1 : values;
}

/**
 * The filter bar of an analytics page; on a phone it folds behind a "Filters" button that says
 * how many filters are set.
 */
export function AnalyticsFilters(props: AnalyticsFiltersProps) {
  const phone = useMediaQuery('(max-width: 47.99em)', false, { getInitialValueInEffect: false });
  const [open, setOpen] = useState(false);
  const id = useId();
  if (!phone) return <FilterBar {...props} />;
  const count = filtersSet(props.params);
  return (
    <Box mb="lg">
      <Button
        variant="default"
        leftSection={<IconFilter size={16} aria-hidden />}
        rightSection={open ? <IconChevronUp size={14} aria-hidden /> : <IconChevronDown size={14} aria-hidden />}
        aria-expanded={open}
        aria-controls={id}
        onClick={() => {
          setOpen((was) => !was);
        }}
      >
        {count ? `Filters (${String(count)})` : 'Filters'}
      </Button>
      {open ? (
        <Box id={id} mt="xs">
          <FilterBar {...props} collapsed />
        </Box>
      ) : null}
    </Box>
  );
}

/**
 * Names, types, user ids and property conditions to narrow an analytics page to; saved filters to
 * apply, save, edit (property conditions included), delete.
 */
function FilterBar({
  workspaceId,
  scopes,
  params,
  collapsed = false,
}: AnalyticsFiltersProps & { collapsed?: boolean }) {
  const mayManage = can(scopes, Scope.FILTERS_MANAGE);
  const { data, refetch } = useQuery(SavedFiltersDocument, { variables: { workspaceId } });
  const saved = data?.workspace?.savedFilters ?? [];
  const selected = saved.find((f) => f.id === params.savedFilterId) ?? null;
  const [saveMode, setSaveMode] = useState<'create' | 'update' | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [editingConditions, setEditingConditions] = useState(false);
  const filter = params.filter;
  const hasFilter = Boolean(filter);
  const conditions = filter?.properties ?? [];

  function change(key: 'names' | 'types' | 'userIds', values: string[]) {
    params.setFilter({ ...(filter ?? {}), [key]: values.slice(0, ANALYTICS_LIMITS.filterValues) });
  }

  return (
    <Paper withBorder radius="md" p="sm" mb={collapsed ? 0 : 'lg'} component="section" aria-label="Filters">
      <Group align="flex-end" gap="sm">
        <TagsInput
          label="Event names"
          placeholder="Any name"
          value={filter?.names ?? []}
          onChange={(v) => {
            change('names', v);
          }}
          clearable
          w={{ base: '100%', sm: 220 }}
        />
        <TagsInput
          label="Types"
          placeholder="Any type"
          value={filter?.types ?? []}
          onChange={(v) => {
            change('types', v);
          }}
          clearable
          w={{ base: '100%', sm: 180 }}
        />
        <TagsInput
          label="User IDs"
          placeholder="Any user"
          value={filter?.userIds ?? []}
          onChange={(v) => {
            change('userIds', v);
          }}
          clearable
          w={{ base: '100%', sm: 200 }}
        />
        <Button
          variant="default"
          leftSection={<IconAdjustments size={16} aria-hidden />}
          onClick={() => {
            setEditingConditions(true);
          }}
        >
          {conditions.length ? `Properties (${String(conditions.length)})` : 'Properties'}
        </Button>
        <Select
          label="Saved filter"
          placeholder={saved.length ? 'Choose a saved filter' : 'No saved filters'}
          data={saved.map((f) => ({ value: f.id, label: f.name }))}
          value={selected?.id ?? null}
          disabled={!saved.length}
          onChange={(id) => {
            const chosen = saved.find((f) => f.id === id);
            if (chosen) params.applySaved(chosen.id, asFilter(chosen.filter));
            else params.setSavedFilterId(null);
          }}
          clearable
          w={{ base: '100%', sm: 200 }}
        />
        {hasFilter || selected ? (
          <Button
            variant="subtle"
            leftSection={<IconX size={16} aria-hidden />}
            onClick={() => {
              params.setFilter(null);
            }}
          >
            Clear filters
          </Button>
        ) : null}
        {mayManage ? (
          <Group gap="xs">
            <Button
              variant="default"
              leftSection={<IconDeviceFloppy size={16} aria-hidden />}
              disabled={!hasFilter}
              onClick={() => {
                setSaveMode('create');
              }}
            >
              Save filter
            </Button>
            {selected ? (
              <>
                <Button
                  variant="default"
                  onClick={() => {
                    setSaveMode('update');
                  }}
                >
                  Edit filter
                </Button>
                <Button
                  variant="default"
                  color="red"
                  leftSection={<IconTrash size={16} aria-hidden />}
                  onClick={() => {
                    setDeleting(true);
                  }}
                >
                  Delete filter
                </Button>
              </>
            ) : null}
          </Group>
        ) : null}
      </Group>
      {conditions.length ? (
        <Group gap="xs" mt="xs" role="list" aria-label="Property conditions applied">
          {conditions.map((c, i) => (
            <Badge key={i} variant="light" tt="none" role="listitem">
              {describeCondition(c)}
            </Badge>
          ))}
        </Group>
      ) : null}
      <ConditionsModal
        key={editingConditions ? 'open' : 'closed'}
        opened={editingConditions}
        conditions={conditions}
        onClose={(next) => {
          setEditingConditions(false);
          if (next) params.setFilter({ ...(filter ?? {}), properties: next });
        }}
      />
      {mayManage ? (
        <>
          <SaveFilterModal
            key={`${saveMode ?? 'closed'}-${selected?.id ?? ''}`}
            workspaceId={workspaceId}
            mode={saveMode}
            existing={saveMode === 'update' ? selected : null}
            filter={filter}
            onClose={(saved) => {
              setSaveMode(null);
              if (saved) {
                void refetch().then(() => {
                  params.applySaved(saved.id, saved.filter);
                });
              }
            }}
          />
          <DeleteFilterModal
            workspaceId={workspaceId}
            target={deleting ? selected : null}
            onClose={(deleted) => {
              setDeleting(false);
              if (deleted) {
                params.setSavedFilterId(null);
                void refetch();
              }
            }}
          />
        </>
      ) : null}
    </Paper>
  );
}
