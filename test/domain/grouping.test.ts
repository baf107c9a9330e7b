/** Rounding once per cell and grouping (src/domain/grouping.ts): a case by hand, and the properties every report relies on. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupCells, roundCells, rowKeyOf, type Cell } from '../../src/domain/grouping.js';
import { divRoundHalfEven, floorDiv } from '../../src/domain/money.js';

describe('roundCells and groupCells', () => {
  it('shares the rounded total over months, then each month over its cells', () => {
    // In thousandths, printed in hundredths (unit 10): a-Jan 0.005, b-Jan 0.005, a-Feb 0.005.
    // Total 0.015 -> 0.02 (half-even). Months 0.010 and 0.005: floors 1 and 0 cents, the owed cent to Feb.
    // Jan's 1 cent over two tied cells goes to the first, a. So a = 0.01 + 0.01, b = 0.
    const cells: Cell[] = [
      { campaignId: 'a', month: '2026-01' },
      { campaignId: 'a', month: '2026-02' },
      { campaignId: 'b', month: '2026-01' },
    ];
    expect(roundCells(cells, [5n, 5n, 5n], 10n)).toEqual([1n, 1n, 0n]);
    const column = { x: { cells, exact: [5n, 5n, 5n], unit: 10n } };
    const byCampaign = groupCells(column, rowKeyOf('campaign', () => undefined));
    expect(byCampaign.rows.map((r) => [r.key, r.printed.x])).toEqual([['a', 2n], ['b', 0n]]);
    const byMonth = groupCells(column, rowKeyOf('month', () => undefined));
    expect(byMonth.rows.map((r) => [r.key, r.printed.x])).toEqual([['2026-01', 1n], ['2026-02', 1n]]);
    expect(byMonth.totals.printed.x).toBe(2n);
  });

  it('puts unattributed cells in their own row, last, by campaign and by channel', () => {
    const cells: Cell[] = [{ campaignId: null, month: '2026-03' }, { campaignId: 'z', month: '2026-03' }];
    const byChannel = groupCells({ x: { cells, exact: [100n, 200n], unit: 100n } }, rowKeyOf('channel', () => 'email'));
    expect(byChannel.rows.map((r) => [r.key, r.printed.x])).toEqual([['email', 2n], [null, 1n]]);
  });

  const cellsArb = fc.array(
    fc.record({ campaignId: fc.constantFrom('a', 'b', 'c', 'd', null), month: fc.constantFrom('2026-01', '2026-02', '2026-03'), exact: fc.bigInt(-(10n ** 9n), 10n ** 12n) }),
    { maxLength: 30 },
  );

  it('property: totals are the exact total rounded, months within a unit of theirs, and every grouping adds up to the same totals', () => {
    fc.assert(
      fc.property(cellsArb, fc.constantFrom(1n, 7n, 10n, 1000n), (input, unit) => {
        const cells = input.map(({ campaignId, month }) => ({ campaignId, month }));
        const exact = input.map((c) => c.exact);
        const column = { x: { cells, exact, unit } };
        const channelOf = (id: string) => (id < 'c' ? 'ab' : 'cd');
        const results = (['campaign', 'channel', 'month'] as const).map((groupBy) => groupCells(column, rowKeyOf(groupBy, channelOf)));
        const total = exact.reduce((a, b) => a + b, 0n);
        for (const result of results) {
          expect(result.totals.printed.x).toBe(divRoundHalfEven(total, unit));
          expect(result.rows.reduce((acc, r) => acc + r.printed.x, 0n)).toBe(result.totals.printed.x);
        }
        // A channel row is the sum of its campaigns' rows.
        const [byCampaign, byChannel, byMonth] = results as [typeof results[0], typeof results[0], typeof results[0]];
        for (const row of byChannel.rows) {
          const sum = byCampaign.rows.filter((r) => (r.key === null ? null : channelOf(r.key)) === row.key).reduce((acc, r) => acc + r.printed.x, 0n);
          expect(row.printed.x).toBe(sum);
        }
        for (const row of byMonth.rows) {
          const floor = floorDiv(row.exact.x, unit);
          expect(row.printed.x === floor || row.printed.x === floor + 1n).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
