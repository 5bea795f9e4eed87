import { useMutation } from '@apollo/client/react';
import { Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { LIMITS } from '@tally/shared';
import { useState, type SubmitEvent } from 'react';
import { ErrorAlert } from '../../app/ui/error-state';
import { RenameWorkspaceDocument } from '../../graphql/generated';

interface RenameWorkspaceFormProps {
  workspace: { id: string; name: string };
}

function nameProblem(name: string): string | null {
  if (name === '') return 'Enter a name for the workspace.';
  if (name.length > LIMITS.workspaceNameMaxLength) {
    return `Use at most ${LIMITS.workspaceNameMaxLength} characters.`;
  }
  return null;
}

/** Shown only to callers who hold workspace.manage here (the page decides). */
export function RenameWorkspaceForm({ workspace }: RenameWorkspaceFormProps) {
  const [name, setName] = useState(workspace.name);
  const [problem, setProblem] = useState<string | null>(null);
  const [renameWorkspace, { loading, error, reset }] = useMutation(RenameWorkspaceDocument);
  const trimmed = name.trim();

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    const found = nameProblem(trimmed);
    setProblem(found);
    if (found !== null) return;
    try {
      // The result ({ id name }) updates this workspace everywhere it is cached, selector included.
      const { data } = await renameWorkspace({ variables: { workspaceId: workspace.id, name: trimmed } });
      if (data) {
        setName(data.renameWorkspace.name);
        notifications.show({
          color: 'green',
          title: 'Workspace renamed',
          message: `This workspace is now called “${data.renameWorkspace.name}”.`,
        });
      }
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <Paper withBorder radius="md" p="lg">
      <Stack gap="md">
        <Stack gap={4}>
          <Title order={2} size="h4">
            Rename workspace
          </Title>
          <Text size="sm" c="dimmed">
            Everyone with access to this workspace sees the new name.
          </Text>
        </Stack>
        {error ? <ErrorAlert title="Couldn't rename the workspace" error={error} /> : null}
        <form
          onSubmit={(event) => {
            void handleSubmit(event);
          }}
          noValidate
        >
          <Stack gap="md">
            <TextInput
              label="Name"
              name="name"
              required
              withAsterisk={false}
              maxLength={LIMITS.workspaceNameMaxLength}
              value={name}
              onChange={(event) => {
                setName(event.currentTarget.value);
                setProblem(null);
                reset();
              }}
              error={problem}
            />
            <Group justify="flex-end">
              <Button type="submit" loading={loading} disabled={trimmed === workspace.name}>
                Rename
              </Button>
            </Group>
          </Stack>
        </form>
      </Stack>
    </Paper>
  );
}
