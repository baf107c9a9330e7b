/**
 * The forecast calculator on its own: golden cases worked by hand (the
 * arithmetic of every expected number is in the comment beside it), and
 * properties on generated spend. n = daysElapsed, D = daysInPeriod,
 * c_d = cumulative spend through day d, d̄ = (n+1)/2; the OLS line's value
 * at D is Σc/n + Sxy/Sxx x (D - d̄), Sxy = Σ(d - d̄)c_d, Sxx = Σ(d - d̄)².
 *
 * Base currency USD (2 minor digits) unless a test says otherwise; amounts
 * print to cents and ratios to 4 places, half-even.
 */
import { Decimal as DecimalJs } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeForecast,
  computeForecastVsActual as computeVsActual,
  FORECAST_METHODS,
  forecastSpend,
  spendToDate,
  type ForecastMethod,
} from '../../src/domain/forecast.js';
import { Decimal, formatDecimal } from '../../src/domain/money.js';
import { formatDay, parseDay, periodOfMonths, type Period } from '../../src/domain/periods.js';

const feb2026 = periodOfMonths('2026-02', '2026-02'); // 28 days
const feb2028 = periodOfMonths('2028-02', '2028-02'); // 29 days, a leap year
const march = periodOfMonths('2026-03', '2026-03'); // 31 days

/** An amount in attos (1e-18 units), the unit daily spend comes in. */
const attos = (amount: string) => BigInt(new Decimal(amount).times('1e18').toFixed());

/** Daily spend from { dayOfMonth: amount }; days not named spent nothing (a sparse array). */
function daily(period: Period, spend: Record<number, string>): (bigint | undefined)[] {
  const days: (bigint | undefined)[] = new Array(period.daysInPeriod);
  for (const [day, amount] of Object.entries(spend)) days[Number(day) - 1] = attos(amount);
  return days;
}

/** The same amount on each of days first..last. */
function every(first: number, last: number, amount: string): Record<number, string> {
  const spend: Record<number, string> = {};
  for (let day = first; day <= last; day++) spend[day] = amount;
  return spend;
}

/** Each method's forecast, printed to cents. */
function forecasts(period: Period, asOf: string, spend: Record<number, string>): Record<ForecastMethod, string> {
  const days = daily(period, spend);
  return Object.fromEntries(FORECAST_METHODS.map((m) => [m, formatDecimal(forecastSpend(period, asOf, days, m), 2)])) as Record<ForecastMethod, string>;
}

