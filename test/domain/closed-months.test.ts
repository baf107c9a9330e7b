/**
 * ClosedMonths: the questions every write path asks of the set of closed
 * months. Months are whole UTC months, [first instant, first instant of the
 * next month).
 */
import { describe, expect, it } from 'vitest';
import { ClosedMonths, monthBoundsMs } from '../../src/domain/closed-months.js';

const ms = (iso: string) => Date.parse(iso);

describe('monthBoundsMs', () => {
  it('is [first instant of the month, first instant of the next) in UTC', () => {
    expect(monthBoundsMs('2026-02')).toEqual({ startMs: ms('2026-02-01T00:00:00.000Z'), endMs: ms('2026-03-01T00:00:00.000Z') });
    // 28 days of 86,400,000 ms.
    const feb = monthBoundsMs('2026-02');
    expect(feb.endMs - feb.startMs).toBe(28 * 86_400_000);
  });

  it('knows leap Februaries and crosses the year at December', () => {
    const leap = monthBoundsMs('2028-02');
    expect(leap).toEqual({ startMs: ms('2028-02-01T00:00:00Z'), endMs: ms('2028-03-01T00:00:00Z') });
    expect(leap.endMs - leap.startMs).toBe(29 * 86_400_000);
    expect(monthBoundsMs('2100-02').endMs - monthBoundsMs('2100-02').startMs).toBe(28 * 86_400_000); // not a leap year
    expect(monthBoundsMs('2000-02').endMs - monthBoundsMs('2000-02').startMs).toBe(29 * 86_400_000); // divisible by 400
    expect(monthBoundsMs('2025-12')).toEqual({ startMs: ms('2025-12-01T00:00:00Z'), endMs: ms('2026-01-01T00:00:00Z') });
    expect(monthBoundsMs('2026-01').startMs).toBe(monthBoundsMs('2025-12').endMs);
  });

  it('tiles the calendar: each month ends where the next begins', () => {
    const months = Array.from({ length: 36 }, (_, i) => `${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
    for (let i = 1; i < months.length; i++) expect(monthBoundsMs(months[i]!).startMs, months[i]).toBe(monthBoundsMs(months[i - 1]!).endMs);
  });
});

describe('ClosedMonths', () => {
  it('keeps its months sorted and without repeats', () => {
    const closed = new ClosedMonths(['2026-02', '2025-12', '2026-02', '2025-11']);
    expect(closed.months).toEqual(['2025-11', '2025-12', '2026-02']);
    expect(closed.size).toBe(3);
    expect(new ClosedMonths([]).size).toBe(0);
  });

  it('ofMonth: the month itself when closed, else null', () => {
    const closed = new ClosedMonths(['2026-02']);
    expect(closed.ofMonth('2026-02')).toBe('2026-02');
    expect(closed.ofMonth('2026-01')).toBeNull();
    expect(closed.ofMonth('2026-03')).toBeNull();
    expect(closed.ofMonth('2025-02')).toBeNull();
  });

  it('ofDate: the first and last day of a closed month are in it, the days either side are not', () => {
    const closed = new ClosedMonths(['2026-02', '2028-02', '2025-12']);
    expect(closed.ofDate('2026-01-31')).toBeNull();
    expect(closed.ofDate('2026-02-01')).toBe('2026-02');
    expect(closed.ofDate('2026-02-28')).toBe('2026-02');
    expect(closed.ofDate('2026-03-01')).toBeNull();
    // Leap February: the 29th is in it.
    expect(closed.ofDate('2028-02-29')).toBe('2028-02');
    expect(closed.ofDate('2028-03-01')).toBeNull();
    // December to January.
    expect(closed.ofDate('2025-11-30')).toBeNull();
    expect(closed.ofDate('2025-12-01')).toBe('2025-12');
    expect(closed.ofDate('2025-12-31')).toBe('2025-12');
    expect(closed.ofDate('2026-01-01')).toBeNull();
  });

  describe('ofInstant', () => {
    const closed = new ClosedMonths(['2026-02', '2028-02', '2025-12']);

    it('takes [first instant, next month’s first instant), to the millisecond', () => {
      expect(closed.ofInstant(ms('2026-01-31T23:59:59.999Z'))).toBeNull();
      expect(closed.ofInstant(ms('2026-02-01T00:00:00.000Z'))).toBe('2026-02');
      expect(closed.ofInstant(ms('2026-02-28T23:59:59.999Z'))).toBe('2026-02');
      expect(closed.ofInstant(ms('2026-03-01T00:00:00.000Z'))).toBeNull();
    });

    it('reads the UTC month, whatever offset the instant was written with', () => {
      // 01:30 on March 1st at +02:00 is 23:30 on February 28th UTC.
      expect(closed.ofInstant(ms('2026-03-01T01:30:00+02:00'))).toBe('2026-02');
      // 23:30 on February 28th at -01:00 is 00:30 on March 1st UTC.
      expect(closed.ofInstant(ms('2026-02-28T23:30:00-01:00'))).toBeNull();
      // 23:30 on January 31st at -01:00 is 00:30 on February 1st UTC.
      expect(closed.ofInstant(ms('2026-01-31T23:30:00-01:00'))).toBe('2026-02');
    });

    it('knows the leap day and the turn of the year', () => {
      expect(closed.ofInstant(ms('2028-02-29T23:59:59.999Z'))).toBe('2028-02');
      expect(closed.ofInstant(ms('2028-03-01T00:00:00.000Z'))).toBeNull();
      expect(closed.ofInstant(ms('2025-11-30T23:59:59.999Z'))).toBeNull();
      expect(closed.ofInstant(ms('2025-12-01T00:00:00.000Z'))).toBe('2025-12');
      expect(closed.ofInstant(ms('2025-12-31T23:59:59.999Z'))).toBe('2025-12');
      expect(closed.ofInstant(ms('2026-01-01T00:00:00.000Z'))).toBeNull();
    });

    it('with nothing closed, is null everywhere', () => {
      expect(new ClosedMonths([]).ofInstant(ms('2026-02-10T00:00:00Z'))).toBeNull();
    });
  });

  describe('firstAfter', () => {
    const closed = new ClosedMonths(['2026-04', '2026-02', '2025-12']);

    it('is the first closed month that starts after the date', () => {
      expect(closed.firstAfter('2025-11-30')).toBe('2025-12');
      expect(closed.firstAfter('2025-12-01')).toBe('2026-02'); // December starts on, not after, the date
      expect(closed.firstAfter('2025-12-31')).toBe('2026-02');
      expect(closed.firstAfter('2026-01-31')).toBe('2026-02');
      expect(closed.firstAfter('2026-02-01')).toBe('2026-04');
      expect(closed.firstAfter('2026-03-31')).toBe('2026-04');
      expect(closed.firstAfter('2026-04-01')).toBeNull();
      expect(closed.firstAfter('2026-12-31')).toBeNull();
    });

    it('is null when nothing is closed', () => {
      expect(new ClosedMonths([]).firstAfter('2026-01-01')).toBeNull();
    });
  });
});
