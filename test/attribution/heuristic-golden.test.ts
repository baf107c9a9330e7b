/**
 * The five heuristic models on journeys small enough to check by hand, as
 * issue 3 lists them: one touch, two touches, touches on the same instant,
 * the lookback boundary, a touch after the conversion, a conversion with
 * no touch, a refund. Amounts are dollars in, attos out; where a share is
 * not a finite binary fraction the cents are asserted and the exact total.
 *
 * Campaigns: g (paid search), m (paid social), e (email), d (display).
 * Every conversion is at T = 2026-03-15 12:00 UTC unless said otherwise.
 */
import { describe, expect, it } from 'vitest';
import {
  attributeHeuristic,
  CONVERSION_UNITS,
  HEURISTIC_MODELS,
  type HeuristicModel,
  touchShares,
} from '../../src/domain/attribution/index.js';
import { cents, conversionsBy, conversionsText, DAY, daysBefore, dollars, load, mapValues, revenueBy, sum, T } from './journeys.js';

const CAMPAIGNS = ['g', 'm', 'e', 'd'];

function run(model: HeuristicModel, journeys: Parameters<typeof load>[0], options: { lookbackDays?: number; halfLifeDays?: number } = {}) {
  const loaded = load(journeys);
  const result = attributeHeuristic(loaded.touches, loaded.conversions, { model, ...options });
  // Whatever the model: the campaign rows and the unattributed bucket add up to every amount given, to the atto.
  expect(sum(result.revenue) + result.unattributedRevenue).toBe(result.totalRevenue);
  expect(sum(result.conversions) + result.unattributedConversions).toBe(result.totalConversions);
  return {
    result,
    revenue: revenueBy(result, loaded.campaigns),
    revenueCents: mapValues(revenueBy(result, loaded.campaigns), cents),
    conversions: mapValues(conversionsBy(result, loaded.campaigns), conversionsText),
  };
}

const only = (campaign: string, amount = '100') => ({ [campaign]: dollars(amount) });

describe('a single touch', () => {
  // c1 saw g three days before buying for $100: every model gives g everything.
  const journeys = {
    campaigns: CAMPAIGNS,
    touches: [{ id: 't1', customer: 'c1', campaign: 'g', at: daysBefore(3) }],
    conversions: [{ customer: 'c1', at: T, amount: '100' }],
  };
  it.each(HEURISTIC_MODELS)('%s gives the one touch the whole conversion', (model) => {
    const { revenue, result } = run(model, journeys);
    expect(revenue).toEqual(only('g'));
    expect(result.conversions[0]).toBe(CONVERSION_UNITS);
  });
});

describe('two touches: g 10 days before, m 2 days before, $100', () => {
  const journeys = {
    campaigns: CAMPAIGNS,
    touches: [
      { id: 't2', customer: 'c1', campaign: 'm', at: daysBefore(2) },
      { id: 't1', customer: 'c1', campaign: 'g', at: daysBefore(10) },
    ],
    conversions: [{ customer: 'c1', at: T, amount: '100' }],
  };

  it('first_touch: all to g; last_touch: all to m', () => {
    expect(run('first_touch', journeys).revenue).toEqual(only('g'));
    expect(run('last_touch', journeys).revenue).toEqual(only('m'));
  });

  it('linear and position_based (n = 2): half each, exactly', () => {
    for (const model of ['linear', 'position_based'] as const) {
      const { revenue, conversions } = run(model, journeys);
      expect(revenue).toEqual({ g: dollars('50'), m: dollars('50') });
      expect(conversions).toEqual({ g: '0.5000', m: '0.5000' });
    }
  });

  it('time_decay (half-life 7 days): 31.17 to g, 68.83 to m', () => {
    // Weights 2^(-10/7) = 0.371528 and 2^(-2/7) = 0.820335; g's share is
    // 0.371528 / 1.191863 = 2^(-8/7) / (1 + 2^(-8/7)) = 0.452862 / 1.452862 = 0.311703.
    expect(touchShares('time_decay', [daysBefore(10), daysBefore(2)], T)[0]).toBeCloseTo(0.31170330317, 10);
    const { revenueCents, conversions, result } = run('time_decay', journeys);
    expect(revenueCents).toEqual({ g: '31.17', m: '68.83' });
    expect(conversions).toEqual({ g: '0.3117', m: '0.6883' });
    expect(sum(result.revenue)).toBe(dollars('100'));
  });
});

