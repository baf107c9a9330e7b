/**
 * RFC 4180 CSV for reports and lists: a header row of the JSON field names in
 * JSON order, CRLF line ends, UTF-8, `.` as decimal separator. A text cell
 * that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab,
 * CR or LF: OWASP's list; a spreadsheet drops leading line breaks and reads
 * what follows) gets a leading apostrophe; numbers, negative ones included,
 * are written as they are.
 */

const NUMBER = /^-?\d+(\.\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r\n]/;

export type CsvCell = string | number | boolean | null | undefined;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text) && !NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map((c) => csvCell(c)).join(',')];
  for (const row of rows) {
    lines.push(columns.map((c) => csvCell(serialiseCell(row[c]))).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

function serialiseCell(value: unknown): CsvCell {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(';');
  if (typeof value === 'object') return JSON.stringify(value);
  return value as CsvCell;
}
