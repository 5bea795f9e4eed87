const integer = new Intl.NumberFormat('en-US');

export function formatCount(value: number): string {
  return integer.format(value);
}

/** 850 ms, 12.3 s, 4m 05s, 1h 02m; an em dash when there is none. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const totalSeconds = Math.round(seconds);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** A share from 0 to 1 as a percentage: 0 %, 12.5 %. */
export function formatRate(rate: number): string {
  const percent = rate * 100;
  return `${percent === 0 || percent >= 10 ? percent.toFixed(percent % 1 === 0 ? 0 : 1) : percent.toFixed(1)} %`;
}

/** A bucket's label on the chart's axis, in the viewer's time zone. */
export function formatBucket(iso: string, hourly: boolean): string {
  const date = new Date(iso);
  return hourly
    ? date.toLocaleString('en-US', { month: 'short', day: 'numeric', hour: 'numeric' })
    : date.toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
}
