import { useMutation, useQuery } from '@apollo/client/react';
import {
  Badge,
  Box,
  Button,
  Drawer,
  Group,
  Loader,
  NumberInput,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { ApiKeyStatus } from '@tally/shared';
import { useMemo } from 'react';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import { BarChart } from '../../app/ui/charts/bar-chart';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import {
  ApiKeyUsageDrawerDocument,
  type ApiKeyUsageDrawerQuery,
  SetApiKeyRateLimitsDocument,
} from '../../graphql/generated';
import { formatCount } from '../analytics/analytics-format';
import { type LimitInput, limitProblem, limitValue } from './api-key-rate-limits';

type UsageKey = NonNullable<ApiKeyUsageDrawerQuery['workspace']>['apiKey'];
type RateLimits = UsageKey['rateLimits'];

interface ApiKeyUsageDrawerProps {
  workspaceId: string;
  /** The key shown; null while the drawer is closed. */
  apiKey: { id: string; name: string } | null;
  opened: boolean;
  onClose: () => void;
  /** Whether the caller holds keys.manage: only then can the limits be changed. */
  canManage: boolean;
}

/** "Mar 4" for a day at 00:00 UTC. */
function dayLabel(iso: string): string {
  return new Date(iso).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/**
 * A key's last 30 days (issue: per-key usage): events it sent per day, what was refused and the
 * GraphQL requests it made, the limits it works under, and for keys.manage holders a form to
 * change them. Opened from the key's row ("Usage").
 */
export function ApiKeyUsageDrawer({ workspaceId, apiKey, opened, onClose, canManage }: ApiKeyUsageDrawerProps) {
  return (
    <Drawer
      opened={opened}
      onClose={onClose}
      position="right"
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close' }}
      title={
        <Title order={2} size="h4">
          {apiKey ? `Usage of ${apiKey.name}` : 'Usage'}
        </Title>
      }
    >
      {opened && apiKey ? <UsageContent workspaceId={workspaceId} apiKeyId={apiKey.id} canManage={canManage} /> : null}
    </Drawer>
  );
}

function UsageContent({
  workspaceId,
  apiKeyId,
  canManage,
}: {
  workspaceId: string;
  apiKeyId: string;
  canManage: boolean;
}) {
  const { data, error, loading } = useQuery(ApiKeyUsageDrawerDocument, {
    variables: { workspaceId, apiKeyId },
    fetchPolicy: 'cache-and-network',
  });
  const key = data?.workspace?.apiKey;
  if (!key && error) return <ErrorAlert title="Usage couldn't be loaded" error={error} />;
  if (!key) {
    return loading ? (
      <Group gap="xs">
        <Loader size="sm" aria-hidden />
        <Text size="sm">Loading usage…</Text>
      </Group>
    ) : null;
  }
  return (
    <Stack gap="lg">
      <UsageSummary apiKey={key} />
      <UsageCharts usage={key.usage} />
      <LimitsSection
        workspaceId={workspaceId}
        apiKeyId={key.id}
        limits={key.rateLimits}
        canManage={canManage && key.status === ApiKeyStatus.ACTIVE}
      />
    </Stack>
  );
}

function Figure({ label, value }: { label: string; value: number }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed" fw={600}>
        {label}
      </Text>
      <Text component="dd" m={0} fw={600} size="lg">
        {formatCount(value)}
      </Text>
    </div>
  );
}

function UsageSummary({ apiKey }: { apiKey: UsageKey }) {
  const totals = useMemo(() => {
    const sum = (pick: (day: UsageKey['usage'][number]) => number) =>
      apiKey.usage.reduce((total, day) => total + pick(day), 0);
    return {
      events: sum((d) => d.eventsAccepted),
      rateLimited: sum((d) => d.batchesRefusedRateLimit),
      invalid: sum((d) => d.batchesRefusedInvalid),
      address: sum((d) => d.requestsRefusedAddress),
      graphql: sum((d) => d.graphqlRequests),
      exports: sum((d) => d.exports),
    };
  }, [apiKey.usage]);
  const idle = totals.events + totals.graphql + totals.exports === 0;
  return (
    <Stack gap="xs" component="section" aria-labelledby="key-usage-totals">
      <Group justify="space-between">
        <Title order={3} size="h5" id="key-usage-totals">
          Last 30 days
        </Title>
        {idle ? (
          <Badge variant="light" color="gray">
            Idle
          </Badge>
        ) : null}
      </Group>
      <SimpleGrid component="dl" cols={{ base: 2, xs: 3 }} spacing="sm" verticalSpacing="xs" m={0}>
        <Figure label="Events accepted" value={totals.events} />
        <Figure label="Batches refused: rate limit" value={totals.rateLimited} />
        <Figure label="Batches refused: invalid" value={totals.invalid} />
        <Figure label="Refused: address not allowed" value={totals.address} />
        <Figure label="GraphQL requests" value={totals.graphql} />
        <Figure label="Exports" value={totals.exports} />
      </SimpleGrid>
      <Text size="xs" c="dimmed">
        {`${formatCount(apiKey.eventsLast7Days)} events in the last 7 days. Days are in UTC; counts arrive within a few seconds.`}
      </Text>
    </Stack>
  );
}

type UsageDay = UsageKey['usage'][number];

function refused(day: UsageDay): number {
  return day.batchesRefusedRateLimit + day.batchesRefusedInvalid + day.requestsRefusedAddress;
}

function UsageCharts({ usage }: { usage: UsageKey['usage'] }) {
  return (
    <Stack gap="md">
      <Box component="figure" m={0} aria-labelledby="key-events-chart-caption">
        <Text component="figcaption" size="sm" fw={600} id="key-events-chart-caption" mb={4}>
          Events accepted per day
        </Text>
        <BarChart
          data={usage}
          category={(day) => dayLabel(day.day)}
          series={[{ key: 'events', label: 'Events', color: 'indigo.6', value: (day) => day.eventsAccepted }]}
          height={124}
          label="Events accepted per day: the arrow keys step through the days"
          format={formatCount}
        />
      </Box>
      <Box component="figure" m={0} aria-labelledby="key-requests-chart-caption">
        <Text component="figcaption" size="sm" fw={600} id="key-requests-chart-caption" mb={4}>
          GraphQL requests and refusals per day
        </Text>
        <BarChart
          data={usage}
          category={(day) => dayLabel(day.day)}
          series={[
            { key: 'graphql', label: 'GraphQL requests', color: 'teal.6', value: (day) => day.graphqlRequests },
            { key: 'refused', label: 'Refused', color: 'red.6', value: refused },
          ]}
          height={124}
          label="GraphQL requests and refusals per day: the arrow keys step through the days"
          format={formatCount}
          legend
        />
        <VisuallyHidden>Every total is listed above the charts.</VisuallyHidden>
      </Box>
    </Stack>
  );
}

interface LimitValues {
  eventsPerMinute: LimitInput;
  queriesPerMinute: LimitInput;
}

function LimitsSection({
  workspaceId,
  apiKeyId,
  limits,
  canManage,
}: {
  workspaceId: string;
  apiKeyId: string;
  limits: RateLimits;
  canManage: boolean;
}) {
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="key-limits-title">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3} size="h5" id="key-limits-title">
            Rate limits
          </Title>
          <Badge variant="light" color={limits.custom ? 'indigo' : 'gray'}>
            {limits.custom ? 'Set for this key' : 'Server defaults'}
          </Badge>
        </Group>
        <SimpleGrid component="dl" cols={2} spacing="sm" m={0}>
          <div>
            <Text component="dt" size="xs" c="dimmed" fw={600}>
              Events per minute
            </Text>
            <Text component="dd" m={0}>
              {formatCount(limits.eventsPerMinute)}
            </Text>
          </div>
          <div>
            <Text component="dt" size="xs" c="dimmed" fw={600}>
              Analytics queries per minute
            </Text>
            <Text component="dd" m={0}>
              {formatCount(limits.queriesPerMinute)}
            </Text>
          </div>
        </SimpleGrid>
        {canManage ? <LimitsForm workspaceId={workspaceId} apiKeyId={apiKeyId} limits={limits} /> : null}
      </Stack>
    </Paper>
  );
}

