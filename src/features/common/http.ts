/** Small helpers the thin routes share: cursors, CSV and XLSX negotiation. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCsv } from '../../lib/csv.js';
import { ValidationError } from '../../lib/errors.js';
import { toXlsx, XLSX_MEDIA_TYPE, type XlsxColumn, type XlsxParameter } from '../../lib/xlsx.js';

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes an opaque cursor; `check` says whether it has the expected shape. */
export function decodeCursor<T>(cursor: string | undefined, check: (value: unknown) => value is T): T | null {
  if (cursor === undefined) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this list gave out' }]);
}

export const isStringArray =
  (length: number) =>
  (value: unknown): value is string[] =>
    Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'string');

export function wantsCsv(request: FastifyRequest): boolean {
  const format = (request.query as { format?: string } | undefined)?.format;
  if (format) return format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept.split(',')[0] ?? '');
}

export function sendCsv(reply: FastifyReply, filename: string, columns: readonly string[], rows: readonly Record<string, unknown>[]) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}.csv"`)
    .send(toCsv(columns, rows));
}

export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => unknown): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/** A report as CSV: its rows, then its totals with `TOTAL` in the first column. */
export function sendReportCsv(
  reply: FastifyReply,
  filename: string,
  columns: readonly string[],
  rows: readonly object[],
  totals: object,
) {
  return sendCsv(reply, filename, columns, [...(rows as Record<string, unknown>[]), { ...totals, [columns[0]!]: 'TOTAL' }]);
}

export type ReportAnswer = 'json' | 'csv' | 'xlsx';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A report route that always answers this format: `/v1/reports/burn.csv`. */
    reportFormat?: Exclude<ReportAnswer, 'json'>;
  }
}

/**
 * What a report request asks for. The route's own format first (the `.csv`
 * and `.xlsx` paths); then `?format=` wins; otherwise Accept: JSON
 * when application/json comes first (as for CSV before XLSX existed), else
 * CSV or XLSX, whichever Accept names first, else JSON.
 */
export function reportFormat(request: FastifyRequest): ReportAnswer {
  const fixed = request.routeOptions.config?.reportFormat;
  if (fixed) return fixed;
  const format = (request.query as { format?: string } | undefined)?.format;
  if (format === 'json' || format === 'csv' || format === 'xlsx') return format;
  const accept = (request.headers.accept ?? '').toLowerCase();
  if (/\bapplication\/json\b/.test(accept.split(',')[0] ?? '')) return 'json';
  const csv = accept.search(/\btext\/csv\b/);
  const xlsx = accept.indexOf(XLSX_MEDIA_TYPE);
  if (xlsx >= 0 && (csv < 0 || xlsx < csv)) return 'xlsx';
  return csv >= 0 ? 'csv' : 'json';
}

/** A report as a table, for CSV and XLSX: the same columns, rows and totals in both. */
export interface ReportTable {
  /** The file name without its extension, the same for CSV and XLSX. */
  filename: string;
  /** The worksheet's name. */
  title: string;
  currency: string;
  /** The report's parameters as label, value and cell kind, for the top of the sheet. */
  parameters: readonly XlsxParameter[];
  /** The CSV header and the XLSX header, in order, each with its cell kind. */
  columns: readonly XlsxColumn[];
  /** How many leading columns name the group: printed on every page. */
  titleColumns: number;
  /** The printed footer's words: the report and its parameters. */
  caption: string;
  rows: readonly object[];
  totals: object;
  /** The time of the request by the server clock. */
  generatedAt: Date;
}

/**
 * Every report answers through here: the JSON report as it is, or its table
 * (built only when asked for) as CSV or as an XLSX workbook.
 */
export async function sendReport<R>(request: FastifyRequest, reply: FastifyReply, report: R, table: () => ReportTable): Promise<R | FastifyReply> {
  const format = reportFormat(request);
  if (format === 'json') return report;
  const { filename, columns, rows, totals, ...sheet } = table();
  if (format === 'csv') return sendReportCsv(reply, filename, columns.map((column) => column.name), rows, totals);
  const workbook = await toXlsx({ ...sheet, columns, rows: rows as readonly Record<string, unknown>[], totals: totals as Record<string, unknown> });
  return reply.type(XLSX_MEDIA_TYPE).header('content-disposition', `attachment; filename="${filename}.xlsx"`).send(workbook);
}
