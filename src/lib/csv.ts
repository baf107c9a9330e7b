/**
 * RFC 4180 CSV for reports and lists: a header row of the JSON field names in
 * JSON order, CRLF line ends, UTF-8, `.` as decimal separator. A text cell
 * that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab,
 * CR or LF: OWASP's list; a spreadsheet drops leading line breaks and reads
 * what follows) gets a leading apostrophe; numbers, negative ones included,
 * are written as they are.
 *
 * Identifiers and names stay text (see keepAsText): a campaign id `0042` or
 * `-10` in an identifier or name column gets the same leading apostrophe, so
 * that a spreadsheet opening the file does not turn it into 42 or -10 (or a
 * `2026-03-01` id into a date). Amounts and ratios are never in those
 * columns: they stay numbers.
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

/**
 * The columns that hold an identifier or a name, in every CSV the API
 * writes (reports and lists alike): text whatever it looks like.
 */
export const IDENTIFIER_COLUMNS: ReadonlySet<string> = new Set(['id', 'campaignId', 'name', 'customerId', 'reference', 'refundOf', 'entityId', 'actorName', 'snapshotId']);

/**
 * What LibreOffice or Excel would read as a number, a percentage, a date or
 * a time when opening a CSV: `0042`, `-10`, `+7`, `1e5`, `1,234.5`, `12%`,
 * `(10)`, `$5`, `2026-03-01`, `3/4/26`, `12:30`.
 */
const SPREADSHEET_NUMBER = [
  /^\s*[-+]?[$€£¥]?\s*[\d.,]*\d[\d.,]*([eE][-+]?\d+)?\s*%?\s*$/,
  /^\s*\(\s*[$€£¥]?[\d.,]*\d[\d.,]*\s*\)\s*$/,
  /^\s*\d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?\s*$/,
  /^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([aApP][mM])?\s*$/,
];

/**
 * An identifier or name as a CSV text cell a spreadsheet keeps as text: with
 * a leading apostrophe when it would otherwise become a number or a date
 * (the formula guard's mark, never a formula such as ="0042"). A script
 * reading the CSV strips one leading apostrophe to get the value back.
 */
export function keepAsText(text: string): string {
  return SPREADSHEET_NUMBER.some((pattern) => pattern.test(text)) ? `'${text}` : text;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map((c) => csvCell(c)).join(',')];
  for (const row of rows) {
    lines.push(
      columns
        .map((c) => {
          const value = serialiseCell(row[c]);
          return csvCell(typeof value === 'string' && IDENTIFIER_COLUMNS.has(c) ? keepAsText(value) : value);
        })
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

function serialiseCell(value: unknown): CsvCell {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(';');
  if (typeof value === 'object') return JSON.stringify(value);
  return value as CsvCell;
}
