/**
 * Spend forecast, as docs/reports.md defines it. Pure: daily spend comes in exact
 * and already in the base currency, time comes in as `asOf` (after the
 * period it counts as the last day, before it nothing has elapsed, as in
 * burn). With n = daysElapsed, D = daysInPeriod, daysLeft = D - n,
 * actual = spend of days 1..n and c_d = cumulative spend through day d:
 *
 *   run_rate     = actual + (actual / n) x daysLeft
 *   trailing_7d  = actual + (spend of days n-k+1..n) / k x daysLeft, k = min(7, n)
 *   linear_trend = max(actual, a + b x D), a + b x d the ordinary least-squares
 *                  line through (d, c_d), d = 1..n; with n < 2, run_rate
 *
 *   varianceVsPlan = forecast - planned
 *   variancePct    = varianceVsPlan / planned
 *
 * Where docs/reports.md is silent:
 * - n = 0 (asOf before the period): there is no history to project from, so
 *   every method forecasts the actual, which is 0; not the plan, which is
 *   what the forecast is read against.
 * - daysLeft = 0 (asOf on or after the last day): every method gives the
 *   actual, which is final. The formulas above agree for run_rate and
 *   trailing_7d, but an OLS line need not pass through its last point: for
 *   front-loaded spend its value at D = n is above the actual, and would
 *   forecast spend on days that have passed.
 *
 * Daily spend comes in as exact bigint attos (1e-18 of a base-currency unit,
 * the unit fx.ts converts into), so every sum is integer arithmetic and each
 * method is one division of exact integers:
 *
 *   run_rate     = actual x D / n
 *   trailing_7d  = (actual x k + recent x daysLeft) / k
 *   linear_trend = (Σc x (n²-1) + 3T x (2D - n - 1)) / (n(n²-1))
 *
 * the last being the OLS line's value at D (with d̄ = (n+1)/2, Sxx = Σ(d - d̄)²
 * = n(n²-1)/12 and Sxy = Σ(d - d̄) c_d it is Σc/n + Sxy/Sxx x (D - d̄); T =
 * Σ(2d - n - 1) c_d = 2 Sxy has integer weights). money.ts's Decimal keeps 80
 * significant digits, far beyond these numerators, so a forecast is rounded
 * only by its one division. A year of 1,000 campaigns is 365,000 days: in
 * bigint that is a few bigint additions each, where Decimal arithmetic took
 * seconds.
 *
 * Rounding and grouping are grouping.ts's: planned and actualToDate are
 * (campaign, month) cells, the forecast is a figure of the period per
 * campaign; each is rounded once, and every row (campaign or channel) and
 * the totals are sums of printed cells. A channel's forecast is the sum of
 * its campaigns' forecasts, not the method applied to the channel's summed
 * daily spend: for run_rate and trailing_7d the two are the same (both are
 * linear in the spend), for linear_trend the max() makes them differ, and
 * the campaigns are what the channel must agree with. So is the total.
 * Each column is allocated on its own, so where a row's forecast is within a
 * unit of its actual the two may print a unit apart either way (0.12 against
 * 0.13): the exact forecast is never below the actual when no day is a net
 * credit, and the printed totals keep that order, as half-even rounding is
 * monotone.
 * `varianceVsPlan` is computed from the printed forecast and planned, so it
 * adds up and agrees with the columns beside it; `variancePct`, like burn's
 * ratios, from the exact figures, to 4 decimals, null when planned is 0.
 */
import { attosPerMinorUnit, attosToDecimal } from './fx.js';
import { groupCells, rowKeyOf, type Cell, type RowKey } from './grouping.js';
import { Decimal, formatDecimal, formatFraction, formatUnits, ratio } from './money.js';
import { elapsed, firstDayOfMonth, parseDay, type Period } from './periods.js';

export const FORECAST_METHODS = ['run_rate', 'trailing_7d', 'linear_trend'] as const;
export type ForecastMethod = (typeof FORECAST_METHODS)[number];

const TRAILING_DAYS = 7;

