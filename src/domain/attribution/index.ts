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
  const rowsOf = new Map<string, number[]>();
  groupOf.forEach((group, row) => {
    const rows = rowsOf.get(group);
    if (rows === undefined) rowsOf.set(group, [row]);
    else rows.push(row);
  });
  const chain = options.model === 'data_driven' ? dataDrivenChain(touches, conversions, options) : null;
  const out = new Map<string, AttributionResult>();
  for (const [group, rows] of rowsOf) {
    const part: ConversionTable = {
      customer: Int32Array.from(rows, (row) => conversions.customer[row]!),
      convertedAt: Float64Array.from(rows, (row) => conversions.convertedAt[row]!),
      amount: rows.map((row) => conversions.amount[row]!),
      isRefund: Uint8Array.from(rows, (row) => conversions.isRefund[row]!),
    };
    out.set(group, chain === null ? attributeHeuristic(touches, part, options as HeuristicOptions) : attributeByChain(touches, part, chain, options));
  }
  return out;
}
