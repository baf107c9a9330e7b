/**
 * ROI figures, as docs/reports.md defines them. Pure: spend and attributed
 * revenue come in exact and already in the base currency (attos), attributed
 * conversions in CONVERSION_UNITS per conversion.
 *
 *   roas = revenue / spend
 *   roi  = (revenue - spend) / spend
 *   cpa  = spend / conversions
 *
 * Rounding and grouping are grouping.ts's: spend, revenue and conversions
 * come in per (campaign, month) cell (the unattributed cells with campaign
 * null), amounts are rounded once to the currency's minor unit and
 * conversions to 4 decimals, and every row and the totals are sums of
 * printed cells, so a channel row is the sum of its campaigns' rows and the
 * totals are the same whatever the grouping. Ratios are computed from the
 * row's exact figures (as burn's are), to 4 decimals, null over a zero.
 */
import { CONVERSION_UNITS } from './attribution/index.js';
import { ATTOS_PER_UNIT, attosPerMinorUnit } from './fx.js';
import { groupCells, type Cell, type RowKey } from './grouping.js';
import { formatFraction, formatUnits } from './money.js';

export const CONVERSION_DECIMALS = 4;

/** A (campaign, month) cell; campaign null is the unattributed row's. */
export interface RoiCell extends Cell {
  /** Base-currency attos. */
  spend: bigint;
  /** Base-currency attos, refunds netted. */
  revenue: bigint;
  /** In 1/CONVERSION_UNITS of a conversion. */
  conversions: bigint;
}

export interface RoiFigures {
  spend: string;
  revenue: string;
  conversions: string;
  roas: string | null;
  roi: string | null;
  cpa: string | null;
}

/** Attributed revenue and conversions of one model, without spend (the attribution report prints spend once per row). */
export type ModelFigures = Omit<RoiFigures, 'spend'>;

export interface RoiResult {
  rows: (RoiFigures & { key: RowKey })[];
  totals: RoiFigures;
}

const RATIO_DECIMALS = 4;

/** Exact figures (attos, attos, conversion units), or printed ones (minor units, minor units, 1e-4 conversions). */
interface Figures {
  spend: bigint;
  revenue: bigint;
  conversions: bigint;
}

function figures(exact: Figures, printed: Figures, scale: number): RoiFigures {
  return {
    spend: formatUnits(printed.spend, scale),
    revenue: formatUnits(printed.revenue, scale),
    conversions: formatUnits(printed.conversions, CONVERSION_DECIMALS),
    roas: formatFraction(exact.revenue, exact.spend, RATIO_DECIMALS),
    roi: formatFraction(exact.revenue - exact.spend, exact.spend, RATIO_DECIMALS),
    // (spend / 1e18) / (conversions / CONVERSION_UNITS)
    cpa: formatFraction(exact.spend * CONVERSION_UNITS, exact.conversions * ATTOS_PER_UNIT, RATIO_DECIMALS),
  };
}

/**
 * The rows and totals, `scale` being the base currency's minor-unit digits;
 * a row for each key a cell has, and for each of `keys`. Exact integers
 * throughout: nothing is rounded until it is printed, once per cell.
 */
export function computeRoi(cells: readonly RoiCell[], scale: number, rowKey: (cell: Cell) => RowKey, keys: Iterable<RowKey> = []): RoiResult {
  const minorUnit = attosPerMinorUnit(scale);
  const grouped = groupCells(
    {
      spend: { cells, exact: cells.map((c) => c.spend), unit: minorUnit },
      revenue: { cells, exact: cells.map((c) => c.revenue), unit: minorUnit },
      conversions: { cells, exact: cells.map((c) => c.conversions), unit: CONVERSION_UNITS / 10n ** BigInt(CONVERSION_DECIMALS) },
    },
    rowKey,
    keys,
  );
  return {
    rows: grouped.rows.map((row) => ({ key: row.key, ...figures(row.exact, row.printed, scale) })),
    totals: figures(grouped.totals.exact, grouped.totals.printed, scale),
  };
}

/** A model's figures without spend, for the side-by-side report. */
export function modelFigures(figures: RoiFigures): ModelFigures {
  const { spend: _spend, ...rest } = figures;
  return rest;
}
