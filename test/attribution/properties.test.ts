/**
 * Properties over random journeys (up to 5 customers, 4 campaigns, 25
 * touches on coarse instants so that ties on the same instant are common,
 * 8 conversions, some refunded):
 *
 * - every model's shares are non-negative and sum to 1;
 * - the engine equals a plain per-conversion reference (filter the window,
 *   sort by instant then id, split with splitAmount), to the atto;
 * - each conversion's parts add up to its amount exactly;
 * - shuffling the input order of touches and conversions changes nothing;
 * - a conversion and its full refund net to zero for every campaign;
 * - data_driven gives identical numbers on repeated and shuffled runs, and
 *   weights that are non-negative and sum to 1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attribute,
  attributeDataDriven,
  attributeHeuristic,
  HEURISTIC_MODELS,
  type HeuristicModel,
  splitAmount,
  splitByShares,
  touchShares,
} from '../../src/domain/attribution/index.js';
import { DAY, dollars, type ConversionSpec, type Journeys, load, sum, T, type TouchSpec } from './journeys.js';

const CAMPAIGNS = ['g', 'm', 'e', 'd'];
const RANGE = { start: T - 10 * DAY, end: T + 6 * DAY };

const journeysArb = fc
  .record({
    touches: fc.array(
      fc.record({
        customer: fc.nat({ max: 4 }),
        campaign: fc.nat({ max: 3 }),
        day: fc.integer({ min: -100, max: 8 }),
        hour: fc.constantFrom(0, 0, 0, 6, 12),
      }),
      { maxLength: 25 },
    ),
    conversions: fc.array(
      fc.record({
        customer: fc.nat({ max: 4 }),
        day: fc.integer({ min: -10, max: 5 }),
        amount: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.constantFrom(1n, 100n * 10n ** 18n)),
        refundPercent: fc.option(fc.integer({ min: 1, max: 100 })),
      }),
      { maxLength: 8 },
    ),
  })
  .map(({ touches, conversions }): Journeys => {
    const conversionSpecs: ConversionSpec[] = [];
    for (const c of conversions) {
      const at = T + c.day * DAY;
      conversionSpecs.push({ customer: `c${c.customer}`, at, amount: attosText(c.amount) });
      if (c.refundPercent !== null) {
        conversionSpecs.push({ customer: `c${c.customer}`, at, amount: attosText(-(c.amount * BigInt(c.refundPercent)) / 100n), refund: true });
      }
    }
    return {
      campaigns: CAMPAIGNS,
      touches: touches.map((t, i): TouchSpec => ({
        id: `t${(i * 7) % 25}-${i}`,
        customer: `c${t.customer}`,
        campaign: CAMPAIGNS[t.campaign]!,
        at: T + t.day * DAY + t.hour * 3_600_000,
      })),
      conversions: conversionSpecs,
    };
  });

/** Attos as the dollar string `load` reads. */
function attosText(attos: bigint): string {
  const negative = attos < 0n;
  const abs = negative ? -attos : attos;
  return `${negative ? '-' : ''}${abs / 10n ** 18n}.${(abs % 10n ** 18n).toString().padStart(18, '0')}`;
}

const optionsArb = fc.record({
  lookbackDays: fc.integer({ min: 1, max: 120 }),
  halfLifeDays: fc.double({ min: 0.05, max: 30, noNaN: true }),
});

