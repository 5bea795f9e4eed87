import { useMutation, useQuery } from '@apollo/client/react';
import { Badge, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { InvitationStatus } from '@tally/shared';
import { useEffect, useState } from 'react';
import { formatDate, formatDateTime, formatRelative } from '../../app/ui/dates';
import { ErrorAlert } from '../../app/ui/error-state';
import { QueryContent } from '../../app/ui/query-content';
import { useContainerWidth } from '../../app/ui/use-container-width';
import { useNow } from '../../app/ui/use-now';
import {
  type InvitationFieldsFragment,
  ResendInvitationDocument,
  TeamInvitationsDocument,
} from '../../graphql/generated';
import { MEMBER_ROLE_LABEL } from '../workspaces/workspace-list';
import {
  INVITATION_ERROR_MESSAGES,
  INVITATION_STATUS_COLOR,
  INVITATION_STATUS_LABEL,
  OPEN_INVITATION_STATUSES,
  SEND_PROBLEM,
} from './invitation-format';
import { RevokeInvitationModal } from './revoke-invitation-modal';

/** While an email is on its way, the list asks again this often, so delivery and problems show. */
const DELIVERY_POLL_MS = 4000;
/** Below this width (of the list, not of the window) invitations are shown as cards. */
const TABLE_MIN_WIDTH = 820;

/**
 * Invitations still open (pending, or expired and resendable), with their delivery, Resend and
 * Revoke. Shown only to callers who hold members.manage (the Members tab decides).
 */
export function PendingInvitations({ team }: { team: { id: string; name: string } }) {
  const now = useNow();
  const { data, error, refetch, startPolling, stopPolling } = useQuery(TeamInvitationsDocument, {
    variables: { workspaceId: team.id },
    fetchPolicy: 'cache-and-network',
  });
  const [resendInvitation] = useMutation(ResendInvitationDocument);
  const [resendingId, setResendingId] = useState<string | null>(null);
  const [resent, setResent] = useState<string | null>(null);
  const [actionError, setActionError] = useState<{ email: string; error: unknown } | null>(null);
  const [revokeTarget, setRevokeTarget] = useState<InvitationFieldsFragment | null>(null);
  const [revokeOpened, setRevokeOpened] = useState(false);
  const [containerRef, width] = useContainerWidth<HTMLDivElement>();

  const open = (data?.workspace?.invitations ?? []).filter((i) => OPEN_INVITATION_STATUSES.includes(i.status));
  const waiting = open.some((i) => i.status === InvitationStatus.PENDING && i.deliveredAt === null);

  useEffect(() => {
    if (!waiting) return;
    startPolling(DELIVERY_POLL_MS);
    return () => {
      stopPolling();
    };
  }, [waiting, startPolling, stopPolling]);

  async function handleResend(invitation: InvitationFieldsFragment) {
    setActionError(null);
    setResent(null);
    setResendingId(invitation.id);
    try {
      // The result (new expiry, delivery reset) updates the row by id.
      const { data: result } = await resendInvitation({
        variables: { workspaceId: team.id, invitationId: invitation.id },
      });
      if (result) setResent(result.resendInvitation.email);
    } catch (caught) {
      setActionError({ email: invitation.email, error: caught });
    } finally {
      setResendingId(null);
    }
  }

  /** Resend and Revoke, named for the invitation's email. */
  const actions = (invitation: InvitationFieldsFragment) => (
    <Group gap={4} justify="flex-end" wrap="nowrap">
      <Button
        size="xs"
        variant="subtle"
        aria-label={`Resend ${invitation.email}`}
        loading={resendingId === invitation.id}
        disabled={resendingId !== null && resendingId !== invitation.id}
        onClick={() => void handleResend(invitation)}
      >
        Resend
      </Button>
      <Button
        size="xs"
        variant="subtle"
        color="red"
        aria-label={`Revoke ${invitation.email}`}
        onClick={() => {
          setRevokeTarget(invitation);
          setRevokeOpened(true);
        }}
      >
        Revoke
      </Button>
    </Group>
  );

  // What shows once the invitations have loaded.
  let content;
  if (open.length === 0) {
    content = (
      <Text size="sm" c="dimmed">
        No pending invitations.
      </Text>
    );
  } else if (width !== null && width < TABLE_MIN_WIDTH) {
    content = (
      <Stack
        component="ul"
        gap="sm"
        m={0}
        p={0}
        style={{ listStyle: 'none' }}
        aria-labelledby="pending-invitations-title"
      >
        {open.map((invitation) => (
          <Paper component="li" key={invitation.id} withBorder radius="md" p="md" data-testid="invitation-card">
            <Stack gap="sm">
              <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
                <Text size="sm" fw={600} miw={0} style={{ overflowWrap: 'anywhere' }}>
                  {invitation.email}
                </Text>
                <Badge
                  variant="light"
                  color={INVITATION_STATUS_COLOR[invitation.status]}
                  style={{ flexShrink: 0 }}
                  styles={{ label: { overflow: 'visible' } }}
                >
                  {INVITATION_STATUS_LABEL[invitation.status]}
                </Badge>
              </Group>
              <Delivery invitation={invitation} now={now} />
              <SimpleGrid component="dl" cols={3} spacing="sm" verticalSpacing="xs" m={0}>
                <div>
                  <Text component="dt" size="xs" c="dimmed" fw={600}>
                    Role
                  </Text>
                  <Text component="dd" m={0} size="sm">
                    {MEMBER_ROLE_LABEL[invitation.role]}
                  </Text>
                </div>
                <div>
                  <Text component="dt" size="xs" c="dimmed" fw={600}>
                    Sent
                  </Text>
                  <Text component="dd" m={0} size="sm" style={{ whiteSpace: 'nowrap' }}>
                    <time dateTime={invitation.lastSentAt} title={formatDateTime(invitation.lastSentAt)}>
                      {formatDate(invitation.lastSentAt)}
                    </time>
                  </Text>
                </div>
                <div>
                  <Text component="dt" size="xs" c="dimmed" fw={600}>
                    Expires
                  </Text>
                  <Text component="dd" m={0} size="sm" style={{ whiteSpace: 'nowrap' }}>
                    <time dateTime={invitation.expiresAt} title={formatDateTime(invitation.expiresAt)}>
                      {formatDate(invitation.expiresAt)}
                    </time>
                  </Text>
                </div>
              </SimpleGrid>
              {actions(invitation)}
            </Stack>
          </Paper>
        ))}
      </Stack>
    );
  } else if (width !== null) {
    content = (
      <Paper withBorder radius="md">
        <Table.ScrollContainer minWidth={820}>
          <Table verticalSpacing="sm" horizontalSpacing="md" aria-labelledby="pending-invitations-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Sent</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {open.map((invitation) => (
                <Table.Tr key={invitation.id}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {invitation.email}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{MEMBER_ROLE_LABEL[invitation.role]}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={4} align="flex-start">
                      <Badge variant="light" color={INVITATION_STATUS_COLOR[invitation.status]}>
                        {INVITATION_STATUS_LABEL[invitation.status]}
                      </Badge>
                      <Delivery invitation={invitation} now={now} />
                    </Stack>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Text size="sm">
                      <time dateTime={invitation.lastSentAt} title={formatDateTime(invitation.lastSentAt)}>
                        {formatDate(invitation.lastSentAt)}
                      </time>
                    </Text>
                    {invitation.invitedBy ? (
                      <Text size="xs" c="dimmed">
                        by {invitation.invitedBy.name}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Text size="sm" c={invitation.status === InvitationStatus.EXPIRED ? 'dimmed' : undefined}>
                      <time dateTime={invitation.expiresAt} title={formatDateTime(invitation.expiresAt)}>
                        {formatDate(invitation.expiresAt)}
                      </time>
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                    {actions(invitation)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Paper>
    );
  }

  return (
    <Stack gap="sm" component="section" aria-labelledby="pending-invitations-title">
      <Stack gap={2}>
        <Title order={3} size="h4" id="pending-invitations-title">
          Pending invitations
        </Title>
        <Text size="sm" c="dimmed">
          An invitation link works for 7 days. Resend sends a new link (the previous one stops working); Revoke cancels
          the invitation.
        </Text>
      </Stack>
      {actionError ? (
        <ErrorAlert
          title={`Couldn't resend the invitation to ${actionError.email}`}
          error={actionError.error}
          messages={INVITATION_ERROR_MESSAGES}
        />
      ) : null}
      <Text size="sm" c="green" role="status">
        {resent ? `A new link is on its way to ${resent}. It works for 7 days; the previous link no longer works.` : ''}
      </Text>
      {/* Always there, so its width is known before the first invitation arrives. */}
      <div ref={containerRef}>
        <QueryContent
          data={data}
          error={error}
          refetch={refetch}
          errorTitle="Invitations couldn't be loaded"
          loadingLabel="Loading invitations…"
        >
          {content}
        </QueryContent>
      </div>
      <RevokeInvitationModal
        workspaceId={team.id}
        invitation={revokeTarget}
        opened={revokeOpened}
        onClose={() => {
          setRevokeOpened(false);
        }}
      />
    </Stack>
  );
}

/** Whether the latest email reached the mail server, is on its way, or is being retried. */
function Delivery({ invitation, now }: { invitation: InvitationFieldsFragment; now: number }) {
  if (invitation.status !== InvitationStatus.PENDING) return null;
  if (invitation.lastSendError) {
    return (
      <Stack gap={0}>
        <Group gap={4} wrap="nowrap">
          <IconAlertTriangle size={14} color="var(--mantine-color-orange-text)" aria-hidden />
          <Text size="xs" c="orange" fw={500}>
            {SEND_PROBLEM}
          </Text>
        </Group>
        <Text size="xs" c="dimmed" lineClamp={2} maw={260} title={invitation.lastSendError}>
          {invitation.lastSendError}
        </Text>
      </Stack>
    );
  }
  if (invitation.deliveredAt) {
    return (
      <Text size="xs" c="dimmed">
        Email delivered{' '}
        <time dateTime={invitation.deliveredAt} title={formatDateTime(invitation.deliveredAt)}>
          {formatRelative(invitation.deliveredAt, Math.max(now, Date.parse(invitation.deliveredAt)))}
        </time>
      </Text>
    );
  }
  return (
    <Text size="xs" c="dimmed">
      Sending email…
    </Text>
  );
}
