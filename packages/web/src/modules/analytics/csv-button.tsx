import { Button } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { Scope, can } from '@tally/shared';
import { type CsvCell, downloadCsv, toCsv } from './csv';

interface CsvButtonProps {
  /** Who may export (analytics.export, as for the raw events): others get no button. */
  scopes: readonly string[];
  /** The button's accessible name, e.g. "Download Tools & Usage as CSV". */
  label: string;
  fileName: string;
  header: readonly string[];
  rows: () => ReadonlyArray<readonly CsvCell[]>;
}

/** Downloads what the page shows as CSV, made in the browser from the loaded rows (csv.ts). */
export function CsvButton({ scopes, label, fileName, header, rows }: CsvButtonProps) {
  if (!can(scopes, Scope.ANALYTICS_EXPORT)) return null;
  return (
    <Button
      size="xs"
      variant="default"
      leftSection={<IconDownload size={16} aria-hidden />}
      aria-label={label}
      onClick={() => {
        downloadCsv(fileName, toCsv(header, rows()));
      }}
    >
      CSV
    </Button>
  );
}

/** `tally-<what>-<from>-<to>.csv`, dates as YYYY-MM-DD. */
export function csvFileName(what: string, range: { from: string; to: string }): string {
  const day = (iso: string) => iso.slice(0, 10);
  return `tally-${what}-${day(range.from)}-${day(range.to)}.csv`.replace(/[^A-Za-z0-9._-]+/g, '-');
}
