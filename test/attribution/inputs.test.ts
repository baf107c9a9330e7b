/**
 * The compact inputs: the two ways to build the touch table agree, bad
 * rows are refused by index, and the eligible slice is the window's.
 */
import { describe, expect, it } from 'vitest';
import { buildTouchTable, eligibleTouches, lookbackMs, touchTableFromSortedColumns } from '../../src/domain/attribution/index.js';
import { DAY, daysBefore, T } from './journeys.js';

// Two customers; customer 1's touches arrive out of order, two of them on the same instant.
const touches = [
  { id: 'b', customer: 1, campaign: 2, occurredAt: daysBefore(1) },
  { id: 'x', customer: 0, campaign: 0, occurredAt: daysBefore(5) },
  { id: 'a', customer: 1, campaign: 1, occurredAt: daysBefore(1) },
  { id: 'z', customer: 1, campaign: 0, occurredAt: daysBefore(100) },
];

describe('the touch table', () => {
  it('groups by customer and orders by instant, then id', () => {
    const table = buildTouchTable(touches, 3, 3);
    expect(Array.from(table.customerStart)).toEqual([0, 1, 4, 4]);
    expect(Array.from(table.campaign)).toEqual([0, 0, 1, 2]); // x | z, a, b
    expect(Array.from(table.occurredAt)).toEqual([daysBefore(5), daysBefore(100), daysBefore(1), daysBefore(1)]);
  });

  it('is the same when built from columns already sorted by SQL', () => {
    const fromColumns = touchTableFromSortedColumns(
      {
        customer: Int32Array.from([0, 1, 1, 1]),
        occurredAt: Float64Array.from([daysBefore(5), daysBefore(100), daysBefore(1), daysBefore(1)]),
        campaign: Int32Array.from([0, 0, 1, 2]),
      },
      3,
      3,
    );
    expect(fromColumns).toEqual(buildTouchTable(touches, 3, 3));
  });

  it('refuses rows out of order or out of range, naming the row', () => {
    const columns = (customer: number[], occurredAt: number[], campaign: number[]) => ({
      customer: Int32Array.from(customer),
      occurredAt: Float64Array.from(occurredAt),
      campaign: Int32Array.from(campaign),
    });
    expect(() => touchTableFromSortedColumns(columns([1, 0], [0, 0], [0, 0]), 2, 1)).toThrow(/row 1 is out of order/);
    expect(() => touchTableFromSortedColumns(columns([0, 0], [5, 4], [0, 0]), 2, 1)).toThrow(/row 1 is out of order/);
    expect(() => touchTableFromSortedColumns(columns([0, 0], [0, 1], [0, 1]), 2, 1)).toThrow(/campaign of row 1/);
    expect(() => buildTouchTable([{ id: 'a', customer: 2, campaign: 0, occurredAt: 0 }], 2, 1)).toThrow(/customer of row 0/);
    expect(() => buildTouchTable([{ id: 'a', customer: 0, campaign: 0, occurredAt: Number.NaN }], 2, 1)).toThrow(/occurredAt of row 0/);
  });
});

describe('eligibleTouches', () => {
  it('is the slice T - lookback < t <= T of the customer', () => {
    const table = buildTouchTable(touches, 3, 3);
    expect(eligibleTouches(table, 1, T, lookbackMs(90))).toEqual({ start: 2, end: 4 }); // a, b; not z (100 days)
    expect(eligibleTouches(table, 1, T, lookbackMs(100))).toEqual({ start: 2, end: 4 }); // z is exactly 100 days back: out
    expect(eligibleTouches(table, 1, T - 1, lookbackMs(100))).toEqual({ start: 1, end: 4 }); // for a conversion 1 ms earlier it is in
    expect(eligibleTouches(table, 1, daysBefore(1) - 1, lookbackMs(90))).toEqual({ start: 2, end: 2 }); // before a and b: none
    expect(eligibleTouches(table, 2, T, lookbackMs(90))).toEqual({ start: 4, end: 4 }); // no touches at all
    expect(lookbackMs()).toBe(90 * DAY);
  });
});
