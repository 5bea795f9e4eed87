import { useMutation } from '@apollo/client/react';
import {
  Alert,
  Button,
  Code,
  Group,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useClipboard } from '@mantine/hooks';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import { API_KEY_ROLES, API_KEY_ROLE_SCOPES, ApiKeyRole, LIMITS, isApiKeyRole } from '@tally/shared';
import { useCallback, useEffect, useRef, useState } from 'react';
import { fieldErrors } from '../../app/graphql-errors';
import { CopyableCode } from '../../app/ui/copyable-code';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { ApiKeysDocument, CreateApiKeyDocument, type ApiKeyFieldsFragment } from '../../graphql/generated';
import {
  API_KEY_ROLE_DESCRIPTION,
  API_KEY_ROLE_LABEL,
  SCOPE_DESCRIPTION,
  createApiKeyProblems,
  expiryFromDateInput,
  formatDate,
  toDateInputValue,
  type CreateApiKeyValues,
} from './api-key-format';
import { type ApiKeyExample, KEY_PLACEHOLDER, WORKSPACE_QUERY, apiKeyExample } from './api-key-example';
import { ClaudeCodeSetup } from './claude-code-setup';

interface CreateApiKeyModalProps {
  workspaceId: string;
  opened: boolean;
  onClose: () => void;
}

/**
 * Two steps in one dialog: the form, then the secret, shown once. The steps live inside the
 * dialog's content, which Mantine unmounts when the dialog has closed, so every opening starts
 * with an empty form and no secret stays in memory. A secret that was never copied is not
 * thrown away by Escape, × or Done without asking first.
 */
export function CreateApiKeyModal({ workspaceId, opened, onClose }: CreateApiKeyModalProps) {
  // Set by the open flow: whether closing now would lose a secret nobody copied.
  const closeGuard = useRef<(() => boolean) | null>(null);
  const setCloseGuard = useCallback((guard: (() => boolean) | null) => {
    closeGuard.current = guard;
  }, []);
  function requestClose() {
    if (closeGuard.current?.() === true) return;
    onClose();
  }
  return (
    // A stray click beside the dialog must not throw away a secret that was never copied.
    <Modal.Root opened={opened} onClose={requestClose} size="lg" closeOnClickOutside={false}>
      <Modal.Overlay />
      <Modal.Content>
        <CreateApiKeyFlow
          workspaceId={workspaceId}
          onClose={onClose}
          onRequestClose={requestClose}
          setCloseGuard={setCloseGuard}
        />
      </Modal.Content>
    </Modal.Root>
  );
}

interface Created {
  apiKey: ApiKeyFieldsFragment;
  secret: string;
}

interface CreateApiKeyFlowProps {
  workspaceId: string;
  /** Closes for good. */
  onClose: () => void;
  /** Closes unless the secret still needs copying (then asks). */
  onRequestClose: () => void;
  /** Tells the dialog whether a close must be asked about first (true: it was, don't close). */
  setCloseGuard: (guard: (() => boolean) | null) => void;
}

function CreateApiKeyFlow({ workspaceId, onClose, onRequestClose, setCloseGuard }: CreateApiKeyFlowProps) {
  const [created, setCreated] = useState<Created | null>(null);
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    setCloseGuard(() => {
      if (created === null || copied || confirming) return false;
      setConfirming(true);
      return true;
    });
    return () => {
      setCloseGuard(null);
    };
  }, [setCloseGuard, created, copied, confirming]);

  let title = 'Create API Key';
  if (created) title = confirming ? 'Close without copying the key?' : 'API key created';

  return (
    <>
      <Modal.Header>
        <Modal.Title fw={650} fz="lg">
          {title}
        </Modal.Title>
        <Modal.CloseButton aria-label="Close" />
      </Modal.Header>
      <Modal.Body>
        {created && confirming ? (
          <DiscardSecret
            created={created}
            onBack={() => {
              setConfirming(false);
            }}
            onDiscard={onClose}
          />
        ) : created ? (
          <SecretStep
            created={created}
            onCopied={() => {
              setCopied(true);
            }}
            onDone={onRequestClose}
          />
        ) : (
          <CreateApiKeyForm workspaceId={workspaceId} onCancel={onClose} onCreated={setCreated} />
        )}
      </Modal.Body>
    </>
  );
}

interface CreateApiKeyFormValues extends CreateApiKeyValues {
  role: ApiKeyRole;
}

/** The shared checks, keyed by this form's fields (their `expiresAt` is the `expires` input). */
function validateCreateApiKey(values: CreateApiKeyFormValues) {
  const problems = createApiKeyProblems(values, Date.now());
  return { name: problems.name, description: problems.description, expires: problems.expiresAt };
}

interface CreateApiKeyFormProps {
  workspaceId: string;
  onCancel: () => void;
  onCreated: (created: Created) => void;
}

function CreateApiKeyForm({ workspaceId, onCancel, onCreated }: CreateApiKeyFormProps) {
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
    initialValues: { name: '', description: '', role: ApiKeyRole.VIEWER, expires: '' },
    validate: validateCreateApiKey,
    // A field's problem clears as that field changes (the form's default); any edit clears the
    // server's alert.
    onValuesChange: () => {
      reset();
    },
  });
  const { announcer, bindForm, showProblems } = useFormFeedback();

  // Server problems that name a field are shown beside it; any other error goes in the alert.
  const serverProblems = fieldErrors(error);
  const alertError =
    error &&
    serverProblems.name === undefined &&
    serverProblems.description === undefined &&
    serverProblems.expiresAt === undefined
      ? error
      : null;

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
      const { name: nameError, description: descriptionError, expiresAt } = fieldErrors(caught);
      if (nameError !== undefined) form.setFieldError('name', nameError);
      if (descriptionError !== undefined) form.setFieldError('description', descriptionError);
      if (expiresAt !== undefined) form.setFieldError('expires', expiresAt);
      showProblems({ name: nameError, description: descriptionError, expires: expiresAt });
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

