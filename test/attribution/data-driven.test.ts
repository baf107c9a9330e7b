/**
 * data_driven: paths built as docs/reports.md says, removal effects worked by
 * hand on small chains, the edge cases (P = 0, self-transitions, refunds),
 * and the one-factorisation formula P(without c) = P - h(c) x(c) checked
 * against a plain re-solve of each modified chain on random paths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeByChain, attributeDataDriven, dataDrivenChain, solveChain, type TransitionCounts } from '../../src/domain/attribution/index.js';
import { emptyCounts } from '../../src/domain/attribution/markov.js';
import { cents, conversionsBy, conversionsText, DAY, daysBefore, dollars, type Journeys, load, mapValues, revenueBy, sum, T } from './journeys.js';

/** The report's range in these tests: the ten days before T, and T's day. */
const RANGE = { start: daysBefore(10), end: T + DAY };

function run(journeys: Journeys, range = RANGE) {
  const loaded = load(journeys);
  const result = attributeDataDriven(loaded.touches, loaded.conversions, { range });
  expect(sum(result.revenue) + result.unattributedRevenue).toBe(result.totalRevenue);
  expect(sum(result.conversions) + result.unattributedConversions).toBe(result.totalConversions);
  const byName = (values: Float64Array) =>
    Object.fromEntries(loaded.campaigns.map((name, i) => [name, values[i]!]).filter(([, value]) => value !== 0));
  return {
    result,
    chain: result.chain,
    removalEffects: byName(result.chain.removalEffects),
    weights: byName(result.chain.weights),
    revenueCents: mapValues(revenueBy(result, loaded.campaigns), cents),
    conversions: mapValues(conversionsBy(result, loaded.campaigns), conversionsText),
  };
}

describe('removal effects worked by hand', () => {
  /*
   * Paths (campaigns A, B, C):
   *   c1: A -> B -> conversion ($100)      c3: B -> null
   *   c2: A -> conversion ($50)            c4: C -> A -> null
   * Transition probabilities:
   *   start: A 2/4, B 1/4, C 1/4
   *   A: B 1/3, conversion 1/3, null 1/3;  B: conversion 1/2, null 1/2;  C: A 1
   * Probability of converting from each state:
   *   x(B) = 1/2;  x(A) = 1/3 + 1/3 x(B) = 1/2;  x(C) = x(A) = 1/2
   *   P = 1/2 x(A) + 1/4 x(B) + 1/4 x(C) = 1/4 + 1/8 + 1/8 = 1/2
   * Without A (start -> A and C -> A go to null): P = 1/4 x(B) = 1/8, RE(A) = 1 - (1/8)/(1/2) = 3/4
   * Without B: x(A) = 1/3 = x(C), P = 1/2 (1/3) + 1/4 (1/3) = 1/4, RE(B) = 1 - (1/4)/(1/2) = 1/2
   * Without C: P = 1/2 (1/2) + 1/4 (1/2) = 3/8, RE(C) = 1 - (3/8)/(1/2) = 1/4
   * Sum of RE = 3/2: weights A 1/2, B 1/3, C 1/6.
   * Attributed revenue 150: A 75, B 50, C 25; two conversions: A 1, B 0.6667, C 0.3333.
   */
  const journeys: Journeys = {
    campaigns: ['A', 'B', 'C'],
    touches: [
      { id: 't1', customer: 'c1', campaign: 'A', at: daysBefore(5) },
      { id: 't2', customer: 'c1', campaign: 'B', at: daysBefore(3) },
      { id: 't3', customer: 'c2', campaign: 'A', at: daysBefore(2) },
      { id: 't4', customer: 'c3', campaign: 'B', at: daysBefore(4) },
      { id: 't5', customer: 'c4', campaign: 'C', at: daysBefore(6) },
      { id: 't6', customer: 'c4', campaign: 'A', at: daysBefore(1) },
    ],
    conversions: [
      { customer: 'c1', at: T, amount: '100' },
      { customer: 'c2', at: T, amount: '50' },
    ],
  };

  it('gives RE 3/4, 1/2, 1/4 and weights 1/2, 1/3, 1/6', () => {
    const { chain, removalEffects, weights } = run(journeys);
    expect(chain.convertingPaths).toBe(2);
    expect(chain.nonConvertingPaths).toBe(2);
    expect(chain.conversionProbability).toBeCloseTo(1 / 2, 14);
    expect(removalEffects.A).toBeCloseTo(3 / 4, 14);
    expect(removalEffects.B).toBeCloseTo(1 / 2, 14);
    expect(removalEffects.C).toBeCloseTo(1 / 4, 14);
    expect(weights.A).toBeCloseTo(1 / 2, 14);
    expect(weights.B).toBeCloseTo(1 / 3, 14);
    expect(weights.C).toBeCloseTo(1 / 6, 14);
  });

  it('splits the attributed 150 into 75, 50, 25 and two conversions into 1, 0.6667, 0.3333', () => {
    const { revenueCents, conversions, result } = run(journeys);
    expect(revenueCents).toEqual({ A: '75.00', B: '50.00', C: '25.00' });
    expect(conversions).toEqual({ A: '1.0000', B: '0.6667', C: '0.3333' });
    expect(sum(result.revenue)).toBe(dollars('150'));
  });

  it("splits part of the range (a month of a quarter's report) by the whole range's weights", () => {
    // The chain comes from all four paths; only c2's $50 is split: 25, 16.67, 8.33.
    const loaded = load(journeys);
    const chain = dataDrivenChain(loaded.touches, loaded.conversions, { range: RANGE });
    const month = load({ ...journeys, conversions: [journeys.conversions[1]!] });
    const result = attributeByChain(month.touches, month.conversions, chain);
    expect(mapValues(revenueBy(result, journeys.campaigns), cents)).toEqual({ A: '25.00', B: '16.67', C: '8.33' });
    expect(sum(result.revenue)).toBe(dollars('50'));
  });

  it('counts the transitions it solved', () => {
    const { chain } = run(journeys);
    expect(Array.from(chain.campaigns)).toEqual([0, 1, 2]);
    expect(Array.from(chain.transitions.fromStart)).toEqual([2, 1, 1]);
    // rows A, B, C; columns A, B, C
    expect(Array.from(chain.transitions.between)).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 0]);
    expect(Array.from(chain.transitions.toConversion)).toEqual([1, 1, 0]);
    expect(Array.from(chain.transitions.toNull)).toEqual([1, 1, 0]);
  });
});

