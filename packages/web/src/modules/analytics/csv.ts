/**
 * CSV of what a page shows (Tools & Usage, the Overview series, a breakdown), made in the browser
 * from the data already loaded: exactly the rows on screen, with the page's range and filters,
 * and no second request. RFC 4180: every cell that holds a comma, a quote, a line break (or
 * leading/trailing blanks) is quoted, quotes doubled; lines end in CRLF. A cell that a
 * spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a
 * leading `'` first, as the raw events' export does (OWASP's CSV injection advice) — numbers
 * written by us are never text, so a negative number stays a number.
 */
export type CsvCell = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  // An empty text is not a missing one (as the raw events' export writes them).
  if (text === '') return '""';
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A file name part from any text: letters, digits, dots, dashes and underscores only. */
export function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'data';
}

/** Saves `csv` as a file (UTF-8 with a byte order mark, so spreadsheets read accents right). */
export function downloadCsv(fileName: string, csv: string): void {
  const blob = new Blob(['\uFEFF', csv], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 0);
}