describe('forecastSpend, worked by hand', () => {
  it('names its three methods', () => {
    expect(FORECAST_METHODS).toEqual(['run_rate', 'trailing_7d', 'linear_trend']);
  });

  it('28 days: steady spend, and the three methods agree (February 2026 as of the 14th)', () => {
    // 70/day on days 1..14: actual 980, n = 14, daysLeft 14.
    expect(forecasts(feb2026, '2026-02-14', every(1, 14, '70'))).toEqual({
      run_rate: '1960.00', // 980 + 980/14 x 14 = 980 + 980
      trailing_7d: '1960.00', // 980 + (7 x 70)/7 x 14 = 980 + 980
      linear_trend: '1960.00', // c_d = 70d is a line: 70 x 28
    });
  });

  it('31 days: mixed spend in March as of the 10th', () => {
    // 100 on day 1, 200 on day 5, 300 on day 10: actual 600, n = 10, daysLeft 21.
    const spend = { 1: '100', 5: '200', 10: '300' };
    expect(forecasts(march, '2026-03-10', spend)).toEqual({
      run_rate: '1860.00', // 600 + 600/10 x 21 = 600 + 1260
      trailing_7d: '2100.00', // days 4..10 spent 200 + 300 = 500: 600 + 500/7 x 21 = 600 + 1500
      // c = 100 (days 1-4), 300 (days 5-9), 600 (day 10): Σc = 400 + 1500 + 600 = 2500, mean 250.
      // d̄ = 5.5, Sxx = 10 x 99 / 12 = 82.5; Sxy = -4.5x100 - 3.5x100 - 2.5x100 - 1.5x100 - 0.5x300
      //   + 0.5x300 + 1.5x300 + 2.5x300 + 3.5x300 + 4.5x600 = -1350 + 5100 = 3750.
      // Line at 31: 250 + 3750/82.5 x 25.5 = 250 + 1159.0909.. = 1409.0909.. (= 15500/11) > 600.
      linear_trend: '1409.09',
    });
    // Exact, not rounded on the way: run_rate and trailing_7d are whole numbers here.
    expect(forecastSpend(march, '2026-03-10', daily(march, spend), 'run_rate').equals(1860)).toBe(true);
    expect(forecastSpend(march, '2026-03-10', daily(march, spend), 'trailing_7d').equals(2100)).toBe(true);
  });

  it('a campaign whose spend stopped a week ago: trailing_7d sees it, run_rate does not', () => {
    // 100/day on days 1..13, nothing on 14..20; as of 03-20: actual 1300, n = 20, daysLeft 11.
    expect(forecasts(march, '2026-03-20', every(1, 13, '100'))).toEqual({
      run_rate: '2015.00', // 1300 + 1300/20 x 11 = 1300 + 65 x 11 = 1300 + 715
      trailing_7d: '1300.00', // days 14..20 spent 0: 1300 + 0/7 x 11
      // c_d = 100d to day 13, then 1300: Σc = 100 x 91 + 1300 x 7 = 18200, mean 910, d̄ = 10.5,
      // Sxx = 20 x 399 / 12 = 665; Σ d c_d = 100 x 819 + 1300 x (14+..+20 = 119) = 236600,
      // Sxy = 236600 - 10.5 x 18200 = 45500. Line at 31: 910 + 45500/665 x 20.5 = 910 + 1402.4812.. = 2312.6315..
      linear_trend: '2312.63',
    });
  });

  it('linear_trend below the actual: the max applies', () => {
    // 3000 on day 30 only, as of 03-30: actual 3000, n = 30, daysLeft 1.
    expect(forecasts(march, '2026-03-30', { 30: '3000' })).toEqual({
      run_rate: '3100.00', // 3000 + 3000/30 x 1
      trailing_7d: '3428.57', // 3000 + 3000/7 x 1 = 3428.5714..
      // Σc = 3000, mean 100; d̄ = 15.5, Sxx = 30 x 899 / 12 = 2247.5, Sxy = 14.5 x 3000 = 43500.
      // Line at 31: 100 + 43500/2247.5 x 15.5 = 100 + 300 = 400 < 3000, so max(3000, 400).
      linear_trend: '3000.00',
    });
  });

  it('29 days: a leap February, one burst of spend at the start', () => {
    // 290 on day 1, as of 2028-02-10: actual 290, n = 10, daysLeft 19.
    expect(forecasts(feb2028, '2028-02-10', { 1: '290' })).toEqual({
      run_rate: '841.00', // 290 + 29 x 19 = 290 + 551
      trailing_7d: '290.00', // days 4..10 spent nothing
      linear_trend: '290.00', // c_d = 290 every day: a flat line, Sxy = 0
    });
  });

  it('asOf on the first day: one day elapsed, linear_trend is run_rate', () => {
    // 50 on day 1, as of 03-01: n = 1, daysLeft 30; k = min(7, 1) = 1.
    expect(forecasts(march, '2026-03-01', { 1: '50', 2: '999' })).toEqual({
      run_rate: '1550.00', // 50 + 50/1 x 30; the 999 of the 2nd is after asOf
      trailing_7d: '1550.00', // 50 + 50/1 x 30
      linear_trend: '1550.00', // fewer than 2 days: run_rate
    });
    // From 2 days on, the line: c = 50, 60 passes through both points, slope 10.
    expect(forecasts(march, '2026-03-02', { 1: '50', 2: '10' })).toEqual({
      run_rate: '930.00', // 60 + 60/2 x 29 = 60 + 870
      trailing_7d: '930.00', // k = min(7, 2) = 2: the same as run_rate
      linear_trend: '350.00', // 60 + 10 x 29
    });
  });

  it('a month with no spend yet: nothing elapsed, or days elapsed and nothing spent', () => {
    // asOf before March: n = 0, the spend dated in March is after asOf; forecast = actual = 0.
    const spend = { 1: '100', 5: '200' };
    expect(forecasts(march, '2026-02-20', spend)).toEqual({ run_rate: '0.00', trailing_7d: '0.00', linear_trend: '0.00' });
    // Ten days with no spend: 0 + 0/10 x 21; the line through c = 0 is 0.
    expect(forecasts(march, '2026-03-10', {})).toEqual({ run_rate: '0.00', trailing_7d: '0.00', linear_trend: '0.00' });
    expect(forecasts(march, '2026-03-10', { 11: '500' })).toEqual({ run_rate: '0.00', trailing_7d: '0.00', linear_trend: '0.00' });
  });

  it('on the last day and after it, every method forecasts the actual', () => {
    // 100/day on days 1..15, nothing after: actual 1500, daysLeft 0. Taken literally, the OLS line
    // at 31 would be 36000/31 + 112000/2480 x 15 = 1161.29 + 677.42 = 1838.71: spend on days that passed.
    const frontLoaded = every(1, 15, '100');
    const final = { run_rate: '1500.00', trailing_7d: '1500.00', linear_trend: '1500.00' };
    expect(forecasts(march, '2026-03-31', frontLoaded)).toEqual(final);
    expect(forecasts(march, '2026-04-15', frontLoaded)).toEqual(final); // after the month: its last day
    // Feb 2026, 28 days of 10.005 = 280.14: the same, to the micro.
    const days = daily(feb2026, every(1, 28, '10.005'));
    for (const method of FORECAST_METHODS) {
      expect(forecastSpend(feb2026, '2026-02-28', days, method).toString(), method).toBe('280.14');
    }
  });

  it('refuses more days of spend than the period has', () => {
    expect(() => forecastSpend(feb2026, '2026-02-10', new Array(29).fill(attos('1')), 'run_rate')).toThrow(RangeError);
  });
});