describe('the golden journeys of the heuristic models, under data_driven', () => {
  const at = (campaign: string, days: number, id = `${campaign}${days}`) => ({ id, customer: 'c1', campaign, at: daysBefore(days) });
  const buys = (amount = '100') => [{ customer: 'c1', at: T, amount }];

  it('a single touch takes everything', () => {
    const { revenueCents, conversions } = run({ campaigns: ['g', 'm'], touches: [at('g', 3)], conversions: buys() });
    expect(revenueCents).toEqual({ g: '100.00' });
    expect(conversions).toEqual({ g: '1.0000' });
  });

  it('two touches on the only path are both indispensable: RE 1 each, half each', () => {
    // start -> g -> m -> conversion: removing either leaves P = 0, so RE(g) = RE(m) = 1.
    const { removalEffects, revenueCents } = run({ campaigns: ['g', 'm'], touches: [at('g', 10), at('m', 2)], conversions: buys() });
    expect(removalEffects).toEqual({ g: 1, m: 1 });
    expect(revenueCents).toEqual({ g: '50.00', m: '50.00' });
  });

  it('touches on the same instant make the path in id order', () => {
    // ids "c-1" (d) < "c-10" (e) < "c-2" (g): the path is start -> d -> e -> g -> conversion.
    const { chain } = run({
      campaigns: ['d', 'e', 'g'],
      touches: [at('g', 1, 'c-2'), at('e', 1, 'c-10'), at('d', 1, 'c-1')],
      conversions: buys(),
    });
    expect(Array.from(chain.transitions.fromStart)).toEqual([1, 0, 0]);
    expect(Array.from(chain.transitions.between)).toEqual([0, 1, 0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(chain.transitions.toConversion)).toEqual([0, 0, 1]);
  });

  it('the lookback window and a touch after the conversion', () => {
    // g exactly 90 days before: not on the path. m 1 ms inside the window and e at T: start -> m -> e -> conversion.
    // d 1 ms after T (inside the range, after the last conversion): a non-converting path start -> d -> null, RE(d) = 0.
    const { chain, revenueCents } = run({
      campaigns: ['g', 'm', 'e', 'd'],
      touches: [at('g', 90), { ...at('m', 90), at: daysBefore(90) + 1 }, at('e', 0), { ...at('d', 0), at: T + 1 }],
      conversions: buys(),
    });
    expect(Array.from(chain.campaigns)).toEqual([1, 2, 3]);
    expect(chain.nonConvertingPaths).toBe(1);
    expect(revenueCents).toEqual({ m: '50.00', e: '50.00' });
  });

  it('a conversion no touch explains stays unattributed beside one that is explained', () => {
    const { revenueCents, conversions } = run({
      campaigns: ['g'],
      touches: [at('g', 1)],
      conversions: [...buys(), { customer: 'c2', at: T, amount: '30' }],
    });
    expect(revenueCents).toEqual({ g: '100.00', '(unattributed)': '30.00' });
    expect(conversions).toEqual({ g: '1.0000', '(unattributed)': '1.0000' });
  });
});

describe('a self-transition', () => {
  /*
   * c1: A -> A -> conversion ($10);  c2: A -> null;  c3: B -> conversion ($10).
   * start: A 2/3, B 1/3.  A: A 1/3, conversion 1/3, null 1/3.  B: conversion 1.
   * x(A) = 1/3 + 1/3 x(A), so x(A) = 1/2; x(B) = 1; P = 2/3 (1/2) + 1/3 (1) = 2/3.
   * Without A: P = 1/3, RE(A) = 1/2.  Without B: P = 1/3, RE(B) = 1/2.  Weights 1/2 each.
   * (A is ever visited with probability 2/3 although it expects 1 visit from start: 2/3 x 3/2.)
   */
  it('counts A -> A and still gives RE 1/2 each', () => {
    const { chain, removalEffects, revenueCents } = run({
      campaigns: ['A', 'B'],
      touches: [
        { id: 't1', customer: 'c1', campaign: 'A', at: daysBefore(3) },
        { id: 't2', customer: 'c1', campaign: 'A', at: daysBefore(2) },
        { id: 't3', customer: 'c2', campaign: 'A', at: daysBefore(1) },
        { id: 't4', customer: 'c3', campaign: 'B', at: daysBefore(1) },
      ],
      conversions: [
        { customer: 'c1', at: T, amount: '10' },
        { customer: 'c3', at: T, amount: '10' },
      ],
    });
    expect(chain.transitions.between[0]).toBe(1);
    expect(chain.conversionProbability).toBeCloseTo(2 / 3, 14);
    expect(removalEffects.A).toBeCloseTo(1 / 2, 14);
    expect(removalEffects.B).toBeCloseTo(1 / 2, 14);
    expect(revenueCents).toEqual({ A: '10.00', B: '10.00' });
  });
});

describe('which touches make the paths', () => {
  /*
   * Range: the ten days before T, and T's day. c1 was touched by B 20 days before
   * (before the range, but within the 90-day lookback of the conversion), by B 5 days
   * before, converted 4 days before, then saw C 2 days before and D after the range.
   *   converting:     B -> B -> conversion (the lookback reaches out of the range)
   *   non-converting: C -> null (after the last conversion, inside the range only)
   * c2 never converted: A 30 days before (out of range) and A, C in the range: A -> C -> null.
   */
  it('takes the lookback for converting paths and the range for the others', () => {
    const { chain } = run({
      campaigns: ['A', 'B', 'C', 'D'],
      touches: [
        { id: 't1', customer: 'c1', campaign: 'B', at: daysBefore(20) },
        { id: 't2', customer: 'c1', campaign: 'B', at: daysBefore(5) },
        { id: 't3', customer: 'c1', campaign: 'C', at: daysBefore(2) },
        { id: 't4', customer: 'c1', campaign: 'D', at: T + 2 * DAY },
        { id: 't5', customer: 'c2', campaign: 'A', at: daysBefore(30) },
        { id: 't6', customer: 'c2', campaign: 'A', at: daysBefore(3) },
        { id: 't7', customer: 'c2', campaign: 'C', at: daysBefore(1) },
      ],
      conversions: [{ customer: 'c1', at: daysBefore(4), amount: '10' }],
    });
    expect(chain.convertingPaths).toBe(1);
    expect(chain.nonConvertingPaths).toBe(2);
    expect(Array.from(chain.campaigns)).toEqual([0, 1, 2]); // D is on no path
    const t = chain.transitions;
    expect(Array.from(t.fromStart)).toEqual([1, 1, 1]); // start -> A (c2), B (c1), C (c1 after converting)
    expect(Array.from(t.between)).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0]); // A -> C, B -> B
    expect(Array.from(t.toConversion)).toEqual([0, 1, 0]);
    expect(Array.from(t.toNull)).toEqual([0, 0, 2]);
    // Only B leads to conversion: it takes everything.
    expect(Array.from(chain.weights)).toEqual([0, 1, 0, 0]);
  });

  it('a touch at the conversion instant belongs to the converting path, not to the next', () => {
    const { chain } = run({
      campaigns: ['A', 'B'],
      touches: [
        { id: 't1', customer: 'c1', campaign: 'A', at: daysBefore(2) },
        { id: 't2', customer: 'c1', campaign: 'B', at: daysBefore(2) },
      ],
      conversions: [{ customer: 'c1', at: daysBefore(2), amount: '10' }],
    });
    expect(chain.convertingPaths).toBe(1);
    expect(chain.nonConvertingPaths).toBe(0);
  });

  it('refuses conversions outside the range', () => {
    const loaded = load({ campaigns: ['A'], touches: [], conversions: [{ customer: 'c1', at: T + 2 * DAY, amount: '1' }] });
    expect(() => attributeDataDriven(loaded.touches, loaded.conversions, { range: RANGE })).toThrow(/outside the range/);
    expect(() => attributeDataDriven(loaded.touches, loaded.conversions, { range: { start: T, end: T } })).toThrow(/range/);
  });
});

