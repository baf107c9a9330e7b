/**
 * How every report rounds and groups: one figure, one value.
 *
 * A report is built from cells, the finest grain it has: a campaign (null:
 * the unattributed row of ROI and attribution) in a month (for ROI, the month
 * of the spend date or conversion date, within [from, to]). A figure that
 * belongs to the whole period rather than to a month, such as a forecast or
 * burn's expectedToDate, has one cell per campaign with month null.
 *
 * Rounding happens once, on the cells, to the currency's minor unit:
 * the cells of one month (of one column) are rounded by largest remainder
 * against that month's exact total rounded half-even, so the month prints
 * as its exact total rounded, and a campaign's share of the month prints the
 * same in every report that covers the month: burn, forecast, budget versus
 * forecast versus actual, ROI by any grouping and under any model (models
 * move revenue between campaigns, never between months). The period-wide
 * cells (month null) are rounded the same way against their exact total.
 *
 * Every printed row (campaign, channel, month) and the totals row is then
 * the sum of its printed cells: a channel row is the sum of its campaigns'
 * rows, rows add up to the totals as printed, and the totals do not depend
 * on the grouping. The price: a total over several months is the sum of the
 * months' rounded totals, which can differ from the exact total of the
 * months rounded by up to half a minor unit per month. We chose that over
 * letting a month (or a campaign's month) print two ways in two reports.
 *
 * Derived amounts (remaining, available, varianceVsPlan, error) are
 * computed from printed amounts; ratios (burnRate, pacing, roas, roi, cpa,
 * variancePct, errorPct) from the row's exact figures (the sums of its exact
 * cells), in every report.
 */
import { allocateUnits } from './money.js';

export type GroupBy = 'campaign' | 'channel' | 'month';

/** The channel of a campaign the campaigns table does not know. */
export const UNKNOWN_CHANNEL = 'other';

/** A campaign (null: unattributed) in a month (null: the whole period). */
export interface Cell {
  campaignId: string | null;
  month: string | null;
}

/** A row's key: a campaign id, a channel or a month; null is the unattributed row. */
export type RowKey = string | null;

/**
 * The rule that puts a cell in a row: its campaign, its campaign's channel,
 * or its month. The unattributed cells form their own row by campaign and
 * by channel; by month they count in their month.
 */
export function rowKeyOf(groupBy: GroupBy, channelOf: (campaignId: string) => string | undefined): (cell: Cell) => RowKey {
  switch (groupBy) {
    case 'campaign':
      return (cell) => cell.campaignId;
    case 'channel':
      return (cell) => (cell.campaignId === null ? null : (channelOf(cell.campaignId) ?? UNKNOWN_CHANNEL));
    case 'month':
      return (cell) => {
        if (cell.month === null) throw new RangeError('a figure of the whole period has no month row');
        return cell.month;
      };
  }
}

/**
 * Rounds one column's cells once: the exact values (in a fine unit, `unit`
 * of which make one printed unit) of the cells of each month, by largest
 * remainder against the month's exact total rounded half-even. Returns
 * whole printed units, one per cell. Ties go to the earlier cell, so callers
 * pass cells in a fixed order (campaign id order).
 */
export function roundCells(cells: readonly Cell[], exact: readonly bigint[], unit: bigint): bigint[] {
  const byMonth = new Map<string | null, number[]>();
  cells.forEach((cell, i) => {
    const indexes = byMonth.get(cell.month);
    if (indexes === undefined) byMonth.set(cell.month, [i]);
    else indexes.push(i);
  });
  const printed = new Array<bigint>(cells.length);
  for (const indexes of byMonth.values()) {
    const { parts } = allocateUnits(
      indexes.map((i) => exact[i]!),
      unit,
    );
    indexes.forEach((i, j) => (printed[i] = parts[j]!));
  }
  return printed;
}

/** One column of a report: its cells, their exact values, and how many of their unit make one printed unit. */
export interface Column {
  cells: readonly Cell[];
  exact: readonly bigint[];
  unit: bigint;
}

export type Sums<C extends string> = Record<C, bigint>;

export interface GroupedRow<C extends string> {
  key: RowKey;
  /** Sums of the row's exact cells, for ratios. */
  exact: Sums<C>;
  /** Sums of the row's printed cells, in printed units. */
  printed: Sums<C>;
}

export interface Grouped<C extends string> {
  rows: GroupedRow<C>[];
  totals: { exact: Sums<C>; printed: Sums<C> };
}

/** Keys in report order: ascending, the unattributed row (null) last. */
export function compareRowKeys(a: RowKey, b: RowKey): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/**
 * Rounds every column's cells once (roundCells) and adds them into rows by
 * `rowKey`; the totals are the sums of the rows. A row for every key a cell
 * of any column has (a zero cell still makes its row), plus `keys`, in
 * report order.
 */
export function groupCells<C extends string>(columns: Record<C, Column>, rowKey: (cell: Cell) => RowKey, keys: Iterable<RowKey> = []): Grouped<C> {
  const names = Object.keys(columns) as C[];
  const zero = () => Object.fromEntries(names.map((name) => [name, 0n])) as Sums<C>;
  const rows = new Map<RowKey, GroupedRow<C>>();
  const rowOf = (key: RowKey) => {
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { key, exact: zero(), printed: zero() }));
    return row;
  };
  for (const key of keys) rowOf(key);
  const totals = { exact: zero(), printed: zero() };
  for (const name of names) {
    const { cells, exact, unit } = columns[name];
    const printed = roundCells(cells, exact, unit);
    cells.forEach((cell, i) => {
      const row = rowOf(rowKey(cell));
      row.exact[name] += exact[i]!;
      row.printed[name] += printed[i]!;
      totals.exact[name] += exact[i]!;
      totals.printed[name] += printed[i]!;
    });
  }
  return { rows: [...rows.values()].sort((a, b) => compareRowKeys(a.key, b.key)), totals };
}
