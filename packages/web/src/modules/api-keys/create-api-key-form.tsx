import { useMutation } from '@apollo/client/react';
import { Button, Group, NativeSelect, Stack, TextInput, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { API_KEY_ROLES, ApiKeyRole, LIMITS, isApiKeyRole } from '@tally/shared';
import { useState } from 'react';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { ApiKeysDocument, CreateApiKeyDocument } from '../../graphql/generated';
import {
  API_KEY_ROLE_LABEL,
  createApiKeyProblems,
  expiryFromDateInput,
  formatDate,
  toDateInputValue,
  type CreateApiKeyValues,
} from './api-key-format';
import { RoleScopes } from './api-key-role-scopes';
import type { CreatedApiKey } from './api-key-secret-step';

interface CreateApiKeyFormValues extends CreateApiKeyValues {
  role: ApiKeyRole;
}

/** The shared checks, keyed by this form's fields (their `expiresAt` is the `expires` input). */
function validateCreateApiKey(values: CreateApiKeyFormValues) {
  const problems = createApiKeyProblems(values, Date.now());
  return { name: problems.name, description: problems.description, expires: problems.expiresAt };
}

/** The server's field names that this form calls otherwise. */
const SERVER_FIELDS = { expiresAt: 'expires' } as const;

interface CreateApiKeyFormProps {
  workspaceId: string;
  /** The role the form starts with; Viewer, the least a key needs, unless said otherwise. */
  initialRole?: ApiKeyRole;
  onCancel: () => void;
  onCreated: (created: CreatedApiKey) => void;
}

export function CreateApiKeyForm({ workspaceId, initialRole, onCancel, onCreated }: CreateApiKeyFormProps) {
  const [today] = useState(() => toDateInputValue(Date.now()));
  const [createApiKey, { loading, error, reset }] = useMutation(CreateApiKeyDocument, {
    // The new key joins the list behind the dialog at once, newest first like the server's order.
    update(cache, { data }) {
      const apiKey = data?.createApiKey.apiKey;
      if (!apiKey) return;
      cache.updateQuery({ query: ApiKeysDocument, variables: { workspaceId } }, (previous) =>
        previous?.workspace
          ? {
              ...previous,
              workspace: {
                ...previous.workspace,
                apiKeys: [apiKey, ...previous.workspace.apiKeys.filter((k) => k.id !== apiKey.id)],
              },
            }
          : previous,
      );
    },
  });

  const form = useForm<CreateApiKeyFormValues>({
    // The least a key needs is usually enough (user guide, "Security Best Practices").
    initialValues: { name: '', description: '', role: initialRole ?? ApiKeyRole.VIEWER, expires: '' },
    validate: validateCreateApiKey,
    // A field's problem clears as that field changes (the form's default); any edit clears the
    // server's alert.
    onValuesChange: () => {
      reset();
    },
  });
  const { announcer, bindForm, showProblems } = useFormFeedback();
  // Server problems that name a field are shown beside it (`expiresAt` is the `expires` input);
  // any other error goes in the alert.
  const serverErrors = useServerFieldErrors(form, { fields: SERVER_FIELDS, onProblems: showProblems });
  const alertError = serverErrors.alertError(error);

  async function handleSubmit({ name, description, role, expires }: CreateApiKeyFormValues) {
    const trimmedDescription = description.trim();
    try {
      const { data } = await createApiKey({
        variables: {
          workspaceId,
          input: {
            name: name.trim(),
            description: trimmedDescription === '' ? null : trimmedDescription,
            role,
            expiresAt: expiryFromDateInput(expires),
          },
        },
      });
      if (data) onCreated(data.createApiKey);
    } catch (caught) {
      // Shown beside a field when the server names one, else in the alert from `error`.
      serverErrors.apply(caught);
    }
  }

  return (
    <form
      ref={bindForm}
      onSubmit={form.onSubmit(
        (values) => {
          void handleSubmit(values);
        },
        (errors) => {
          showProblems(errors);
        },
      )}
      noValidate
    >
      {announcer}
      <Stack gap="md">
        {alertError ? (
          <ErrorAlert
            title="Couldn't create the key"
            error={alertError}
            messages={{
              FORBIDDEN: "Your role in this workspace doesn't allow creating API keys.",
              NOT_FOUND: "This workspace doesn't exist or you are no longer a member of it.",
            }}
          />
        ) : null}
        <TextInput
          label="Name"
          name="name"
          description="What uses the key, e.g. “Production SDK” or “CI reporter”."
          required
          withAsterisk={false}
          maxLength={LIMITS.apiKeyNameMaxLength}
          {...form.getInputProps('name')}
          data-autofocus
        />
        <Textarea
          label="Description"
          name="description"
          description="Optional."
          autosize
          minRows={2}
          maxRows={5}
          maxLength={LIMITS.apiKeyDescriptionMaxLength}
          {...form.getInputProps('description')}
        />
        <Stack gap="xs">
          <NativeSelect
            label="Role"
            name="role"
            description="Decides what the key may do. Keys can never manage members or other keys."
            data={API_KEY_ROLES.map((value) => ({ value, label: API_KEY_ROLE_LABEL[value] }))}
            {...form.getInputProps('role')}
            onChange={(event) => {
              const value = event.currentTarget.value;
              if (isApiKeyRole(value)) form.setFieldValue('role', value);
            }}
          />
          <RoleScopes role={form.values.role} />
        </Stack>
        <TextInput
          type="date"
          label="Expires"
          name="expires"
          description={expiryDescription(form.values.expires)}
          min={today}
          {...form.getInputProps('expires')}
          styles={{ wrapper: { maxWidth: 220 } }}
        />
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={loading}>
            Create
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/**
 * The date picker shows dates in the browser's own format; the words under it repeat the
 * chosen day in the dashboard's one format ("31 Dec 2099"), as the key list will show it.
 */
function expiryDescription(expires: string): string {
  const expiry = expiryFromDateInput(expires);
  if (expiry === null) {
    return 'Optional. The key stops working at the end of the chosen day (your local time). Leave empty for a key that never expires.';
  }
  return `The key stops working at the end of ${formatDate(expiry)} (your local time). Clear the date for a key that never expires.`;
}
