/**
 * Budget burn, as PRODUCT.md defines it. Pure: amounts come in exact and
 * already in the base currency, time comes in as `asOf`.
 *
 *   remaining      = planned - actual
 *   available      = planned - actual - committed
 *   expectedToDate = planned x daysElapsed / daysInPeriod
 *   burnRate       = actual / planned
 *   pacing         = actual / expectedToDate
 *   status         = unplanned | over_budget | overpacing | underpacing | on_track (first that holds)
 *   exhaustionDate = the day cumulative spend at the period-to-date daily
 *                    rate (actual / daysElapsed) reaches planned, if within the period
 *
 * Printed amounts are rounded half-even to the currency's minor unit, and
 * each amount column is rounded by largest remainder so the printed rows
 * add up to the printed total. `remaining` and `available` are computed from
 * the printed planned, actual and committed, so they add up too and agree
 * with the columns beside them.
 */
import { allocateRounded, Decimal, formatDecimal } from './money.js';
import { elapsed, formatDay, parseDay, type Period } from './periods.js';

export type BurnStatus = 'unplanned' | 'over_budget' | 'overpacing' | 'underpacing' | 'on_track';

export interface BurnInput<K> {
  key: K;
  planned: Decimal;
  committed: Decimal;
  actual: Decimal;
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
  status: BurnStatus;
  exhaustionDate: string | null;
}

export interface BurnResult<K> {
  rows: (BurnFigures & { key: K })[];
  totals: BurnFigures;
}

export interface BurnOptions {
  period: Period;
  asOf: string;
  /** Pacing tolerance, such as 0.10. */
  tolerance: Decimal;
  /** Minor-unit digits of the base currency. */
  scale: number;
}

const RATIO_DECIMALS = 4;

export function ratio(numerator: Decimal, denominator: Decimal): string | null {
  return denominator.isZero() ? null : formatDecimal(numerator.div(denominator), RATIO_DECIMALS);
}

export function burnStatus(planned: Decimal, actual: Decimal, pacing: Decimal | null, tolerance: Decimal): BurnStatus {
  if (planned.isZero() && !actual.isZero()) return 'unplanned';
  if (actual.greaterThan(planned)) return 'over_budget';
  if (pacing !== null && pacing.greaterThan(tolerance.plus(1))) return 'overpacing';
  if (pacing !== null && pacing.lessThan(new Decimal(1).minus(tolerance))) return 'underpacing';
  return 'on_track';
}

/** The day the plan runs out at the period-to-date daily rate, or null if not within the period. */
export function exhaustionDate(planned: Decimal, actual: Decimal, daysElapsed: number, period: Period): string | null {
  if (daysElapsed === 0 || actual.lessThanOrEqualTo(0)) return null;
  const dailyRate = actual.div(daysElapsed);
  // Cumulative spend after day k is k x dailyRate: the plan is used up on the first k with k x dailyRate >= planned.
  const day = Decimal.max(1, planned.div(dailyRate).ceil()).toNumber();
  if (day > period.daysInPeriod) return null;
  return formatDay(parseDay(period.start) + day - 1);
}

interface Exact {
  planned: Decimal;
  committed: Decimal;
  actual: Decimal;
  expectedToDate: Decimal;
}

function figures(exact: Exact, printed: { planned: Decimal; committed: Decimal; actual: Decimal; expectedToDate: Decimal }, daysElapsed: number, options: BurnOptions): BurnFigures {
  const pacing = exact.expectedToDate.isZero() ? null : exact.actual.div(exact.expectedToDate);
  const { scale } = options;
  return {
    planned: formatDecimal(printed.planned, scale),
    committed: formatDecimal(printed.committed, scale),
    actual: formatDecimal(printed.actual, scale),
    remaining: formatDecimal(printed.planned.minus(printed.actual), scale),
    available: formatDecimal(printed.planned.minus(printed.actual).minus(printed.committed), scale),
    daysElapsed,
    daysInPeriod: options.period.daysInPeriod,
    expectedToDate: formatDecimal(printed.expectedToDate, scale),
    burnRate: ratio(exact.actual, exact.planned),
    pacing: pacing === null ? null : formatDecimal(pacing, RATIO_DECIMALS),
    status: burnStatus(exact.planned, exact.actual, pacing, options.tolerance),
    exhaustionDate: exhaustionDate(exact.planned, exact.actual, daysElapsed, options.period),
  };
}

export function computeBurn<K>(inputs: readonly BurnInput<K>[], options: BurnOptions): BurnResult<K> {
  const { daysElapsed } = elapsed(options.period, options.asOf);
  const exact: Exact[] = inputs.map((input) => ({
    planned: input.planned,
    committed: input.committed,
    actual: input.actual,
    expectedToDate: input.planned.times(daysElapsed).div(options.period.daysInPeriod),
  }));
  const columns = ['planned', 'committed', 'actual', 'expectedToDate'] as const;
  const allocated = Object.fromEntries(
    columns.map((column) => [column, allocateRounded(exact.map((e) => e[column]), options.scale)]),
  ) as Record<(typeof columns)[number], { parts: Decimal[]; total: Decimal }>;

  const rows = inputs.map((input, i) => ({
    key: input.key,
    ...figures(
      exact[i]!,
      {
        planned: allocated.planned.parts[i]!,
        committed: allocated.committed.parts[i]!,
        actual: allocated.actual.parts[i]!,
        expectedToDate: allocated.expectedToDate.parts[i]!,
      },
      daysElapsed,
      options,
    ),
  }));
  const sum = (column: (typeof columns)[number]) => exact.reduce((acc, e) => acc.plus(e[column]), new Decimal(0));
  const totals = figures(
    { planned: sum('planned'), committed: sum('committed'), actual: sum('actual'), expectedToDate: sum('expectedToDate') },
    {
      planned: allocated.planned.total,
      committed: allocated.committed.total,
      actual: allocated.actual.total,
      expectedToDate: allocated.expectedToDate.total,
    },
    daysElapsed,
    options,
  );
  return { rows, totals };
}
