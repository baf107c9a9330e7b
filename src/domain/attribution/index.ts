/**
 * The attribution engine: docs/reports.md's six models as pure functions over
 * plain values (no Fastify, no SQL, no clock). The ROI and attribution
 * reports load touches and conversions, map ids to dense indices, call
 * `attribute` once per model, and round once, at the edge.
 *
 * Money comes in and goes out as bigint attos (FxTable.toBaseAttos), and
 * every split is exact: per conversion the parts add up to its amount, so
 * a report's campaign rows plus `(unattributed)` add up to the revenue
 * recorded in the range, to the atto. Conversions are counted in
 * CONVERSION_UNITS per conversion for the same reason.
 */
import { type AttributionResult, attributeHeuristic, type HeuristicOptions } from './attribute.js';
import { attributeByChain, attributeDataDriven, dataDrivenChain, type DataDrivenOptions, type DataDrivenResult } from './data-driven.js';
import type { ConversionTable, TouchTable } from './inputs.js';

// The report entry points: one call per model over the range's tables.
export { CONVERSION_UNITS, type AttributionResult, type HeuristicOptions, attributeHeuristic } from './attribute.js';
export {
  attributeByChain,
  attributeDataDriven,
  type DataDrivenChain,
  type DataDrivenOptions,
  type DataDrivenResult,
  dataDrivenChain,
} from './data-driven.js';
// The compact inputs, from objects or from columns SQL already sorted.
export {
  buildConversionTable,
  buildTouchTable,
  type ConversionInput,
  type ConversionTable,
  DAY_MS,
  type TimeRange,
  type TouchInput,
  type TouchTable,
  touchTableFromSortedColumns,
} from './inputs.js';
// One conversion at a time (explaining a journey, checking a number): its window, its shares, its exact split.
export { DEFAULT_LOOKBACK_DAYS, type EligibleSlice, eligibleTouches, lookbackMs } from './window.js';
export {
  ATTRIBUTION_MODELS,
  type AttributionModel,
  DEFAULT_HALF_LIFE_DAYS,
  fillShares,
  HEURISTIC_MODELS,
  type HeuristicModel,
  halfLifeMs,
  timeDecayWeight,
  touchShares,
} from './models.js';
export { SHARE_GRID, quantizeShares, splitAmount, splitByShares } from './exact-split.js';
// The Markov chain on its own, so that data_driven's numbers can be shown and checked.
export { type ChainSolution, emptyCounts, solveChain, type TransitionCounts } from './markov.js';

/** Options for any model: data_driven needs the report's range, as its non-converting paths are the range's. */
export type AttributionOptions = HeuristicOptions | ({ readonly model: 'data_driven' } & DataDrivenOptions);

/** One entry point for the reports, which take the model as a query parameter. */
export function attribute(touches: TouchTable, conversions: ConversionTable, options: AttributionOptions): AttributionResult | DataDrivenResult {
  return options.model === 'data_driven'
    ? attributeDataDriven(touches, conversions, options)
    : attributeHeuristic(touches, conversions, options);
}
// Every touch in memory, cut into a TouchTable per window (the reports' cache of the touchpoints table).
export { type IdsOf, Interner, TouchStore } from './touch-store.js';

/**
 * attribute() for each group of conversion rows (the ROI report's months:
 * `groupOf[row]` is the row's). A heuristic model splits each conversion on
 * its own, so this is one run cut by group. data_driven's chain is the whole
 * table's (its paths are the range's), and each group's rows are split by
 * it; the groups' parts then add up to the whole table's attributed
 * revenue, though a campaign's sum over the groups may differ by a few
 * attos from splitting the whole table at once.
 */
export function attributeByGroup(
  touches: TouchTable,
  conversions: ConversionTable,
  groupOf: readonly string[],
  options: AttributionOptions,
): Map<string, AttributionResult> {
  // Each group's rows, counted first and then placed, in typed columns made once at their size (a year of
  // twice data set L is a million rows: growing arrays row by row left garbage the size of the table).
  const sizes = new Map<string, number>();
  for (const group of groupOf) sizes.set(group, (sizes.get(group) ?? 0) + 1);
  const parts = new Map<string, { customer: Int32Array; convertedAt: Float64Array; amount: bigint[]; isRefund: Uint8Array; filled: number }>();
  for (const [group, size] of sizes) {
    parts.set(group, { customer: new Int32Array(size), convertedAt: new Float64Array(size), amount: new Array<bigint>(size), isRefund: new Uint8Array(size), filled: 0 });
  }
  groupOf.forEach((group, row) => {
    const part = parts.get(group)!;
    const at = part.filled++;
    part.customer[at] = conversions.customer[row]!;
    part.convertedAt[at] = conversions.convertedAt[row]!;
    part.amount[at] = conversions.amount[row]!;
    part.isRefund[at] = conversions.isRefund[row]!;
  });
  const chain = options.model === 'data_driven' ? dataDrivenChain(touches, conversions, options) : null;
  const out = new Map<string, AttributionResult>();
  for (const [group, part] of parts) {
    out.set(group, chain === null ? attributeHeuristic(touches, part, options as HeuristicOptions) : attributeByChain(touches, part, chain, options));
  }
  return out;
}
