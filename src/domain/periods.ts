/**
 * Calendar arithmetic on UTC days. A day is an integer: days since
 * 1970-01-01. Dates on the wire are `YYYY-MM-DD`, months `YYYY-MM`.
 *
 * Only the years 1900 to 2999 are dates here: a 4-digit year keeps every
 * date and month sortable as text (the database compares them so), and a
 * bounded range keeps every loop over months or days bounded. Arithmetic on
 * months goes through integers (monthIndex), never through their text.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** The first and last years the service takes, in dates, months and timestamps alike. */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;

export type Day = number;

/** A month as an integer: year x 12 + month - 1, so that the next month is index + 1. */
export type MonthIndex = number;

const inYears = (year: number) => year >= MIN_YEAR && year <= MAX_YEAR;

export function isValidDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return inYears(year) && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

export function isValidMonth(text: string): boolean {
  const m = MONTH.exec(text);
  return !!m && inYears(Number(m[1])) && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function parseDay(date: string): Day {
  if (!isValidDate(date)) throw new RangeError(`not a date: ${date}`);
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / MS_PER_DAY;
}

export function formatDay(day: Day): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The UTC day of an instant. */
export function dayOfInstant(epochMs: number): Day {
  return Math.floor(epochMs / MS_PER_DAY);
}

export function monthOfDate(date: string): string {
  return date.slice(0, 7);
}

export function firstDayOfMonth(month: string): string {
  return `${month}-01`;
}

export function lastDayOfMonth(month: string): string {
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return `${month}-${String(daysInMonth(year, m)).padStart(2, '0')}`;
}

export function monthIndex(month: string): MonthIndex {
  if (!isValidMonth(month)) throw new RangeError(`not a month: ${month}`);
  return Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
}

export function monthOfIndex(index: MonthIndex): string {
  const year = Math.floor(index / 12);
  if (!Number.isInteger(index) || !inYears(year)) throw new RangeError(`month index ${index} is outside the years ${MIN_YEAR} to ${MAX_YEAR}`);
  return `${year}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Throws a RangeError rather than step outside the years 1900 to 2999. */
export function addMonths(month: string, count: number): string {
  return monthOfIndex(monthIndex(month) + count);
}

/** Months from `from` to `to`, both included; none when `from` is after `to`. */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (let i = monthIndex(from), last = monthIndex(to); i <= last; i++) months.push(monthOfIndex(i));
  return months;
}

/** A closed range of whole UTC days, described by its months. */
export interface Period {
  fromMonth: string;
  toMonth: string;
  start: string;
  end: string;
  months: string[];
  daysInPeriod: number;
}

export function periodOfMonths(fromMonth: string, toMonth: string): Period {
  if (monthIndex(fromMonth) > monthIndex(toMonth)) throw new RangeError(`${fromMonth} is after ${toMonth}`);
  const start = firstDayOfMonth(fromMonth);
  const end = lastDayOfMonth(toMonth);
  return {
    fromMonth,
    toMonth,
    start,
    end,
    months: monthsBetween(fromMonth, toMonth),
    daysInPeriod: parseDay(end) - parseDay(start) + 1,
  };
}

/**
 * Days of the period elapsed by the end of `asOf`: 0 before the period, all
 * of them after it, and within it the days up to and including `asOf`.
 * Returns also the last day whose spend counts (null when none does).
 */
export function elapsed(period: Period, asOf: string): { daysElapsed: number; countThrough: string | null } {
  const day = parseDay(asOf);
  const start = parseDay(period.start);
  if (day < start) return { daysElapsed: 0, countThrough: null };
  if (day >= parseDay(period.end)) return { daysElapsed: period.daysInPeriod, countThrough: period.end };
  return { daysElapsed: day - start + 1, countThrough: asOf };
}
