/**
 * The CSV files ops download from the ad platforms, read as they come: the
 * title lines above the header, the platform's column names, its number
 * style, its summary rows. Pure: text in, spend rows (or errors naming the
 * line and the column) out; matching rows to campaigns is the import
 * service's job. The formats, as README "Importing spend" documents them:
 *
 * - `google_ads`: the Campaign report as downloaded. Up to 30 lines (the
 *   report's title, its date range) above the header; columns `Day`,
 *   `Campaign`, `Cost`, `Currency code`, and `Campaign ID` when the report
 *   has it. Costs may have thousands separators ("1,234.56"); `--` or an
 *   empty cost is 0 (so a restated day that lost its spend is set to 0).
 *   Rows whose first cell starts with `Total` are the report's summary rows:
 *   skipped and listed as such.
 * - `meta`: the Ads Manager export, broken down by day. `Reporting starts`,
 *   `Reporting ends` (must equal the start: a row spanning several days is
 *   refused, not spread), `Campaign name`, `Amount spent (EUR)` with the
 *   currency in the header, `Campaign ID` when exported. A row without a
 *   campaign name is the export's summary row: skipped and listed.
 * - `linkedin`: the Campaign Manager campaign performance export with the
 *   daily time breakdown. Title lines above the header; `Start Date (in
 *   UTC)`, `Campaign Name`, `Campaign ID` (optional), `Currency`, `Total
 *   Spent`. Dates as LinkedIn writes them (M/D/YYYY) or ISO.
 * - `generic`: a header on the first line, then `date` (YYYY-MM-DD), one of
 *   `campaignId` / `externalId` / `campaign` (a name), `amount` (plain
 *   decimal, `.` separator, no thousands separator), `currency`, and
 *   optionally `source` (default `generic`) and `reference`.
 *
 * Header names are matched trimmed and case-insensitively; the columns may
 * come in any order and other columns are ignored. A data row with more or
 * fewer fields than the header is an error (a ragged row), as is a bad
 * number, date or currency; every error names its line and column.
 */
import { isCurrencyCode } from '../../../domain/currency.js';
import { MoneyFormatError, parseAmount } from '../../../domain/money.js';
import { isValidDate } from '../../../domain/periods.js';
import { CsvSyntaxError, readCsvRecords, type CsvRecord } from '../../../lib/csv-reader.js';
import type { FieldError } from '../../../lib/errors.js';

