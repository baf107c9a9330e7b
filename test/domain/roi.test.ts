/** The ROI calculator on its own: a case worked by hand, and rows that add up to totals as printed on random inputs. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONVERSION_UNITS } from '../../src/domain/attribution/index.js';
import { computeRoi } from '../../src/domain/roi.js';

const ATTOS = 10n ** 18n;
const byCampaign = (cell: { campaignId: string | null }) => cell.campaignId;

describe('computeRoi', () => {
  it('rounds by largest remainder and takes ratios from the exact figures', () => {
    // Revenue 10/3 each (3.333... twice, total 6.67 after the owed cent goes to the first row);
    // spend 0 on the second row: its roas and roi are null; no conversions on the first: its cpa is null.
    const third = (10n * ATTOS) / 3n;
    const result = computeRoi(
      [
        { campaignId: 'a', month: '2026-03', spend: 2n * ATTOS, revenue: third, conversions: 0n },
        { campaignId: 'b', month: '2026-03', spend: 0n, revenue: third, conversions: CONVERSION_UNITS / 2n },
      ],
      2,
      byCampaign,
    );
    expect(result.rows).toEqual([
      { key: 'a', spend: '2.00', revenue: '3.34', conversions: '0.0000', roas: '1.6667', roi: '0.6667', cpa: null },
      { key: 'b', spend: '0.00', revenue: '3.33', conversions: '0.5000', roas: null, roi: null, cpa: '0.0000' },
    ]);
    expect(result.totals).toEqual({ spend: '2.00', revenue: '6.67', conversions: '0.5000', roas: '3.3333', roi: '2.3333', cpa: '4.0000' });
  });

  it('prints rows that add up to the printed totals, in every column, at any scale', () => {
    const cents = (text: string) => BigInt(text.replace('.', ''));
    fc.assert(
      fc.property(
        fc.array(fc.record({ spend: fc.bigInt(0n, 10n ** 24n), revenue: fc.bigInt(-(10n ** 22n), 10n ** 24n), conversions: fc.bigInt(0n, 10n ** 16n) }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(0, 2, 3),
        (inputs, scale) => {
          // One campaign per input, in two months taken in turn.
          const cells = inputs.map((input, i) => ({ campaignId: `c${String(i).padStart(2, '0')}`, month: i % 2 ? '2026-02' : '2026-03', ...input }));
          const result = computeRoi(cells, scale, byCampaign);
          for (const column of ['spend', 'revenue', 'conversions'] as const) {
            const sum = result.rows.reduce((acc, row) => acc + cents(row[column]), 0n);
            expect(sum).toBe(cents(result.totals[column]));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
