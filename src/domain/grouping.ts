/**
 * How every report rounds and groups: one figure, one value.
 *
 * A report is built from cells, the finest grain it has: a campaign (null:
 * the unattributed row of ROI and attribution) in a month (for ROI, the month
 * of the spend date or conversion date, within [from, to]). A figure that
 * belongs to the whole period rather than to a month, such as a forecast or
 * burn's expectedToDate, has one cell per campaign with month null.
 *
 * Rounding happens once, on the cells, to the currency's minor unit, in
 * two steps of largest remainder (money.ts's allocateUnits) per column:
 * first the report's exact total, rounded half-even, is shared out over
 * the months by their exact totals; then each month's printed total over
 * its cells. So the totals are the exact total rounded (ROI's revenue total
 * is the revenue recorded in the range), a month prints the same whatever
 * the grouping and under every attribution model (models move revenue
 * between campaigns, never between months), and a one-month report prints
 * each month as its exact total rounded. The figures of the whole period
 * (month null) are one group of the first step.
 *
 * Every printed row (campaign, channel, month) and the totals row is then
 * the sum of its printed cells: a channel row is the sum of its campaigns'
 * rows, rows add up to the totals as printed, and the totals do not depend
 * on the grouping.
 *
 * One figure still has one value across reports where their cells are
 * the same: burn, forecast and ROI of one month print each campaign's month
 * alike, and budget versus forecast versus actual reads each of its months
 * as that month's own report (its totals add up the months). A month inside
 * a longer report gets its share of that report's rounded total, which can
 * be a minor unit away from the month's own report: the price of totals
 * that are the exact total rounded.
 *
 * Derived amounts (remaining, available, varianceVsPlan, error) are
 * computed from printed amounts; ratios (burnRate, pacing, roas, roi, cpa,
 * variancePct, errorPct) from the row's exact figures (the sums of its exact
 * cells), in every report.
 */
import { allocateUnits, floorDiv } from './money.js';

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
 * of which make one printed unit), the report's total shared out over the
 * months by largest remainder, then each month's share over its cells.
 * Returns whole printed units, one per cell. Ties go to the earlier month,
 * then to the earlier cell, so callers pass cells in a fixed order
 * (campaign id, then month).
 */
export function roundCells(cells: readonly Cell[], exact: readonly bigint[], unit: bigint): bigint[] {
  const byMonth = new Map<string | null, number[]>();
  cells.forEach((cell, i) => {
    const indexes = byMonth.get(cell.month);
    if (indexes === undefined) byMonth.set(cell.month, [i]);
    else indexes.push(i);
  });
  const months = [...byMonth.entries()].sort((a, b) => compareRowKeys(a[0], b[0]));
  const monthTotals = allocateUnits(
    months.map(([, indexes]) => indexes.reduce((sum, i) => sum + exact[i]!, 0n)),
    unit,
  ).parts;
  const printed = new Array<bigint>(cells.length);
  months.forEach(([, indexes], m) => {
    const parts = allocateUnitsTo(
      indexes.map((i) => exact[i]!),
      unit,
      monthTotals[m]!,
    );
    indexes.forEach((i, j) => (printed[i] = parts[j]!));
  });
  return printed;
}

/**
 * Largest remainder to a given printed total: each part floored to the
 * unit, the units still owed to the largest remainders (ties to the earlier
 * part). `total` is the month's share of the report's rounded total, the
 * floor or the ceiling of the parts' exact sum, so what is owed is between
 * none and one per part with a remainder.
 */
function allocateUnitsTo(parts: readonly bigint[], unit: bigint, total: bigint): bigint[] {
  const out = parts.map((part) => floorDiv(part, unit));
  let owed = total - out.reduce((sum, p) => sum + p, 0n);
  const order = parts
    .map((part, index) => ({ index, remainder: part - out[index]! * unit }))
    .filter((entry) => entry.remainder !== 0n)
    .sort((a, b) => (a.remainder > b.remainder ? -1 : a.remainder < b.remainder ? 1 : a.index - b.index));
  if (owed < 0n || owed > BigInt(order.length)) throw new RangeError(`cannot share ${total} units over parts that floor to ${total - owed}`);
  for (const entry of order) {
    if (owed === 0n) break;
    out[entry.index]! += 1n;
    owed -= 1n;
  }
  return out;
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
