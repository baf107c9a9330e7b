/**
 * The exact split: the bigint rule (largest remainder, ties to the earlier
 * part, negatives mirrored), the 2^-48 grid for float shares, and the
 * limb arithmetic the report loops use instead of bigints, held to the
 * bigint rule on random amounts and weights.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_LIMBS, ConversionSplitter, LimbAccumulator, toLimbs } from '../../src/domain/attribution/exact-split.js';
import { quantizeShares, SHARE_GRID, splitAmount, splitByShares } from '../../src/domain/attribution/index.js';
import { sum } from './journeys.js';

describe('splitAmount', () => {
  it('gives the units left over to the largest remainders, ties to the earlier part', () => {
    // 100 / 3 = 33 remainder 1: the first of three equal remainders gets it.
    expect(splitAmount(100n, [1, 1, 1])).toEqual([34n, 33n, 33n]);
    // 10 x 1/3 = 3 r 1, 10 x 2/3 = 6 r 2: the one unit owed goes to the larger remainder.
    expect(splitAmount(10n, [1, 2])).toEqual([3n, 7n]);
    // 7 x 1/4 = 1 r 3 twice, 7 x 2/4 = 3 r 2: two units owed, both to the remainders of 3.
    expect(splitAmount(7n, [1, 1, 2])).toEqual([2n, 2n, 3n]);
    expect(splitAmount(5n, [0, 3, 0])).toEqual([0n, 5n, 0n]);
    expect(splitAmount(0n, [1, 1])).toEqual([0n, 0n]);
  });

  it('splits a negative amount into exactly the negated parts', () => {
    expect(splitAmount(-100n, [1, 1, 1])).toEqual([-34n, -33n, -33n]);
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 8 }), (amount, weights) => {
        fc.pre(weights.some((w) => w > 0));
        const parts = splitAmount(amount, weights);
        expect(sum(parts)).toBe(amount);
        expect(splitAmount(-amount, weights).map((p) => -p)).toEqual(parts);
      }),
    );
  });

  it('refuses weights that are not non-negative integers with a positive total', () => {
    expect(() => splitAmount(1n, [0, 0])).toThrow(RangeError);
    expect(() => splitAmount(1n, [0.5, 1])).toThrow(RangeError);
    expect(() => splitAmount(1n, [-1, 2])).toThrow(RangeError);
  });
});

describe('quantizeShares: float shares on the 2^-48 grid', () => {
  it('puts thirds on the grid with the leftover unit first', () => {
    // 2^48 / 3 = 93824992236885.33: three floors, one unit owed, equal fractions: the first.
    const out = new Float64Array(3);
    quantizeShares([1 / 3, 1 / 3, 1 / 3], 3, out);
    expect(Array.from(out)).toEqual([93824992236886, 93824992236885, 93824992236885]);
  });

  it('always sums to exactly 2^48 and keeps zero shares at zero', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }), (shares) => {
        fc.pre(shares.some((s) => s > 0));
        const out = new Float64Array(shares.length);
        quantizeShares(shares, shares.length, out);
        expect(out.reduce((a, b) => a + b, 0)).toBe(SHARE_GRID);
        shares.forEach((share, i) => {
          if (share === 0) expect(out[i]).toBe(0);
          expect(Math.abs(out[i]! / SHARE_GRID - share / shares.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
        });
      }),
    );
  });

  it('splitByShares splits a dollar by 0.25 / 0.75 exactly', () => {
    expect(splitByShares(10n ** 18n, [0.25, 0.75])).toEqual([250_000_000_000_000_000n, 750_000_000_000_000_000n]);
  });
});

describe('limbs', () => {
  const back = (limbs: Float64Array, count: number) => {
    let value = 0n;
    for (let j = count - 1; j >= 0; j--) value = (value << 24n) + BigInt(limbs[j]!);
    return value;
  };

  it('round-trip at every boundary of the fast paths', () => {
    const out = new Float64Array(AMOUNT_LIMBS);
    for (const value of [0n, 1n, 2n ** 24n - 1n, 2n ** 24n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 101n - 1n, 2n ** 101n, 2n ** 144n - 1n, -(10n ** 20n)]) {
      const count = toLimbs(value, out);
      expect(back(out, count)).toBe(value < 0n ? -value : value);
      for (let j = 0; j < count; j++) expect(out[j]! < 2 ** 24 && out[j]! >= 0).toBe(true);
    }
    expect(() => toLimbs(2n ** 144n, out)).toThrow(/too large/);
  });

  it('accumulate exactly across normalisations', () => {
    // normalize every 3 additions, so carries (and borrows for negatives) are exercised constantly.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 2 }), fc.bigInt({ min: -(2n ** 140n), max: 2n ** 140n })), { maxLength: 30 }), (adds) => {
        const acc = new LimbAccumulator(3, 3);
        const splitter = new ConversionSplitter();
        const limbs = new Float64Array(AMOUNT_LIMBS);
        const expected = [0n, 0n, 0n];
        for (const [slot, value] of adds) {
          acc.reserve(1);
          splitter.whole(acc.limbs, slot, limbs, toLimbs(value, limbs), value < 0n ? -1 : 1);
          expected[slot]! += value;
        }
        expect(acc.totals()).toEqual(expected);
      }),
    );
  });
});

describe('ConversionSplitter equals the bigint rule', () => {
  // Touches of one conversion: campaign per touch (repeats allowed, so parts add up per campaign).
  const touchesArb = fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 12 });
  const amountArb = fc.oneof(
    fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }),
    fc.bigInt({ min: -(2n ** 143n), max: 2n ** 143n }),
    fc.constantFrom(0n, 1n, -1n, 10n ** 12n, 10n ** 20n),
  );

  function viaSplitter(amount: bigint, campaigns: number[], split: (s: ConversionSplitter, acc: Float64Array, c: Int32Array, limbs: Float64Array, k: number, sign: number) => void) {
    const acc = new LimbAccumulator(4);
    const splitter = new ConversionSplitter();
    const limbs = new Float64Array(AMOUNT_LIMBS);
    const k = toLimbs(amount, limbs);
    acc.reserve(2 * campaigns.length);
    split(splitter, acc.limbs, Int32Array.from(campaigns), limbs, k, amount < 0n ? -1 : 1);
    return acc.totals();
  }

  function viaBigint(amount: bigint, campaigns: number[], weights: ArrayLike<number>) {
    const totals = [0n, 0n, 0n, 0n];
    splitAmount(amount, weights).forEach((part, i) => (totals[campaigns[i]!]! += part));
    return totals;
  }

  it('linear', () => {
    fc.assert(
      fc.property(amountArb, touchesArb, (amount, campaigns) => {
        const n = campaigns.length;
        const fast = viaSplitter(amount, campaigns, (s, acc, c, limbs, k, sign) => s.linear(acc, c, 0, n, limbs, k, sign));
        expect(fast).toEqual(viaBigint(amount, campaigns, new Array(n).fill(1)));
      }),
      { numRuns: 300 },
    );
  });

  it('position_based', () => {
    fc.assert(
      fc.property(amountArb, touchesArb, (amount, campaigns) => {
        const n = campaigns.length;
        const weights = n <= 2 ? new Array(n).fill(1) : campaigns.map((_, i) => (i === 0 || i === n - 1 ? 2 * (n - 2) : 1));
        const fast = viaSplitter(amount, campaigns, (s, acc, c, limbs, k, sign) => s.positionBased(acc, c, 0, n, limbs, k, sign));
        expect(fast).toEqual(viaBigint(amount, campaigns, weights));
      }),
      { numRuns: 300 },
    );
  });

  it('grid weights (time_decay)', () => {
    fc.assert(
      fc.property(amountArb, touchesArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }), (amount, campaigns, raw) => {
        const n = campaigns.length;
        const shares = Float64Array.from(raw.slice(0, n));
        if (!shares.some((s) => s > 0)) shares[n - 1] = 1;
        const grid = new Float64Array(n);
        quantizeShares(shares, n, grid);
        const fast = viaSplitter(amount, campaigns, (s, acc, c, limbs, k, sign) => {
          s.quantize(shares, n);
          s.byGrid(acc, c, 0, n, limbs, k, sign);
        });
        expect(fast).toEqual(viaBigint(amount, campaigns, grid));
      }),
      { numRuns: 300 },
    );
  });
});
