import { Button, Group, SegmentedControl, Select } from '@mantine/core';
import { IconCalendar } from '@tabler/icons-react';
import { Interval } from '@tally/shared';
import { lazy, Suspense, useState, type ReactNode } from 'react';
import { formatDayRange } from './analytics-format';
import { CUSTOM_RANGE, RANGE_PRESETS, type AnalyticsParams, type RangePreset } from './analytics-params';
import { parseDay } from './analytics-range';

// The calendar (and its styles) loads when someone first asks for a custom range.
const CustomRangeModal = lazy(() =>
  import('./custom-range-modal').then((module) => ({ default: module.CustomRangeModal })),
);

interface AnalyticsToolbarProps {
  params: AnalyticsParams;
  /** Overview's HOUR / DAY switch. */
  withInterval?: boolean;
  /** Buttons on the right (Export). */
  actions?: ReactNode;
}

const RANGE_OPTIONS = [...RANGE_PRESETS, CUSTOM_RANGE].map((p) => ({ value: p.value, label: p.label }));

/** The date range (a preset or custom days) and, on Overview, the interval of an analytics page. */
export function AnalyticsToolbar({ params, withInterval = false, actions }: AnalyticsToolbarProps) {
  const [picking, setPicking] = useState(false);
  const first = parseDay(params.days?.first);
  const last = parseDay(params.days?.last);
  const customLabel = first && last ? formatDayRange(first, last) : null;
  const hourly = params.intervals.includes(Interval.HOUR);

  return (
    <Group justify="space-between" align="flex-end" gap="sm" mb="md">
      <Group gap="sm" align="flex-end">
        <Select
          label="Date range"
          data={RANGE_OPTIONS}
          value={params.preset}
          allowDeselect={false}
          onChange={(value) => {
            if (value === CUSTOM_RANGE.value) setPicking(true);
            else if (value) params.setPreset(value as RangePreset);
          }}
          w={180}
        />
        {params.preset === CUSTOM_RANGE.value && customLabel ? (
          <Button
            variant="default"
            leftSection={<IconCalendar size={16} aria-hidden />}
            aria-label={`Change the custom range, ${customLabel}`}
            onClick={() => {
              setPicking(true);
            }}
          >
            {customLabel}
          </Button>
        ) : null}
        {withInterval ? (
          <SegmentedControl
            aria-label="Interval"
            data={[
              { value: Interval.HOUR, label: 'Hour', disabled: !hourly },
              { value: Interval.DAY, label: 'Day' },
            ]}
            value={params.interval}
            onChange={(value) => {
              params.setInterval(value as Interval);
            }}
            title={hourly ? undefined : 'Per hour for ranges up to 7 days'}
          />
        ) : null}
      </Group>
      {actions ? <Group gap="sm">{actions}</Group> : null}
      {picking ? (
        <Suspense fallback={null}>
          <CustomRangeModal
            opened
            days={params.days}
            onClose={() => {
              setPicking(false);
            }}
            onApply={(from, to) => {
              setPicking(false);
              params.setCustomRange(from, to);
            }}
          />
        </Suspense>
      ) : null}
    </Group>
  );
}
