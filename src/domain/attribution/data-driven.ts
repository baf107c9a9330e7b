/**
 * data_driven, exactly as docs/reports.md defines it: build the range's paths,
 * count transitions into a first-order chain over the campaigns that occur,
 * solve it (markov.ts) for every campaign's removal effect, and split the
 * range's attributed revenue and conversions by the normalised effects.
 *
 * Paths:
 * - converting: each conversion in the range with at least one eligible
 *   touch gives start -> its eligible touches' campaigns in order ->
 *   conversion;
 * - non-converting: each customer's touches dated in the range and after
 *   their last conversion in the range (strictly after: a touch at the
 *   conversion's instant is eligible for it), all of them if there is no
 *   conversion, give start -> ... -> null.
 * Refunds make no path: they move revenue, as their conversion's did.
 *
 * When the chain cannot explain any conversion (P = 0: no conversion in
 * the range has an eligible touch), there are no weights; then everything
 * stays unattributed, including refunds of earlier conversions that had
 * touches, rather than being spread by a rule the model did not produce.
 */
import { type AttributionResult, CONVERSION_UNITS, forEachConversion } from './attribute.js';
import { quantizeShares, splitAmount } from './exact-split.js';
import { checkConversions, type ConversionTable, type TimeRange, type TouchTable } from './inputs.js';
import { solveChain, type TransitionCounts } from './markov.js';
import { firstAfter, firstAtOrAfter, lookbackMs } from './window.js';

export interface DataDrivenOptions {
  /** The report's range: conversions given must lie in it; it also picks the touches of non-converting paths. */
  readonly range: TimeRange;
  /** Default 90. */
  readonly lookbackDays?: number;
}

export interface DataDrivenChain {
  /** The campaign indices on some path, ascending: the chain's campaign states. */
  readonly campaigns: Int32Array;
  readonly convertingPaths: number;
  readonly nonConvertingPaths: number;
  /** The counted transitions, over the states in `campaigns` order: what the weights were computed from. */
  readonly transitions: TransitionCounts;
  /** P, the probability of reaching conversion from start. */
  readonly conversionProbability: number;
  /** RE(c) = 1 - P(without c)/P, per campaign index (0 off the chain). */
  readonly removalEffects: Float64Array;
  /** RE(c) / sum of RE, per campaign index; all 0 when P = 0. */
  readonly weights: Float64Array;
}

export interface DataDrivenResult extends AttributionResult {
  readonly chain: DataDrivenChain;
}

