import dayjs from 'dayjs';
import relativeTime from 'dayjs/plugin/relativeTime';

dayjs.extend(relativeTime);

/** One date format for the whole dashboard: "4 Mar 2026". */
export function formatDate(iso: string): string {
  return dayjs(iso).format('D MMM YYYY');
}

/** "4 Mar 2026, 14:05", in the browser's time zone. */
export function formatDateTime(iso: string): string {
  return dayjs(iso).format('D MMM YYYY, HH:mm');
}

/** "3 minutes ago", "in 7 days"; `now` comes from the caller so that the text can follow the clock. */
export function formatRelative(iso: string, now: number): string {
  return dayjs(iso).from(dayjs(now));
}
