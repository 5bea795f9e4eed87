import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, TextInput, Textarea } from '@mantine/core';
import { ANALYTICS_LIMITS } from '@tally/shared';
import { useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../app/ui/error-state';
import { CreateAnnotationDocument } from '../../graphql/generated';

interface AddAnnotationModalProps {
  workspaceId: string;
  opened: boolean;
  onClose: (created: boolean) => void;
}

/** "2026-11-23T18:05" in the viewer's time zone, as a datetime-local input wants it. */
function localNow(): string {
  const now = new Date();
  now.setSeconds(0, 0);
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export function AddAnnotationModal({ workspaceId, opened, onClose }: AddAnnotationModalProps) {
  const [text, setText] = useState('');
  const [at, setAt] = useState(localNow);
  const [textError, setTextError] = useState<string | null>(null);
  const [createAnnotation, { loading, error, reset }] = useMutation(CreateAnnotationDocument);

  function close(created: boolean) {
    setText('');
    setAt(localNow());
    setTextError(null);
    reset();
    onClose(created);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = text.trim();
    if (!trimmed) {
      setTextError('Enter what happened.');
      return;
    }
    const when = new Date(at);
    if (Number.isNaN(when.getTime())) return;
    try {
      await createAnnotation({ variables: { workspaceId, input: { at: when.toISOString(), text: trimmed } } });
      close(true);
    } catch {
      // Shown by <ErrorAlert>.
    }
  }

  return (
    <Modal
      opened={opened}
      onClose={() => {
        close(false);
      }}
      title="Add annotation"
    >
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          {error ? <ErrorAlert error={error} title="The annotation couldn't be added" /> : null}
          <Textarea
            label="Note"
            description="A release, an incident, a campaign: shown on the Overview chart."
            required
            data-autofocus
            value={text}
            maxLength={ANALYTICS_LIMITS.annotationTextMaxLength}
            error={textError}
            onChange={(e) => {
              setText(e.currentTarget.value);
              setTextError(null);
            }}
          />
          <TextInput
            label="When"
            type="datetime-local"
            required
            value={at}
            onChange={(e) => {
              setAt(e.currentTarget.value);
            }}
          />
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                close(false);
              }}
            >
              Cancel
            </Button>
            <Button type="submit" loading={loading}>
              Add annotation
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