describe('touches on the same instant are ordered by touchpoint id', () => {
  // Three touches one day before, ids compared as strings: "c-1" < "c-10" < "c-2"
  // (not numerically), so the journey is d, e, g whatever order they arrive in.
  const journeys = {
    campaigns: CAMPAIGNS,
    touches: [
      { id: 'c-2', customer: 'c1', campaign: 'g', at: daysBefore(1) },
      { id: 'c-10', customer: 'c1', campaign: 'e', at: daysBefore(1) },
      { id: 'c-1', customer: 'c1', campaign: 'd', at: daysBefore(1) },
    ],
    conversions: [{ customer: 'c1', at: T, amount: '100' }],
  };

  it('first_touch credits "c-1" (d), last_touch "c-2" (g)', () => {
    expect(run('first_touch', journeys).revenue).toEqual(only('d'));
    expect(run('last_touch', journeys).revenue).toEqual(only('g'));
  });

  it('position_based: 40 to d, 20 to e, 40 to g', () => {
    expect(run('position_based', journeys).revenue).toEqual({ d: dollars('40'), e: dollars('20'), g: dollars('40') });
  });

  it('linear: 100/3 each, the one atto left over to the earliest touch (d)', () => {
    // 100e18 attos = 3 x 33333333333333333333 + 1.
    expect(run('linear', journeys).revenue).toEqual({
      d: dollars('33.333333333333333334'),
      e: dollars('33.333333333333333333'),
      g: dollars('33.333333333333333333'),
    });
  });

  it('time_decay: the same age, so a third each', () => {
    const { revenueCents, conversions } = run('time_decay', journeys);
    expect(revenueCents).toEqual({ d: '33.33', e: '33.33', g: '33.33' });
    expect(conversions).toEqual({ d: '0.3333', e: '0.3333', g: '0.3333' });
  });
});

describe('the lookback window: T - lookback < t <= T', () => {
  // "old" is exactly 90 days before (out), "edge" 1 ms later (in), "late" 1 ms
  // after the conversion (out), "now" at the conversion's very instant (in).
  const journeys = {
    campaigns: CAMPAIGNS,
    touches: [
      { id: 'old', customer: 'c1', campaign: 'g', at: daysBefore(90) },
      { id: 'edge', customer: 'c1', campaign: 'm', at: daysBefore(90) + 1 },
      { id: 'now', customer: 'c1', campaign: 'e', at: T },
      { id: 'late', customer: 'c1', campaign: 'd', at: T + 1 },
    ],
    conversions: [{ customer: 'c1', at: T, amount: '100' }],
  };

  it.each(HEURISTIC_MODELS)('%s sees only "edge" (m) and "now" (e)', (model) => {
    const { revenue } = run(model, journeys);
    expect(Object.keys(revenue).sort()).toEqual(model === 'first_touch' ? ['m'] : model === 'last_touch' ? ['e'] : ['e', 'm']);
  });

  it('first_touch credits the touch just inside the window; last_touch the one at T', () => {
    expect(run('first_touch', journeys).revenue).toEqual(only('m'));
    expect(run('last_touch', journeys).revenue).toEqual(only('e'));
  });

  it('a shorter window moves the boundary: lookbackDays 7 keeps only "now"', () => {
    expect(run('linear', journeys, { lookbackDays: 7 }).revenue).toEqual(only('e'));
  });

  it('refuses a lookback that is not a whole positive number of days', () => {
    const loaded = load(journeys);
    for (const lookbackDays of [0, -1, 1.5, Number.NaN]) {
      expect(() => attributeHeuristic(loaded.touches, loaded.conversions, { model: 'linear', lookbackDays })).toThrow(/lookbackDays/);
    }
    expect(() => attributeHeuristic(loaded.touches, loaded.conversions, { model: 'time_decay', halfLifeDays: 0 })).toThrow(/halfLifeDays/);
    const unknown = { model: 'data_driven' } as unknown as { model: HeuristicModel };
    expect(() => attributeHeuristic(loaded.touches, loaded.conversions, unknown)).toThrow(/not a heuristic/);
  });
});

