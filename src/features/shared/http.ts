/** Small helpers the thin routes share: cursors, CSV negotiation. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCsv } from '../../lib/csv.js';
import { ValidationError } from '../../lib/errors.js';

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
