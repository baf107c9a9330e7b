/**
 * A report as an XLSX workbook for finance: one worksheet, named after the
 * report, laid out top to bottom as
 *
 *   1..P   the parameters, one a row: label in column A, value in column B,
 *          as given (the reports give their own fields but rows and totals,
 *          by JSON name), then `generatedAt`, the time of the request by the
 *          server clock, ISO 8601 UTC, as text; a parameter given with a
 *          column kind is typed as a column of that kind would be (a day a
 *          date cell, a ratio a number), else strings stay text, numbers
 *          numbers;
 *   P+1    blank;
 *   P+2    the header: the JSON field names, as the CSV header has them, bold,
 *          with an autofilter over the data rows; the panes are frozen below it;
 *   ...    a row per report row;
 *   last   the totals, bold, `TOTAL` in the first column (as in the CSV).
 *
 * Each column has a kind that decides its cells:
 *
 * - `money`: a numeric cell formatted `#,##0.00 "USD"`, with as many decimals
 *   as the currency's minor unit (`#,##0 "JPY"`, `#,##0.000 "KWD"`), so that
 *   a negative amount shows with a minus. The cell holds the value as the JSON
 *   prints it; the format only decides how it is shown.
 * - `ratio`: numeric, `0.0000`; `count` (fractional conversions): numeric,
 *   `#,##0.0000`; `integer`: numeric, `0`.
 * - `date`: YYYY-MM-DD becomes a real date cell, `yyyy-mm-dd`, built in UTC
 *   (an Excel date has no zone, and exceljs counts days from the instant), so
 *   no machine shifts it by a day.
 * - `boolean`: a TRUE/FALSE cell. `text`: a string cell, the default.
 * - `null` or a missing value: an empty cell, whatever the kind.
 *
 * Exactness. A decimal string becomes a number only when a double holds it
 * exactly, that is when String(Number(s)) is s in canonical form (no trailing
 * fractional zeros, no trailing dot, no leading zeros, "-0" as "0"); then the
 * sheet's XML carries the very digits the JSON has. A value a double cannot
 * hold (more than 15 to 17 significant digits) is written as a string cell
 * holding the exact decimal, left as text rather than rounded without a word.
 *
 * Printing. Every sheet prints landscape, one page wide and as many pages
 * tall as it takes, with the header row and the group columns (campaign,
 * name, channel; or month) repeated on every page, so that no printed figure
 * is on a page without its campaign's name and its column's; the footer
 * names the report and its parameters (the caption) and `Page n of m`.
 *
 * Formula injection is a CSV concern: here a string is always a string cell
 * (an inline or shared string, never a formula; this module never writes
 * formula cells), so text is written as it is, with no leading apostrophe.
 *
 * Any text makes a well-formed workbook. A character XML 1.0 cannot hold (a
 * C0 control other than tab, LF and CR; U+FFFE; U+FFFF; an unpaired
 * surrogate), and DEL, which exceljs would drop without a word, is written as
 * U+FFFD, the replacement character, which every spreadsheet shows (see
 * visibleText). The rest reads back as it was: CR and text that looks like
 * Excel's `_xHHHH_` escape are written in that escape (`_x000D_`, `_x005F_`
 * for the underscore), as Excel itself writes them, since a reader would
 * otherwise turn CR into LF and `_x0041_` into `A`.
 */
import type ExcelJS from 'exceljs';
import { minorUnits } from '../domain/currency.js';

export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export type XlsxColumnKind = 'money' | 'ratio' | 'count' | 'integer' | 'date' | 'boolean' | 'text';

export interface XlsxColumn {
  name: string;
  kind: XlsxColumnKind;
}

export type XlsxParameterValue = string | number | boolean | null;

/** A parameter row: label, value and, optionally, the kind of cell its value makes. */
export type XlsxParameter = readonly [string, XlsxParameterValue] | readonly [string, XlsxParameterValue, XlsxColumnKind];