/**
 * A row's spend per day of the period, in base-currency attos (1e-18 units,
 * as fx.ts converts): index 0 is the period's first day (index =
 * parseDay(date) - parseDay(period.start)). A missing entry (short or sparse
 * array) is a day with no spend; entries after `asOf` are ignored, so a
 * whole period's spend may be passed.
 */
export type SpendPerDay = readonly (bigint | undefined)[];

/** A campaign's plan per month of the period (base attos) and its spend per day. */
export interface ForecastInput {
  campaignId: string;
  planned: ReadonlyMap<string, bigint>;
  dailySpend: SpendPerDay;
}

export interface ForecastFigures {
  planned: string;
  actualToDate: string;
  forecast: string;
  varianceVsPlan: string;
  variancePct: string | null;
  daysElapsed: number;
  daysInPeriod: number;
}

export interface ForecastResult {
  rows: (ForecastFigures & { key: RowKey })[];
  totals: ForecastFigures;
}

export interface ForecastOptions {
  period: Period;
  asOf: string;
  method: ForecastMethod;
  /** Minor-unit digits of the base currency. */
  scale: number;
  /** The row a campaign's cells add into (grouping.ts's rowKeyOf); by campaign when not given. */
  rowKey?: (cell: Cell) => RowKey;
}

/** Spend of the first `days` days of the period, in attos. */
function attosToDate(dailySpend: SpendPerDay, days: number): bigint {
  let sum = 0n;
  const end = Math.min(days, dailySpend.length);
  for (let i = 0; i < end; i++) sum += dailySpend[i] ?? 0n;
  return sum;
}

/** Spend of the first `days` days of the period. */
export function spendToDate(dailySpend: SpendPerDay, days: number): Decimal {
  return attosToDecimal(attosToDate(dailySpend, days));
}

/**
 * The denominator every forecast of a period with n days elapsed is a whole
 * number of (in attos): each method divides by n, k = min(7, n) or n(n²-1),
 * all of which divide 7n(n²-1). One unit for every row, so that forecasts
 * are rounded and summed as integers.
 */
export function forecastDenominator(daysElapsed: number): bigint {
  return daysElapsed === 0 ? 1n : 7n * BigInt(daysElapsed) * BigInt(Math.max(1, daysElapsed * daysElapsed - 1));
}

/** The exact (unrounded) projected spend of one row at the period's end. */
export function forecastSpend(period: Period, asOf: string, dailySpend: SpendPerDay, method: ForecastMethod): Decimal {
  const { daysElapsed } = elapsed(period, asOf);
  return attosToDecimal(forecastUnits(period, asOf, dailySpend, method)).div(forecastDenominator(daysElapsed).toString());
}

/** forecastSpend exactly, in 1/forecastDenominator(daysElapsed) attos. */
export function forecastUnits(period: Period, asOf: string, dailySpend: SpendPerDay, method: ForecastMethod): bigint {
  if (dailySpend.length > period.daysInPeriod) {
    throw new RangeError(`${dailySpend.length} days of spend for a period of ${period.daysInPeriod}`);
  }
  const { daysElapsed: n } = elapsed(period, asOf);
  const m = forecastDenominator(n);
  const actual = attosToDate(dailySpend, n);
  const daysLeft = period.daysInPeriod - n;
  if (n === 0 || daysLeft === 0) return actual * m;
  const runRate = () => (actual * BigInt(period.daysInPeriod) * m) / BigInt(n);
  switch (method) {
    case 'run_rate':
      return runRate();
    case 'trailing_7d': {
      const k = Math.min(TRAILING_DAYS, n);
      const recent = actual - attosToDate(dailySpend, n - k);
      return ((actual * BigInt(k) + recent * BigInt(daysLeft)) * m) / BigInt(k);
    }
    case 'linear_trend': {
      if (n < 2) return runRate();
      const trend = trendTimesNSquaredLessOne(dailySpend, n, period.daysInPeriod) * (m / BigInt(n * (n * n - 1)));
      const floor = actual * m;
      return trend > floor ? trend : floor;
    }
  }
}

