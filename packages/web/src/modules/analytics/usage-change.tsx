import { Text, VisuallyHidden } from '@mantine/core';
import { formatDuration } from './analytics-format';

/** Whether more is better (calls) or worse (errors, durations): only the colour depends on it. */
export type Better = 'up' | 'down';

export interface Change {
  /** What is shown: ▲ 12 %, ▼ 3 %, = 0 %, new. */
  text: string;
  /** The same in words, for a screen reader and the CSV. */
  words: string;
  direction: 'up' | 'down' | 'same' | 'new' | 'none';
}

const percent = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count's change against the previous period (null: not asked, or no events then). */
export function countChange(current: number, previous: number | null | undefined): Change {
  if (previous === null || previous === undefined || previous === 0) {
    return current > 0
      ? { text: 'new', words: 'new: none in the previous period', direction: 'new' }
      : { text: '—', words: 'no change', direction: 'none' };
  }
  const ratio = (current - previous) / previous;
  const shown = percent.format(Math.abs(ratio) * 100);
  if (shown === '0') return { text: '= 0 %', words: `unchanged from ${previous}`, direction: 'same' };
  return ratio > 0
    ? { text: `▲ ${shown} %`, words: `up ${shown} % from ${previous}`, direction: 'up' }
    : { text: `▼ ${shown} %`, words: `down ${shown} % from ${previous}`, direction: 'down' };
}

/** An error rate's change in percentage points. */
export function rateChange(current: number, previous: number | null | undefined): Change {
  if (previous === null || previous === undefined) return { text: '—', words: 'no previous period', direction: 'none' };
  const points = (current - previous) * 100;
  const shown = Math.abs(points).toFixed(1).replace(/\.0$/, '');
  if (shown === '0') return { text: '= 0 pt', words: 'unchanged', direction: 'same' };
  const before = `${(previous * 100).toFixed(1).replace(/\.0$/, '')} %`;
  return points > 0
    ? { text: `▲ ${shown} pt`, words: `up ${shown} points from ${before}`, direction: 'up' }
    : { text: `▼ ${shown} pt`, words: `down ${shown} points from ${before}`, direction: 'down' };
}

/** A duration's change (percent). */
export function durationChange(current: number | null, previous: number | null | undefined): Change {
  if (current === null || previous === null || previous === undefined || previous <= 0) {
    return { text: '—', words: 'no previous period', direction: 'none' };
  }
  const change = countChange(current, previous);
  return { ...change, words: change.words.replace(/from .*$/, `from ${formatDuration(previous)}`) };
}

/** A change as text and colour (never colour alone): green when better, red when worse. */
export function ChangeText({ change, better = 'up', size = 'sm' }: { change: Change; better?: Better; size?: string }) {
  const good = change.direction === better;
  const bad = (change.direction === 'up' || change.direction === 'down') && !good;
  return (
    <Text
      span
      size={size}
      c={good ? 'green' : bad ? 'red' : 'dimmed'}
      style={{ whiteSpace: 'nowrap' }}
      title={change.words}
    >
      <span aria-hidden>{change.text}</span>
      <VisuallyHidden component="span">{change.words}</VisuallyHidden>
    </Text>
  );
}
