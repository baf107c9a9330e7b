/**
 * Spend forecast, as PRODUCT.md defines it. Pure: daily spend comes in exact
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
 * Where PRODUCT.md is silent:
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
 * Printed amounts are rounded half-even to the currency's minor unit, each
 * column by largest remainder so the printed rows add up to the printed
 * total. The total's forecast is the sum of the rows' exact forecasts, not a
 * forecast of the summed daily spend: for run_rate and trailing_7d the two
 * are the same (both are linear in the spend), for linear_trend the max()
 * makes them differ, and the rows are what the total must agree with.
 * Each column is allocated on its own, so where a row's forecast is within a
 * unit of its actual the two may print a unit apart either way (0.12 against
 * 0.13): the exact forecast is never below the actual when no day is a net
 * credit, and the printed totals keep that order, as half-even rounding is
 * monotone.
 * `varianceVsPlan` is computed from the printed forecast and planned, so it
 * adds up and agrees with the columns beside it; `variancePct`, like burn's
 * ratios, from the exact figures, to 4 decimals, null when planned is 0.
 */
import { attosToDecimal } from './fx.js';
import { allocateRounded, Decimal, formatDecimal, ratio } from './money.js';
import { elapsed, type Period } from './periods.js';

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

export interface ForecastInput<K> {
  key: K;
  planned: Decimal;
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

export interface ForecastResult<K> {
  rows: (ForecastFigures & { key: K })[];
  totals: ForecastFigures;
}

export interface ForecastOptions {
  period: Period;
  asOf: string;
  method: ForecastMethod;
  /** Minor-unit digits of the base currency. */
  scale: number;
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

/** The exact (unrounded) projected spend of one row at the period's end. */
export function forecastSpend(period: Period, asOf: string, dailySpend: SpendPerDay, method: ForecastMethod): Decimal {
  if (dailySpend.length > period.daysInPeriod) {
    throw new RangeError(`${dailySpend.length} days of spend for a period of ${period.daysInPeriod}`);
  }
  const { daysElapsed } = elapsed(period, asOf);
  const actual = attosToDate(dailySpend, daysElapsed);
  const daysLeft = period.daysInPeriod - daysElapsed;
  if (daysElapsed === 0 || daysLeft === 0) return attosToDecimal(actual);
  switch (method) {
    case 'run_rate':
      return runRate(actual, daysElapsed, period.daysInPeriod);
    case 'trailing_7d': {
      const k = Math.min(TRAILING_DAYS, daysElapsed);
      const recent = actual - attosToDate(dailySpend, daysElapsed - k);
      return attosToDecimal(actual * BigInt(k) + recent * BigInt(daysLeft)).div(k);
    }
    case 'linear_trend':
      if (daysElapsed < 2) return runRate(actual, daysElapsed, period.daysInPeriod);
      return Decimal.max(attosToDecimal(actual), trendAt(dailySpend, daysElapsed, period.daysInPeriod));
  }
}

/** actual + actual / n x daysLeft = actual x D / n. */
function runRate(actual: bigint, daysElapsed: number, daysInPeriod: number): Decimal {
  return attosToDecimal(actual * BigInt(daysInPeriod)).div(daysElapsed);
}

/** The value at day `at` of the OLS line through (d, cumulative spend through d), d = 1..n; n >= 2. */
function trendAt(dailySpend: SpendPerDay, n: number, at: number): Decimal {
  let cumulative = 0n;
  let sumC = 0n;
  let t = 0n;
  for (let d = 1; d <= n; d++) {
    cumulative += dailySpend[d - 1] ?? 0n;
    sumC += cumulative;
    t += cumulative * BigInt(2 * d - n - 1);
  }
  const nSquaredLessOne = BigInt(n * n - 1);
  return attosToDecimal(sumC * nSquaredLessOne + t * BigInt(3 * (2 * at - n - 1))).div(n * (n * n - 1));
}

interface Exact {
  planned: Decimal;
  actualToDate: Decimal;
  forecast: Decimal;
}

function figures(exact: Exact, printed: Exact, daysElapsed: number, options: ForecastOptions): ForecastFigures {
  const { scale } = options;
  return {
    planned: formatDecimal(printed.planned, scale),
    actualToDate: formatDecimal(printed.actualToDate, scale),
    forecast: formatDecimal(printed.forecast, scale),
    varianceVsPlan: formatDecimal(printed.forecast.minus(printed.planned), scale),
    variancePct: ratio(exact.forecast.minus(exact.planned), exact.planned),
    daysElapsed,
    daysInPeriod: options.period.daysInPeriod,
  };
}

export function computeForecast<K>(inputs: readonly ForecastInput<K>[], options: ForecastOptions): ForecastResult<K> {
  const { period, asOf, method, scale } = options;
  const { daysElapsed } = elapsed(period, asOf);
  const exact: Exact[] = inputs.map((input) => ({
    planned: input.planned,
    actualToDate: spendToDate(input.dailySpend, daysElapsed),
    forecast: forecastSpend(period, asOf, input.dailySpend, method),
  }));
  const columns = ['planned', 'actualToDate', 'forecast'] as const;
  const allocated = Object.fromEntries(
    columns.map((column) => [column, allocateRounded(exact.map((e) => e[column]), scale)]),
  ) as Record<(typeof columns)[number], { parts: Decimal[]; total: Decimal }>;
  const printedRow = (i: number): Exact => ({
    planned: allocated.planned.parts[i]!,
    actualToDate: allocated.actualToDate.parts[i]!,
    forecast: allocated.forecast.parts[i]!,
  });
  const rows = inputs.map((input, i) => ({ key: input.key, ...figures(exact[i]!, printedRow(i), daysElapsed, options) }));
  const sum = (column: (typeof columns)[number]) => exact.reduce((acc, e) => acc.plus(e[column]), new Decimal(0));
  const totals = figures(
    { planned: sum('planned'), actualToDate: sum('actualToDate'), forecast: sum('forecast') },
    { planned: allocated.planned.total, actualToDate: allocated.actualToDate.total, forecast: allocated.forecast.total },
    daysElapsed,
    options,
  );
  return { rows, totals };
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
export interface ForecastVsActualInput<K> {
  key: K;
  planned: Decimal;
  /** The snapshot's printed forecast. */
  forecast: Decimal | string;
  actual: Decimal;
}

export interface ForecastVsActualFigures {
  planned: string;
  forecast: string;
  actual: string;
  error: string;
  errorPct: string | null;
}

export interface ForecastVsActualResult<K> {
  rows: (ForecastVsActualFigures & { key: K })[];
  totals: ForecastVsActualFigures;
  mape: string | null;
}

const RATIO_DECIMALS = 4;

export function computeForecastVsActual<K>(inputs: readonly ForecastVsActualInput<K>[], scale: number): ForecastVsActualResult<K> {
  const exact = inputs.map((input) => ({ planned: input.planned, forecast: new Decimal(input.forecast), actual: input.actual }));
  const planned = allocateRounded(exact.map((e) => e.planned), scale);
  const forecast = allocateRounded(exact.map((e) => e.forecast), scale);
  const actual = allocateRounded(exact.map((e) => e.actual), scale);
  const figuresOf = (e: (typeof exact)[number], printed: { planned: Decimal; forecast: Decimal; actual: Decimal }) => ({
    planned: formatDecimal(printed.planned, scale),
    forecast: formatDecimal(printed.forecast, scale),
    actual: formatDecimal(printed.actual, scale),
    error: formatDecimal(printed.actual.minus(printed.forecast), scale),
    errorPct: ratio(e.actual.minus(e.forecast), e.forecast),
  });
  const rows = inputs.map((input, i) => ({
    key: input.key,
    ...figuresOf(exact[i]!, { planned: planned.parts[i]!, forecast: forecast.parts[i]!, actual: actual.parts[i]! }),
  }));
  const sum = (column: 'planned' | 'forecast' | 'actual') => exact.reduce((acc, e) => acc.plus(e[column]), new Decimal(0));
  const totals = figuresOf(
    { planned: sum('planned'), forecast: sum('forecast'), actual: sum('actual') },
    { planned: planned.total, forecast: forecast.total, actual: actual.total },
  );
  const spent = exact.filter((e) => !e.actual.isZero());
  const mape =
    spent.length === 0
      ? null
      : formatDecimal(
          spent.reduce((acc, e) => acc.plus(e.actual.minus(e.forecast).abs().div(e.actual.abs())), new Decimal(0)).div(spent.length),
          RATIO_DECIMALS,
        );
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
export interface BudgetForecastActualInput<K> {
  key: K;
  planned: Decimal;
  forecast: Decimal | null;
  actual: Decimal;
  /** The month is over: its actual is final. */
  final: boolean;
}

export interface BudgetForecastActualFigures {
  planned: string;
  forecast: string | null;
  actual: string;
  error: string | null;
  errorPct: string | null;
}

export interface BudgetForecastActualResult<K> {
  rows: (BudgetForecastActualFigures & { key: K })[];
  totals: BudgetForecastActualFigures;
  mape: string | null;
}

export function computeBudgetForecastActual<K>(inputs: readonly BudgetForecastActualInput<K>[], scale: number): BudgetForecastActualResult<K> {
  const planned = allocateRounded(inputs.map((input) => input.planned), scale);
  const actual = allocateRounded(inputs.map((input) => input.actual), scale);
  const withForecast = inputs.flatMap((input, i) => (input.forecast === null ? [] : [i]));
  const forecast = allocateRounded(withForecast.map((i) => inputs[i]!.forecast!), scale);
  const printedForecast = new Map(withForecast.map((i, j) => [i, forecast.parts[j]!]));

  const rows = inputs.map((input, i) => {
    const f = printedForecast.get(i);
    return {
      key: input.key,
      planned: formatDecimal(planned.parts[i]!, scale),
      forecast: f === undefined ? null : formatDecimal(f, scale),
      actual: formatDecimal(actual.parts[i]!, scale),
      error: f === undefined ? null : formatDecimal(actual.parts[i]!.minus(f), scale),
      errorPct: input.forecast === null ? null : ratio(input.actual.minus(input.forecast), input.forecast),
    };
  });
  const forecastRows = withForecast.map((i) => inputs[i]!);
  const exactError = forecastRows.reduce((acc, input) => acc.plus(input.actual.minus(input.forecast!)), new Decimal(0));
  const exactForecast = forecastRows.reduce((acc, input) => acc.plus(input.forecast!), new Decimal(0));
  const printedError = withForecast.reduce((acc, i) => acc.plus(actual.parts[i]!.minus(printedForecast.get(i)!)), new Decimal(0));
  const totals: BudgetForecastActualFigures = {
    planned: formatDecimal(planned.total, scale),
    forecast: withForecast.length === 0 ? null : formatDecimal(forecast.total, scale),
    actual: formatDecimal(actual.total, scale),
    error: withForecast.length === 0 ? null : formatDecimal(printedError, scale),
    errorPct: withForecast.length === 0 ? null : ratio(exactError, exactForecast),
  };
  const scored = inputs.filter((input) => input.final && input.forecast !== null && !input.actual.isZero());
  const mape =
    scored.length === 0
      ? null
      : formatDecimal(
          scored.reduce((acc, input) => acc.plus(input.actual.minus(input.forecast!).abs().div(input.actual.abs())), new Decimal(0)).div(scored.length),
          RATIO_DECIMALS,
        );
  return { rows, totals, mape };
}
