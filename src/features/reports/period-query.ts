/**
 * The period parameters every report takes, and the one function that reads
 * them: `month=YYYY-MM`, or `from` and `to`. The reports that work in whole
 * months (burn, forecast, budget-forecast-actual, and a forecast snapshot)
 * take `from` and `to` as months; those that work in days (ROI,
 * attribution) take each as a month or a day, a month `from` meaning its
 * first day and a month `to` its last. Years are 1900 to 2999 (the schemas
 * refuse any other), and ranges are bounded, so a report never loops far.
 */
import { z } from 'zod';
import { firstDayOfMonth, isValidDate, isValidMonth, lastDayOfMonth, monthIndex, parseDay, periodOfMonths, type Period } from '../../domain/periods.js';
import { ValidationError } from '../../lib/errors.js';
import { MonthString } from '../common/schemas.js';

/** The longest report in months, and in days (three years with a leap day). */
export const MAX_MONTHS = 36;
export const MAX_DAYS = 3 * 365 + 1;

const MonthOrDateString = z
  .string()
  .refine((text) => isValidMonth(text) || isValidDate(text), 'must be a month YYYY-MM or a date YYYY-MM-DD, in the years 1900 to 2999')
  .meta({ example: '2026-03', pattern: '^\\d{4}-\\d{2}(-\\d{2})?$' });

const MONTH = 'The one month of the report, YYYY-MM (years 1900 to 2999); or give from and to instead';

/** The period parameters of a report in whole months. */
export const MonthPeriodQuery = {
  month: MonthString.optional().meta({ description: MONTH }),
  from: MonthString.optional().meta({ description: 'First month, YYYY-MM, inclusive; with to, instead of month' }),
  to: MonthString.optional().meta({ description: `Last month, YYYY-MM, inclusive; at most ${MAX_MONTHS} months after from` }),
};

/** The period parameters of a report in days. */
export const DayPeriodQuery = {
  month: MonthString.optional().meta({ description: MONTH }),
  from: MonthOrDateString.optional().meta({ description: 'First day, YYYY-MM-DD, or a month YYYY-MM for its first day; inclusive; with to, instead of month', example: '2026-01-01' }),
  to: MonthOrDateString.optional().meta({ description: 'Last day, YYYY-MM-DD, or a month YYYY-MM for its last day; inclusive; at most three years after from', example: '2026-03-31' }),
};

export interface PeriodParameters {
  month?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** A closed range of whole UTC days, `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

/**
 * The period a report's parameters name: `month`, or both `from` and `to`,
 * never both kinds. In months, a Period of at most 36 months; in days, the
 * first and last day, at most three years apart. Every refusal is a 400
 * naming the parameter.
 */
export function periodFromQuery(query: PeriodParameters, unit?: 'month'): Period;
export function periodFromQuery(query: PeriodParameters, unit: 'day'): DayRange;
export function periodFromQuery(query: PeriodParameters, unit: 'month' | 'day' = 'month'): Period | DayRange {
  let from: string;
  let to: string;
  if (query.month !== undefined) {
    if (query.from !== undefined || query.to !== undefined) {
      throw new ValidationError([{ path: 'month', message: 'give either month, or from and to, not both' }]);
    }
    from = to = query.month;
  } else {
    if (query.from === undefined || query.to === undefined) {
      throw new ValidationError([{ path: query.from === undefined ? 'from' : 'to', message: 'give month, or both from and to' }]);
    }
    ({ from, to } = query as DayRange);
  }
  if (unit === 'month') {
    if (monthIndex(from) > monthIndex(to)) throw new ValidationError([{ path: 'from', message: `must not be after to (${to})` }]);
    if (monthIndex(to) - monthIndex(from) + 1 > MAX_MONTHS) {
      throw new ValidationError([{ path: 'to', message: `a report spans at most ${MAX_MONTHS} months` }]);
    }
    return periodOfMonths(from, to);
  }
  const range = { from: isValidMonth(from) ? firstDayOfMonth(from) : from, to: isValidMonth(to) ? lastDayOfMonth(to) : to };
  const days = parseDay(range.to) - parseDay(range.from) + 1;
  if (days < 1) throw new ValidationError([{ path: 'from', message: `must not be after to (${query.to})` }]);
  if (days > MAX_DAYS) throw new ValidationError([{ path: 'to', message: `a report spans at most ${MAX_DAYS} days (three years)` }]);
  return range;
}