/** The value at day `at` of the OLS line through (d, cumulative spend through d), d = 1..n, times n(n²-1); n >= 2. */
function trendTimesNSquaredLessOne(dailySpend: SpendPerDay, n: number, at: number): bigint {
  let cumulative = 0n;
  let sumC = 0n;
  let t = 0n;
  for (let d = 1; d <= n; d++) {
    cumulative += dailySpend[d - 1] ?? 0n;
    sumC += cumulative;
    t += cumulative * BigInt(2 * d - n - 1);
  }
  return sumC * BigInt(n * n - 1) + t * BigInt(3 * (2 * at - n - 1));
}

/** Exact sums: planned and actualToDate in attos, forecast in 1/denominator attos; or printed ones, in minor units. */
type Sums = { planned: bigint; actualToDate: bigint; forecast: bigint };

function figures(exact: Sums, printed: Sums, denominator: bigint, daysElapsed: number, options: ForecastOptions): ForecastFigures {
  const { scale } = options;
  const plannedUnits = exact.planned * denominator;
  return {
    planned: formatUnits(printed.planned, scale),
    actualToDate: formatUnits(printed.actualToDate, scale),
    forecast: formatUnits(printed.forecast, scale),
    varianceVsPlan: formatUnits(printed.forecast - printed.planned, scale),
    variancePct: formatFraction(exact.forecast - plannedUnits, plannedUnits, RATIO_DECIMALS),
    daysElapsed,
    daysInPeriod: options.period.daysInPeriod,
  };
}

export function computeForecast(inputs: readonly ForecastInput[], options: ForecastOptions): ForecastResult {
  const { period, asOf, method, scale } = options;
  const { daysElapsed } = elapsed(period, asOf);
  const denominator = forecastDenominator(daysElapsed);
  const unit = attosPerMinorUnit(scale);
  // Where each month of the period starts, as an index into the daily spend.
  const first = parseDay(period.start);
  const monthStarts = period.months.map((month) => parseDay(firstDayOfMonth(month)) - first);
  const sorted = [...inputs].sort((a, b) => (a.campaignId < b.campaignId ? -1 : a.campaignId > b.campaignId ? 1 : 0));
  const plannedCells: Cell[] = [];
  const planned: bigint[] = [];
  const actualCells: Cell[] = [];
  const actual: bigint[] = [];
  const forecastCells: Cell[] = [];
  const forecast: bigint[] = [];
  for (const input of sorted) {
    const { campaignId } = input;
    for (const month of [...input.planned.keys()].sort()) {
      plannedCells.push({ campaignId, month });
      planned.push(input.planned.get(month)!);
    }
    period.months.forEach((month, m) => {
      const from = monthStarts[m]!;
      const to = Math.min(monthStarts[m + 1] ?? period.daysInPeriod, daysElapsed);
      if (from >= to) return;
      actualCells.push({ campaignId, month });
      actual.push(attosToDate(input.dailySpend, to) - attosToDate(input.dailySpend, from));
    });
    forecastCells.push({ campaignId, month: null });
    forecast.push(forecastUnits(period, asOf, input.dailySpend, method));
  }
  const grouped = groupCells(
    {
      planned: { cells: plannedCells, exact: planned, unit },
      actualToDate: { cells: actualCells, exact: actual, unit },
      forecast: { cells: forecastCells, exact: forecast, unit: unit * denominator },
    },
    options.rowKey ?? rowKeyOf('campaign', () => undefined),
  );
  return {
    rows: grouped.rows.map((row) => ({ key: row.key, ...figures(row.exact, row.printed, denominator, daysElapsed, options) })),
    totals: figures(grouped.totals.exact, grouped.totals.printed, denominator, daysElapsed, options),
  };
}

// ------------------------------------------------- forecast vs actual

/**
 * A saved snapshot's forecast against the final actual:
 *
 *   error    = actual - forecast
 *   errorPct = error / forecast
 *   MAPE     = mean over rows with actual != 0 of |actual - forecast| / |actual|
 *
 * errorPct is the variance against the figure that was forecast, the way
 * variancePct is against the plan: "came in 10% over forecast". It is null
 * when the forecast was 0. MAPE is the usual mean absolute percentage error,
 * over the actual; a row that spent nothing has no percentage error and is
 * left out of it (its error still shows), and MAPE is null when no row spent
 * anything. Like the rows, it is 4 decimals, from the exact figures.
 *
 * The snapshot's forecast is already printed (rounded to the minor unit) and
 * is taken as it was saved; planned and actual are exact and printed by
 * largest remainder, so the rows add up; `error` is computed from the
 * printed actual and forecast.
 */
