/**
 * DailySpend, the spend the ROI report reads: exact bigint sums per (day,
 * campaign, currency). A day is added to or replaced; forEach visits the
 * days of a range in ascending order, whichever of its two ways it walks
 * them (over the stored days when they are fewer than the range's, over the
 * range's days otherwise).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DailySpend } from '../../src/domain/daily-spend.js';

type Visit = [day: number, campaignId: string, currency: string, micros: bigint];

/** What forEach visits, in its order, each day's sums sorted (their order within a day is not set). */
function visits(spend: DailySpend, fromDay: number, toDay: number): Visit[] {
  const seen: Visit[] = [];
  spend.forEach(fromDay, toDay, (day, campaignId, currency, micros) => seen.push([day, campaignId, currency, micros]));
  return seen;
}

const byKey = (a: Visit, b: Visit) => a[0] - b[0] || a[1].localeCompare(b[1]) || a[2].localeCompare(b[2]);
const sorted = (list: Visit[]) => [...list].sort(byKey);
const daysOf = (list: Visit[]) => list.map(([day]) => day);

describe('DailySpend', () => {
  it('adds two lines of the same day, campaign and currency into one sum', () => {
    const spend = new DailySpend();
    spend.add(20_000, 'A', 'EUR', 1_500_000n);
    spend.add(20_000, 'A', 'EUR', 2_250_000n);
    // 1.50 + 2.25 = 3.75 EUR
    expect(visits(spend, 20_000, 20_000)).toEqual([[20_000, 'A', 'EUR', 3_750_000n]]);
  });

  it('keeps a campaign’s currencies apart, and its campaigns apart', () => {
    const spend = new DailySpend();
    spend.add(20_000, 'A', 'EUR', 1_000_000n);
    spend.add(20_000, 'A', 'USD', 2_000_000n);
    spend.add(20_000, 'B', 'EUR', 4_000_000n);
    spend.add(20_000, 'A', 'USD', -500_000n);
    expect(sorted(visits(spend, 20_000, 20_000))).toEqual([
      [20_000, 'A', 'EUR', 1_000_000n],
      [20_000, 'A', 'USD', 1_500_000n], // 2.00 - 0.50
      [20_000, 'B', 'EUR', 4_000_000n],
    ]);
  });

  it('keeps a sum past int64 exact', () => {
    const spend = new DailySpend();
    for (let i = 0; i < 10; i++) spend.add(7, 'A', 'EUR', 1_000_000_000_000_000_000n);
    spend.add(7, 'A', 'EUR', 1n);
    // 10 x 10^18 + 1 = 10^19 + 1, past int64's 9,223,372,036,854,775,807
    expect(visits(spend, 7, 7)).toEqual([[7, 'A', 'EUR', 10_000_000_000_000_000_001n]]);
  });

  it('replaceDay drops the day’s old sums and leaves other days alone', () => {
    const spend = new DailySpend();
    spend.add(100, 'A', 'EUR', 5n);
    spend.add(100, 'B', 'EUR', 7n);
    spend.add(101, 'A', 'EUR', 3n);
    // Two restated lines of A in EUR: 4 + 6 = 10; B's line is gone.
    spend.replaceDay(100, [
      ['A', 'EUR', 4n],
      ['A', 'EUR', 6n],
      ['C', 'USD', 1n],
    ]);
    expect(sorted(visits(spend, 0, 200))).toEqual([
      [100, 'A', 'EUR', 10n],
      [100, 'C', 'USD', 1n],
      [101, 'A', 'EUR', 3n],
    ]);
    spend.replaceDay(101, []);
    expect(visits(spend, 101, 101)).toEqual([]);
    // A replaced day is added to as any other.
    spend.add(100, 'C', 'USD', 2n);
    expect(sorted(visits(spend, 100, 100))).toEqual([
      [100, 'A', 'EUR', 10n],
      [100, 'C', 'USD', 3n],
    ]);
  });

  describe('forEach', () => {
    // Days put in out of order; day -3 is before 1970.
    const spend = new DailySpend();
    for (const day of [10, 1, 5, -3, 3]) spend.add(day, 'A', 'EUR', BigInt(day * 1000));

    it('visits the days of a range much wider than the stored days, ascending', () => {
      // 5 stored days, a range of 2,000,001 days: walks the stored days.
      expect(visits(spend, -1_000_000, 1_000_000)).toEqual([
        [-3, 'A', 'EUR', -3000n],
        [1, 'A', 'EUR', 1000n],
        [3, 'A', 'EUR', 3000n],
        [5, 'A', 'EUR', 5000n],
        [10, 'A', 'EUR', 10000n],
      ]);
      // 5 stored days, a range of exactly 5 days (2..6): still the stored days, cut to the range.
      expect(daysOf(visits(spend, 2, 6))).toEqual([3, 5]);
    });

    it('visits the days of a range narrower than the stored days, ascending, ends included', () => {
      // 5 stored days, a range of 3 (3..5) or 4 (-3..0) days: walks the range.
      expect(daysOf(visits(spend, 3, 5))).toEqual([3, 5]);
      expect(daysOf(visits(spend, -3, 0))).toEqual([-3]);
      expect(daysOf(visits(spend, 10, 10))).toEqual([10]);
      expect(visits(spend, 6, 9)).toEqual([]);
    });

    it('visits nothing for an empty range or an empty store', () => {
      expect(visits(spend, 5, 4)).toEqual([]);
      expect(visits(new DailySpend(), 0, 1000)).toEqual([]);
    });
  });

  it('sums exactly per (campaign, currency) over any range, past the int64 range, as a naive bigint sum does', () => {
    const amount = fc.oneof(
      fc.bigInt({ min: -1_000_000n, max: 1_000_000n }),
      // Near 10^18 either way: ten of them go past int64 (about 9.22 x 10^18).
      fc.bigInt({ min: 999_000_000_000_000_000n, max: 1_000_000_000_000_000_000n }),
      fc.bigInt({ min: -1_000_000_000_000_000_000n, max: -999_000_000_000_000_000n }),
    );
    const line = fc.tuple(fc.integer({ min: -3, max: 6 }), fc.constantFrom('A', 'B', 'C'), fc.constantFrom('EUR', 'USD'), amount);
    const operation = fc.oneof(
      { weight: 5, arbitrary: line.map((l) => ({ kind: 'add' as const, line: l })) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: -3, max: 6 }), fc.array(line, { maxLength: 4 })).map(([day, lines]) => ({ kind: 'replace' as const, day, lines })) },
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), fc.integer({ min: -6, max: 8 }), fc.integer({ min: -1, max: 20 }), (operations, fromDay, span) => {
        const toDay = fromDay + span;
        const spend = new DailySpend();
        // The model: every line kept, a replaced day's lines dropped first.
        let lines: [number, string, string, bigint][] = [];
        for (const op of operations) {
          if (op.kind === 'add') {
            spend.add(...op.line);
            lines.push(op.line);
          } else {
            spend.replaceDay(op.day, op.lines.map(([, campaign, currency, micros]) => [campaign, currency, micros] as const));
            lines = lines.filter(([day]) => day !== op.day);
            for (const [, campaign, currency, micros] of op.lines) lines.push([op.day, campaign, currency, micros]);
          }
        }
        const seen = visits(spend, fromDay, toDay);

        const days = daysOf(seen);
        expect(days.every((day, i) => day >= fromDay && day <= toDay && (i === 0 || day >= days[i - 1]!))).toBe(true);

        const naiveByDay = new Map<string, bigint>();
        const naiveTotals = new Map<string, bigint>();
        for (const [day, campaign, currency, micros] of lines) {
          if (day < fromDay || day > toDay) continue;
          const dayKey = `${day} ${campaign} ${currency}`;
          naiveByDay.set(dayKey, (naiveByDay.get(dayKey) ?? 0n) + micros);
          naiveTotals.set(`${campaign} ${currency}`, (naiveTotals.get(`${campaign} ${currency}`) ?? 0n) + micros);
        }
        const seenByDay = new Map<string, bigint>();
        const seenTotals = new Map<string, bigint>();
        for (const [day, campaign, currency, micros] of seen) {
          const dayKey = `${day} ${campaign} ${currency}`;
          expect(seenByDay.has(dayKey)).toBe(false); // one sum per (day, campaign, currency)
          seenByDay.set(dayKey, micros);
          seenTotals.set(`${campaign} ${currency}`, (seenTotals.get(`${campaign} ${currency}`) ?? 0n) + micros);
        }
        expect(seenByDay).toEqual(naiveByDay);
        expect(seenTotals).toEqual(naiveTotals);
      }),
      { numRuns: 300 },
    );
  });
});