function LimitsForm({ workspaceId, apiKeyId, limits }: { workspaceId: string; apiKeyId: string; limits: RateLimits }) {
  const [setLimits, { loading, error, reset }] = useMutation(SetApiKeyRateLimitsDocument);
  const form = useForm<LimitValues>({
    initialValues: limits.custom
      ? { eventsPerMinute: limits.eventsPerMinute, queriesPerMinute: limits.queriesPerMinute }
      : { eventsPerMinute: '', queriesPerMinute: '' },
    validate: {
      eventsPerMinute: (value) => limitProblem(value, limits.maxEventsPerMinute),
      queriesPerMinute: (value) => limitProblem(value, limits.maxQueriesPerMinute),
    },
    onValuesChange: () => {
      reset();
    },
  });
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(error);

  async function save(values: LimitValues) {
    try {
      const { data } = await setLimits({
        variables: {
          workspaceId,
          apiKeyId,
          eventsPerMinute: limitValue(values.eventsPerMinute),
          queriesPerMinute: limitValue(values.queriesPerMinute),
        },
      });
      if (data) {
        notifications.show({
          color: 'green',
          title: 'Limits saved',
          message: 'The key works under its new limits now.',
        });
      }
    } catch (caught) {
      serverErrors.apply(caught);
    }
  }

  return (
    <form
      ref={bindForm}
      aria-label="Change rate limits"
      onSubmit={form.onSubmit(
        (values) => {
          void save(values);
        },
        (errors) => {
          showProblems(errors);
        },
      )}
      noValidate
    >
      {announcer}
      <Stack gap="sm">
        {alertError ? (
          <ErrorAlert
            title="Couldn't change the limits"
            error={alertError}
            messages={{ FORBIDDEN: "Your role in this workspace doesn't allow changing key limits." }}
          />
        ) : null}
        {/* No min/max on the inputs: a number out of range is said, not silently changed. */}
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <NumberInput
            label="Events per minute"
            description={`Empty: the default. At most ${formatCount(limits.maxEventsPerMinute)}.`}
            allowDecimal={false}
            allowNegative={false}
            thousandSeparator=","
            {...form.getInputProps('eventsPerMinute')}
          />
          <NumberInput
            label="Analytics queries per minute"
            description={`Empty: the default. At most ${formatCount(limits.maxQueriesPerMinute)}.`}
            allowDecimal={false}
            allowNegative={false}
            thousandSeparator=","
            {...form.getInputProps('queriesPerMinute')}
          />
        </SimpleGrid>
        <Group justify="flex-end" gap="sm">
          <Button
            variant="default"
            onClick={() => {
              form.setValues({ eventsPerMinute: '', queriesPerMinute: '' });
            }}
          >
            Use defaults
          </Button>
          <Button type="submit" loading={loading}>
            Save limits
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