/** A (campaign, month) cell's plan and actual, exact base attos. */
export interface PlanActualCell extends Cell {
  planned: bigint;
  actual: bigint;
}

export interface ForecastVsActualInput {
  cells: readonly PlanActualCell[];
  /** The snapshot's printed forecast, per row key. */
  forecasts: ReadonlyMap<RowKey, string>;
  /** The row a cell adds into (grouping.ts's rowKeyOf). */
  rowKey: (cell: Cell) => RowKey;
}

export interface ForecastVsActualFigures {
  planned: string;
  forecast: string;
  actual: string;
  error: string;
  errorPct: string | null;
}

export interface ForecastVsActualResult {
  rows: (ForecastVsActualFigures & { key: RowKey })[];
  totals: ForecastVsActualFigures;
  mape: string | null;
}

const RATIO_DECIMALS = 4;

/** A printed amount as exact attos, and as printed minor units. */
function printedAmount(text: Decimal | string, scale: number): { attos: bigint; printed: bigint } {
  const value = new Decimal(text);
  return { attos: BigInt(value.times('1e18').toFixed(0)), printed: BigInt(value.times(new Decimal(10).pow(scale)).toFixed(0, Decimal.ROUND_HALF_EVEN)) };
}

function absRatio(num: bigint, den: bigint): Decimal {
  return new Decimal((num < 0n ? -num : num).toString()).div(new Decimal((den < 0n ? -den : den).toString()));
}

/** Mean of the ratios, 4 decimals; null over none. */
function mean(ratios: Decimal[]): string | null {
  return ratios.length === 0 ? null : formatDecimal(ratios.reduce((acc, r) => acc.plus(r), new Decimal(0)).div(ratios.length), RATIO_DECIMALS);
}

export function computeForecastVsActual(input: ForecastVsActualInput, scale: number): ForecastVsActualResult {
  const unit = attosPerMinorUnit(scale);
  const { cells } = input;
  const grouped = groupCells(
    { planned: { cells, exact: cells.map((c) => c.planned), unit }, actual: { cells, exact: cells.map((c) => c.actual), unit } },
    input.rowKey,
    input.forecasts.keys(),
  );
  const zero = { attos: 0n, printed: 0n };
  const figuresOf = (exact: { actual: bigint }, printed: { planned: bigint; actual: bigint }, forecast: { attos: bigint; printed: bigint }) => ({
    planned: formatUnits(printed.planned, scale),
    forecast: formatUnits(forecast.printed, scale),
    actual: formatUnits(printed.actual, scale),
    error: formatUnits(printed.actual - forecast.printed, scale),
    errorPct: formatFraction(exact.actual - forecast.attos, forecast.attos, RATIO_DECIMALS),
  });
  const forecasts = grouped.rows.map((row) => {
    const text = input.forecasts.get(row.key);
    return text === undefined ? zero : printedAmount(text, scale);
  });
  const rows = grouped.rows.map((row, i) => ({ key: row.key, ...figuresOf(row.exact, row.printed, forecasts[i]!) }));
  const forecastTotal = forecasts.reduce((acc, f) => ({ attos: acc.attos + f.attos, printed: acc.printed + f.printed }), zero);
  const totals = figuresOf(grouped.totals.exact, grouped.totals.printed, forecastTotal);
  const mape = mean(grouped.rows.flatMap((row, i) => (row.exact.actual === 0n ? [] : [absRatio(row.exact.actual - forecasts[i]!.attos, row.exact.actual)])));
  return { rows, totals, mape };
}

// ------------------------------------------------- budget, forecast, actual

