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
import { ratio } from './burn.js';
import { attosToDecimal } from './fx.js';
import { allocateRounded, Decimal, formatDecimal } from './money.js';

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

const UNITS = new Decimal(CONVERSION_UNITS.toString());

interface Exact {
  spend: Decimal;
  revenue: Decimal;
  conversions: Decimal;
}

function figures(exact: Exact, printed: Exact, scale: number): RoiFigures {
  return {
    spend: formatDecimal(printed.spend, scale),
    revenue: formatDecimal(printed.revenue, scale),
    conversions: formatDecimal(printed.conversions, CONVERSION_DECIMALS),
    roas: ratio(exact.revenue, exact.spend),
    roi: ratio(exact.revenue.minus(exact.spend), exact.spend),
    cpa: ratio(exact.spend, exact.conversions),
  };
}

/** The rows and totals, `scale` being the base currency's minor-unit digits. */
export function computeRoi<K>(inputs: readonly RoiInput<K>[], scale: number): RoiResult<K> {
  const exact: Exact[] = inputs.map((input) => ({
    spend: attosToDecimal(input.spend),
    revenue: attosToDecimal(input.revenue),
    conversions: new Decimal(input.conversions.toString()).div(UNITS),
  }));
  const spend = allocateRounded(exact.map((e) => e.spend), scale);
  const revenue = allocateRounded(exact.map((e) => e.revenue), scale);
  const conversions = allocateRounded(exact.map((e) => e.conversions), CONVERSION_DECIMALS);
  const rows = inputs.map((input, i) => ({
    key: input.key,
    ...figures(exact[i]!, { spend: spend.parts[i]!, revenue: revenue.parts[i]!, conversions: conversions.parts[i]! }, scale),
  }));
  const sum = (column: keyof Exact) => exact.reduce((acc, e) => acc.plus(e[column]), new Decimal(0));
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
