import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { ErrorCode, LIMITS, MemberRole, isMemberRole } from '@tally/shared';
import { apiErrors, fieldErrors } from '../../app/graphql-errors';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { InviteMemberDocument } from '../../graphql/generated';
import { MEMBER_ROLE_DESCRIPTION, MEMBER_ROLE_LABEL, withArticle } from '../workspaces/workspace-list';
import { addToInvitationList } from './invitation-cache';
import { INVITATION_ERROR_MESSAGES, inviteEmailProblem } from './invitation-format';

interface InviteMemberModalProps {
  team: { id: string; name: string };
  /** The roles the viewer may invite with (invitableRoles from the shared team rules). */
  roles: readonly MemberRole[];
  opened: boolean;
  onClose: () => void;
}

export function InviteMemberModal({ team, roles, opened, onClose }: InviteMemberModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Invite"
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      {/* Inside the dialog's content: every opening starts with an empty form. */}
      <InviteMemberForm team={team} roles={roles} onDone={onClose} />
    </Modal>
  );
}

interface InviteValues {
  email: string;
  role: MemberRole;
}

interface InviteMemberFormProps {
  team: InviteMemberModalProps['team'];
  roles: readonly MemberRole[];
  onDone: () => void;
}

function InviteMemberForm({ team, roles, onDone }: InviteMemberFormProps) {
  const [inviteMember, { loading, error, reset }] = useMutation(InviteMemberDocument, {
    update(cache, { data }) {
      if (data) addToInvitationList(cache, team.id, data.inviteMember);
    },
  });
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm<InviteValues>({
    // The least a member needs is usually enough; Viewer is read-only.
    initialValues: {
      email: '',
      role: roles.includes(MemberRole.VIEWER) ? MemberRole.VIEWER : (roles[0] ?? MemberRole.VIEWER),
    },
    validate: { email: inviteEmailProblem },
    // A field's problem clears as that field changes; any edit clears the server's answer.
    onValuesChange: () => {
      reset();
    },
  });

  // A CONFLICT (already a member, already invited) and a field's BAD_USER_INPUT are about the email.
  const conflict = apiErrors(error).find((e) => e.code === ErrorCode.CONFLICT)?.message;
  const serverFields = fieldErrors(error);
  const emailError = conflict ?? serverFields.email;
  const alertError = error && emailError === undefined && serverFields.role === undefined ? error : null;

  async function handleSubmit({ email, role }: InviteValues) {
    try {
      const { data } = await inviteMember({ variables: { workspaceId: team.id, email: email.trim(), role } });
      if (!data) return;
      notifications.show({
        color: 'green',
        title: 'Invitation sent',
        message: `${data.inviteMember.email} is invited to ${team.name} as ${withArticle(data.inviteMember.role)}. The link works for 7 days.`,
      });
      onDone();
    } catch {
      // Shown below from `error` (beside the field when it is about it), and the field gets focus.
      focusField('email');
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
        <Text size="sm" c="dimmed">
          The person receives an email with a link to join {team.name}. Without a Tally account yet, the link takes them
          through signup first.
        </Text>
        {alertError ? (
          <ErrorAlert title="Couldn't send the invitation" error={alertError} messages={INVITATION_ERROR_MESSAGES} />
        ) : null}
        <TextInput
          label="Email"
          type="email"
          name="email"
          autoComplete="off"
          required
          withAsterisk={false}
          maxLength={LIMITS.emailMaxLength}
          {...form.getInputProps('email')}
          error={form.errors.email ?? emailError}
          data-autofocus
        />
        <Stack gap={6}>
          <NativeSelect
            label="Role"
            name="role"
            data={roles.map((role) => ({ value: role, label: MEMBER_ROLE_LABEL[role] }))}
            {...form.getInputProps('role')}
            error={form.errors.role ?? serverFields.role}
            onChange={(event) => {
              const value = event.currentTarget.value;
              if (isMemberRole(value)) form.setFieldValue('role', value);
            }}
          />
          <Text size="xs" c="dimmed" aria-live="polite">
            {MEMBER_ROLE_DESCRIPTION[form.values.role]}
          </Text>
        </Stack>
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={loading}>
            Send Invite
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