describe('a conversion no touch explains goes to the unattributed bucket', () => {
  // c2 was never touched; c3's only touch came after buying.
  const journeys = {
    campaigns: CAMPAIGNS,
    touches: [
      { id: 't1', customer: 'c1', campaign: 'g', at: daysBefore(1) },
      { id: 't9', customer: 'c3', campaign: 'm', at: T + DAY },
    ],
    conversions: [
      { customer: 'c1', at: T, amount: '100' },
      { customer: 'c2', at: T, amount: '30' },
      { customer: 'c3', at: T, amount: '20' },
    ],
  };

  it.each(HEURISTIC_MODELS)('%s: 100 to g, 50 and 2 conversions unattributed', (model) => {
    const { revenue, conversions, result } = run(model, journeys);
    expect(revenue).toEqual({ g: dollars('100'), '(unattributed)': dollars('50') });
    expect(conversions).toEqual({ g: '1.0000', '(unattributed)': '2.0000' });
    expect(result.totalRevenue).toBe(dollars('150'));
  });
});

describe('a refund is split like the conversion it refunds', () => {
  // c1: g 10 days and m 2 days before a $100 conversion, then a $40 refund (dated
  // later; attributed as of the conversion). c2 bought $30 untouched and got $10 back.
  const journeys = {
    campaigns: CAMPAIGNS,
    touches: [
      { id: 't1', customer: 'c1', campaign: 'g', at: daysBefore(10) },
      { id: 't2', customer: 'c1', campaign: 'm', at: daysBefore(2) },
      // A touch between the conversion and the refund changes nothing: the refund looks back from T.
      { id: 't3', customer: 'c1', campaign: 'e', at: T + DAY },
    ],
    conversions: [
      { customer: 'c1', at: T, amount: '100' },
      { customer: 'c1', at: T, amount: '-40', refund: true },
      { customer: 'c2', at: T, amount: '30' },
      { customer: 'c2', at: T, amount: '-10', refund: true },
    ],
  };

  it('nets revenue per campaign and leaves conversions alone', () => {
    // linear: g 50 - 20 = 30, m 50 - 20 = 30; the count stays 0.5 each.
    const linear = run('linear', journeys);
    expect(linear.revenue).toEqual({ g: dollars('30'), m: dollars('30'), '(unattributed)': dollars('20') });
    expect(linear.conversions).toEqual({ g: '0.5000', m: '0.5000', '(unattributed)': '1.0000' });
    expect(run('first_touch', journeys).revenue).toEqual({ g: dollars('60'), '(unattributed)': dollars('20') });
    expect(run('last_touch', journeys).revenue).toEqual({ m: dollars('60'), '(unattributed)': dollars('20') });
    expect(run('position_based', journeys).revenue).toEqual({ g: dollars('30'), m: dollars('30'), '(unattributed)': dollars('20') });
    // time_decay: 60 x 0.311703 = 18.70 to g, 60 x 0.688297 = 41.30 to m.
    expect(run('time_decay', journeys).revenueCents).toEqual({ g: '18.70', m: '41.30', '(unattributed)': '20.00' });
  });

  it('a full refund leaves exactly nothing', () => {
    const full = { ...journeys, conversions: [journeys.conversions[0]!, { ...journeys.conversions[1]!, amount: '-100' }] };
    for (const model of HEURISTIC_MODELS) {
      const { result } = run(model, full);
      expect(result.revenue.every((attos) => attos === 0n)).toBe(true);
      expect(result.totalRevenue).toBe(0n);
      expect(sum(result.conversions)).toBe(CONVERSION_UNITS);
    }
  });
});

