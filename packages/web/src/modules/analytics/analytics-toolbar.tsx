import { Group, SegmentedControl, Select } from '@mantine/core';
import type { Interval } from '@tally/shared';
import type { ReactNode } from 'react';
import { RANGE_PRESETS, type AnalyticsParams, type RangePreset } from './analytics-params';

interface AnalyticsToolbarProps {
  params: AnalyticsParams;
  /** Overview's HOUR / DAY switch. */
  withInterval?: boolean;
  /** Buttons on the right (Export). */
  actions?: ReactNode;
}

/** The date range (and, on Overview, the interval) of an analytics page. */
export function AnalyticsToolbar({ params, withInterval = false, actions }: AnalyticsToolbarProps) {
  return (
    <Group justify="space-between" align="flex-end" gap="sm" mb="md">
      <Group gap="sm" align="flex-end">
        <Select
          label="Date range"
          data={RANGE_PRESETS.map((p) => ({ value: p.value, label: p.label }))}
          value={params.preset}
          allowDeselect={false}
          onChange={(value) => {
            if (value) params.setPreset(value as RangePreset);
          }}
          w={180}
        />
        {withInterval ? (
          <SegmentedControl
            aria-label="Interval"
            data={[
              { value: 'HOUR', label: 'Hour' },
              { value: 'DAY', label: 'Day' },
            ]}
            value={params.interval}
            onChange={(value) => {
              params.setInterval(value as Interval);
            }}
          />
        ) : null}
      </Group>
      {actions ? <Group gap="sm">{actions}</Group> : null}
    </Group>
  );
}
