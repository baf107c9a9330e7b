/**
 * Budget burn, as docs/reports.md defines it. Pure: amounts come in exact and
 * already in the base currency, time comes in as `asOf`.
 *
 *   remaining      = planned - actual
 *   available      = planned - actual - committed
 *   expectedToDate = planned x daysElapsed / daysInPeriod
 *   burnRate       = actual / planned
 *   pacing         = actual / expectedToDate
 *   status         = unplanned | over_budget | overpacing | underpacing | on_track (first that holds);
 *                    null when nothing is planned and nothing spent (an empty row or month)
 *   exhaustionDate = the day cumulative spend at the period-to-date daily
 *                    rate (actual / daysElapsed) reaches planned, if within the period
 *
 * Rounding and grouping are grouping.ts's: planned, committed and actual
 * come in per (campaign, month) cell, expectedToDate is computed per
 * campaign over the period, each is rounded once, and every row and the
 * totals are sums of printed cells. `remaining` and `available` are computed
 * from the printed planned, actual and committed, so they add up too and
 * agree with the columns beside them; the ratios and the status from the
 * row's exact figures.
 */
import { groupCells, type Cell, type RowKey } from './grouping.js';
import { ceilDiv, compareFractions, formatFraction, formatUnits, fractionOf, type Decimal, type Fraction } from './money.js';
import { attosPerMinorUnit } from './fx.js';
import { elapsed, formatDay, parseDay, type Period } from './periods.js';

export type BurnStatus = 'unplanned' | 'over_budget' | 'overpacing' | 'underpacing' | 'on_track';

/** A (campaign, month) cell's exact amounts in the base currency, as attos (1e-18 of a unit). */
export interface BurnCell extends Cell {
  planned: bigint;
  committed: bigint;
  actual: bigint;
}

export interface BurnFigures {
  planned: string;
  committed: string;
  actual: string;
  remaining: string;
  available: string;
  daysElapsed: number;
  daysInPeriod: number;
  expectedToDate: string;
  burnRate: string | null;
  pacing: string | null;
  status: BurnStatus | null;
  exhaustionDate: string | null;
}

export interface BurnResult {
  rows: (BurnFigures & { key: RowKey })[];
  totals: BurnFigures;
}

export interface BurnOptions {
  period: Period;
  asOf: string;
  /** Pacing tolerance, such as 0.10. */
  tolerance: Decimal;
  /** Minor-unit digits of the base currency. */
  scale: number;
  /** The row a cell adds into (grouping.ts's rowKeyOf); by campaign when not given. */
  rowKey?: (cell: Cell) => RowKey;
}

const RATIO_DECIMALS = 4;

/**
 * The status, first that holds. `pacing` is actual / expectedToDate as an
 * exact fraction, null when nothing is expected yet. Null when nothing is
 * planned and nothing spent: such a row (a commitment alone, or an empty
 * month's totals) is not on track, there is no track.
 */
export function burnStatus(planned: bigint, actual: bigint, pacing: Fraction | null, tolerance: Fraction): BurnStatus | null {
  if (planned === 0n && actual === 0n) return null;
  if (planned === 0n && actual !== 0n) return 'unplanned';
  if (actual > planned) return 'over_budget';
  if (pacing !== null && compareFractions(pacing, { num: tolerance.den + tolerance.num, den: tolerance.den }) > 0) return 'overpacing';
  if (pacing !== null && compareFractions(pacing, { num: tolerance.den - tolerance.num, den: tolerance.den }) < 0) return 'underpacing';
  return 'on_track';
}

/**
 * The day the plan runs out at the period-to-date daily rate, or null if not
 * within the period. `planned` and `actual` in the same unit (any).
 */
export function exhaustionDate(planned: bigint, actual: bigint, daysElapsed: number, period: Period): string | null {
  const day = exhaustionDay(planned, actual, daysElapsed, period.daysInPeriod);
  return day === null ? null : formatDay(parseDay(period.start) + day - 1);
}

/** exhaustionDate as the day of the period (1 = its first day). */
function exhaustionDay(planned: bigint, actual: bigint, daysElapsed: number, daysInPeriod: number): number | null {
  if (daysElapsed === 0 || actual <= 0n) return null;
  // Cumulative spend after day k is k x actual / daysElapsed: the plan is used up on the
  // first k with k >= planned x daysElapsed / actual.
  const day = ceilDiv(planned * BigInt(daysElapsed), actual);
  if (day > BigInt(daysInPeriod)) return null;
  return day < 1n ? 1 : Number(day);
}

