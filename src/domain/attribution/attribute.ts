/**
 * Attribution of a set of conversions by a heuristic model: per campaign,
 * the attributed revenue (attos) and conversions (units), plus the
 * unattributed bucket, exact to the last atto and unit.
 *
 * One pass over the conversions; per conversion two binary searches, the
 * model's shares and an exact split in limbs (exact-split.ts). Nothing is
 * allocated per touch, and only a few bigint operations per conversion.
 */
import { AMOUNT_LIMBS, ConversionSplitter, LimbAccumulator, toLimbs } from './exact-split.js';
import { checkConversions, type ConversionTable, type TouchTable } from './inputs.js';
import { fillShares, HEURISTIC_MODELS, halfLifeMs, type HeuristicModel } from './models.js';
import { firstAfter, lookbackMs } from './window.js';

/**
 * One conversion is this many units, so that fractional conversions per
 * campaign are exact integers summing to the whole number converted; 10^12
 * leaves eight digits beyond the report's four.
 */
export const CONVERSION_UNITS = 10n ** 12n;

export interface AttributionResult {
  /** Attributed revenue per campaign index, base-currency attos, refunds netted. */
  readonly revenue: bigint[];
  /** Attributed conversions per campaign index, in 1/CONVERSION_UNITS of a conversion. */
  readonly conversions: bigint[];
  /** Revenue of conversions (and their refunds) with no eligible touch. */
  readonly unattributedRevenue: bigint;
  readonly unattributedConversions: bigint;
  /** Sum of every amount given: always sum(revenue) + unattributedRevenue. */
  readonly totalRevenue: bigint;
  /** Every conversion (not refund) given, in units: always sum(conversions) + unattributedConversions. */
  readonly totalConversions: bigint;
}

export interface HeuristicOptions {
  readonly model: HeuristicModel;
  /** Default 90. */
  readonly lookbackDays?: number;
  /** time_decay only; default 7. */
  readonly halfLifeDays?: number;
}

/**
 * Scans the conversions and calls `visit` for each with its eligible slice
 * [start, end) of the touch table (empty when nothing is eligible). Shared
 * by the heuristic models and data_driven so that both read the window the
 * same way.
 */
export function forEachConversion(
  touches: TouchTable,
  conversions: ConversionTable,
  windowMs: number,
  visit: (row: number, start: number, end: number) => void,
): void {
  const { customerStart, occurredAt } = touches;
  const { customer, convertedAt } = conversions;
  for (let row = 0; row < customer.length; row++) {
    const who = customer[row]!;
    const at = convertedAt[row]!;
    const end = firstAfter(occurredAt, customerStart[who]!, customerStart[who + 1]!, at);
    const start = firstAfter(occurredAt, customerStart[who]!, end, at - windowMs);
    visit(row, start, end);
  }
}

export function attributeHeuristic(touches: TouchTable, conversions: ConversionTable, options: HeuristicOptions): AttributionResult {
  const { model } = options;
  if (!(HEURISTIC_MODELS as readonly string[]).includes(model)) throw new RangeError(`not a heuristic attribution model: ${String(model)}`);
  const windowMs = lookbackMs(options.lookbackDays);
  const halfLife = halfLifeMs(options.halfLifeDays);
  checkConversions(conversions, touches);

  const revenue = new LimbAccumulator(touches.campaignCount);
  const units = new LimbAccumulator(touches.campaignCount);
  const revenueLimbs = revenue.limbs;
  const unitLimbs = units.limbs;
  const splitter = new ConversionSplitter();
  const amountLimbs = new Float64Array(AMOUNT_LIMBS);
  const oneConversion = new Float64Array(AMOUNT_LIMBS);
  const oneConversionLimbs = toLimbs(CONVERSION_UNITS, oneConversion);
  let shares = new Float64Array(64);
  const { campaign, occurredAt } = touches;

  let totalRevenue = 0n;
  let unattributedRevenue = 0n;
  let conversionCount = 0;
  let unattributedCount = 0;

  forEachConversion(touches, conversions, windowMs, (row, start, end) => {
    const amount = conversions.amount[row]!;
    const counts = conversions.isRefund[row] === 0;
    const n = end - start;
    totalRevenue += amount;
    if (counts) conversionCount++;
    if (n === 0) {
      unattributedRevenue += amount;
      if (counts) unattributedCount++;
      return;
    }
    const sign = amount < 0n ? -1 : 1;
    const k = toLimbs(amount, amountLimbs);
    // A slot may take a part and a leftover unit from every touch of this conversion.
    revenue.reserve(2 * n);
    if (counts) units.reserve(2 * n);
    if (n === 1) {
      // One touch takes the whole under every model: the common case, with no division.
      splitter.whole(revenueLimbs, campaign[start]!, amountLimbs, k, sign);
      if (counts) splitter.whole(unitLimbs, campaign[start]!, oneConversion, oneConversionLimbs, 1);
      return;
    }
    switch (model) {
      case 'first_touch':
      case 'last_touch': {
        const credited = campaign[model === 'first_touch' ? start : end - 1]!;
        splitter.whole(revenueLimbs, credited, amountLimbs, k, sign);
        if (counts) splitter.whole(unitLimbs, credited, oneConversion, oneConversionLimbs, 1);
        return;
      }
      case 'linear':
        splitter.linear(revenueLimbs, campaign, start, n, amountLimbs, k, sign);
        if (counts) splitter.linear(unitLimbs, campaign, start, n, oneConversion, oneConversionLimbs, 1);
        return;
      case 'position_based':
        splitter.positionBased(revenueLimbs, campaign, start, n, amountLimbs, k, sign);
        if (counts) splitter.positionBased(unitLimbs, campaign, start, n, oneConversion, oneConversionLimbs, 1);
        return;
      case 'time_decay':
        if (shares.length < n) shares = new Float64Array(Math.max(n, 2 * shares.length));
        fillShares(model, occurredAt, start, end, conversions.convertedAt[row]!, halfLife, shares);
        splitter.quantize(shares, n);
        splitter.byGrid(revenueLimbs, campaign, start, n, amountLimbs, k, sign);
        if (counts) splitter.byGrid(unitLimbs, campaign, start, n, oneConversion, oneConversionLimbs, 1);
        return;
    }
  });

  return {
    revenue: revenue.totals(),
    conversions: units.totals(),
    unattributedRevenue,
    unattributedConversions: BigInt(unattributedCount) * CONVERSION_UNITS,
    totalRevenue,
    totalConversions: BigInt(conversionCount) * CONVERSION_UNITS,
  };
}