/** The scopes the chosen role grants, straight from the shared table. */
function RoleScopes({ role }: { role: ApiKeyRole }) {
  const scopes = API_KEY_ROLE_SCOPES[role];
  return (
    <Stack
      gap={6}
      p="sm"
      bg="var(--mantine-color-gray-0)"
      bd="1px solid var(--mantine-color-gray-2)"
      style={{ borderRadius: 'var(--mantine-radius-md)' }}
      aria-live="polite"
    >
      <Text size="sm">
        <Text span fw={600}>
          {API_KEY_ROLE_LABEL[role]}:
        </Text>{' '}
        {API_KEY_ROLE_DESCRIPTION[role]} It grants {scopes.length === 1 ? 'this scope' : 'these scopes'}:
      </Text>
      <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing={0} fz="sm">
        <Table.Tbody>
          {scopes.map((scope) => (
            <Table.Tr key={scope}>
              <Table.Td w={170}>
                <Code fz="xs">{scope}</Code>
              </Table.Td>
              <Table.Td c="dimmed">{SCOPE_DESCRIPTION[scope]}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

interface SecretStepProps {
  created: Created;
  onCopied: () => void;
  onDone: () => void;
}

function SecretStep({ created, onCopied, onDone }: SecretStepProps) {
  const clipboard = useClipboard({ timeout: 2000 });
  const copyButton = useRef<HTMLButtonElement>(null);
  const example = apiKeyExample(created.apiKey.role, window.location.origin);

  // The form (and the button that had focus) is gone: focus goes to Copy, the one thing to do now.
  useEffect(() => {
    copyButton.current?.focus();
  }, []);

  return (
    <Stack gap="md">
      <Text size="sm">
        <Text span fw={600}>
          {created.apiKey.name}
        </Text>{' '}
        is ready, with the {API_KEY_ROLE_LABEL[created.apiKey.role]} role.
      </Text>
      <Alert
        color="yellow"
        variant="light"
        icon={<IconAlertTriangle size={18} aria-hidden />}
        title="Copy this key now. You will not see it again."
      >
        Tally stores only a hash of it. Keep it in a secret manager or an environment variable, never in version
        control. If you lose it, create a new key and revoke this one.
      </Alert>
      <Group gap="sm" align="flex-end" wrap="nowrap">
        <TextInput
          label="Secret"
          value={created.secret}
          readOnly
          style={{ flex: 1 }}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
          onFocus={(event) => {
            event.currentTarget.select();
          }}
          // Copied by hand (Ctrl+C) counts too.
          onCopy={onCopied}
        />
        <Button
          ref={copyButton}
          variant={clipboard.copied ? 'light' : 'filled'}
          color={clipboard.copied ? 'green' : undefined}
          leftSection={clipboard.copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
          onClick={() => {
            clipboard.copy(created.secret);
            onCopied();
          }}
          miw={104}
        >
          {clipboard.copied ? 'Copied' : 'Copy'}
        </Button>
      </Group>
      <VisuallyHidden role="status">{clipboard.copied ? 'Secret copied to the clipboard' : ''}</VisuallyHidden>
      {clipboard.error ? (
        <Text size="sm" c="red" role="alert">
          The browser didn&apos;t allow copying. Select the secret above and copy it yourself.
        </Text>
      ) : null}
      {example ? <KeyExample example={example} /> : null}
      <ClaudeCodeSetup origin={window.location.origin} secret={created.secret} role={created.apiKey.role} />
      <Group justify="flex-end" mt="xs">
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
}

/** What to try with the new key: chosen from its role's scopes (api-key-example.ts). */
function KeyExample({ example }: { example: ApiKeyExample }) {
  return (
    <Stack gap={6} component="section" aria-labelledby="key-example-title">
      <Text size="sm" fw={600} id="key-example-title">
        {example.kind === 'query' ? 'Try it: a query this key may run' : 'Try it: send a first event'}
      </Text>
      <Text size="sm" c="dimmed">
        {example.kind === 'query' ? (
          <>
            Put the key in place of <Code>{KEY_PLACEHOLDER}</Code>. It answers with this workspace&apos;s id and name.
          </>
        ) : (
          <>
            Put the key in place of <Code>{KEY_PLACEHOLDER}</Code>. Tally answers 202 with the number of events it
            accepted. This key&apos;s role sends events; it cannot read the workspace over GraphQL, so a query such as{' '}
            <Code>{WORKSPACE_QUERY}</Code> would be refused.
          </>
        )}
      </Text>
      <CopyableCode
        code={example.curl}
        label={example.kind === 'query' ? 'Copy the query example' : 'Copy the event example'}
      />
    </Stack>
  );
}

/** Asked when the secret step would close before the secret was copied. */
function DiscardSecret({
  created,
  onBack,
  onDiscard,
}: {
  created: Created;
  onBack: () => void;
  onDiscard: () => void;
}) {
  const backButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    backButton.current?.focus();
  }, []);
  return (
    <Stack gap="md">
      <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />} role="alert">
        You haven&apos;t copied the secret of{' '}
        <Text span fw={600}>
          {created.apiKey.name}
        </Text>
        . Once this dialog closes it can&apos;t be shown again: you would have to create a new key (and revoke this
        one).
      </Alert>
      <Group justify="flex-end" gap="sm">
        <Button variant="default" color="red" onClick={onDiscard}>
          Close without copying
        </Button>
        <Button ref={backButton} onClick={onBack}>
          Back to the key
        </Button>
      </Group>
    </Stack>
  );
}
