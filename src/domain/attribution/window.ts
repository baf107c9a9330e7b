/**
 * The lookback window. For a conversion at T, the eligible touches are the
 * customer's touches with T - lookback < t <= T: one contiguous slice of
 * the customer's sorted touches, found by two binary searches.
 */
import { DAY_MS, type TouchTable } from './inputs.js';

export const DEFAULT_LOOKBACK_DAYS = 90;

/**
 * The window in milliseconds. Whole days only (docs/reports.md's `lookbackDays`),
 * at least one: a zero-day window would leave every conversion
 * unattributed, which no one asking for a model means.
 */
export function lookbackMs(lookbackDays: number = DEFAULT_LOOKBACK_DAYS): number {
  if (!Number.isInteger(lookbackDays) || lookbackDays < 1) {
    throw new RangeError(`lookbackDays must be a whole number of days, at least 1 (got ${lookbackDays})`);
  }
  return lookbackDays * DAY_MS;
}

/** The first index in [from, to) whose time is greater than `value` (or `to`). */
export function firstAfter(times: Float64Array, from: number, to: number, value: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index in [from, to) whose time is at or after `value` (or `to`). */
export function firstAtOrAfter(times: Float64Array, from: number, to: number, value: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows [start, end) of the touch table eligible for a conversion of `customer` at `convertedAt`. */
export interface EligibleSlice {
  start: number;
  end: number;
}

/**
 * Finds the eligible slice into `out` (reused by the hot loops, so nothing
 * is allocated per conversion) and returns it.
 */
export function eligibleTouches(
  touches: TouchTable,
  customer: number,
  convertedAt: number,
  windowMs: number,
  out: EligibleSlice = { start: 0, end: 0 },
): EligibleSlice {
  const from = touches.customerStart[customer]!;
  const to = touches.customerStart[customer + 1]!;
  out.end = firstAfter(touches.occurredAt, from, to, convertedAt);
  out.start = firstAfter(touches.occurredAt, from, out.end, convertedAt - windowMs);
  return out;
}
