import { Modal } from '@mantine/core';
import type { ApiKeyRole } from '@tally/shared';
import { useState } from 'react';
import { type SetCloseGuard, useCloseGuard, useUncopiedSecretGuard } from './secret-close-guard';
import { type CreatedApiKey, SecretStep } from './api-key-secret-step';
import { CreateApiKeyForm } from './create-api-key-form';
import { DiscardSecret } from './discard-secret';

interface CreateApiKeyModalProps {
  workspaceId: string;
  opened: boolean;
  onClose: () => void;
  /** The role the form starts with (Getting started: Editor, which may send events). */
  initialRole?: ApiKeyRole;
}

/**
 * Two steps in one dialog: the form, then the secret, shown once. The steps live inside the
 * dialog's content, which Mantine unmounts when the dialog has closed, so every opening starts
 * with an empty form and no secret stays in memory. A secret that was never copied is not
 * thrown away by Escape, × or Done without asking first.
 */
export function CreateApiKeyModal({ workspaceId, opened, onClose, initialRole }: CreateApiKeyModalProps) {
  // Set by the open flow: whether closing now would lose a secret nobody copied.
  const { requestClose, setCloseGuard } = useCloseGuard(onClose);
  return (
    // A stray click beside the dialog must not throw away a secret that was never copied.
    <Modal.Root opened={opened} onClose={requestClose} size="lg" closeOnClickOutside={false}>
      <Modal.Overlay />
      <Modal.Content>
        <CreateApiKeyFlow
          workspaceId={workspaceId}
          initialRole={initialRole}
          onClose={onClose}
          onRequestClose={requestClose}
          setCloseGuard={setCloseGuard}
        />
      </Modal.Content>
    </Modal.Root>
  );
}

interface CreateApiKeyFlowProps {
  workspaceId: string;
  initialRole: ApiKeyRole | undefined;
  /** Closes for good. */
  onClose: () => void;
  /** Closes unless the secret still needs copying (then asks). */
  onRequestClose: () => void;
  /** Tells the dialog whether a close must be asked about first (true: it was, don't close). */
  setCloseGuard: SetCloseGuard;
}

function CreateApiKeyFlow({ workspaceId, initialRole, onClose, onRequestClose, setCloseGuard }: CreateApiKeyFlowProps) {
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [copied, setCopied] = useState(false);

  const { confirming, setConfirming } = useUncopiedSecretGuard(setCloseGuard, created !== null, copied);

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
          <CreateApiKeyForm
            workspaceId={workspaceId}
            initialRole={initialRole}
            onCancel={onClose}
            onCreated={setCreated}
          />
        )}
      </Modal.Body>
    </>
  );
}
