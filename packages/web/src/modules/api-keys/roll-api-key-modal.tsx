import { useMutation } from '@apollo/client/react';
import { Alert, Button, Code, Group, Modal, Radio, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import { type SetCloseGuard, useCloseGuard, useUncopiedSecretGuard } from './secret-close-guard';
import { describeError } from '../../app/graphql-errors';
import { PageLoader } from '../../app/ui/page-loader';
import { useNow } from '../../app/ui/use-now';
import {
  ApiKeySafeguardsDocument,
  ApiKeysDocument,
  type ApiKeyFieldsFragment,
  type ApiKeySafeguardFieldsFragment,
  RollApiKeyDocument,
} from '../../graphql/generated';
import { API_KEY_ROLE_LABEL, formatDateTime } from './api-key-format';
import { ApiKeyPolicyNote, useApiKeyPolicy } from './api-key-policy';
import { type KeyPolicy, withRoleLabels } from './api-key-policy-format';
import { useApiKeySafeguards } from './api-key-safeguards';
import { type CreatedApiKey, SecretStep } from './api-key-secret-step';
import { DiscardSecret } from './discard-secret';
import { DEFAULT_ROLL_GRACE, ROLL_GRACE_OPTIONS, type RollGrace, graceEnd, isRollGrace } from './roll-api-key-grace';

interface RollApiKeyModalProps {
  workspaceId: string;
  /** The key to roll; kept by the page while the dialog closes, so its words don't vanish. */
  apiKey: ApiKeyFieldsFragment | null;
  opened: boolean;
  onClose: () => void;
}

/**
 * Roll: the grace choice, then the new key's secret, shown once (the Create dialog's secret
 * step). As in Create, a secret nobody copied is not thrown away without asking first.
 */
export function RollApiKeyModal({ workspaceId, apiKey, opened, onClose }: RollApiKeyModalProps) {
  const { requestClose, setCloseGuard } = useCloseGuard(onClose);
  return (
    <Modal.Root opened={opened} onClose={requestClose} size="lg" closeOnClickOutside={false}>
      <Modal.Overlay />
      <Modal.Content>
        {apiKey ? (
          <RollFlow
            key={apiKey.id}
            workspaceId={workspaceId}
            apiKey={apiKey}
            onClose={onClose}
            onRequestClose={requestClose}
            setCloseGuard={setCloseGuard}
          />
        ) : null}
      </Modal.Content>
    </Modal.Root>
  );
}

interface RollFlowProps {
  workspaceId: string;
  apiKey: ApiKeyFieldsFragment;
  onClose: () => void;
  onRequestClose: () => void;
  setCloseGuard: SetCloseGuard;
}

function RollFlow({ workspaceId, apiKey, onClose, onRequestClose, setCloseGuard }: RollFlowProps) {
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  // When the old key stops working, as chosen (ISO; null: at once); shown above the new secret.
  const [oldEndsAt, setOldEndsAt] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const { policy } = useApiKeyPolicy(workspaceId);

  const { confirming, setConfirming } = useUncopiedSecretGuard(setCloseGuard, created !== null, copied);

  let title = 'Roll API key';
  if (created) title = confirming ? 'Close without copying the key?' : 'API key rolled';

  let body;
  if (created && confirming) {
    body = (
      <DiscardSecret
        created={created}
        onBack={() => {
          setConfirming(false);
        }}
        onDiscard={onClose}
      />
    );
  } else if (created) {
    body = (
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          The old key (<Code fz="xs">{apiKey.prefix}…</Code>){' '}
          {oldEndsAt === null ? 'has stopped working.' : `keeps working until ${formatDateTime(oldEndsAt)}.`}
        </Text>
        <SecretStep
          created={created}
          onCopied={() => {
            setCopied(true);
          }}
          onDone={onRequestClose}
        />
      </Stack>
    );
  } else if (policy === null) {
    body = <PageLoader label="Loading this workspace's key policy…" />;
  } else {
    body = (
      <RollForm
        workspaceId={workspaceId}
        apiKey={apiKey}
        policy={policy}
        onCancel={onClose}
        onRolled={(rolled, endsAt) => {
          setOldEndsAt(endsAt);
          setCreated(rolled);
        }}
      />
    );
  }

  return (
    <>
      <Modal.Header>
        <Modal.Title fw={650} fz="lg">
          {title}
        </Modal.Title>
        <Modal.CloseButton aria-label="Close" />
      </Modal.Header>
      <Modal.Body>{body}</Modal.Body>
    </>
  );
}

interface RollFormProps {
  workspaceId: string;
  apiKey: ApiKeyFieldsFragment;
  policy: KeyPolicy;
  onCancel: () => void;
  /** The new key and its secret, and when the old key stops working (ISO). */
  onRolled: (created: CreatedApiKey, oldEndsAt: string | null) => void;
}

/** Why the server will refuse to roll this key under the policy (a roll keeps role and allowlist). */
function rollBlocker(
  apiKey: ApiKeyFieldsFragment,
  safeguards: ApiKeySafeguardFieldsFragment | null,
  policy: KeyPolicy,
): string | null {
  const violations = safeguards?.policyViolations ?? [];
  if (violations.includes('ROLE') && policy.maxRole !== null) {
    return `Its role (${API_KEY_ROLE_LABEL[apiKey.role]}) is above this workspace's policy (at most ${API_KEY_ROLE_LABEL[policy.maxRole]}), and a roll keeps the role: create a new key within the policy instead.`;
  }
  if (violations.includes('NO_ALLOWLIST')) {
    return "It has no IP allowlist, which this workspace's policy requires: set one (IP allowlist), then roll it.";
  }
  return null;
}

function RollForm({ workspaceId, apiKey, policy, onCancel, onRolled }: RollFormProps) {
  const [grace, setGrace] = useState<RollGrace>(DEFAULT_ROLL_GRACE);
  const [rollApiKey, { loading, error, reset }] = useMutation(RollApiKeyDocument, {
    // The old key's row changes too (replaced by, its new end): the list is asked for again.
    refetchQueries: [
      { query: ApiKeysDocument, variables: { workspaceId } },
      { query: ApiKeySafeguardsDocument, variables: { workspaceId } },
    ],
  });
  const blocker = rollBlocker(apiKey, useApiKeySafeguards(apiKey.id), policy);
  const now = useNow();
  const endsAt = graceEnd(grace, now, apiKey.expiresAt);

  async function handleRoll() {
    try {
      const now = Date.now();
      const graceUntil = new Date(graceEnd(grace, now, null)).toISOString();
      const { data } = await rollApiKey({ variables: { workspaceId, apiKeyId: apiKey.id, graceUntil } });
      if (data) {
        onRolled(
          data.rollApiKey,
          grace === 'now' ? null : new Date(graceEnd(grace, now, apiKey.expiresAt)).toISOString(),
        );
      }
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <Stack gap="md">
      <ApiKeyPolicyNote policy={policy} />
      {error ? (
        <Alert
          color="red"
          variant="light"
          icon={<IconAlertTriangle size={18} aria-hidden />}
          title="Couldn't roll the key"
        >
          {withRoleLabels(
            describeError(error, {
              FORBIDDEN: "Your role in this workspace doesn't allow rolling API keys.",
              NOT_FOUND: 'This key no longer exists in this workspace.',
            }),
          )}
        </Alert>
      ) : null}
      <Text size="sm">
        Rolling{' '}
        <Text span fw={600}>
          {apiKey.name}
        </Text>{' '}
        (<Code fz="xs">{apiKey.prefix}…</Code>) makes a new key with the same name, role, description and allowlist, and
        shows its secret once. The old key keeps working for the time you choose, so apps can move to the new one
        without downtime.
      </Text>
      {blocker ? (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />}>
          This key can&apos;t be rolled. {blocker}
        </Alert>
      ) : null}
      <Radio.Group
        label="The old key keeps working for"
        value={grace}
        onChange={(value) => {
          if (isRollGrace(value)) setGrace(value);
          reset();
        }}
        description={
          grace === 'now'
            ? 'The old key stops working as soon as the new one exists.'
            : `The old key stops working at ${formatDateTime(new Date(endsAt).toISOString())} (your local time).`
        }
      >
        <Group gap="md" mt="xs">
          {ROLL_GRACE_OPTIONS.map((option) => (
            <Radio key={option.value} value={option.value} label={option.label} />
          ))}
        </Group>
      </Radio.Group>
      <Group justify="flex-end" gap="sm" mt="xs">
        <Button variant="default" onClick={onCancel} data-autofocus>
          Cancel
        </Button>
        <Button loading={loading} disabled={blocker !== null} onClick={() => void handleRoll()}>
          Roll key
        </Button>
      </Group>
    </Stack>
  );
}