export interface XlsxReport {
  /** The worksheet's name, such as `burn`. */
  title: string;
  /** The currency of every money column (reports are in one base currency). */
  currency: string;
  /** Label, value and kind, in order; `generatedAt` is added after them. */
  parameters: readonly XlsxParameter[];
  columns: readonly XlsxColumn[];
  /** How many leading columns name a row's group: printed on every page. Default 1. */
  titleColumns?: number;
  /** The printed footer's words: the report and its parameters. Default the title. */
  caption?: string;
  rows: readonly Record<string, unknown>[];
  totals: Record<string, unknown>;
  /** When the report was asked for (the server clock); also the workbook's created date. */
  generatedAt: Date;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A decimal string without what does not change its value: `-0012.50` → `-12.5`, `-0.00` → `0`. */
export function canonicalDecimal(text: string): string {
  const negative = text.startsWith('-');
  const [whole = '', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const integer = whole.replace(/^0+(?=\d)/, '');
  const digits = fraction.replace(/0+$/, '');
  const body = digits === '' ? integer : `${integer}.${digits}`;
  return negative && body !== '0' ? `-${body}` : body;
}

/** The number a decimal string is, when a double holds it exactly; null otherwise (or if it is not a decimal). */
export function exactNumber(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const value = Number(text);
  if (String(value) !== canonicalDecimal(text)) return null;
  return value === 0 ? 0 : value; // never -0
}

/** Characters a cell cannot hold: see the module comment. Code units, so that an unpaired surrogate matches. */
const UNWRITABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** An underscore that, with what follows, would read as Excel's `_xHHHH_` escape. */
const ESCAPE_LOOKALIKE = /_(?=x[0-9A-Fa-f]{4}_)/g;

/** Text as a workbook cell shows it: each character a cell cannot hold replaced by U+FFFD. */
export function visibleText(text: string): string {
  return text.replace(UNWRITABLE, '\uFFFD');
}

/** What to hand exceljs so that a reader gets visibleText(text) back. */
function cellText(text: string): string {
  // The underscores first: the `_x000D_` written for CR is an escape to keep.
  return visibleText(text).replace(ESCAPE_LOOKALIKE, '_x005F_').replace(/\r/g, '_x000D_');
}

/** `#,##0.00 "USD"`: grouped, the currency's minor unit of decimals, the code after the amount. */
export function moneyFormat(currency: string): string {
  const decimals = minorUnits(currency);
  return `#,##0${decimals > 0 ? `.${'0'.repeat(decimals)}` : ''} "${currency}"`;
}

const FORMATS: Record<Exclude<XlsxColumnKind, 'money' | 'boolean' | 'text'>, string> = {
  ratio: '0.0000',
  count: '#,##0.0000',
  integer: '0',
  date: 'yyyy-mm-dd',
};

interface Cell {
  value: ExcelJS.CellValue;
  numFmt?: string;
}

function cellOf(value: unknown, kind: XlsxColumnKind, currency: string): Cell {
  const cell = typedCell(value, kind, currency);
  return typeof cell.value === 'string' ? { ...cell, value: cellText(cell.value) } : cell;
}

function typedCell(value: unknown, kind: XlsxColumnKind, currency: string): Cell {
  if (value === null || value === undefined) return { value: null };
  if (kind === 'money' || kind === 'ratio' || kind === 'count' || kind === 'integer') {
    const numFmt = kind === 'money' ? moneyFormat(currency) : FORMATS[kind];
    if (typeof value === 'number' && Number.isFinite(value)) return { value, numFmt };
    if (typeof value === 'string') {
      const number = exactNumber(value);
      // Not exact as a double: the exact decimal, as text.
      return number === null ? { value } : { value: number, numFmt };
    }
  }
  if (kind === 'date' && typeof value === 'string') {
    const day = DAY.exec(value);
    if (day) return { value: new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]))), numFmt: FORMATS.date };
  }
  if (typeof value === 'boolean') return { value };
  if (typeof value === 'number') return { value };
  return { value: typeof value === 'object' ? JSON.stringify(value) : String(value) };
}

/** Characters a cell needs shown: the JSON text, plus grouping commas and the currency code for money. */
function widthOf(value: unknown, kind: XlsxColumnKind): number {
  if (value === null || value === undefined) return 0;
  const text = String(value);
  if (kind !== 'money' && kind !== 'count') return text.length;
  const integerDigits = text.replace(/^-/, '').split('.')[0]!.length;
  return text.length + Math.floor((integerDigits - 1) / 3) + (kind === 'money' ? 4 : 0);
}

const MIN_WIDTH = 8;
const MAX_WIDTH = 48;

/** A worksheet name Excel accepts: at most 31 characters, none of : \ / ? * [ ]. */
function sheetName(title: string): string {
  // Cut first: a cut through a surrogate pair leaves half of it, which becomes U+FFFD too.
  return visibleText(title.replace(/[:\\/?*[\]]/g, '-').slice(0, 31)) || 'report';
}

/** Column letters of a 1-based index: 1 → A, 27 → AA. */
function columnLetter(index: number): string {
  let out = '';
  for (let n = index; n > 0; n = Math.floor((n - 1) / 26)) out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
  return out;
}