/**
 * A row's exact figures: planned, committed and actual in attos;
 * expectedToDate (planned x daysElapsed / daysInPeriod) as a whole number of
 * 1/(1e18 x daysInPeriod) of a unit, so that it is exact too.
 */
interface Exact {
  planned: bigint;
  committed: bigint;
  actual: bigint;
  expectedTimesDays: bigint;
}

/** Printed figures, as whole minor units. */
interface Printed {
  planned: bigint;
  committed: bigint;
  actual: bigint;
  expectedToDate: bigint;
}

interface Context {
  daysElapsed: number;
  tolerance: Fraction;
  options: BurnOptions;
  /** The period's dates, formatted once each (index 0 = its first day). */
  dates: (string | undefined)[];
  firstDay: number;
  /** daysInPeriod, as a bigint. */
  days: bigint;
}

function figures(exact: Exact, printed: Printed, context: Context): BurnFigures {
  const { daysElapsed, tolerance, options } = context;
  const day = exhaustionDay(exact.planned, exact.actual, daysElapsed, options.period.daysInPeriod);
  // pacing = actual / expectedToDate = actual x daysInPeriod / expectedTimesDays.
  const pacing = exact.expectedTimesDays === 0n ? null : { num: exact.actual * context.days, den: exact.expectedTimesDays };
  const { scale } = options;
  return {
    planned: formatUnits(printed.planned, scale),
    committed: formatUnits(printed.committed, scale),
    actual: formatUnits(printed.actual, scale),
    remaining: formatUnits(printed.planned - printed.actual, scale),
    available: formatUnits(printed.planned - printed.actual - printed.committed, scale),
    daysElapsed,
    daysInPeriod: options.period.daysInPeriod,
    expectedToDate: formatUnits(printed.expectedToDate, scale),
    burnRate: formatFraction(exact.actual, exact.planned, RATIO_DECIMALS),
    pacing: pacing === null ? null : formatFraction(pacing.num, pacing.den, RATIO_DECIMALS),
    status: burnStatus(exact.planned, exact.actual, pacing, tolerance),
    exhaustionDate: day === null ? null : (context.dates[day - 1] ??= formatDay(context.firstDay + day - 1)),
  };
}

/**
 * Exact throughout: every figure is an integer count of a unit fine enough
 * to hold it, and nothing is rounded until it is printed, once, per cell.
 */
export function computeBurn(cells: readonly BurnCell[], options: BurnOptions): BurnResult {
  const { daysElapsed } = elapsed(options.period, options.asOf);
  const days = BigInt(options.period.daysInPeriod);
  const context: Context = { daysElapsed, tolerance: fractionOf(options.tolerance), options, dates: [], firstDay: parseDay(options.period.start), days };
  const elapsedDays = BigInt(daysElapsed);
  // expectedToDate is a figure of the period, per campaign: planned x daysElapsed, in 1/daysInPeriod attos.
  const plannedPerCampaign = new Map<string | null, bigint>();
  for (const cell of cells) plannedPerCampaign.set(cell.campaignId, (plannedPerCampaign.get(cell.campaignId) ?? 0n) + cell.planned);
  const campaignCells: Cell[] = [...plannedPerCampaign.keys()].map((campaignId) => ({ campaignId, month: null }));
  // One printed minor unit, in attos; and in the unit of expectedTimesDays.
  const unit = attosPerMinorUnit(options.scale);
  const grouped = groupCells(
    {
      planned: { cells, exact: cells.map((c) => c.planned), unit },
      committed: { cells, exact: cells.map((c) => c.committed), unit },
      actual: { cells, exact: cells.map((c) => c.actual), unit },
      expectedTimesDays: { cells: campaignCells, exact: [...plannedPerCampaign.values()].map((p) => p * elapsedDays), unit: unit * days },
    },
    options.rowKey ?? ((cell) => cell.campaignId),
  );
  const printed = (sums: Exact): Printed => ({ planned: sums.planned, committed: sums.committed, actual: sums.actual, expectedToDate: sums.expectedTimesDays });
  return {
    rows: grouped.rows.map((row) => ({ key: row.key, ...figures(row.exact, printed(row.printed), context) })),
    totals: figures(grouped.totals.exact, printed(grouped.totals.printed), context),
  };
}
