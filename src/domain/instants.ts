/**
 * Instants: ISO 8601 timestamps with an offset on the wire, epoch
 * milliseconds (UTC) inside. parseInstant is the one reader of a timestamp:
 * the zod schemas, the batch fast paths and the query parameters all call
 * it, so they cannot disagree on what a timestamp is.
 *
 * A timestamp is taken only in the years 1900 to 2999, as written and as
 * the UTC instant it names (`2999-12-31T23:00:00-05:00` is in the year 3000
 * UTC, so it is refused), and only with an offset that a clock somewhere
 * shows: -12:00 to +14:00.
 */
import { MAX_YEAR, MIN_YEAR } from './periods.js';

/** The first instant taken, and the first one past the last (epoch ms). */
export const FIRST_INSTANT_MS = Date.UTC(MIN_YEAR, 0, 1);
export const END_INSTANT_MS = Date.UTC(MAX_YEAR + 1, 0, 1);

/** The widest offsets in use, in minutes east of UTC. */
const MIN_OFFSET_MINUTES = -12 * 60;
const MAX_OFFSET_MINUTES = 14 * 60;

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an ISO 8601 timestamp names, in epoch milliseconds, or null
 * when the text is not a real calendar instant with an offset, in the
 * supported years. Seconds are optional; fractions go to the millisecond
 * (what is stored), never beyond, so that no digit the client sent is
 * silently dropped.
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
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) {
    return undefined;
  }
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > MONTH_DAYS[month - 1]! + (leap ? 1 : 0)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/** parseInstant for every shape, by the pattern; exported for the test that holds the two to the same answers. */
export function parseInstantByPattern(text: string): number | null {
  const m = INSTANT.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const second = Number(m[6] ?? '0');
  const millis = Number((m[7] ?? '').padEnd(3, '0'));
  const offsetHours = Number(m[10] ?? '0');
  const offsetMinutes = Number(m[11] ?? '0');
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (year! < MIN_YEAR || year! > MAX_YEAR || month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth) return null;
  if (hour! > 23 || minute! > 59 || second > 59 || offsetMinutes > 59) return null;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  if (offset < MIN_OFFSET_MINUTES || offset > MAX_OFFSET_MINUTES) return null;
  const instant = Date.UTC(year!, month! - 1, day!, hour!, minute!, second, millis) - offset * 60_000;
  return instant >= FIRST_INSTANT_MS && instant < END_INSTANT_MS ? instant : null;
}

/** An instant on output: ISO 8601 UTC, always with milliseconds. */
export const formatInstant = (epochMs: number): string => new Date(epochMs).toISOString();
