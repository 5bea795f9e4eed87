import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, TextInput, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { ANALYTICS_LIMITS } from '@tally/shared';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
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
  return (
    <Modal
      opened={opened}
      onClose={() => {
        onClose(false);
      }}
      title={annotation ? 'Edit annotation' : 'Add annotation'}
    >
      {/* Inside the dialog's content: every opening starts from the annotation (or an empty note, now). */}
      <AnnotationForm workspaceId={workspaceId} annotation={annotation} onClose={onClose} />
    </Modal>
  );
}

function AnnotationForm({
  workspaceId,
  annotation,
  onClose,
}: Pick<AddAnnotationModalProps, 'workspaceId' | 'onClose'> & { annotation: AnnotationValue | null }) {
  const [createAnnotation, created] = useMutation(CreateAnnotationDocument);
  const [updateAnnotation, updated] = useMutation(UpdateAnnotationDocument);
  const editing = annotation !== null;
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { text: annotation?.text ?? '', at: localTime(annotation ? new Date(annotation.at) : undefined) },
    validate: {
      text: (value) => (value.trim() ? null : 'Enter what happened.'),
      at: (value) => (Number.isNaN(new Date(value).getTime()) ? 'Enter when it happened.' : null),
    },
    onValuesChange: () => {
      created.reset();
      updated.reset();
    },
  });
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(created.error ?? updated.error);

  async function handleSubmit({ text, at }: typeof form.values) {
    const input = { at: new Date(at).toISOString(), text: text.trim() };
    try {
      if (annotation) await updateAnnotation({ variables: { workspaceId, annotationId: annotation.id, input } });
      else await createAnnotation({ variables: { workspaceId, input } });
      onClose(true);
    } catch (caught) {
      serverErrors.apply(caught);
    }
  }

  return (
    <form ref={bindForm} onSubmit={form.onSubmit((values) => void handleSubmit(values), showProblems)} noValidate>
      {announcer}
      <Stack>
        {alertError ? (
          <ErrorAlert
            error={alertError}
            title={editing ? "The annotation couldn't be saved" : "The annotation couldn't be added"}
          />
        ) : null}
        <Textarea
          label="Note"
          description="A release, an incident, a campaign: shown on the Overview chart."
          required
          data-autofocus
          maxLength={ANALYTICS_LIMITS.annotationTextMaxLength}
          {...form.getInputProps('text')}
        />
        <TextInput label="When" type="datetime-local" required {...form.getInputProps('at')} />
        <Group justify="flex-end">
          <Button
            variant="default"
            onClick={() => {
              onClose(false);
            }}
          >
            Cancel
          </Button>
          <Button type="submit" loading={created.loading || updated.loading}>
            {editing ? 'Save changes' : 'Add annotation'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
