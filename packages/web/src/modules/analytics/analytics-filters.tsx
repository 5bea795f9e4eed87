import { useMutation, useQuery } from '@apollo/client/react';
import { Badge, Button, Group, Modal, Paper, Select, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { IconAdjustments, IconDeviceFloppy, IconTrash, IconX } from '@tabler/icons-react';
import { ANALYTICS_LIMITS, Scope, can, type EventFilter } from '@tally/shared';
import { useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../app/ui/error-state';
import {
  CreateSavedFilterDocument,
  DeleteSavedFilterDocument,
  SavedFiltersDocument,
  UpdateSavedFilterDocument,
  type SavedFilterFieldsFragment,
} from '../../graphql/generated';
import { asConditions, type AnalyticsParams, type PropertyCondition } from './analytics-params';
import {
  PropertyConditionsEditor,
  describeCondition,
  fromDrafts,
  toDrafts,
  type ConditionDraft,
} from './property-conditions-editor';

interface AnalyticsFiltersProps {
  workspaceId: string;
  scopes: readonly string[];
  params: AnalyticsParams;
}

function asFilter(value: unknown): EventFilter {
  if (!value || typeof value !== 'object') return {};
  const raw = value as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  return {
    names: strings(raw.names) ?? null,
    types: strings(raw.types) ?? null,
    userIds: strings(raw.userIds) ?? null,
    properties: asConditions(raw.properties),
  };
}

function toInput(filter: EventFilter | null) {
  return {
    names: filter?.names?.length ? filter.names : null,
    types: filter?.types?.length ? filter.types : null,
    userIds: filter?.userIds?.length ? filter.userIds : null,
    properties: filter?.properties?.length ? filter.properties : null,
  };
}

/**
 * Names, types, user ids and property conditions to narrow an analytics page to; saved filters to
 * apply, save, edit (property conditions included), delete.
 */
export function AnalyticsFilters({ workspaceId, scopes, params }: AnalyticsFiltersProps) {
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
    <Paper withBorder radius="md" p="sm" mb="lg" component="section" aria-label="Filters">
      <Group align="flex-end" gap="sm">
        <TagsInput
          label="Event names"
          placeholder="Any name"
          value={filter?.names ?? []}
          onChange={(v) => {
            change('names', v);
          }}
          clearable
          w={220}
        />
        <TagsInput
          label="Types"
          placeholder="Any type"
          value={filter?.types ?? []}
          onChange={(v) => {
            change('types', v);
          }}
          clearable
          w={180}
        />
        <TagsInput
          label="User IDs"
          placeholder="Any user"
          value={filter?.userIds ?? []}
          onChange={(v) => {
            change('userIds', v);
          }}
          clearable
          w={200}
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
          w={200}
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

interface SaveFilterModalProps {
  workspaceId: string;
  mode: 'create' | 'update' | null;
  existing: SavedFilterFieldsFragment | null;
  filter: EventFilter | null;
  onClose: (saved: { id: string; filter: EventFilter } | null) => void;
}

/** Names a filter and edits its property conditions; the lists come from the filter bar. */
function SaveFilterModal({ workspaceId, mode, existing, filter, onClose }: SaveFilterModalProps) {
  const [name, setName] = useState(existing?.name ?? '');
  const [nameError, setNameError] = useState<string | null>(null);
  const [drafts, setDrafts] = useState<ConditionDraft[]>(() => toDrafts(filter?.properties));
  const [problem, setProblem] = useState<string | null>(null);
  const [create, created] = useMutation(CreateSavedFilterDocument);
  const [update, updated] = useMutation(UpdateSavedFilterDocument);
  const error = created.error ?? updated.error;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setNameError('Enter a name.');
      return;
    }
    const checked = fromDrafts(drafts);
    if ('problem' in checked) {
      setProblem(checked.problem);
      return;
    }
    const saving: EventFilter = { ...(filter ?? {}), properties: checked.conditions };
    const input = { name: trimmed, filter: toInput(saving) };
    try {
      const result =
        mode === 'update' && existing
          ? // The page's queries keep their variables (the same saved filter id): asked again.
            (await update({ variables: { workspaceId, savedFilterId: existing.id, input }, refetchQueries: 'active' }))
              .data?.updateSavedFilter
          : (await create({ variables: { workspaceId, input } })).data?.createSavedFilter;
      onClose(result ? { id: result.id, filter: asFilter(result.filter) } : null);
    } catch {
      // Shown by <ErrorAlert>.
    }
  }

  return (
    <Modal
      opened={mode !== null}
      onClose={() => {
        onClose(null);
      }}
      title={mode === 'update' ? 'Edit filter' : 'Save filter'}
    >
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          {error ? <ErrorAlert error={error} title="The filter couldn't be saved" /> : null}
          <Text size="sm" c="dimmed">
            {mode === 'update'
              ? 'Saves the names, types and user IDs now in the filter bar and these property conditions under this name.'
              : 'Saves the names, types and user IDs now in the filter bar and these property conditions, for everyone in this workspace.'}
          </Text>
          <TextInput
            label="Filter name"
            required
            data-autofocus
            value={name}
            maxLength={ANALYTICS_LIMITS.savedFilterNameMaxLength}
            error={nameError}
            onChange={(e) => {
              setName(e.currentTarget.value);
              setNameError(null);
            }}
          />
          <PropertyConditionsEditor
            drafts={drafts}
            problem={problem}
            onChange={(next) => {
              setDrafts(next);
              setProblem(null);
            }}
          />
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                onClose(null);
              }}
            >
              Cancel
            </Button>
            <Button type="submit" loading={created.loading || updated.loading}>
              {mode === 'update' ? 'Save changes' : 'Save'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

interface DeleteFilterModalProps {
  workspaceId: string;
  target: SavedFilterFieldsFragment | null;
  onClose: (deleted: boolean) => void;
}

function DeleteFilterModal({ workspaceId, target, onClose }: DeleteFilterModalProps) {
  const [remove, { loading, error, reset }] = useMutation(DeleteSavedFilterDocument);
  return (
    <Modal
      opened={target !== null}
      onClose={() => {
        reset();
        onClose(false);
      }}
      title="Delete filter"
    >
      <Stack>
        {error ? <ErrorAlert error={error} title="The filter couldn't be deleted" /> : null}
        <Text size="sm">
          Delete the saved filter <strong>{target?.name}</strong> for everyone in this workspace? This can&apos;t be
          undone.
        </Text>
        <Group justify="flex-end">
          <Button
            variant="default"
            onClick={() => {
              reset();
              onClose(false);
            }}
          >
            Cancel
          </Button>
          <Button
            color="red"
            loading={loading}
            onClick={() => {
              if (!target) return;
              void remove({ variables: { workspaceId, savedFilterId: target.id } })
                .then(() => {
                  onClose(true);
                })
                .catch(() => undefined);
            }}
          >
            Delete filter
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

interface ConditionsModalProps {
  opened: boolean;
  conditions: readonly PropertyCondition[];
  /** The conditions to apply; null: cancelled. */
  onClose: (conditions: PropertyCondition[] | null) => void;
}

/** Edits the filter bar's property conditions; applied together when the dialog is done. */
function ConditionsModal({ opened, conditions, onClose }: ConditionsModalProps) {
  const [drafts, setDrafts] = useState<ConditionDraft[]>(() =>
    conditions.length ? toDrafts(conditions) : [{ key: '', op: 'EQ', value: '' }],
  );
  const [problem, setProblem] = useState<string | null>(null);
  function submit(event: FormEvent) {
    event.preventDefault();
    const checked = fromDrafts(drafts);
    if ('problem' in checked) setProblem(checked.problem);
    else onClose(checked.conditions);
  }
  return (
    <Modal
      opened={opened}
      onClose={() => {
        onClose(null);
      }}
      title="Property conditions"
      size="lg"
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm" c="dimmed">
            Events match when every condition holds on a top-level key of their properties.
          </Text>
          <PropertyConditionsEditor
            drafts={drafts}
            problem={problem}
            onChange={(next) => {
              setDrafts(next);
              setProblem(null);
            }}
          />
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                onClose(null);
              }}
            >
              Cancel
            </Button>
            <Button type="submit">Apply</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