export const IMPORT_FORMATS = ['google_ads', 'meta', 'linkedin', 'generic'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** What an import does with a row whose campaign matches none (see service.ts). */
export const UNMATCHED = ['reject', 'skip', 'create'] as const;
export type Unmatched = (typeof UNMATCHED)[number];

/** The most lines a header may sit below the top of the file. */
export const MAX_PREAMBLE_LINES = 30;
/** The most errors one answer lists; past it the reader stops. */
export const MAX_ERRORS = 1000;

export interface ImportRow {
  line: number;
  /** The campaign's name in the file, '' when the file names it by id only. */
  campaign: string;
  /** generic: the Spendbook campaign id given in the file. */
  campaignId: string | null;
  /** The ad platform's campaign id (or generic's externalId), when the file has it. */
  platformId: string | null;
  date: string;
  /** Micros. */
  amount: bigint;
  currency: string;
  source: string;
  reference: string | null;
}

export interface SkippedRow {
  line: number;
  reason: string;
}

export interface ParsedFile {
  format: ImportFormat;
  headerLine: number;
  /**
   * The file's header for each input field, for naming columns in later
   * errors: `campaign` is the column that names a row's campaign (its name,
   * else its id); `name`, `campaignId` and `platformId` each that column.
   */
  columnOf: Record<'campaign' | 'name' | 'campaignId' | 'platformId' | 'date' | 'amount' | 'currency' | 'reference', string>;
  rows: ImportRow[];
  skipped: SkippedRow[];
  errors: FieldError[];
}

/** A path naming a line and column: `line/12/Cost`. */
export const linePath = (line: number, column?: string) => (column === undefined ? `line/${line}` : `line/${line}/${column}`);

// ---------------------------------------------------------------------------
// Values

const PLAIN = /^-?\d+(\.\d+)?$/;
const GROUPED = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/;

/** A platform's amount: plain or with thousands separators; `--` or blank is 0. Null when not a number. */
export function platformAmount(text: string): bigint | null {
  const t = text.trim();
  if (t === '' || t === '--') return 0n;
  if (PLAIN.test(t)) return micros(t);
  if (GROUPED.test(t)) return micros(t.replace(/,/g, ''));
  return null;
}

function genericAmount(text: string): bigint | null {
  const t = text.trim();
  return PLAIN.test(t) ? micros(t) : null;
}

function micros(t: string): bigint | null {
  try {
    return parseAmount(t);
  } catch (error) {
    if (error instanceof MoneyFormatError) return null;
    throw error;
  }
}

const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

function isoDate(text: string): string | null {
  const t = text.trim();
  return isValidDate(t) ? t : null;
}

/** LinkedIn's M/D/YYYY, or ISO. */
function usOrIsoDate(text: string): string | null {
  const t = text.trim();
  const m = US_DATE.exec(t);
  if (!m) return isoDate(t);
  const iso = `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}`;
  return isValidDate(iso) ? iso : null;
}

// ---------------------------------------------------------------------------
// Formats

interface Column {
  /** Header names that fill this column, lower case. */
  names: readonly string[];
  required: boolean;
}

interface FormatSpec {
  /** What the file calls its columns, for the error that lists what a header lacks. */
  describe: string;
  /** Only the first non-blank line may be the header. */
  headerFirst: boolean;
  columns: Record<string, Column | undefined>;
  /** The currency, when the header carries it (Meta's `Amount spent (EUR)`). */
  currencyInHeader?: RegExp;
  date: (text: string) => string | null;
  dateHint: string;
  amount: (text: string) => bigint | null;
  amountHint: string;
  /** A summary row to skip, with the reason, or null for a data row. `campaign` is the row's campaign cell. */
  summary: (fields: readonly string[], campaign: string) => string | null;
  source: string | null;
}

const col = (required: boolean, ...names: string[]): Column => ({ names, required });

const FORMATS: Record<ImportFormat, FormatSpec> = {
  google_ads: {
    describe: 'Day, Campaign, Cost, Currency code (and optionally Campaign ID)',
    headerFirst: false,
    columns: {
      date: col(true, 'day'),
      campaign: col(true, 'campaign'),
      platformId: col(false, 'campaign id'),
      amount: col(true, 'cost'),
      currency: col(true, 'currency code', 'currency'),
    },
    date: isoDate,
    dateHint: 'a date YYYY-MM-DD',
    amount: platformAmount,
    amountHint: 'an amount such as 1234.56 or 1,234.56 (-- for none)',
    summary: (fields) => {
      const first = fields[0]!;
      return /^\s*total\b/i.test(first) ? `summary row (${first.trim()})` : null;
    },
    source: 'google_ads',
  },
  meta: {
    describe: 'Reporting starts, Reporting ends, Campaign name, Amount spent (CUR) (and optionally Campaign ID)',
    headerFirst: false,
    columns: {
      date: col(true, 'reporting starts'),
      dateEnd: col(false, 'reporting ends'),
      campaign: col(true, 'campaign name'),
      platformId: col(false, 'campaign id'),
      amount: col(true, '#amount spent'),
    },
    currencyInHeader: /^amount spent \(([a-z]{3})\)$/i,
    date: isoDate,
    dateHint: 'a date YYYY-MM-DD',
    amount: platformAmount,
    amountHint: 'an amount such as 1234.56',
    summary: (_fields, campaign) => (campaign.trim() === '' ? 'summary row (no campaign name)' : null),
    source: 'meta',
  },
  linkedin: {
    describe: 'Start Date (in UTC), Campaign Name, Currency, Total Spent (and optionally Campaign ID)',
    headerFirst: false,
    columns: {
      date: col(true, 'start date (in utc)', 'start date'),
      campaign: col(true, 'campaign name'),
      platformId: col(false, 'campaign id'),
      amount: col(true, 'total spent'),
      currency: col(true, 'currency'),
    },
    date: usOrIsoDate,
    dateHint: 'a date M/D/YYYY or YYYY-MM-DD',
    amount: platformAmount,
    amountHint: 'an amount such as 1234.56 or 1,234.56',
    summary: () => null,
    source: 'linkedin',
  },
  generic: {
    describe: 'date, campaignId or externalId or campaign, amount, currency (and optionally source, reference)',
    headerFirst: true,
    columns: {
      date: col(true, 'date'),
      campaignId: col(false, 'campaignid'),
      platformId: col(false, 'externalid'),
      campaign: col(false, 'campaign'),
      amount: col(true, 'amount'),
      currency: col(true, 'currency'),
      source: col(false, 'source'),
      reference: col(false, 'reference'),
    },
    date: isoDate,
    dateHint: 'a date YYYY-MM-DD',
    amount: genericAmount,
    amountHint: 'a plain decimal such as 1234.56 (no thousands separator)',
    summary: () => null,
    source: null,
  },
};

const SOURCE = /^[a-z][a-z0-9_]{0,31}$/;

/** The header's column index for each field the format knows, or the names it lacks. */
function bindHeader(spec: FormatSpec, header: readonly string[]): { index: Map<string, number>; currency: string | null; missing: string[] } {
  const index = new Map<string, number>();
  let currency: string | null = null;
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const [field, column] of Object.entries(spec.columns)) {
    if (!column) continue;
    for (const name of column.names) {
      let at = -1;
      if (name === '#amount spent' && spec.currencyInHeader) {
        at = lower.findIndex((h) => spec.currencyInHeader!.test(h));
        if (at >= 0) currency = spec.currencyInHeader.exec(lower[at]!)![1]!.toUpperCase();
      } else {
        at = lower.indexOf(name);
      }
      if (at >= 0) {
        index.set(field, at);
        break;
      }
    }
  }
  const missing = Object.entries(spec.columns)
    .filter(([field, column]) => column?.required && !index.has(field))
    .map(([, column]) => (column!.names[0] === '#amount spent' ? 'Amount spent (CUR)' : column!.names[0]!));
  return { index, currency, missing };
}