describe('DailySpend.sumPerCampaign and campaignsIn (what burn and ROI read)', () => {
  // Rates scaled by 1e6 here, for hand-checkable numbers: EUR is 1.10 until day 20,002, then 1.20.
  const rateOf = (currency: string, day: number): bigint | null =>
    currency === 'USD' ? 1_000_000n : currency === 'EUR' ? (day < 20_002 ? 1_100_000n : 1_200_000n) : null;

  function sample(): DailySpend {
    const spend = new DailySpend();
    spend.add(20_000, 'A', 'USD', 10_000_000n); // 10 USD
    spend.add(20_001, 'A', 'USD', 5_000_000n); // 5 USD
    spend.add(20_001, 'A', 'EUR', 2_000_000n); // 2 EUR at 1.10 = 2.20
    spend.add(20_002, 'A', 'EUR', 1_000_000n); // 1 EUR at 1.20 = 1.20
    spend.add(20_003, 'B', 'USD', 0n); // a line of zero still makes B a spender
    spend.add(20_005, 'C', 'GBP', 7_000_000n); // no rate
    return spend;
  }

  it('converts each day at its own rate, in micros x the rate scale', () => {
    const sums = sample().sumPerCampaign(20_000, 20_003, rateOf);
    // A: 10 + 5 + 2.20 + 1.20 = 18.40, in micros x 1e6.
    expect(sums).toEqual(new Map([['A', 18_400_000n * 1_000_000n], ['B', 0n]]));
  });

  it('keeps to the range, and skips sums without a rate (the caller notes them)', () => {
    expect(sample().sumPerCampaign(20_001, 20_001, rateOf)).toEqual(new Map([['A', 7_200_000n * 1_000_000n]]));
    const missing: string[] = [];
    const sums = sample().sumPerCampaign(20_004, 20_010, (currency, day) => {
      const rate = rateOf(currency, day);
      if (rate === null) missing.push(`${currency} ${day}`);
      return rate;
    });
    expect(sums).toEqual(new Map());
    expect(missing).toEqual(['GBP 20005']);
  });

  it('names every campaign with a line in the range, even one that sums to zero', () => {
    expect(sample().campaignsIn(20_000, 20_010)).toEqual(new Set(['A', 'B', 'C']));
    expect(sample().campaignsIn(20_003, 20_004)).toEqual(new Set(['B']));
    expect(sample().campaignsIn(19_000, 19_999)).toEqual(new Set());
  });

  it('property: equals a naive sum of forEach visits at each day’s rate', () => {
    const line = fc.record({
      day: fc.integer({ min: 0, max: 40 }),
      campaign: fc.constantFrom('A', 'B', 'C', 'D'),
      currency: fc.constantFrom('USD', 'EUR', 'JPY'),
      micros: fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
    });
    const rate = (currency: string, day: number) => (currency === 'USD' ? 1_000_000_000_000n : BigInt(1_000 + ((day * 37) % 11)) * (currency === 'EUR' ? 1_000_000_000n : 7_000_000n));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 120 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (lines, a, b) => {
        const spend = new DailySpend();
        for (const l of lines) spend.add(l.day, l.campaign, l.currency, l.micros);
        const [from, to] = a <= b ? [a, b] : [b, a];
        const naive = new Map<string, bigint>();
        spend.forEach(from, to, (day, campaignId, currency, micros) => naive.set(campaignId, (naive.get(campaignId) ?? 0n) + micros * rate(currency, day)));
        expect(spend.sumPerCampaign(from, to, rate)).toEqual(naive);
        expect(spend.campaignsIn(from, to)).toEqual(new Set(naive.keys()));
      }),
      { numRuns: 300 },
    );
  });
});
