import { useMutation, useQuery } from '@apollo/client/react';
import {
  Box,
  Button,
  Checkbox,
  Group,
  NativeSelect,
  NumberInput,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { API_KEY_ROLES, type ApiKeyRole, LIMITS, isApiKeyRole } from '@tally/shared';
import type { ReactNode } from 'react';
import { ErrorAlert, ErrorState } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { PageLoader } from '../../app/ui/page-loader';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import { ApiKeyPolicyDocument, SetApiKeyPolicyDocument } from '../../graphql/generated';
import { API_KEY_ROLE_LABEL } from './api-key-format';
import type { KeyPolicy } from './api-key-policy-format';

interface ApiKeyPolicySectionProps {
  workspaceId: string;
  /** Whether the caller holds workspace.manage here: the form, else the policy read-only. */
  canManage: boolean;
  headingOrder?: 2 | 3;
}

const DESCRIPTION =
  'What new and rolled keys of this workspace must respect. Keys made before keep working and are marked “Out of policy” in the key list.';

/** The workspace's API key policy, in its Settings (keys.read to see it, workspace.manage to change it). */
export function ApiKeyPolicySection({ workspaceId, canManage, headingOrder = 2 }: ApiKeyPolicySectionProps) {
  const { data, error, refetch } = useQuery(ApiKeyPolicyDocument, {
    variables: { workspaceId },
    fetchPolicy: 'cache-and-network',
  });
  const policy = data?.workspace?.apiKeyPolicy;
  let body: ReactNode;
  if (policy) {
    body = canManage ? <PolicyForm workspaceId={workspaceId} policy={policy} /> : <PolicyFacts policy={policy} />;
  } else if (error) {
    body = <ErrorState title="The key policy couldn't be loaded" error={error} onRetry={() => void refetch()} />;
  } else {
    body = <PageLoader label="Loading the API key policy…" />;
  }
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-labelledby="api-key-policy-title">
      <Stack gap="md">
        <Stack gap={4}>
          <Title order={headingOrder} size="h4" id="api-key-policy-title">
            API key policy
          </Title>
          <Text size="sm" c="dimmed">
            {DESCRIPTION}
          </Text>
        </Stack>
        {body}
      </Stack>
    </Paper>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <Box>
      <Text component="dt" size="xs" c="dimmed" fw={600}>
        {term}
      </Text>
      <Text component="dd" m={0} mt={4} size="sm">
        {children}
      </Text>
    </Box>
  );
}

/** The policy for those who may read it but not change it. */
function PolicyFacts({ policy }: { policy: KeyPolicy }) {
  return (
    <SimpleGrid component="dl" cols={{ base: 1, xs: 3 }} spacing="lg" m={0}>
      <Fact term="Maximum key lifetime">
        {policy.maxLifetimeDays === null ? 'No limit' : `${policy.maxLifetimeDays} days`}
      </Fact>
      <Fact term="Highest key role">{policy.maxRole === null ? 'Any role' : API_KEY_ROLE_LABEL[policy.maxRole]}</Fact>
      <Fact term="IP allowlist">{policy.requireAllowlist ? 'Required' : 'Optional'}</Fact>
    </SimpleGrid>
  );
}

interface PolicyFormValues {
  /** Empty: no limit. */
  maxLifetimeDays: number | string;
  /** Empty: any role. */
  maxRole: ApiKeyRole | '';
  requireAllowlist: boolean;
}

function lifetimeProblem(value: number | string): string | null {
  if (value === '') return null;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > LIMITS.apiKeyPolicyMaxLifetimeDays) {
    return `Enter a whole number of days from 1 to ${LIMITS.apiKeyPolicyMaxLifetimeDays}, or leave it empty for no limit.`;
  }
  return null;
}

function PolicyForm({ workspaceId, policy }: { workspaceId: string; policy: KeyPolicy }) {
  const [setPolicy, { loading, error, reset }] = useMutation(SetApiKeyPolicyDocument, {
    update(cache, { data }) {
      const saved = data?.setApiKeyPolicy;
      if (!saved) return;
      cache.updateQuery({ query: ApiKeyPolicyDocument, variables: { workspaceId } }, (previous) =>
        previous?.workspace ? { ...previous, workspace: { ...previous.workspace, apiKeyPolicy: saved } } : previous,
      );
      // Which keys are out of policy changed: the key list asks the server again.
      cache.evict({ id: cache.identify({ __typename: 'Workspace', id: workspaceId }), fieldName: 'apiKeys' });
    },
  });
  const form = useForm<PolicyFormValues>({
    initialValues: {
      maxLifetimeDays: policy.maxLifetimeDays ?? '',
      maxRole: policy.maxRole ?? '',
      requireAllowlist: policy.requireAllowlist,
    },
    validate: { maxLifetimeDays: lifetimeProblem },
    onValuesChange: () => {
      reset();
    },
  });
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(error);

  async function handleSubmit(values: PolicyFormValues) {
    try {
      const { data } = await setPolicy({
        variables: {
          workspaceId,
          input: {
            maxLifetimeDays: values.maxLifetimeDays === '' ? null : Number(values.maxLifetimeDays),
            maxRole: values.maxRole === '' ? null : values.maxRole,
            requireAllowlist: values.requireAllowlist,
          },
        },
      });
      if (data) {
        form.resetDirty();
        notifications.show({
          color: 'green',
          title: 'API key policy saved',
          message: 'New and rolled keys must respect it from now on.',
        });
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
        {alertError ? (
          <ErrorAlert
            title="Couldn't save the key policy"
            error={alertError}
            messages={{ FORBIDDEN: "Your role in this workspace doesn't allow changing its settings." }}
          />
        ) : null}
        <NumberInput
          label="Maximum key lifetime (days)"
          name="maxLifetimeDays"
          description="New keys must expire within this many days. Leave empty for no limit."
          min={1}
          max={LIMITS.apiKeyPolicyMaxLifetimeDays}
          allowDecimal={false}
          allowNegative={false}
          placeholder="No limit"
          styles={{ wrapper: { maxWidth: 220 } }}
          {...form.getInputProps('maxLifetimeDays')}
        />
        <NativeSelect
          label="Highest key role"
          name="maxRole"
          description="Keys may have this role or a lower one."
          data={[
            { value: '', label: 'Any role' },
            ...API_KEY_ROLES.map((role) => ({ value: role, label: API_KEY_ROLE_LABEL[role] })),
          ]}
          styles={{ wrapper: { maxWidth: 220 } }}
          {...form.getInputProps('maxRole')}
          onChange={(event) => {
            const value = event.currentTarget.value;
            form.setFieldValue('maxRole', isApiKeyRole(value) ? value : '');
          }}
        />
        <Checkbox
          label="Require an IP allowlist on every key"
          name="requireAllowlist"
          {...form.getInputProps('requireAllowlist', { type: 'checkbox' })}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={loading} disabled={!form.isDirty()}>
            Save policy
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