/**
 * The index of the header among the file's first records, or -1: the first
 * record with every required column (for generic, the first non-blank one).
 * The CLI uses it to send the lines above and including the header with each
 * part of a large file.
 */
export function locateHeader(format: ImportFormat, records: readonly string[][]): number {
  const spec = FORMATS[format];
  for (let i = 0; i < records.length && i < MAX_PREAMBLE_LINES; i++) {
    const fields = records[i]!;
    if (isBlank(fields)) continue;
    if (bindHeader(spec, fields).missing.length === 0) return i;
    if (spec.headerFirst) return -1;
  }
  return -1;
}

/**
 * The formats whose header is among a file's first records (each with the
 * header knowledge the import itself uses): one for a file whose format is
 * plain, none for a file of no known format, several when its header would
 * fit more than one (the caller then asks which).
 */
export function detectFormats(records: readonly string[][]): ImportFormat[] {
  return IMPORT_FORMATS.filter((format) => locateHeader(format, records) >= 0);
}

function isBlank(fields: readonly string[]): boolean {
  return fields.every((f) => f.trim() === '');
}

const columnLetter = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : columnLetter(Math.floor(i / 26) - 1) + String.fromCharCode(65 + (i % 26)));

/**
 * Reads a whole file. Never throws for bad content: the problems come back
 * in `errors`, each naming its line (and column), at most MAX_ERRORS of them.
 * `firstDataLine` renumbers the rows below the header, for a client that
 * sends a large file in parts, each part with the file's own header lines.
 */
