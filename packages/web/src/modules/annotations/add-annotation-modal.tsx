import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, TextInput, Textarea } from '@mantine/core';
import { ANALYTICS_LIMITS } from '@tally/shared';
import { useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../app/ui/error-state';
import { CreateAnnotationDocument, UpdateAnnotationDocument } from '../../graphql/generated';

export interface AnnotationValue {
  id: string;
  at: string;
  text: string;
}

interface AddAnnotationModalProps {
  workspaceId: string;
  opened: boolean;
  /** The annotation to edit; none: a new one. */
  annotation?: AnnotationValue | null;
  onClose: (saved: boolean) => void;
}

/** "2026-11-23T18:05" in the viewer's time zone, as a datetime-local input wants it. */
function localTime(at: Date = new Date()): string {
  const local = new Date(at);
  local.setSeconds(0, 0);
  return new Date(local.getTime() - local.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** Adds an annotation, or edits one (its note and time). */
export function AddAnnotationModal({ workspaceId, opened, annotation = null, onClose }: AddAnnotationModalProps) {
  const [text, setText] = useState(annotation?.text ?? '');
  const [at, setAt] = useState(() => localTime(annotation ? new Date(annotation.at) : undefined));
  const [textError, setTextError] = useState<string | null>(null);
  const [createAnnotation, created] = useMutation(CreateAnnotationDocument);
  const [updateAnnotation, updated] = useMutation(UpdateAnnotationDocument);
  const loading = created.loading || updated.loading;
  const error = created.error ?? updated.error;
  const editing = annotation !== null;

  function close(saved: boolean) {
    setText('');
    setAt(localTime());
    setTextError(null);
    created.reset();
    updated.reset();
    onClose(saved);
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
    const input = { at: when.toISOString(), text: trimmed };
    try {
      if (annotation) await updateAnnotation({ variables: { workspaceId, annotationId: annotation.id, input } });
      else await createAnnotation({ variables: { workspaceId, input } });
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
      title={editing ? 'Edit annotation' : 'Add annotation'}
    >
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          {error ? (
            <ErrorAlert
              error={error}
              title={editing ? "The annotation couldn't be saved" : "The annotation couldn't be added"}
            />
          ) : null}
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
              {editing ? 'Save changes' : 'Add annotation'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
