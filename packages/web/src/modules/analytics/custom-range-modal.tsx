import '@mantine/dates/styles.css';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { DatePicker } from '@mantine/dates';
import { useMediaQuery } from '@mantine/hooks';
import { ANALYTICS_LIMITS } from '@tally/shared';
import { useState } from 'react';
import { formatDayRange } from './analytics-format';
import { formatDay, parseDay } from './analytics-range';

type DayPair = [string | null, string | null];

/** The arrows have names (axe `button-name`); the month and year controls are named by their text. */
const CALENDAR_LABELS = {
  nextMonth: 'Next month',
  previousMonth: 'Previous month',
  nextYear: 'Next year',
  previousYear: 'Previous year',
  nextDecade: 'Next decade',
  previousDecade: 'Previous decade',
};

interface CustomRangeModalProps {
  opened: boolean;
  /** The custom range shown now, if any (`YYYY-MM-DD`). */
  days: { first: string; last: string } | null;
  onClose: () => void;
  onApply: (first: string, last: string) => void;
}

/** Days `date` plus `days` (local calendar days). */
function addDays(day: string, days: number): string | null {
  const date = parseDay(day);
  if (!date) return null;
  return formatDay(new Date(date.getFullYear(), date.getMonth(), date.getDate() + days));
}

/**
 * Picks a custom range of whole days (in the browser's time zone), at most the longest range the
 * server takes and never past today.
 */
export function CustomRangeModal({ opened, days, onClose, onApply }: CustomRangeModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Custom range" size="auto">
      {/* Mounted while open only: each opening starts from the range shown. */}
      {opened ? <CustomRangeForm days={days} onClose={onClose} onApply={onApply} /> : null}
    </Modal>
  );
}

function CustomRangeForm({ days, onClose, onApply }: Omit<CustomRangeModalProps, 'opened'>) {
  const wide = useMediaQuery('(min-width: 48em)', true, { getInitialValueInEffect: false });
  const [value, setValue] = useState<DayPair>(days ? [days.first, days.last] : [null, null]);
  const today = formatDay(new Date());
  const [first, last] = value;
  // While only the first day is chosen, the last may lie at most the longest range after it.
  const longest = ANALYTICS_LIMITS.maxRangeDays - 1;
  const latest = first && !last ? (addDays(first, longest) ?? today) : today;
  const maxDate = latest < today ? latest : today;
  const firstDate = parseDay(first);
  const lastDate = parseDay(last ?? first);
  const chosen = firstDate && lastDate ? formatDayRange(firstDate, lastDate) : null;

  return (
    <Stack>
      <Text size="sm" c="dimmed">
        Choose the first and the last day (up to {ANALYTICS_LIMITS.maxRangeDays} days), in your time zone.
      </Text>
      <DatePicker
        type="range"
        allowSingleDateInRange
        value={value}
        onChange={(next) => {
          setValue(next);
        }}
        maxDate={maxDate}
        numberOfColumns={wide ? 2 : 1}
        // Wide: last month and this one; a phone: this month.
        defaultDate={
          first ?? (wide ? formatDay(new Date(new Date().getFullYear(), new Date().getMonth() - 1, 1)) : today)
        }
        hideOutsideDates
        // Weekends in Mantine's red are below AA contrast (3.3:1); every day is written alike.
        weekendDays={[]}
        ariaLabels={CALENDAR_LABELS}
      />
      <Text size="sm" aria-live="polite">
        {chosen ? `Selected: ${chosen}` : 'No days selected yet.'}
      </Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button
          disabled={!first}
          onClick={() => {
            if (first) onApply(first, last ?? first);
          }}
        >
          Apply
        </Button>
      </Group>
    </Stack>
  );
}