export function parseImport(format: ImportFormat, text: string, firstDataLine?: number): ParsedFile {
  const spec = FORMATS[format];
  const errors: FieldError[] = [];
  const rows: ImportRow[] = [];
  const skipped: SkippedRow[] = [];
  const parsed: ParsedFile = {
    format,
    headerLine: 0,
    columnOf: { campaign: 'Campaign', name: 'Campaign', campaignId: 'campaignId', platformId: 'Campaign ID', date: 'date', amount: 'amount', currency: 'currency', reference: 'reference' },
    rows,
    skipped,
    errors,
  };
  // One generator read in two loops (header, then rows): a for-of would close it on break.
  const records = readCsvRecords(text);
  const nextRecord = (): CsvRecord | null => {
    const step = records.next();
    return step.done ? null : step.value;
  };
  let record: CsvRecord | null;
  let header: { fields: string[]; line: number } | null = null;
  const seen: CsvRecord[] = [];
  let lineShift = 0;
  try {
    // The header: the first record with every required column, within MAX_PREAMBLE_LINES.
    while ((record = nextRecord()) !== null) {
      seen.push(record);
      if (isBlank(record.fields)) continue;
      const { missing } = bindHeader(spec, record.fields);
      if (missing.length === 0) {
        header = record;
        break;
      }
      if (spec.headerFirst || seen.length >= MAX_PREAMBLE_LINES) break;
    }
    if (!header) {
      errors.push(headerError(spec, format, seen));
      return parsed;
    }
    const { index, currency: headerCurrency } = bindHeader(spec, header.fields);
    parsed.headerLine = header.line;
    const nameOf = (field: string) => {
      const at = index.get(field);
      return at === undefined ? field : header!.fields[at]!.trim();
    };
    parsed.columnOf = {
      campaign: nameOf(index.has('campaign') ? 'campaign' : index.has('campaignId') ? 'campaignId' : 'platformId'),
      name: nameOf('campaign'),
      campaignId: nameOf('campaignId'),
      platformId: nameOf('platformId'),
      date: nameOf('date'),
      amount: nameOf('amount'),
      currency: nameOf(index.has('currency') ? 'currency' : 'amount'),
      // A repeated natural key is reported at the reference column, or the date where there is none.
      reference: nameOf(index.has('reference') ? 'reference' : 'date'),
    };
    if (format === 'generic' && !index.has('campaignId') && !index.has('platformId') && !index.has('campaign')) {
      errors.push({ path: linePath(header.line), message: 'the header needs a campaignId, externalId or campaign column' });
      return parsed;
    }
    const width = header.fields.length;
    if (firstDataLine !== undefined) lineShift = firstDataLine - (header.line + 1);
    const headerFields = header.fields;
    const headerLine = header.line + lineShift;

    // Column positions, -1 when the file has no such column. The loop below
    // creates no closure per row and asks each distinct date and currency
    // once: a daily export repeats one date and one currency a thousand times.
    const at = (field: string) => index.get(field) ?? -1;
    const dateAt = at('date');
    const dateEndAt = at('dateEnd');
    const amountAt = at('amount');
    const currencyAt = at('currency');
    const campaignAt = at('campaign');
    const campaignIdAt = at('campaignId');
    const platformIdAt = at('platformId');
    const sourceAt = at('source');
    const referenceAt = at('reference');
    const nameAt = campaignAt >= 0 ? campaignAt : campaignIdAt >= 0 ? campaignIdAt : platformIdAt;
    const dates = new Map<string, string | null>();
    const currencies = new Map<string, boolean>();
    let fields: string[] = [];
    let line = 0;
    const bad = (column: number, message: string) => {
      const name = headerFields[column]!.trim();
      errors.push({ path: linePath(line, name), message: `column ${columnLetter(column)} (${name}): ${message}` });
    };
    const dateOf = (text: string) => {
      let date = dates.get(text);
      if (date === undefined) dates.set(text, (date = spec.date(text)));
      return date;
    };
    if (headerCurrency !== null && !isCurrencyCode(headerCurrency)) {
      errors.push({ path: linePath(header.line, headerFields[amountAt]!.trim()), message: `the header's currency ${headerCurrency} is not an ISO 4217 currency code` });
      return parsed;
    }

    while ((record = nextRecord()) !== null) {
      line = record.line + lineShift;
      fields = record.fields;
      const campaign = campaignAt >= 0 && campaignAt < fields.length ? fields[campaignAt]!.trim() : '';
      // Blank lines, and the rows of empty cells a spreadsheet leaves (",,,,").
      if (campaign === '' && isBlank(fields)) continue;
      const summary = spec.summary(fields, campaign);
      if (summary !== null) {
        skipped.push({ line, reason: summary });
        continue;
      }
      if (fields.length !== width) {
        errors.push({ path: linePath(line), message: `has ${fields.length} fields where the header (line ${headerLine}) has ${width}: a ragged row` });
        if (errors.length >= MAX_ERRORS) break;
        continue;
      }
      const before = errors.length;
      const rawDate = fields[dateAt]!;
      const date = dateOf(rawDate);
      if (date === null) bad(dateAt, `${quote(rawDate)} is not ${spec.dateHint}`);
      if (date !== null && dateEndAt >= 0 && dateOf(fields[dateEndAt]!) !== date) {
        bad(dateEndAt, `${quote(fields[dateEndAt]!)} is not the row's start day ${date}: export with a daily breakdown, one row per campaign and day`);
      }
      const rawAmount = fields[amountAt]!;
      const amount = spec.amount(rawAmount);
      if (amount === null) bad(amountAt, `${quote(rawAmount)} is not ${spec.amountHint}`);
      let currency = headerCurrency;
      if (currency === null) {
        const raw = fields[currencyAt]!;
        let known = currencies.get(raw);
        if (known === undefined) currencies.set(raw, (known = isCurrencyCode(raw.trim())));
        if (known) currency = raw.trim();
        else bad(currencyAt, `${quote(raw.trim())} is not an ISO 4217 currency code such as USD`);
      }
      const campaignId = campaignIdAt >= 0 ? fields[campaignIdAt]!.trim() || null : null;
      const platformId = platformIdAt >= 0 ? fields[platformIdAt]!.trim() || null : null;
      if (campaign === '' && campaignId === null && platformId === null) bad(nameAt, 'is empty: every row names its campaign');
      let source = spec.source;
      if (source === null) {
        const raw = sourceAt >= 0 ? fields[sourceAt]!.trim() : '';
        source = raw === '' ? 'generic' : raw;
        if (!SOURCE.test(source)) bad(sourceAt, `${quote(raw)} is not a lower-case source name such as invoice or manual`);
      }
      const reference = referenceAt >= 0 ? fields[referenceAt]!.trim() || null : null;
      if (reference !== null && reference.length > 256) bad(referenceAt, 'is longer than 256 characters');
      if (errors.length > before) {
        if (errors.length >= MAX_ERRORS) break;
        continue;
      }
      rows.push({ line, campaign, campaignId, platformId, date: date!, amount: amount!, currency: currency!, source, reference });
    }
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    const line = error.line + (header && error.line > header.line ? lineShift : 0);
    errors.push({ path: linePath(line), message: `${error.message}: the file is not valid CSV` });
  }
  if (errors.length >= MAX_ERRORS) {
    errors.push({ path: '', message: `stopped after ${MAX_ERRORS} errors; fix these and import again` });
  }
  return parsed;
}

function headerError(spec: FormatSpec, format: ImportFormat, seen: readonly CsvRecord[]): FieldError {
  // The closest candidate: the line with the most of the format's columns.
  let best: { record: CsvRecord; missing: string[]; found: number } | null = null;
  for (const record of seen) {
    if (isBlank(record.fields)) continue;
    const { missing, index } = bindHeader(spec, record.fields);
    if (index.size > 0 && (best === null || index.size > best.found)) best = { record, missing, found: index.size };
  }
  const expected = `a ${format} file has a header with the columns ${spec.describe}`;
  if (best) {
    return { path: linePath(best.record.line), message: `the header lacks ${best.missing.join(', ')}: ${expected}` };
  }
  const where = spec.headerFirst ? 'on its first line' : `within its first ${MAX_PREAMBLE_LINES} lines`;
  return { path: linePath(seen[0]?.line ?? 1), message: `no header ${where}: ${expected}` };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