describe('when the chain explains no conversion (P = 0)', () => {
  /*
   * c1 was touched in the range but did not convert; c2 converted ($50) untouched. A $20 refund
   * (dated in the range) of c1's conversion 25 days before the range had an eligible touch, but
   * with P = 0 there are no weights: everything, the refund too, stays unattributed.
   */
  it('leaves all revenue and conversions unattributed', () => {
    const { result, chain } = run({
      campaigns: ['A', 'B'],
      touches: [
        { id: 't1', customer: 'c1', campaign: 'A', at: daysBefore(40) },
        { id: 't2', customer: 'c1', campaign: 'B', at: daysBefore(3) },
      ],
      conversions: [
        { customer: 'c2', at: T, amount: '50' },
        { customer: 'c1', at: daysBefore(35), amount: '-20', refund: true },
      ],
    });
    expect(chain.conversionProbability).toBe(0);
    expect(Array.from(chain.weights)).toEqual([0, 0]);
    expect(result.revenue).toEqual([0n, 0n]);
    expect(result.unattributedRevenue).toBe(dollars('30'));
    expect(result.unattributedConversions).toBe(result.totalConversions);
  });

  it('and with no data at all, there is nothing to attribute', () => {
    const loaded = load({ campaigns: ['A'], touches: [], conversions: [] });
    const result = attributeDataDriven(loaded.touches, loaded.conversions, { range: RANGE });
    expect(result.totalRevenue).toBe(0n);
    expect(result.revenue).toEqual([0n]);
    expect(solveChain(emptyCounts(0)).conversionProbability).toBe(0);
  });
});