interface Paths {
  /** Slices [start, end) of the touch table, converting ones first. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly converting: number;
  readonly count: number;
}

function checkRange(range: TimeRange): void {
  if (!Number.isFinite(range.start) || !Number.isFinite(range.end) || range.start >= range.end) {
    throw new RangeError('range must be finite instants with start before end');
  }
}

function collectPaths(touches: TouchTable, conversions: ConversionTable, windowMs: number, range: TimeRange): Paths {
  const { customerStart, occurredAt } = touches;
  const capacity = conversions.customer.length + touches.customerCount;
  const start = new Int32Array(capacity);
  const end = new Int32Array(capacity);
  let count = 0;
  const lastConversion = new Float64Array(touches.customerCount).fill(-Infinity);
  forEachConversion(touches, conversions, windowMs, (row, from, to) => {
    if (conversions.isRefund[row] === 1) return;
    const at = conversions.convertedAt[row]!;
    if (at < range.start || at >= range.end) {
      throw new RangeError(`conversion row ${row} is outside the range: data_driven reads the range's conversions only`);
    }
    const who = conversions.customer[row]!;
    if (at > lastConversion[who]!) lastConversion[who] = at;
    if (to > from) {
      start[count] = from;
      end[count] = to;
      count++;
    }
  });
  const converting = count;
  for (let who = 0; who < touches.customerCount; who++) {
    const first = customerStart[who]!;
    const last = customerStart[who + 1]!;
    const to = firstAtOrAfter(occurredAt, first, last, range.end);
    const from = Math.max(firstAtOrAfter(occurredAt, first, to, range.start), firstAfter(occurredAt, first, to, lastConversion[who]!));
    if (to > from) {
      start[count] = from;
      end[count] = to;
      count++;
    }
  }
  return { start, end, converting, count };
}

/** The chain's states (campaigns on some path, ascending) and its transition counts. */
function countTransitions(touches: TouchTable, paths: Paths): { campaigns: Int32Array; counts: TransitionCounts } {
  const { campaign } = touches;
  const stateOf = new Int32Array(touches.campaignCount).fill(-1);
  for (let p = 0; p < paths.count; p++) {
    for (let t = paths.start[p]!; t < paths.end[p]!; t++) stateOf[campaign[t]!] = 0;
  }
  let m = 0;
  for (let c = 0; c < stateOf.length; c++) if (stateOf[c] === 0) stateOf[c] = m++;
  const campaigns = new Int32Array(m);
  for (let c = 0; c < stateOf.length; c++) if (stateOf[c]! >= 0) campaigns[stateOf[c]!] = c;

  const fromStart = new Float64Array(m);
  const between = new Float64Array(m * m);
  const toConversion = new Float64Array(m);
  const toNull = new Float64Array(m);
  for (let p = 0; p < paths.count; p++) {
    const first = paths.start[p]!;
    const last = paths.end[p]! - 1;
    let state = stateOf[campaign[first]!]!;
    fromStart[state]! += 1;
    for (let t = first + 1; t <= last; t++) {
      const next = stateOf[campaign[t]!]!;
      between[state * m + next]! += 1;
      state = next;
    }
    if (p < paths.converting) toConversion[state]! += 1;
    else toNull[state]! += 1;
  }
  return { campaigns, counts: { size: m, fromStart, between, toConversion, toNull } };
}

/** The range's chain and every campaign's removal effect and weight. */
export function dataDrivenChain(touches: TouchTable, conversions: ConversionTable, options: DataDrivenOptions): DataDrivenChain {
  checkRange(options.range);
  const windowMs = lookbackMs(options.lookbackDays);
  checkConversions(conversions, touches);
  const paths = collectPaths(touches, conversions, windowMs, options.range);
  const { campaigns, counts } = countTransitions(touches, paths);
  const solution = solveChain(counts);
  const removalEffects = new Float64Array(touches.campaignCount);
  const weights = new Float64Array(touches.campaignCount);
  let sum = 0;
  for (let s = 0; s < campaigns.length; s++) sum += solution.removalEffects[s]!;
  for (let s = 0; s < campaigns.length; s++) {
    removalEffects[campaigns[s]!] = solution.removalEffects[s]!;
    if (sum > 0) weights[campaigns[s]!] = solution.removalEffects[s]! / sum;
  }
  return {
    campaigns,
    convertingPaths: paths.converting,
    nonConvertingPaths: paths.count - paths.converting,
    transitions: counts,
    conversionProbability: sum > 0 ? solution.conversionProbability : 0,
    removalEffects,
    weights,
  };
}

/**
 * Attributes the range's conversions and refunds by data_driven: revenue and
 * conversions of every conversion with an eligible touch (and of the refunds
 * of such conversions) are pooled and split over the campaigns by weight,
 * exactly (largest remainder on the 2^-48 grid of the weights).
 */
export function attributeDataDriven(touches: TouchTable, conversions: ConversionTable, options: DataDrivenOptions): DataDrivenResult {
  const chain = dataDrivenChain(touches, conversions, options);
  return { ...attributeByChain(touches, conversions, chain, options), chain };
}

/**
 * Splits some conversions by a chain's weights. The weights are the whole
 * range's (they come from all of its paths), so a report grouped by month
 * computes the chain once and splits each month's conversions with it;
 * attributeDataDriven is this over the whole range.
 */
export function attributeByChain(
  touches: TouchTable,
  conversions: ConversionTable,
  chain: DataDrivenChain,
  options: { readonly lookbackDays?: number } = {},
): AttributionResult {
  const windowMs = lookbackMs(options.lookbackDays);
  checkConversions(conversions, touches);
  let totalRevenue = 0n;
  let attributedRevenue = 0n;
  let conversionCount = 0;
  let attributedCount = 0;
  forEachConversion(touches, conversions, windowMs, (row, start, end) => {
    const amount = conversions.amount[row]!;
    const counts = conversions.isRefund[row] === 0;
    totalRevenue += amount;
    if (counts) conversionCount++;
    if (end > start) {
      attributedRevenue += amount;
      if (counts) attributedCount++;
    }
  });
  const campaignCount = touches.campaignCount;
  const revenue = new Array<bigint>(campaignCount).fill(0n);
  const conversionUnits = new Array<bigint>(campaignCount).fill(0n);
  const totalConversions = BigInt(conversionCount) * CONVERSION_UNITS;
  if (chain.conversionProbability === 0) {
    return {
      revenue,
      conversions: conversionUnits,
      unattributedRevenue: totalRevenue,
      unattributedConversions: totalConversions,
      totalRevenue,
      totalConversions,
    };
  }
  const states = chain.campaigns;
  const stateWeights = Float64Array.from(states, (c) => chain.weights[c]!);
  const grid = new Float64Array(states.length);
  quantizeShares(stateWeights, states.length, grid);
  const revenueParts = splitAmount(attributedRevenue, grid);
  const unitParts = splitAmount(BigInt(attributedCount) * CONVERSION_UNITS, grid);
  for (let s = 0; s < states.length; s++) {
    revenue[states[s]!] = revenueParts[s]!;
    conversionUnits[states[s]!] = unitParts[s]!;
  }
  return {
    revenue,
    conversions: conversionUnits,
    unattributedRevenue: totalRevenue - attributedRevenue,
    unattributedConversions: totalConversions - BigInt(attributedCount) * CONVERSION_UNITS,
    totalRevenue,
    totalConversions,
  };
}
