/**
 * The zod schemas of touchpoint ingest, and the two building blocks revenue
 * shares with it: a customer id and an instant.
 */
import { z } from 'zod';
import { batchBody, ClientId } from '../shared/schemas.js';

/** A customer id: the same pattern as every client-chosen id. */
export const CustomerId = ClientId.meta({ example: 'cust-81734' });

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an ISO 8601 timestamp names, in epoch milliseconds, or null
 * when the text is not a real calendar instant with an offset. Seconds are
 * optional; fractions go to the millisecond (what is stored), never beyond,
 * so that no digit the client sent is silently dropped.
 */
export function parseInstant(text: string): number | null {
  return parseUtcInstant(text) ?? parseInstantByPattern(text);
}

/** Days per month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by the `count` characters at `from`, or -1 unless all are ASCII digits. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The shapes machines send (`2026-03-01T10:15:00Z`, `2026-03-01T10:15:00.250Z`),
 * read digit by digit: a touchpoint batch is mostly instants, and this is
 * about twenty times cheaper than the pattern. Any other text, or any check
 * that fails, is left to parseInstantByPattern (undefined), so both give the
 * same answer for every text (a property test holds them to it).
 */
function parseUtcInstant(text: string): number | undefined {
  const length = text.length;
  if (length !== 20 && length !== 24) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[length - 1] !== 'Z') return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const millis = length === 24 ? (text[19] === '.' ? digitsAt(text, 20, 3) : -1) : 0;
  if (year < 1900 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) {
    return undefined;
  }
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > MONTH_DAYS[month - 1]! + (leap ? 1 : 0)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/** parseInstant for every shape, by the pattern. */
export function parseInstantByPattern(text: string): number | null {
  const m = INSTANT.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const second = Number(m[6] ?? '0');
  const millis = Number((m[7] ?? '').padEnd(3, '0'));
  const offsetHours = Number(m[10] ?? '0');
  const offsetMinutes = Number(m[11] ?? '0');
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (year! < 1900 || month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth) return null;
  if (hour! > 23 || minute! > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const offsetMs = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second, millis) - offsetMs;
}

/** An instant on output: ISO 8601 UTC, always with milliseconds. */
export const formatInstant = (epochMs: number): string => new Date(epochMs).toISOString();

/** An instant on input: ISO 8601 with an offset, parsed to epoch milliseconds. */
export const Timestamp = z
  .string()
  .transform((text, ctx) => {
    const instant = parseInstant(text);
    if (instant === null) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an ISO 8601 timestamp with an offset, such as 2026-03-01T10:15:00Z or 2026-03-01T12:15:00+02:00 (at most millisecond precision)',
      });
      return z.NEVER;
    }
    return instant;
  })
  .meta({ example: '2026-03-01T10:15:00Z', format: 'date-time', description: 'ISO 8601 with an offset; stored as the instant' });

/** An instant on output. */
export const TimestampOutput = z.string().meta({ format: 'date-time', example: '2026-03-01T10:15:00.000Z', description: 'ISO 8601 UTC, with milliseconds' });

export const TouchpointItem = z.strictObject({
  id: ClientId,
  customerId: CustomerId,
  campaignId: ClientId,
  occurredAt: Timestamp,
});

/** The body of POST /v1/touchpoints. */
export const TouchpointBatch = batchBody(TouchpointItem);