describe('refunds under data_driven', () => {
  it('move the pooled revenue by their amount and leave conversions alone', () => {
    // One campaign A converting c1 ($100) and then refunding $40: 60 to A, still one conversion.
    const { revenueCents, conversions } = run({
      campaigns: ['A'],
      touches: [{ id: 't1', customer: 'c1', campaign: 'A', at: daysBefore(1) }],
      conversions: [
        { customer: 'c1', at: T, amount: '100' },
        { customer: 'c1', at: T, amount: '-40', refund: true },
      ],
    });
    expect(revenueCents).toEqual({ A: '60.00' });
    expect(conversions).toEqual({ A: '1.0000' });
  });
});

// ------------------------------------------------------------ the formula against a re-solve

/** Counts the transitions of paths [campaigns, converted] independently of the engine. */
function countPaths(m: number, paths: readonly (readonly [readonly number[], boolean])[]): TransitionCounts {
  const counts = emptyCounts(m);
  for (const [steps, converted] of paths) {
    counts.fromStart[steps[0]!]! += 1;
    for (let i = 1; i < steps.length; i++) counts.between[steps[i - 1]! * m + steps[i]!]! += 1;
    (converted ? counts.toConversion : counts.toNull)[steps.at(-1)!]! += 1;
  }
  return counts;
}

