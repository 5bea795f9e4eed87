import { useMutation } from '@apollo/client/react';
import { Button, Code, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import { type ApiKeyFieldsFragment, SetApiKeyAllowedIpsDocument } from '../../graphql/generated';
import { allowlistCountLabel, allowlistProblem, allowlistText, parseAllowlist } from './api-key-allowlist';
import { ALLOWLIST_FIELD_LABEL, AllowlistDescription } from './api-key-allowlist-field';
import { useApiKeySafeguards } from './api-key-safeguards';
import { PageLoader } from '../../app/ui/page-loader';
import { ApiKeyPolicyNote, useApiKeyPolicy } from './api-key-policy';

interface ApiKeyAllowlistModalProps {
  workspaceId: string;
  /** The key whose list is edited; kept by the page while the dialog closes. */
  apiKey: ApiKeyFieldsFragment | null;
  opened: boolean;
  onClose: () => void;
}

/** Edits an existing key's IP allowlist (keys.manage); effective at once on every instance. */
export function ApiKeyAllowlistModal({ workspaceId, apiKey, opened, onClose }: ApiKeyAllowlistModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="IP allowlist"
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      {apiKey ? <AllowlistLoader key={apiKey.id} workspaceId={workspaceId} apiKey={apiKey} onClose={onClose} /> : null}
    </Modal>
  );
}

interface AllowlistFormProps {
  workspaceId: string;
  apiKey: ApiKeyFieldsFragment;
  onClose: () => void;
}

/** The form starts from the key's list as saved: never from a list not loaded yet. */
function AllowlistLoader(props: AllowlistFormProps) {
  const safeguards = useApiKeySafeguards(props.apiKey.id);
  if (!safeguards) return <PageLoader label="Loading the key's allowlist…" />;
  return <AllowlistForm {...props} saved={safeguards.allowedIps} />;
}

function AllowlistForm({ workspaceId, apiKey, onClose, saved }: AllowlistFormProps & { saved: string[] | null }) {
  const { policy } = useApiKeyPolicy(workspaceId);
  const required = policy?.requireAllowlist ?? false;
  // The result carries the key's new list (and policy flags); Apollo's cache updates its row by id.
  const [setAllowedIps, { loading, error, reset }] = useMutation(SetApiKeyAllowedIpsDocument);
  const form = useForm({
    initialValues: { allowedIps: allowlistText(saved) },
    validate: { allowedIps: (value) => allowlistProblem(value, { required }) },
    onValuesChange: () => {
      reset();
    },
  });
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(error);

  async function handleSubmit(values: typeof form.values) {
    const entries = parseAllowlist(values.allowedIps);
    try {
      const { data } = await setAllowedIps({
        variables: { workspaceId, apiKeyId: apiKey.id, allowedIps: entries.length > 0 ? entries : null },
      });
      if (data) {
        const saved = data.setApiKeyAllowedIps.allowedIps;
        notifications.show({
          color: 'green',
          title: 'IP allowlist saved',
          message: saved?.length
            ? `“${data.setApiKeyAllowedIps.name}” is accepted from ${allowlistCountLabel(saved.length)} only.`
            : `“${data.setApiKeyAllowedIps.name}” is accepted from any address.`,
        });
        onClose();
      }
    } catch (caught) {
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
        {policy ? <ApiKeyPolicyNote policy={policy} /> : null}
        {alertError ? (
          <ErrorAlert
            title="Couldn't save the allowlist"
            error={alertError}
            messages={{
              FORBIDDEN: "Your role in this workspace doesn't allow changing API keys.",
              NOT_FOUND: 'This key no longer exists in this workspace.',
              CONFLICT: 'This key is revoked: its allowlist can no longer change.',
            }}
          />
        ) : null}
        <Text size="sm">
          Where{' '}
          <Text span fw={600}>
            {apiKey.name}
          </Text>{' '}
          (<Code fz="xs">{apiKey.prefix}…</Code>) may be used from. Changes apply at once.
        </Text>
        <Textarea
          label={ALLOWLIST_FIELD_LABEL}
          name="allowedIps"
          description={<AllowlistDescription required={required} />}
          required={required}
          withAsterisk={false}
          autosize
          minRows={3}
          maxRows={10}
          placeholder={'203.0.113.7\n10.0.0.0/8\n2001:db8::/32'}
          spellCheck={false}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          {...form.getInputProps('allowedIps')}
          data-autofocus
        />
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={loading}>
            Save allowlist
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
