import { useMutation, useQuery } from '@apollo/client/react';
import { Alert, Anchor, Box, Button, Divider, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertCircle, IconClockX, IconLinkOff } from '@tabler/icons-react';
import { ErrorCode, InvitationStatus, WorkspaceKind } from '@tally/shared';
import { type ReactNode, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { hasErrorCode } from '../../app/graphql-errors';
import { LOGIN_PATH, invitationPath, teamPath } from '../../app/paths';
import { useSession, useSessionActions } from '../../app/session/session-context';
import { formatDate, formatDateTime } from '../../app/ui/dates';
import { ErrorAlert } from '../../app/ui/error-state';
import { QueryContent } from '../../app/ui/query-content';
import {
  AcceptInvitationDocument,
  InvitationPreviewDocument,
  type InvitationPreviewQuery,
  WorkspacesDocument,
} from '../../graphql/generated';
import { AuthLayout } from '../accounts/auth-layout';
import {
  MEMBER_ROLE_DESCRIPTION,
  MEMBER_ROLE_LABEL,
  addToWorkspaceList,
  withArticle,
} from '../workspaces/workspace-list';
import { InvitationLogInForm, InvitationSignUpForm } from './invitation-auth-forms';

type Preview = NonNullable<InvitationPreviewQuery['invitationPreview']>;

/** Whom to ask for a new link: the inviter by name when the server tells it. */
function whomToAsk(preview: Pick<Preview, 'invitedByName' | 'workspaceName'>): string {
  if (preview.invitedByName) return preview.invitedByName;
  return preview.workspaceName ? `an Owner or Admin of ${preview.workspaceName}` : 'the person who invited you';
}

/**
 * /invite/:token, the link in an invitation email. Public: it shows what the invitation is
 * (team, inviter, role, expiry), leads a visitor through Log in or Sign up as the invited
 * address, accepts, and lands in the team. Expired, revoked and unknown links explain
 * themselves and say whom to ask.
 */
export function InvitationPage() {
  const { token = '' } = useParams();
  const session = useSession();
  const navigate = useNavigate();
  const { data, error, refetch } = useQuery(InvitationPreviewDocument, {
    variables: { token },
    fetchPolicy: 'network-only',
    // Asked once the session is known: a spent link names the team only to the invited person.
    skip: session.status === 'restoring',
  });
  const [acceptInvitation, { loading: accepting, error: acceptError }] = useMutation(AcceptInvitationDocument, {
    // The team is in the workspace list before its pages open.
    update(cache, { data: accepted }) {
      if (accepted) addToWorkspaceList(cache, accepted.acceptInvitation);
    },
  });

  async function accept(): Promise<void> {
    try {
      const { data: accepted } = await acceptInvitation({ variables: { token } });
      if (!accepted) return;
      const team = accepted.acceptInvitation;
      notifications.show({
        color: 'green',
        title: `Welcome to ${team.name}`,
        message: team.viewerRole ? `You joined as ${withArticle(team.viewerRole)}.` : 'You joined the team.',
      });
      await navigate(teamPath(team.id, 'members'), { replace: true });
    } catch {
      // Shown from `acceptError`; the preview may have changed (revoked, accepted meanwhile).
      void refetch();
    }
  }

  function invitation(preview: Preview | null): ReactNode {
    if (!preview) return <UnknownLink />;
    if (preview.status === InvitationStatus.EXPIRED || hasErrorCode(acceptError, ErrorCode.INVITATION_EXPIRED)) {
      return <ExpiredLink preview={preview} />;
    }
    if (preview.status === InvitationStatus.REVOKED) return <RevokedLink preview={preview} />;
    if (preview.status === InvitationStatus.ACCEPTED) return <AcceptedLink preview={preview} token={token} />;

    return (
      <AuthLayout
        title={`Join ${preview.workspaceName}`}
        subtitle={`${preview.invitedByName ?? 'A team member'} invited you to join this team on Tally.`}
      >
        <Stack gap="lg">
          <InvitationSummary preview={preview} />
          <Divider />
          {session.status === 'authenticated' ? (
            <SignedIn
              preview={preview}
              userEmail={session.user.email}
              accepting={accepting}
              acceptError={acceptError}
              onAccept={() => void accept()}
            />
          ) : (
            <SignedOut preview={preview} acceptError={acceptError} onSignedIn={accept} />
          )}
        </Stack>
      </AuthLayout>
    );
  }

  // Until the session is known the query waits (skipped), and so does the page.
  const restoring = session.status === 'restoring';
  return (
    <QueryContent
      data={restoring ? undefined : data}
      error={restoring ? undefined : error}
      refetch={refetch}
      errorTitle="This invitation couldn't be loaded"
      loadingLabel="Opening your invitation…"
      fullPage
      errorFrame={(state) => <AuthLayout title="Invitation">{state}</AuthLayout>}
    >
      {({ invitationPreview }) => invitation(invitationPreview)}
    </QueryContent>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <Box>
      <Text component="dt" size="xs" c="dimmed" fw={600} tt="uppercase" lts="0.04em">
        {term}
      </Text>
      <Text component="dd" m={0} mt={2} size="sm">
        {children}
      </Text>
    </Box>
  );
}

function InvitationSummary({ preview }: { preview: Preview }) {
  return (
    <Stack gap="sm">
      <SimpleGrid component="dl" cols={2} spacing="md" verticalSpacing="sm" m={0}>
        <Fact term="Team">{preview.workspaceName}</Fact>
        <Fact term="Invited by">{preview.invitedByName ?? '—'}</Fact>
        <Fact term="Role">{MEMBER_ROLE_LABEL[preview.role]}</Fact>
        <Fact term="Expires">
          <time dateTime={preview.expiresAt} title={formatDateTime(preview.expiresAt)}>
            {formatDate(preview.expiresAt)}
          </time>
        </Fact>
      </SimpleGrid>
      <Text size="xs" c="dimmed">
        {MEMBER_ROLE_LABEL[preview.role]}: {MEMBER_ROLE_DESCRIPTION[preview.role]}
      </Text>
    </Stack>
  );
}

interface SignedInProps {
  preview: Preview;
  userEmail: string;
  accepting: boolean;
  acceptError: unknown;
  onAccept: () => void;
}

function SignedIn({ preview, userEmail, accepting, acceptError, onAccept }: SignedInProps) {
  const { logOut } = useSessionActions();
  const [loggingOut, setLoggingOut] = useState(false);

  if (userEmail.toLowerCase() !== preview.email.toLowerCase()) {
    return (
      <Stack gap="md">
        <Alert color="yellow" variant="light" icon={<IconAlertCircle size={18} aria-hidden />} title="Wrong account">
          You are logged in as {userEmail}, but this invitation is for {preview.email}. Log out, then log in or sign up
          as {preview.email} to accept it.
        </Alert>
        <Button
          fullWidth
          variant="default"
          loading={loggingOut}
          onClick={() => {
            setLoggingOut(true);
            void logOut().finally(() => {
              setLoggingOut(false);
            });
          }}
        >
          Log out
        </Button>
      </Stack>
    );
  }

  return (
    <Stack gap="md">
      {acceptError ? <AcceptProblem error={acceptError} /> : null}
      <Text size="sm">
        You are logged in as {userEmail}. Accept to join {preview.workspaceName} as {withArticle(preview.role)}.
      </Text>
      <Button fullWidth loading={accepting} onClick={onAccept}>
        Accept Invitation
      </Button>
    </Stack>
  );
}

interface SignedOutProps {
  preview: Preview;
  acceptError: unknown;
  onSignedIn: () => Promise<void>;
}

function SignedOut({ preview, acceptError, onSignedIn }: SignedOutProps) {
  // Which form fits is the server's call (is there an account for the invited address?).
  const [mode, setMode] = useState<'log-in' | 'sign-up'>(preview.accountExists ? 'log-in' : 'sign-up');
  return (
    <Stack gap="md">
      {acceptError ? <AcceptProblem error={acceptError} /> : null}
      {mode === 'log-in' ? (
        <InvitationLogInForm
          email={preview.email}
          onSignedIn={onSignedIn}
          onSwitch={() => {
            setMode('sign-up');
          }}
        />
      ) : (
        <InvitationSignUpForm
          email={preview.email}
          onSignedIn={onSignedIn}
          onSwitch={() => {
            setMode('log-in');
          }}
        />
      )}
    </Stack>
  );
}

function AcceptProblem({ error }: { error: unknown }) {
  return (
    <ErrorAlert
      title="Couldn't accept the invitation"
      error={error}
      messages={{ FORBIDDEN: 'This invitation is for another email address. Log in with that address to accept it.' }}
    />
  );
}

interface DeadEndProps {
  title: string;
  icon: ReactNode;
  children: ReactNode;
  action?: ReactNode;
}

function DeadEnd({ title, icon, children, action }: DeadEndProps) {
  return (
    <AuthLayout title={title}>
      <Stack gap="md">
        <Group gap="sm" align="flex-start" wrap="nowrap">
          {icon}
          <Text size="sm">{children}</Text>
        </Group>
        {action ?? (
          <Button component={Link} to="/" variant="default" fullWidth>
            Go to Tally
          </Button>
        )}
      </Stack>
    </AuthLayout>
  );
}

function UnknownLink() {
  return (
    <DeadEnd title="This invitation link doesn't work" icon={<IconLinkOff size={22} aria-hidden />}>
      The invitation may have been revoked or sent again with a new link (the old one then stops working), the team may
      have been deleted, or the link was copied incompletely. Ask the person who invited you to send you a new
      invitation.
    </DeadEnd>
  );
}

function ExpiredLink({ preview }: { preview: Preview }) {
  return (
    <DeadEnd title="This invitation has expired" icon={<IconClockX size={22} aria-hidden />}>
      The invitation to join {preview.workspaceName} as {withArticle(preview.role)} expired on{' '}
      {formatDate(preview.expiresAt)}. Ask {whomToAsk(preview)} to resend it: you will get a new link that works for 7
      days.
    </DeadEnd>
  );
}

// A spent link (revoked or accepted) names the team only to the invited person, signed in:
// to anyone else the server leaves the names and the email empty.
function RevokedLink({ preview }: { preview: Preview }) {
  return (
    <DeadEnd title="This invitation was revoked" icon={<IconLinkOff size={22} aria-hidden />}>
      {preview.workspaceName ? `The invitation to join ${preview.workspaceName}` : 'This invitation'} was withdrawn, so
      this link no longer works. If you should still join, ask {whomToAsk(preview)} to invite you again.
    </DeadEnd>
  );
}

function AcceptedLink({ preview, token }: { preview: Preview; token: string }) {
  const session = useSession();
  const signedIn = session.status === 'authenticated';
  const { data } = useQuery(WorkspacesDocument, { skip: !signedIn });
  // The preview names the team but gives no id: a team of that name in the caller's list is it.
  const matches = (data?.workspaces ?? []).filter(
    (w) => w.kind === WorkspaceKind.TEAM && w.name === preview.workspaceName,
  );
  const team = preview.workspaceName && matches.length === 1 ? matches[0] : undefined;

  let action;
  if (!signedIn) {
    action = (
      <Button component={Link} to={LOGIN_PATH} state={{ from: invitationPath(token) }} fullWidth>
        Log in
      </Button>
    );
  } else if (team) {
    action = (
      <Button component={Link} to={teamPath(team.id, 'members')} fullWidth>
        Open {team.name}
      </Button>
    );
  }

  let nextStep: ReactNode;
  if (!preview.email) {
    // Anyone but the invited person, signed in, learns only that the link was used.
    nextStep = signedIn
      ? 'If it was yours, log in with the address it was sent to and open the team from the workspace selector.'
      : 'If it was yours, log in to open the team.';
  } else if (!signedIn) {
    nextStep = 'Log in to open the team.';
  } else if (team) {
    nextStep = 'Open the team from here or from the workspace selector.';
  } else {
    nextStep = (
      <>
        Find it under{' '}
        <Anchor component={Link} to="/">
          Teams
        </Anchor>{' '}
        in the dashboard.
      </>
    );
  }

  return (
    <DeadEnd
      title="This invitation has already been accepted"
      icon={<IconAlertCircle size={22} aria-hidden />}
      action={action}
    >
      {preview.email
        ? `${preview.email} has already joined ${preview.workspaceName} with this invitation.`
        : 'Someone has already joined the team with this invitation.'}{' '}
      {nextStep}
    </DeadEnd>
  );
}
