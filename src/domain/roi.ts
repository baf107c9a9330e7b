/**
 * ROI figures, as PRODUCT.md defines them. Pure: spend and attributed
 * revenue come in exact and already in the base currency (attos), attributed
 * conversions in CONVERSION_UNITS per conversion.
 *
 *   roas = revenue / spend
 *   roi  = (revenue - spend) / spend
 *   cpa  = spend / conversions
 *
 * Amounts are printed rounded half-even to the currency's minor unit and
 * conversions to 4 decimals, each column allocated by largest remainder so
 * the printed rows add up to the printed totals. Ratios are computed from
 * the exact figures (as burn's are), to 4 decimals, null over a zero.
 */
import { CONVERSION_UNITS } from './attribution/index.js';
import { ATTOS_PER_UNIT, attosPerMinorUnit } from './fx.js';
import { allocateUnits, formatFraction, formatUnits } from './money.js';

export const CONVERSION_DECIMALS = 4;

export interface RoiInput<K> {
  key: K;
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

export interface RoiResult<K> {
  rows: (RoiFigures & { key: K })[];
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
 * The rows and totals, `scale` being the base currency's minor-unit digits.
 * Exact integers throughout: nothing is rounded until it is printed.
 */
export function computeRoi<K>(inputs: readonly RoiInput<K>[], scale: number): RoiResult<K> {
  const minorUnit = attosPerMinorUnit(scale);
  const spend = allocateUnits(inputs.map((e) => e.spend), minorUnit);
  const revenue = allocateUnits(inputs.map((e) => e.revenue), minorUnit);
  const conversions = allocateUnits(inputs.map((e) => e.conversions), CONVERSION_UNITS / 10n ** BigInt(CONVERSION_DECIMALS));
  const rows = inputs.map((input, i) => ({
    key: input.key,
    ...figures(input, { spend: spend.parts[i]!, revenue: revenue.parts[i]!, conversions: conversions.parts[i]! }, scale),
  }));
  const sum = (column: keyof Figures) => inputs.reduce((acc, e) => acc + e[column], 0n);
  const totals = figures(
    { spend: sum('spend'), revenue: sum('revenue'), conversions: sum('conversions') },
    { spend: spend.total, revenue: revenue.total, conversions: conversions.total },
    scale,
  );
  return { rows, totals };
}

/** A model's figures without spend, for the side-by-side report. */
export function modelFigures(figures: RoiFigures): ModelFigures {
  const { spend: _spend, ...rest } = figures;
  return rest;
}