/** Per conversion, the plain way: the window by filter, the order by sort, the split by splitAmount. */
function reference(model: HeuristicModel, journeys: Journeys, lookbackDays: number, halfLifeDays: number) {
  const revenue = CAMPAIGNS.map(() => 0n);
  let unattributed = 0n;
  for (const conversion of journeys.conversions) {
    const amount = dollars(conversion.amount);
    const eligible = journeys.touches
      .filter((t) => t.customer === conversion.customer && conversion.at - lookbackDays * DAY < t.at && t.at <= conversion.at)
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
    const n = eligible.length;
    if (n === 0) {
      unattributed += amount;
      continue;
    }
    let parts: bigint[];
    if (model === 'time_decay') {
      parts = splitByShares(amount, touchShares('time_decay', eligible.map((t) => t.at), conversion.at, halfLifeDays));
    } else {
      const weights = eligible.map((_, i) => {
        if (model === 'first_touch') return i === 0 ? 1 : 0;
        if (model === 'last_touch') return i === n - 1 ? 1 : 0;
        if (model === 'position_based' && n > 2) return i === 0 || i === n - 1 ? 2 * (n - 2) : 1;
        return 1;
      });
      parts = splitAmount(amount, weights);
    }
    parts.forEach((part, i) => (revenue[CAMPAIGNS.indexOf(eligible[i]!.campaign)]! += part));
  }
  return { revenue, unattributed };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 48271) % 2147483647;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('shares', () => {
  it('are non-negative and sum to 1 for every model', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 90 * DAY - 1 }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0.001, max: 365, noNaN: true }),
        (ages, halfLifeDays) => {
          const times = ages.map((age) => T - age).sort((a, b) => a - b);
          for (const model of HEURISTIC_MODELS) {
            const shares = touchShares(model, times, T, halfLifeDays);
            expect(shares.every((share) => share >= 0)).toBe(true);
            expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the heuristic models over random journeys', () => {
  it('equal the per-conversion reference, to the atto', () => {
    fc.assert(
      fc.property(journeysArb, optionsArb, (journeys, { lookbackDays, halfLifeDays }) => {
        const loaded = load(journeys);
        for (const model of HEURISTIC_MODELS) {
          const result = attributeHeuristic(loaded.touches, loaded.conversions, { model, lookbackDays, halfLifeDays });
          const expected = reference(model, journeys, lookbackDays, halfLifeDays);
          expect(result.revenue).toEqual(expected.revenue);
          expect(result.unattributedRevenue).toBe(expected.unattributed);
          expect(sum(result.revenue) + result.unattributedRevenue).toBe(sum(journeys.conversions.map((c) => dollars(c.amount))));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('split each conversion into parts that add up to its amount exactly', () => {
    fc.assert(
      fc.property(journeysArb, (journeys) => {
        for (const conversion of journeys.conversions) {
          const loaded = load({ ...journeys, conversions: [conversion] });
          for (const model of HEURISTIC_MODELS) {
            const result = attributeHeuristic(loaded.touches, loaded.conversions, { model });
            if (result.unattributedRevenue === 0n && result.unattributedConversions === 0n) {
              expect(sum(result.revenue)).toBe(dollars(conversion.amount));
            } else {
              expect(result.revenue.every((part) => part === 0n)).toBe(true);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('do not depend on the input order of touches and conversions', () => {
    fc.assert(
      fc.property(journeysArb, fc.integer({ min: 1, max: 2 ** 30 }), (journeys, seed) => {
        const a = load(journeys);
        const b = load({ ...journeys, touches: shuffled(journeys.touches, seed), conversions: shuffled(journeys.conversions, seed + 1) });
        for (const model of HEURISTIC_MODELS) {
          expect(attributeHeuristic(b.touches, b.conversions, { model })).toEqual(attributeHeuristic(a.touches, a.conversions, { model }));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('a conversion and its full refund', () => {
  it('net to zero for every campaign, under every model, and leave the conversions counted', () => {
    fc.assert(
      fc.property(journeysArb, (journeys) => {
        const conversions = journeys.conversions.filter((c) => !c.refund);
        const refunded: Journeys = {
          ...journeys,
          conversions: conversions.flatMap((c) => [c, { ...c, amount: `-${c.amount}`.replace('--', ''), refund: true }]),
        };
        const plain = load({ ...journeys, conversions });
        const loaded = load(refunded);
        for (const model of [...HEURISTIC_MODELS, 'data_driven'] as const) {
          const options = model === 'data_driven' ? { model, range: RANGE } : { model };
          const result = attribute(loaded.touches, loaded.conversions, options);
          expect(result.revenue.every((attos) => attos === 0n)).toBe(true);
          expect(result.unattributedRevenue).toBe(0n);
          expect(result.conversions).toEqual(attribute(plain.touches, plain.conversions, options).conversions);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('data_driven over random journeys', () => {
  it('gives identical numbers on repeated runs and under shuffled input', () => {
    fc.assert(
      fc.property(journeysArb, fc.integer({ min: 1, max: 2 ** 30 }), (journeys, seed) => {
        const a = load(journeys);
        const b = load({ ...journeys, touches: shuffled(journeys.touches, seed), conversions: shuffled(journeys.conversions, seed + 1) });
        const first = attributeDataDriven(a.touches, a.conversions, { range: RANGE });
        expect(attributeDataDriven(a.touches, a.conversions, { range: RANGE })).toEqual(first);
        const other = attributeDataDriven(b.touches, b.conversions, { range: RANGE });
        expect(other).toEqual(first);
        // Bit for bit, not just approximately.
        expect(Array.from(other.chain.weights).map((w) => w.toString(16))).toEqual(Array.from(first.chain.weights).map((w) => w.toString(16)));
      }),
      { numRuns: 100 },
    );
  });

  it('has non-negative weights summing to 1 whenever some conversion is explained, and exact totals', () => {
    fc.assert(
      fc.property(journeysArb, (journeys) => {
        const loaded = load(journeys);
        const result = attributeDataDriven(loaded.touches, loaded.conversions, { range: RANGE });
        const weights = Array.from(result.chain.weights);
        expect(weights.every((w) => w >= 0)).toBe(true);
        if (result.chain.conversionProbability > 0) {
          expect(Math.abs(weights.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
          expect(result.chain.convertingPaths).toBeGreaterThan(0);
        } else {
          expect(result.chain.convertingPaths).toBe(0);
          expect(result.unattributedRevenue).toBe(result.totalRevenue);
        }
        expect(sum(result.revenue) + result.unattributedRevenue).toBe(result.totalRevenue);
        expect(sum(result.conversions) + result.unattributedConversions).toBe(result.totalConversions);
      }),
      { numRuns: 150 },
    );
  });
});