/** Text in a header or footer: `&` starts a code there (&P, &N), so a literal one is doubled. */
function footerText(text: string): string {
  // A footer section holds at most 255 characters, codes included.
  const flat = visibleText(text).replace(/[\r\n]+/g, ' ');
  return (flat.length > 200 ? `${flat.slice(0, 199)}…` : flat).replace(/&/g, '&&');
}

export async function toXlsx(report: XlsxReport): Promise<Buffer> {
  const { columns, currency } = report;
  const parameters: XlsxParameter[] = [...report.parameters, ['generatedAt', report.generatedAt.toISOString()]];
  const headerRow = parameters.length + 2;

  // Loaded on the first spreadsheet asked for: exceljs and its dependencies
  // are a third of the modules the service would otherwise load at start.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  workbook.creator = 'Spendbook';
  workbook.title = visibleText(report.title);
  workbook.created = report.generatedAt;
  workbook.modified = report.generatedAt;
  const sheet = workbook.addWorksheet(sheetName(report.title), { views: [{ state: 'frozen', xSplit: 0, ySplit: headerRow }] });

  const widths = columns.map((column) => column.name.length);
  const widen = (index: number, width: number) => {
    widths[index] = Math.max(widths[index] ?? 0, width);
  };

  parameters.forEach(([label, value, kind = 'text'], i) => {
    const row = sheet.getRow(i + 1);
    row.getCell(1).value = cellText(label);
    const cell = cellOf(value, kind, currency);
    row.getCell(2).value = cell.value;
    if (cell.numFmt) row.getCell(2).numFmt = cell.numFmt;
    widen(0, label.length);
    widen(1, value === null ? 0 : String(value).length);
  });

  const header = sheet.getRow(headerRow);
  columns.forEach((column, i) => {
    header.getCell(i + 1).value = cellText(column.name);
  });
  header.font = { bold: true };

  const write = (rowNumber: number, record: Record<string, unknown>) => {
    const row = sheet.getRow(rowNumber);
    columns.forEach((column, i) => {
      const cell = cellOf(record[column.name], column.kind, currency);
      const target = row.getCell(i + 1);
      target.value = cell.value;
      if (cell.numFmt) target.numFmt = cell.numFmt;
      widen(i, widthOf(record[column.name], column.kind));
    });
    return row;
  };

  report.rows.forEach((record, i) => write(headerRow + 1 + i, record));
  const lastDataRow = headerRow + report.rows.length;
  const first = columns[0]?.name;
  const totals = write(lastDataRow + 1, first === undefined ? report.totals : { ...report.totals, [first]: 'TOTAL' });
  totals.font = { bold: true };

  if (columns.length > 0) {
    // Over the header and the data rows, not the totals: sorting leaves TOTAL last.
    sheet.autoFilter = { from: { row: headerRow, column: 1 }, to: { row: lastDataRow, column: columns.length } };
  }
  widths.forEach((width, i) => {
    sheet.getColumn(i + 1).width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, width + 2));
  });

  // Fit to the width (fitToHeight 0: as many pages tall as it takes), so that
  // no column prints on a page of its own, away from the group's name. A
  // sheet of more than FIGURE_COLUMNS_PER_PAGE figure columns (attribution by campaign,
  // six models side by side: 32) would shrink to an unreadable size on one
  // page, so it spreads over as many pages wide as it needs, each repeating
  // the group columns.
  const titleColumns = Math.min(Math.max(report.titleColumns ?? 1, 1), Math.max(columns.length, 1));
  sheet.pageSetup = {
    ...sheet.pageSetup,
    orientation: 'landscape',
    fitToPage: true,
    fitToWidth: pagesWide(columns.length, titleColumns),
    fitToHeight: 0,
    printTitlesRow: `${headerRow}:${headerRow}`,
    printTitlesColumn: `A:${columnLetter(titleColumns)}`,
  };
  sheet.headerFooter = {
    ...sheet.headerFooter,
    oddFooter: `&L${footerText(report.caption ?? report.title)}&RPage &P of &N`,
  };

  const data = await workbook.xlsx.writeBuffer();
  return Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
}

/** Figure columns one landscape page holds at a readable size (burn's 13 fit; a model of attribution is 5). */
export const FIGURE_COLUMNS_PER_PAGE = 16;

/** Pages wide a sheet prints on: one, unless its figure columns would shrink below a readable size. */
export function pagesWide(columns: number, titleColumns: number): number {
  return Math.max(1, Math.ceil((columns - titleColumns) / FIGURE_COLUMNS_PER_PAGE));
}
