/**
 * Columns that grow in place (src/domain/growable.ts): what a column held
 * is kept, new elements take the fill, and once resizable a column grows
 * without a copy (the same array).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grownColumn } from '../../src/domain/growable.js';

describe('grownColumn', () => {
  it('keeps every element, fills the new ones, and grows in place once resizable (a plain array as the model)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ to: fc.integer({ min: 0, max: 5000 }), exact: fc.boolean(), value: fc.integer({ min: -5, max: 5 }) }), { maxLength: 12 }), (steps) => {
        let column = new Int32Array(3).fill(-1);
        const model: number[] = [-1, -1, -1];
        for (const { to, exact, value } of steps) {
          if (to > column.length) {
            const before = column;
            const length = column.length;
            column = grownColumn(column, to, -1, exact);
            if (exact) expect(column.length).toBe(to);
            else expect(column.length).toBeGreaterThanOrEqual(Math.max(to, Math.ceil(length * 1.125)));
            // The first growth makes it resizable (a copy); after that it grows in place.
            if (length > 3) expect(column).toBe(before);
            while (model.length < column.length) model.push(-1);
          }
          const at = to % column.length;
          column[at] = value;
          model[at] = value;
        }
        expect(Array.from(column)).toEqual(model);
      }),
      { numRuns: 200 },
    );
  });

  it('copies a view over other bytes (a restored snapshot) out, leaving those bytes alone', () => {
    const bytes = new Float64Array([1.5, 2.5, 3.5, 4.5]);
    const view = new Float64Array(bytes.buffer, 8, 2); // 2.5, 3.5
    const grown = grownColumn(view, 4);
    expect(Array.from(grown.subarray(0, 4))).toEqual([2.5, 3.5, 0, 0]);
    grown[0] = 9;
    expect(Array.from(bytes)).toEqual([1.5, 2.5, 3.5, 4.5]);
    const micros = grownColumn(new BigInt64Array([7n]), 3, -2n, true);
    expect(Array.from(micros)).toEqual([7n, -2n, -2n]);
  });
});
