import { useMutation } from '@apollo/client/react';
import { Button, Group, NativeSelect, Stack, TextInput, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { ApiKeyRole, LIMITS, isApiKeyRole } from '@tally/shared';
import { useEffect, useRef, useState } from 'react';
import { fieldErrors } from '../../app/graphql-errors';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import { ErrorAlert } from '../../app/ui/error-state';
import { PageLoader } from '../../app/ui/page-loader';
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
import { ALLOWLIST_FIELD_LABEL, AllowlistDescription } from './api-key-allowlist-field';
import { allowlistProblem, parseAllowlist } from './api-key-allowlist';
import { ApiKeyPolicyNote, useApiKeyPolicy } from './api-key-policy';
import {
  type KeyPolicy,
  allowedRole,
  expiryPolicyProblem,
  latestExpiryDate,
  roleAllowed,
  roleOptions,
  withRoleLabels,
} from './api-key-policy-format';
import { RoleScopes } from './api-key-role-scopes';
import type { CreatedApiKey } from './api-key-secret-step';

interface CreateApiKeyFormValues extends CreateApiKeyValues {
  role: ApiKeyRole;
  /** One address or CIDR range per line; empty for a key usable from anywhere. */
  allowedIps: string;
}

/**
 * The shared checks, keyed by this form's fields (their `expiresAt` is the `expires` input), and
 * the workspace's key policy.
 */
function validateCreateApiKey(values: CreateApiKeyFormValues, policy: KeyPolicy) {
  const now = Date.now();
  const problems = createApiKeyProblems(values, now);
  return {
    name: problems.name,
    description: problems.description,
    role: roleAllowed(policy, values.role)
      ? undefined
      : "This role is above the highest this workspace's policy allows.",
    expires: problems.expiresAt ?? expiryPolicyProblem(policy, values.expires, now) ?? undefined,
    allowedIps: allowlistProblem(values.allowedIps, { required: policy.requireAllowlist }) ?? undefined,
  };
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

/** Waits for the workspace's key policy, so the form offers only what the policy allows. */
export function CreateApiKeyForm(props: CreateApiKeyFormProps) {
  const { policy } = useApiKeyPolicy(props.workspaceId);
  if (policy === null) return <PageLoader label="Loading this workspace's key policy…" />;
  return <PolicyCreateApiKeyForm {...props} policy={policy} />;
}

function PolicyCreateApiKeyForm({
  workspaceId,
  initialRole,
  onCancel,
  onCreated,
  policy,
}: CreateApiKeyFormProps & { policy: KeyPolicy }) {
  const [latest] = useState(() => latestExpiryDate(policy, Date.now()));
  // The dialog focused what it had when it opened (the policy may still have been loading): the
  // name is where typing starts.
  const nameInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    nameInput.current?.focus();
  }, []);
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
    initialValues: {
      name: '',
      description: '',
      role: allowedRole(policy, initialRole ?? ApiKeyRole.VIEWER),
      // Under a maximum lifetime a key must expire: the latest day allowed, to be shortened at will.
      expires: latest ?? '',
      allowedIps: '',
    },
    validate: (values) => validateCreateApiKey(values, policy),
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

  async function handleSubmit({ name, description, role, expires, allowedIps }: CreateApiKeyFormValues) {
    const entries = parseAllowlist(allowedIps);
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
            allowedIps: entries.length > 0 ? entries : null,
          },
        },
      });
      if (data) onCreated(data.createApiKey);
    } catch (caught) {
      // Shown beside a field when the server names one, else in the alert from `error`.
      serverErrors.apply(caught);
      // The policy's role in the dashboard's words ("at most the EDITOR role" → "at most the Editor role").
      const roleProblem = fieldErrors(caught).role;
      if (roleProblem !== undefined) form.setFieldError('role', withRoleLabels(roleProblem));
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
        <ApiKeyPolicyNote policy={policy} />
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
          ref={nameInput}
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
            data={roleOptions(policy, (value) => API_KEY_ROLE_LABEL[value])}
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
          description={expiryDescription(form.values.expires, latest)}
          min={today}
          max={latest ?? undefined}
          required={latest !== null}
          withAsterisk={false}
          {...form.getInputProps('expires')}
          styles={{ wrapper: { maxWidth: 220 } }}
        />
        <Textarea
          label={ALLOWLIST_FIELD_LABEL}
          name="allowedIps"
          description={<AllowlistDescription required={policy.requireAllowlist} />}
          required={policy.requireAllowlist}
          withAsterisk={false}
          autosize
          minRows={2}
          maxRows={6}
          placeholder={'203.0.113.7\n10.0.0.0/8\n2001:db8::/32'}
          spellCheck={false}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          {...form.getInputProps('allowedIps')}
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
function expiryDescription(expires: string, latest: string | null): string {
  const expiry = expiryFromDateInput(expires);
  if (latest !== null) {
    const bound = `This workspace's keys must expire by ${formatDate(latest)} at the latest.`;
    return expiry === null
      ? bound
      : `The key stops working at the end of ${formatDate(expiry)} (your local time). ${bound}`;
  }
  if (expiry === null) {
    return 'Optional. The key stops working at the end of the chosen day (your local time). Leave empty for a key that never expires.';
  }
  return `The key stops working at the end of ${formatDate(expiry)} (your local time). Clear the date for a key that never expires.`;
}