// ---------------------------------------------------------- computeForecast

describe('computeForecast', () => {
  const options = (asOf: string, method: ForecastMethod, scale = 2) => ({ period: march, asOf, method, scale });
  /** A campaign with its March plan and daily spend. */
  const input = (key: string, planned: string, spend: Record<number, string>) => ({
    campaignId: key,
    planned: new Map([['2026-03', attos(planned)]]),
    dailySpend: daily(march, spend),
  });

  it('prints rows that add up, the owed cent going to the largest remainder', () => {
    // Three rows of 1.00 on day 1, as of 03-03 (n = 3, daysLeft 28): each 1 + 1/3 x 28 = 10.3333..,
    // exact total 31. Floors 10.33 x 3 = 30.99: the owed cent goes to the first row (remainders tie).
    const { rows, totals } = computeForecast(
      [input('a', '10', { 1: '1' }), input('b', '10', { 1: '1' }), input('c', '10', { 1: '1' })],
      options('2026-03-03', 'run_rate'),
    );
    const row = { planned: '10.00', actualToDate: '1.00', daysElapsed: 3, daysInPeriod: 31, variancePct: '0.0333' }; // 0.3333.. / 10
    expect(rows).toEqual([
      { key: 'a', ...row, forecast: '10.34', varianceVsPlan: '0.34' }, // 10.34 - 10.00
      { key: 'b', ...row, forecast: '10.33', varianceVsPlan: '0.33' },
      { key: 'c', ...row, forecast: '10.33', varianceVsPlan: '0.33' },
    ]);
    expect(totals).toEqual({
      planned: '30.00',
      actualToDate: '3.00',
      forecast: '31.00', // 3 x 10.3333.. = 31 exactly
      varianceVsPlan: '1.00', // 31.00 - 30.00 = 0.34 + 0.33 + 0.33
      variancePct: '0.0333', // 1 / 30
      daysElapsed: 3,
      daysInPeriod: 31,
    });
  });

  it('totals linear_trend as the sum of the rows, not as a forecast of the summed spend', () => {
    // As of 03-30. a: 3000 on day 30, forecast max(3000, 400) = 3000 (see above).
    // b: 100/day on days 1..30, c_d = 100d, a line: 3100.
    // Summed spend would give max(6000, 400 + 3100) = 6000; the rows give 3000 + 3100 = 6100.
    const { rows, totals } = computeForecast(
      [input('a', '2500', { 30: '3000' }), input('b', '3000', every(1, 30, '100'))],
      options('2026-03-30', 'linear_trend'),
    );
    expect(rows.map((r) => [r.key, r.actualToDate, r.forecast, r.varianceVsPlan, r.variancePct])).toEqual([
      ['a', '3000.00', '3000.00', '500.00', '0.2000'], // 500 / 2500
      ['b', '3000.00', '3100.00', '100.00', '0.0333'], // 100 / 3000
    ]);
    expect(totals).toMatchObject({ planned: '5500.00', actualToDate: '6000.00', forecast: '6100.00', varianceVsPlan: '600.00', variancePct: '0.1091' }); // 600 / 5500 = 0.10909..
  });

  it('before the month forecasts nothing, a variance of minus the plan, and null over a zero plan', () => {
    const { rows, totals } = computeForecast(
      [input('planned', '3100', { 2: '50' }), input('unplanned', '0', { 3: '40' })],
      options('2026-02-20', 'trailing_7d'),
    );
    expect(rows).toEqual([
      { key: 'planned', planned: '3100.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '-3100.00', variancePct: '-1.0000', daysElapsed: 0, daysInPeriod: 31 },
      { key: 'unplanned', planned: '0.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '0.00', variancePct: null, daysElapsed: 0, daysInPeriod: 31 },
    ]);
    expect(totals).toMatchObject({ forecast: '0.00', varianceVsPlan: '-3100.00', variancePct: '-1.0000' });
  });

  it('allocates each column on its own: a forecast equal to its actual may print a cent under it', () => {
    // As of 03-10, trailing_7d. a: 0.125 on day 1, nothing in days 4..10: forecast = actual = 0.125.
    // b: 0.1248 on day 1 and 0.0001 on day 10: actual 0.1249, forecast 0.1249 + 0.0001/7 x 21 = 0.1252.
    // actualToDate: total 0.2499 -> 0.25, floors 0.12 + 0.12, the cent to a (remainder 0.005 > 0.0049).
    // forecast: total 0.2502 -> 0.25, floors 0.12 + 0.12, the cent to b (0.0052 > 0.005).
    const { rows, totals } = computeForecast(
      [input('a', '0', { 1: '0.125' }), input('b', '0', { 1: '0.1248', 10: '0.0001' })],
      options('2026-03-10', 'trailing_7d'),
    );
    expect(rows.map((r) => [r.key, r.actualToDate, r.forecast])).toEqual([
      ['a', '0.13', '0.12'],
      ['b', '0.12', '0.13'],
    ]);
    expect(totals).toMatchObject({ actualToDate: '0.25', forecast: '0.25' });
  });

  it('prints JPY with no decimals', () => {
    // 1000 yen on day 1, as of 03-03: 1000 + 1000/3 x 28 = 10333.33.. -> 10333.
    const { totals } = computeForecast([input('a', '10000', { 1: '1000' })], options('2026-03-03', 'run_rate', 0));
    expect(totals).toMatchObject({ planned: '10000', actualToDate: '1000', forecast: '10333', varianceVsPlan: '333', variancePct: '0.0333' });
  });

  it('of no rows has zero totals', () => {
    const { rows, totals } = computeForecast([], options('2026-03-15', 'linear_trend'));
    expect(rows).toEqual([]);
    expect(totals).toEqual({ planned: '0.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '0.00', variancePct: null, daysElapsed: 15, daysInPeriod: 31 });
  });
});

// ------------------------------------------------------- forecast vs actual

describe('computeForecastVsActual', () => {
  /** Rows of one March cell each, and the snapshot's forecast per row. */
  const input = (key: string, forecast: string, actual: string, planned = '1000') => ({
    cell: { campaignId: key, month: '2026-03', planned: attos(planned), actual: attos(actual) },
    forecast: [key, forecast] as const,
  });
  const computeForecastVsActual = (rows: ReturnType<typeof input>[], scale: number) =>
    computeVsActual({ cells: rows.map((r) => r.cell), forecasts: new Map(rows.map((r) => r.forecast)), rowKey: (cell) => cell.campaignId }, scale);

  it('gives error, errorPct over the forecast, and MAPE over the rows that spent', () => {
    const result = computeForecastVsActual(
      [
        input('over', '1000.00', '1100'), // |100| / 1100 = 0.090909..
        input('under', '500.00', '400'), // |-100| / 400 = 0.25
        input('idle', '200.00', '0'), // spent nothing: no percentage error, left out of MAPE
        input('surprise', '0.00', '50'), // |50| / 50 = 1
      ],
      2,
    );
    // Rows in report order: by key.
    expect(result.rows).toEqual([
      { key: 'idle', planned: '1000.00', forecast: '200.00', actual: '0.00', error: '-200.00', errorPct: '-1.0000' }, // -200 / 200
      { key: 'over', planned: '1000.00', forecast: '1000.00', actual: '1100.00', error: '100.00', errorPct: '0.1000' }, // 100 / 1000
      { key: 'surprise', planned: '1000.00', forecast: '0.00', actual: '50.00', error: '50.00', errorPct: null }, // 50 / 0
      { key: 'under', planned: '1000.00', forecast: '500.00', actual: '400.00', error: '-100.00', errorPct: '-0.2000' }, // -100 / 500
    ]);
    // Forecast 1700, actual 1550: error -150, -150 / 1700 = -0.088235..
    expect(result.totals).toEqual({ planned: '4000.00', forecast: '1700.00', actual: '1550.00', error: '-150.00', errorPct: '-0.0882' });
    // (0.090909.. + 0.25 + 1) / 3 = 1.340909.. / 3 = 0.446969..
    expect(result.mape).toBe('0.4470');
  });

  it('has no MAPE when no row spent anything', () => {
    expect(computeForecastVsActual([input('idle', '200.00', '0')], 2).mape).toBeNull();
    expect(computeForecastVsActual([], 2)).toEqual({
      rows: [],
      totals: { planned: '0.00', forecast: '0.00', actual: '0.00', error: '0.00', errorPct: null },
      mape: null,
    });
  });

  it('prints actuals by largest remainder, so the rows add up', () => {
    // 0.125 + 0.125 = 0.25: rows 0.13 and 0.12; errors 0.13 - 0.10 and 0.12 - 0.10 add up to 0.25 - 0.20.
    const result = computeForecastVsActual([input('a', '0.10', '0.125', '0'), input('b', '0.10', '0.125', '0')], 2);
    expect(result.rows.map((r) => [r.actual, r.error, r.errorPct])).toEqual([
      ['0.13', '0.03', '0.2500'], // exact: 0.025 / 0.10
      ['0.12', '0.02', '0.2500'],
    ]);
    expect(result.totals).toMatchObject({ actual: '0.25', error: '0.05' });
    // |0.125 - 0.10| / 0.125 = 0.2 for each.
    expect(result.mape).toBe('0.2000');
  });
});

// ------------------------------------------------------------- properties

/** The test's own decimal and formulas, independent of the calculator's rewriting of OLS. */
const Dec = DecimalJs.clone({ precision: 120, rounding: DecimalJs.ROUND_HALF_EVEN });
type Dec = DecimalJs;

const PERIODS = [feb2026, feb2028, march, periodOfMonths('2026-04', '2026-04'), periodOfMonths('2026-02', '2026-03')];

/** Micros up to 10^12 (1,000,000.000000), or sometimes credits when `credits`. */
const amountArb = (credits: boolean) =>
  fc
    .oneof(
      fc.bigInt({ min: 0n, max: 100_000_000n }).map((c) => c * 10_000n), // whole cents
      fc.bigInt({ min: 0n, max: 10n ** 12n }),
      fc.bigInt({ min: credits ? -(10n ** 9n) : 0n, max: 0n }),
    )
    .map((micros) => new Decimal(micros.toString()).div(1_000_000));

/** A period, an asOf from 3 days before it to 3 days after, and rows of planned and daily spend. */
const caseArb = (credits: boolean) =>
  fc.constantFrom(...PERIODS).chain((period) =>
    fc.record({
      period: fc.constant(period),
      asOf: fc.integer({ min: -3, max: period.daysInPeriod + 2 }).map((offset) => formatDay(parseDay(period.start) + offset)),
      method: fc.constantFrom(...FORECAST_METHODS),
      scale: fc.constantFrom(0, 2, 3),
      inputs: fc.array(
        fc.record({
          planned: amountArb(false),
          dailySpend: fc.array(fc.option(amountArb(credits).map((d) => attos(d.toFixed())), { nil: undefined, freq: 3 }), { maxLength: period.daysInPeriod }),
        }),
        { maxLength: 6 },
      ),
    }),
  );

const AMOUNT_COLUMNS = ['planned', 'actualToDate', 'forecast', 'varianceVsPlan'] as const;

/** Generated rows as campaigns c0, c1, .. (in row order), each planned in the period's first month. */
function asInputs(period: Period, inputs: { planned: Decimal; dailySpend: (bigint | undefined)[] }[]) {
  return inputs.map((input, i) => ({ campaignId: `c${i}`, planned: new Map([[period.fromMonth, attos(input.planned.toFixed())]]), dailySpend: input.dailySpend }));
}
const unitsOf = (text: string) => BigInt(text.replace('.', ''));
const RUNS = { numRuns: 300 } as const;

describe('forecast properties', () => {
  it('printed rows add up exactly to the printed totals, in every amount column', () => {
    fc.assert(
      fc.property(caseArb(true), ({ period, asOf, method, scale, inputs }) => {
        const result = computeForecast(asInputs(period, inputs), { period, asOf, method, scale });
        for (const column of AMOUNT_COLUMNS) {
          const sum = result.rows.reduce((acc, row) => acc + unitsOf(row[column]), 0n);
          expect(sum, column).toBe(unitsOf(result.totals[column]));
        }
      }),
      RUNS,
    );
  });

  it('forecasts at least the actual to date, for every method, when no day is a net credit', () => {
    fc.assert(
      fc.property(caseArb(false), ({ period, asOf, method, scale, inputs }) => {
        const result = computeForecast(asInputs(period, inputs), { period, asOf, method, scale });
        const daysElapsed = result.totals.daysElapsed;
        inputs.forEach((input, i) => {
          const exact = forecastSpend(period, asOf, input.dailySpend, method);
          expect(exact.greaterThanOrEqualTo(spendToDate(input.dailySpend, daysElapsed))).toBe(true);
          // Printed, a row's forecast and actual are allocated column by column and may
          // differ from it by one unit where the forecast is within a unit of the actual.
          expect(unitsOf(result.rows[i]!.forecast) >= unitsOf(result.rows[i]!.actualToDate) - 1n).toBe(true);
        });
        expect(unitsOf(result.totals.forecast) >= unitsOf(result.totals.actualToDate)).toBe(true);
      }),
      RUNS,
    );
  });

  it('on the last day of the period, or after it, every method forecasts exactly the actual', () => {
    const lastDayArb = caseArb(true).chain((c) =>
      fc.integer({ min: 0, max: 5 }).map((after) => ({ ...c, asOf: formatDay(parseDay(c.period.end) + after) })),
    );
    fc.assert(
      fc.property(lastDayArb, ({ period, asOf, method, scale, inputs }) => {
        for (const input of inputs) {
          expect(forecastSpend(period, asOf, input.dailySpend, method).equals(spendToDate(input.dailySpend, period.daysInPeriod))).toBe(true);
        }
        const result = computeForecast(asInputs(period, inputs), { period, asOf, method, scale });
        for (const row of [...result.rows, result.totals]) expect(row.forecast).toBe(row.actualToDate);
      }),
      RUNS,
    );
  });

  it('agrees with the textbook formulas: OLS by slope and intercept, the trailing window summed afresh', () => {
    fc.assert(
      fc.property(caseArb(true), ({ period, asOf, inputs }) => {
        const n = Math.min(Math.max(parseDay(asOf) - parseDay(period.start) + 1, 0), period.daysInPeriod);
        const left = period.daysInPeriod - n;
        for (const input of inputs) {
          const spend = Array.from({ length: n }, (_, i) => new Dec((input.dailySpend[i] ?? 0n).toString()).div('1e18'));
          const actual = spend.reduce((a, b) => a.plus(b), new Dec(0));
          const k = Math.min(7, n);
          const expected: Record<ForecastMethod, Dec> = { run_rate: actual, trailing_7d: actual, linear_trend: actual };
          if (n > 0 && left > 0) {
            expected.run_rate = actual.plus(actual.div(n).times(left));
            expected.trailing_7d = actual.plus(spend.slice(n - k).reduce((a, b) => a.plus(b), new Dec(0)).div(k).times(left));
            expected.linear_trend = expected.run_rate;
            if (n >= 2) {
              // slope = (nΣxy - ΣxΣy) / (nΣx² - (Σx)²), intercept = (Σy - slope Σx) / n.
              let [sx, sy, sxy, sxx, c] = [new Dec(0), new Dec(0), new Dec(0), new Dec(0), new Dec(0)];
              spend.forEach((amount, i) => {
                c = c.plus(amount);
                const x = i + 1;
                sx = sx.plus(x);
                sy = sy.plus(c);
                sxy = sxy.plus(c.times(x));
                sxx = sxx.plus(x * x);
              });
              const slope = sxy.times(n).minus(sx.times(sy)).div(sxx.times(n).minus(sx.times(sx)));
              const intercept = sy.minus(slope.times(sx)).div(n);
              expected.linear_trend = DecimalJs.max(actual, intercept.plus(slope.times(period.daysInPeriod)));
            }
          }
          for (const method of FORECAST_METHODS) {
            const got = new Dec(forecastSpend(period, asOf, input.dailySpend, method).toString());
            expect(got.minus(expected[method]).abs().lessThan('1e-50'), `${method}: ${got} vs ${expected[method]}`).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('forecast vs actual: printed rows add up, and MAPE is within 0 and the largest row error ratio', () => {
    const rowArb = fc.record({ planned: amountArb(false), forecast: amountArb(true).map((d) => formatDecimal(d, 2)), actual: amountArb(true) });
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 8 }), (rows) => {
        // Row i is campaign r0i, one March cell; rows come back in campaign order, the order given.
        const key = (i: number) => `r${String(i).padStart(2, '0')}`;
        const result = computeVsActual(
          {
            cells: rows.map((row, i) => ({ campaignId: key(i), month: '2026-03', planned: attos(row.planned.toFixed()), actual: attos(row.actual.toFixed()) })),
            forecasts: new Map(rows.map((row, i) => [key(i), row.forecast])),
            rowKey: (cell) => cell.campaignId,
          },
          2,
        );
        for (const column of ['planned', 'forecast', 'actual', 'error'] as const) {
          expect(result.rows.reduce((acc, row) => acc + unitsOf(row[column]), 0n), column).toBe(unitsOf(result.totals[column]));
        }
        // The saved forecast is printed as it was saved.
        rows.forEach((row, i) => expect(result.rows[i]!.forecast).toBe(row.forecast));
        const ratios = rows.filter((r) => !r.actual.isZero()).map((r) => r.actual.minus(r.forecast).abs().div(r.actual.abs()));
        if (ratios.length === 0) expect(result.mape).toBeNull();
        else expect(new Decimal(result.mape!).lessThanOrEqualTo(Decimal.max(...ratios).plus('0.00005'))).toBe(true);
      }),
      RUNS,
    );
  });
});
