/** Calendar arithmetic on UTC days: month lengths, periods of months, days elapsed as of a date. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  dayOfInstant,
  daysInMonth,
  elapsed,
  formatDay,
  isValidDate,
  isValidMonth,
  lastDayOfMonth,
  MAX_YEAR,
  MIN_YEAR,
  monthIndex,
  monthOfIndex,
  monthsBetween,
  parseDay,
  periodOfMonths,
} from '../../src/domain/periods.js';

describe('month lengths', () => {
  it('knows 28, 29, 30 and 31-day months', () => {
    expect(daysInMonth(2026, 2)).toBe(28);
    expect(daysInMonth(2028, 2)).toBe(29); // divisible by 4
    expect(daysInMonth(2000, 2)).toBe(29); // divisible by 400
    expect(daysInMonth(2100, 2)).toBe(28); // divisible by 100, not 400
    expect(daysInMonth(2026, 4)).toBe(30);
    expect(daysInMonth(2026, 3)).toBe(31);
    expect(daysInMonth(2026, 12)).toBe(31);
    const lengths = Array.from({ length: 12 }, (_, i) => daysInMonth(2026, i + 1));
    expect(lengths).toEqual([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    expect(lengths.reduce((a, b) => a + b)).toBe(365);
  });

  it('gives the last day of a month', () => {
    expect(lastDayOfMonth('2026-02')).toBe('2026-02-28');
    expect(lastDayOfMonth('2028-02')).toBe('2028-02-29');
    expect(lastDayOfMonth('2026-04')).toBe('2026-04-30');
    expect(lastDayOfMonth('2026-03')).toBe('2026-03-31');
  });

  it('validates dates against the calendar', () => {
    expect(isValidDate('2026-02-28')).toBe(true);
    expect(isValidDate('2026-02-29')).toBe(false);
    expect(isValidDate('2028-02-29')).toBe(true);
    expect(isValidDate('2026-04-31')).toBe(false);
    expect(isValidDate('2026-13-01')).toBe(false);
    expect(isValidDate('2026-00-10')).toBe(false);
    expect(isValidDate('2026-3-1')).toBe(false);
    expect(isValidDate('2026-03-01T00:00:00Z')).toBe(false);
    expect(isValidMonth('2026-12')).toBe(true);
    expect(isValidMonth('2026-13')).toBe(false);
    expect(isValidMonth('2026-00')).toBe(false);
    expect(isValidMonth('2026-3')).toBe(false);
  });
});

describe('days as integers', () => {
  it('counts days since 1970-01-01 in UTC', () => {
    expect(parseDay('1970-01-01')).toBe(0);
    expect(parseDay('1970-01-02')).toBe(1);
    // 2026-03-01 minus 2026-02-01 is February's 28 days.
    expect(parseDay('2026-03-01') - parseDay('2026-02-01')).toBe(28);
    expect(parseDay('2029-01-01') - parseDay('2028-01-01')).toBe(366);
    expect(formatDay(parseDay('2028-02-29') + 1)).toBe('2028-03-01');
    expect(() => parseDay('2026-02-30')).toThrow(RangeError);
  });

  it('takes the UTC day of an instant, whatever the local offset said', () => {
    expect(formatDay(dayOfInstant(Date.parse('2026-03-01T23:59:59.999Z')))).toBe('2026-03-01');
    expect(formatDay(dayOfInstant(Date.parse('2026-03-02T00:30:00+01:00')))).toBe('2026-03-01');
    expect(formatDay(dayOfInstant(Date.parse('1969-12-31T12:00:00Z')))).toBe('1969-12-31');
  });

  it('round-trips every day', () => {
    fc.assert(
      fc.property(fc.integer({ min: parseDay('1900-01-01'), max: parseDay('2199-12-31') }), (day) => {
        const text = formatDay(day);
        expect(isValidDate(text)).toBe(true);
        expect(parseDay(text)).toBe(day);
      }),
      { numRuns: 500 },
    );
  });
});

describe('ranges of months', () => {
  it('adds months across year ends', () => {
    expect(addMonths('2026-12', 1)).toBe('2027-01');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addMonths('2026-03', 24)).toBe('2028-03');
    expect(addMonths('2026-03', 0)).toBe('2026-03');
  });

  it('lists the months from..to, both included', () => {
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-03', '2026-03')).toEqual(['2026-03']);
    expect(monthsBetween('2026-04', '2026-03')).toEqual([]);
  });

  it('makes a one-month period of 28, 30 or 31 days', () => {
    expect(periodOfMonths('2026-02', '2026-02')).toEqual({
      fromMonth: '2026-02',
      toMonth: '2026-02',
      start: '2026-02-01',
      end: '2026-02-28',
      months: ['2026-02'],
      daysInPeriod: 28,
    });
    expect(periodOfMonths('2026-04', '2026-04').daysInPeriod).toBe(30);
    expect(periodOfMonths('2026-03', '2026-03').daysInPeriod).toBe(31);
    expect(periodOfMonths('2028-02', '2028-02').daysInPeriod).toBe(29);
  });

  it('makes a period of several months: Feb+Mar+Apr 2026 is 28+31+30 = 89 days', () => {
    const period = periodOfMonths('2026-02', '2026-04');
    expect(period.start).toBe('2026-02-01');
    expect(period.end).toBe('2026-04-30');
    expect(period.months).toEqual(['2026-02', '2026-03', '2026-04']);
    expect(period.daysInPeriod).toBe(89);
    // A whole year: 365, or 366 with a 29 February in it.
    expect(periodOfMonths('2026-01', '2026-12').daysInPeriod).toBe(365);
    expect(periodOfMonths('2027-03', '2028-02').daysInPeriod).toBe(366);
    // Across a year end: Dec 31 + Jan 31 = 62.
    expect(periodOfMonths('2025-12', '2026-01').daysInPeriod).toBe(62);
  });
});

describe('elapsed(period, asOf)', () => {
  const march = periodOfMonths('2026-03', '2026-03');

  it('is nothing before the period', () => {
    expect(elapsed(march, '2026-02-28')).toEqual({ daysElapsed: 0, countThrough: null });
    expect(elapsed(march, '2025-03-15')).toEqual({ daysElapsed: 0, countThrough: null });
  });

  it('counts the days up to and including asOf inside the period', () => {
    expect(elapsed(march, '2026-03-01')).toEqual({ daysElapsed: 1, countThrough: '2026-03-01' });
    expect(elapsed(march, '2026-03-15')).toEqual({ daysElapsed: 15, countThrough: '2026-03-15' });
    expect(elapsed(march, '2026-03-30')).toEqual({ daysElapsed: 30, countThrough: '2026-03-30' });
  });

  it('is the whole period on its last day and after it', () => {
    expect(elapsed(march, '2026-03-31')).toEqual({ daysElapsed: 31, countThrough: '2026-03-31' });
    expect(elapsed(march, '2026-04-01')).toEqual({ daysElapsed: 31, countThrough: '2026-03-31' });
    expect(elapsed(march, '2030-01-01')).toEqual({ daysElapsed: 31, countThrough: '2026-03-31' });
  });

  it('counts through month boundaries of a range', () => {
    const febToApr = periodOfMonths('2026-02', '2026-04');
    // All 28 days of February, then 15 of March.
    expect(elapsed(febToApr, '2026-03-15')).toEqual({ daysElapsed: 43, countThrough: '2026-03-15' });
    // 28 + 31 + 1.
    expect(elapsed(febToApr, '2026-04-01')).toEqual({ daysElapsed: 60, countThrough: '2026-04-01' });
    expect(elapsed(febToApr, '2026-01-31').daysElapsed).toBe(0);
    expect(elapsed(febToApr, '2026-05-01').daysElapsed).toBe(89);
  });

  it('property: 0 <= daysElapsed <= daysInPeriod, and each later asOf adds at most a day', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }).map((i) => `20${String(25 + Math.floor(i / 12)).padStart(2, '0')}-${String((i % 12) + 1).padStart(2, '0')}`),
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: parseDay('2024-11-01'), max: parseDay('2029-12-31') }),
        (fromMonth, extra, asOfDay) => {
          const period = periodOfMonths(fromMonth, addMonths(fromMonth, extra));
          const today = elapsed(period, formatDay(asOfDay)).daysElapsed;
          const tomorrow = elapsed(period, formatDay(asOfDay + 1)).daysElapsed;
          expect(today).toBeGreaterThanOrEqual(0);
          expect(today).toBeLessThanOrEqual(period.daysInPeriod);
          expect(tomorrow - today).toBeGreaterThanOrEqual(0);
          expect(tomorrow - today).toBeLessThanOrEqual(1);
          // Inside the period, daysElapsed is the count of days from start to asOf.
          if (formatDay(asOfDay) >= period.start && formatDay(asOfDay) <= period.end) {
            expect(today).toBe(asOfDay - parseDay(period.start) + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the supported years, 1900 to 2999', () => {
  it('takes dates and months from 1900-01-01 to 2999-12-31, and nothing outside', () => {
    expect([MIN_YEAR, MAX_YEAR]).toEqual([1900, 2999]);
    expect(isValidDate('1900-01-01')).toBe(true);
    expect(isValidDate('2999-12-31')).toBe(true);
    expect(isValidDate('1899-12-31')).toBe(false);
    expect(isValidDate('3000-01-01')).toBe(false);
    expect(isValidDate('9999-12-31')).toBe(false);
    expect(isValidDate('0000-01-01')).toBe(false);
    expect(isValidMonth('1900-01')).toBe(true);
    expect(isValidMonth('2999-12')).toBe(true);
    expect(isValidMonth('3000-01')).toBe(false);
    expect(isValidMonth('9999-12')).toBe(false);
    expect(isValidMonth('1899-12')).toBe(false);
  });

  it('numbers months as integers: the next month is the next integer, across year ends', () => {
    // 2026 x 12 + 3 - 1 = 24314.
    expect(monthIndex('2026-03')).toBe(24_314);
    expect(monthIndex('2027-01') - monthIndex('2026-12')).toBe(1);
    expect(monthOfIndex(monthIndex('1900-01'))).toBe('1900-01');
    expect(monthOfIndex(monthIndex('2999-12'))).toBe('2999-12');
    expect(() => monthIndex('2026-13')).toThrow(RangeError);
    expect(() => monthIndex('10000-01')).toThrow(RangeError);
  });

  it('never steps out of the years: addMonths past 2999-12 or before 1900-01 throws instead of writing 3000-01 or 10000-01', () => {
    expect(addMonths('2999-11', 1)).toBe('2999-12');
    expect(() => addMonths('2999-12', 1)).toThrow(RangeError);
    expect(() => addMonths('1900-01', -1)).toThrow(RangeError);
    expect(() => monthsBetween('2999-12', '9999-12')).toThrow(RangeError);
    // The month that used to loop forever: 2999-12 is the last, one month long.
    expect(monthsBetween('2999-12', '2999-12')).toEqual(['2999-12']);
    expect(periodOfMonths('2999-12', '2999-12')).toMatchObject({ start: '2999-12-01', end: '2999-12-31', daysInPeriod: 31 });
    expect(() => periodOfMonths('2026-04', '2026-03')).toThrow(RangeError);
  });

  const anyMonth = fc.integer({ min: monthIndex('1900-01'), max: monthIndex('2999-12') });

  it('property: index and text round-trip, and text order is index order', () => {
    fc.assert(
      fc.property(anyMonth, anyMonth, (a, b) => {
        const [ma, mb] = [monthOfIndex(a), monthOfIndex(b)];
        expect(isValidMonth(ma)).toBe(true);
        expect(monthIndex(ma)).toBe(a);
        expect(Math.sign(ma.localeCompare(mb))).toBe(Math.sign(a - b));
      }),
      { numRuns: 500 },
    );
  });

  it('property: monthsBetween lists to - from + 1 consecutive months, each one after the last', () => {
    fc.assert(
      fc.property(anyMonth, fc.integer({ min: -3, max: 40 }), (from, span) => {
        const to = Math.max(monthIndex('1900-01'), Math.min(from + span, monthIndex('2999-12')));
        const months = monthsBetween(monthOfIndex(from), monthOfIndex(to));
        expect(months).toHaveLength(Math.max(0, to - from + 1));
        months.forEach((month, i) => expect(monthIndex(month)).toBe(from + i));
      }),
      { numRuns: 500 },
    );
  });

  it('property: a day of the years round-trips, and elapsed() counts it numerically', () => {
    fc.assert(
      fc.property(fc.integer({ min: parseDay('1900-01-01'), max: parseDay('2999-12-31') }), anyMonth, (day, month) => {
        const text = formatDay(day);
        expect(parseDay(text)).toBe(day);
        const period = periodOfMonths(monthOfIndex(month), monthOfIndex(month));
        const { daysElapsed } = elapsed(period, text);
        const start = parseDay(period.start);
        expect(daysElapsed).toBe(Math.min(Math.max(day - start + 1, 0), period.daysInPeriod));
      }),
      { numRuns: 500 },
    );
  });
});