/** P for the chain with every transition into `removed` sent to null, by Gaussian elimination on the whole system. */
function naiveConversionProbability(counts: TransitionCounts, removed: number): number {
  const m = counts.size;
  const rowTotal = (i: number) => counts.toConversion[i]! + counts.toNull[i]! + counts.between.slice(i * m, (i + 1) * m).reduce((a, b) => a + b, 0);
  // Unknowns x_0..x_{m-1}: x_i = r_i + sum_j q_ij x_j, with column `removed` of q zeroed.
  const a = Array.from({ length: m }, (_, i) => {
    const total = rowTotal(i);
    const row = Array.from({ length: m + 1 }, (_, j) => (j === m ? (total ? counts.toConversion[i]! / total : 0) : 0));
    for (let j = 0; j < m; j++) row[j] = (i === j ? 1 : 0) - (j === removed || !total ? 0 : counts.between[i * m + j]! / total);
    return row;
  });
  for (let k = 0; k < m; k++) {
    let p = k;
    for (let i = k + 1; i < m; i++) if (Math.abs(a[i]![k]!) > Math.abs(a[p]![k]!)) p = i;
    [a[k], a[p]] = [a[p]!, a[k]!];
    for (let i = 0; i < m; i++) {
      if (i === k) continue;
      const f = a[i]![k]! / a[k]![k]!;
      for (let j = k; j <= m; j++) a[i]![j]! -= f * a[k]![j]!;
    }
  }
  const x = a.map((row, i) => row[m]! / row[i]!);
  const startTotal = counts.fromStart.reduce((s, v) => s + v, 0);
  let p = 0;
  for (let j = 0; j < m; j++) if (j !== removed) p += (counts.fromStart[j]! / startTotal) * x[j]!;
  return p;
}

describe('P(without c) = P - h(c) x(c) agrees with re-solving each modified chain', () => {
  const pathsArb = fc.integer({ min: 1, max: 6 }).chain((m) =>
    fc.tuple(
      fc.constant(m),
      fc.array(fc.tuple(fc.array(fc.nat({ max: m - 1 }), { minLength: 1, maxLength: 6 }), fc.boolean()), { minLength: 1, maxLength: 12 }),
    ),
  );

  it('on random paths of up to 6 campaigns', () => {
    fc.assert(
      fc.property(pathsArb, ([m, paths]) => {
        const counts = countPaths(m, paths);
        const solution = solveChain(counts);
        const p = naiveConversionProbability(counts, -1);
        expect(solution.conversionProbability).toBeCloseTo(p, 12);
        for (let c = 0; c < m; c++) {
          const expected = p > 0 ? 1 - naiveConversionProbability(counts, c) / p : 0;
          expect(solution.removalEffects[c]).toBeCloseTo(expected, 10);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('on a larger chain (40 campaigns, 400 paths)', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const paths = Array.from({ length: 400 }, () => [Array.from({ length: 1 + next(6) }, () => next(40)), next(3) === 0] as const);
    const counts = countPaths(40, paths);
    const solution = solveChain(counts);
    const p = naiveConversionProbability(counts, -1);
    for (let c = 0; c < 40; c++) {
      expect(solution.removalEffects[c]).toBeCloseTo(1 - naiveConversionProbability(counts, c) / p, 10);
    }
  });

  it('dataDrivenChain reads the same chain from touches', () => {
    // The hand-worked journeys of the first block, built again as explicit paths.
    const counts = countPaths(3, [
      [[0, 1], true],
      [[0], true],
      [[1], false],
      [[2, 0], false],
    ]);
    expect(Array.from(solveChain(counts).removalEffects).map((re) => Number(re.toFixed(12)))).toEqual([0.75, 0.5, 0.25]);
    const loaded = load({
      campaigns: ['A', 'B', 'C'],
      touches: [
        { id: 't1', customer: 'c1', campaign: 'A', at: daysBefore(5) },
        { id: 't2', customer: 'c1', campaign: 'B', at: daysBefore(3) },
        { id: 't3', customer: 'c2', campaign: 'A', at: daysBefore(2) },
        { id: 't4', customer: 'c3', campaign: 'B', at: daysBefore(4) },
        { id: 't5', customer: 'c4', campaign: 'C', at: daysBefore(6) },
        { id: 't6', customer: 'c4', campaign: 'A', at: daysBefore(1) },
      ],
      conversions: [
        { customer: 'c1', at: T, amount: '100' },
        { customer: 'c2', at: T, amount: '50' },
      ],
    });
    expect(dataDrivenChain(loaded.touches, loaded.conversions, { range: RANGE }).transitions).toEqual(counts);
  });
});