/**
 * Budget against forecast against actual, one row per month: the view the
 * CMO reads. A month's forecast may be missing (no snapshot was taken and
 * the month is not under way): then its `forecast`, `error` and `errorPct`
 * are null, and it counts in the totals' planned and actual only.
 *
 *   error    = actual - forecast (printed figures, so rows add up)
 *   errorPct = error / forecast, from the exact figures
 *   totals   : planned and actual of every row; forecast and error of the
 *              rows that have one, errorPct = their error / their forecast
 *   MAPE     = mean over final rows with a forecast and actual != 0 of
 *              |actual - forecast| / |actual|: a month still under way has
 *              no forecast error yet
 */
export interface BudgetForecastActualInput {
  /** The (campaign, month) cells of every month: plan, and actual through today. */
  cells: readonly PlanActualCell[];
  months: readonly {
    month: string;
    /** The month's printed forecast, or null. */
    forecast: Decimal | string | null;
    /** The month is over: its actual is final. */
    final: boolean;
  }[];
}

export interface BudgetForecastActualFigures {
  planned: string;
  forecast: string | null;
  actual: string;
  error: string | null;
  errorPct: string | null;
}

export interface BudgetForecastActualResult {
  rows: (BudgetForecastActualFigures & { key: string })[];
  totals: BudgetForecastActualFigures;
  mape: string | null;
}

/**
 * Each month's row is that month read as its own report (grouping.ts over
 * the month's cells alone), so its planned and actual print as burn and
 * forecast print that month, campaign by campaign; the totals are the sums
 * of the rows.
 */
export function computeBudgetForecastActual(input: BudgetForecastActualInput, scale: number): BudgetForecastActualResult {
  const unit = attosPerMinorUnit(scale);
  const cellsOf = new Map<string, PlanActualCell[]>(input.months.map((m) => [m.month, []]));
  for (const cell of input.cells) cellsOf.get(cell.month!)?.push(cell);
  const byMonth = new Map(
    [...cellsOf].map(([month, cells]) => [
      month,
      groupCells({ planned: { cells, exact: cells.map((c) => c.planned), unit }, actual: { cells, exact: cells.map((c) => c.actual), unit } }, () => month).totals,
    ]),
  );
  const grouped = { totals: { printed: { planned: 0n, actual: 0n } } };
  for (const month of byMonth.values()) {
    grouped.totals.printed.planned += month.printed.planned;
    grouped.totals.printed.actual += month.printed.actual;
  }
  let forecastTotal: { attos: bigint; printed: bigint } | null = null;
  let actualWithForecast = 0n;
  let printedError = 0n;
  const scored: Decimal[] = [];
  const rows = input.months.map((m) => {
    const row = byMonth.get(m.month)!;
    const forecast = m.forecast === null ? null : printedAmount(m.forecast, scale);
    if (forecast !== null) {
      forecastTotal = { attos: (forecastTotal?.attos ?? 0n) + forecast.attos, printed: (forecastTotal?.printed ?? 0n) + forecast.printed };
      actualWithForecast += row.exact.actual;
      printedError += row.printed.actual - forecast.printed;
      if (m.final && row.exact.actual !== 0n) scored.push(absRatio(row.exact.actual - forecast.attos, row.exact.actual));
    }
    return {
      key: m.month,
      planned: formatUnits(row.printed.planned, scale),
      forecast: forecast === null ? null : formatUnits(forecast.printed, scale),
      actual: formatUnits(row.printed.actual, scale),
      error: forecast === null ? null : formatUnits(row.printed.actual - forecast.printed, scale),
      errorPct: forecast === null ? null : formatFraction(row.exact.actual - forecast.attos, forecast.attos, RATIO_DECIMALS),
    };
  });
  const total = forecastTotal as { attos: bigint; printed: bigint } | null;
  const totals: BudgetForecastActualFigures = {
    planned: formatUnits(grouped.totals.printed.planned, scale),
    forecast: total === null ? null : formatUnits(total.printed, scale),
    actual: formatUnits(grouped.totals.printed.actual, scale),
    error: total === null ? null : formatUnits(printedError, scale),
    errorPct: total === null ? null : formatFraction(actualWithForecast - total.attos, total.attos, RATIO_DECIMALS),
  };
  return { rows, totals, mape: mean(scored) };
}