describe('time_decay weights', () => {
  it('are 1, 0.5520 and 0.4101 for gaps of 0, 6 and 9 days at half-life 7', () => {
    // 2^0 = 1; 2^(-6/7) = 0.552045; 2^(-9/7) = 0.410168. Sum 1.962212;
    // shares 0.410168/1.962212 = 0.209033, 0.552045/1.962212 = 0.281338, 1/1.962212 = 0.509629.
    const shares = touchShares('time_decay', [daysBefore(9), daysBefore(6), T], T, 7);
    const raw = shares.map((share) => share / shares[2]!);
    expect(raw[0]).toBeCloseTo(0.4101676780038, 12);
    expect(raw[1]).toBeCloseTo(0.5520447568369, 12);
    expect(shares[0]).toBeCloseTo(0.2090332681217, 12);
    expect(shares[1]).toBeCloseTo(0.2813379158316, 12);
    expect(shares[2]).toBeCloseTo(0.5096288160467, 12);
  });

  it('split $100 into 20.90, 28.13, 50.96 (to the cent; 20.9033 + 28.1338 + 50.9629)', () => {
    const { revenue, result } = run('time_decay', {
      campaigns: CAMPAIGNS,
      touches: [
        { id: 'a', customer: 'c1', campaign: 'g', at: daysBefore(9) },
        { id: 'b', customer: 'c1', campaign: 'm', at: daysBefore(6) },
        { id: 'c', customer: 'c1', campaign: 'e', at: T },
      ],
      conversions: [{ customer: 'c1', at: T, amount: '100' }],
    });
    expect(mapValues(revenue, cents)).toEqual({ g: '20.90', m: '28.13', e: '50.96' });
    // Within a millionth of a cent of the real-number split: the 2^-48 grid, not rounding, is the only error.
    const exact = { g: 20.903326812171212, m: 28.133791583158338, e: 50.96288160467044 };
    for (const [campaign, value] of Object.entries(exact)) {
      expect(Math.abs(Number(revenue[campaign]!) / 1e18 - value)).toBeLessThan(1e-8);
    }
    expect(sum(result.revenue)).toBe(dollars('100'));
  });

  it('a fractional half-life is measured in fractional days', () => {
    // Half-life 0.5 days, touches 1 and 0 days back: weights 2^-2 = 0.25 and 1, shares 0.2 and 0.8.
    const shares = touchShares('time_decay', [daysBefore(1), T], T, 0.5);
    expect(shares[0]).toBeCloseTo(0.2, 12);
    expect(shares[1]).toBeCloseTo(0.8, 12);
  });
});

describe('position_based with more touches', () => {
  it('gives 0.4 to each end and splits 0.2 over the middle: $1 over 5 touches', () => {
    // Ends 2/5 of 1e18 attos = 4e17 exactly. Middle 1/15 each: 1e18 = 15 x 66666666666666666 + 10,
    // so each middle floor is 66666666666666666 with remainder 10 of 15; 2 attos are owed
    // (3 x 10 / 15), going to the two earliest middle touches (equal remainders).
    const touches = ['g', 'm', 'e', 'd', 'g'].map((campaign, i) => ({ id: `t${i}`, customer: 'c1', campaign, at: daysBefore(5 - i) }));
    const { revenue } = run('position_based', { campaigns: CAMPAIGNS, touches, conversions: [{ customer: 'c1', at: T, amount: '1' }] });
    expect(revenue).toEqual({
      g: 400_000_000_000_000_000n * 2n,
      m: 66_666_666_666_666_667n,
      e: 66_666_666_666_666_667n,
      d: 66_666_666_666_666_666n,
    });
    expect(touchShares('position_based', [1, 2, 3, 4, 5], 5)).toEqual([0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]);
    expect(touchShares('position_based', [1, 2], 5)).toEqual([0.5, 0.5]);
    expect(touchShares('position_based', [1], 5)).toEqual([1]);
  });
});
