/**
 * GET /v1/reports/forecast over HTTP: golden cases worked by hand for each
 * method (run_rate, trailing_7d, linear_trend), the edges of asOf, a second
 * currency, channels, a range of months, CSV, roles and bad queries.
 *
 * Base currency USD (cents), ratios to 4 places, half-even. March 2026 has
 * 31 days; as of March 15th n = daysElapsed = 15 and daysLeft = 16.
 *
 *   ramp     video        plan 2000 USD  spends 10 x d USD on March d, d = 1..15 (10, 20, ..., 150): 1200
 *   stopped  paid_search  plan 1500 USD  spends 100 USD a day March 1..8, then nothing: 800
 *   news     email        plan 1000 EUR  spends 50 EUR a day March 1..15. EUR is 1.10 from March 1st,
 *                                        1.20 from March 11th: 55 USD a day on the 1st..10th, 60 on the
 *                                        11th..15th, 550 + 300 = 850; plan 1000 x 1.10 = 1100 USD
 *   search   paid_search  plan 3100 USD  spends 120 USD a day February 1st .. March 16th (the 16th is after
 *                                        asOf 15th); February plan 2800, April plan 3000
 *   expo     events       no plan, no spend, an open commitment of 500 in March: a row of zeros
 *   archived events       only a closed commitment in March: no row
 *
 * April: news has a plan of 500 EUR (600 USD at 1.20, the newest rate on or
 * before April 1st), search 3000 USD; nobody has spent anything yet.
 *
 * The OLS line's value at D, with Σc = sum of the cumulative spends c_d,
 * Sxy = Σ(d - d̄) c_d, Sxx = n(n² - 1)/12 (= 280 for n = 15) and d̄ = (n + 1)/2
 * (= 8), is Σc/n + Sxy/Sxx x (D - d̄).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForecastFigures } from '../../src/domain/forecast.js';
import { Decimal } from '../../src/domain/money.js';
import type { ForecastReport } from '../../src/features/reports/forecast-service.js';
import { campaignItem, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, type TestApp } from '../helper.js';

/** A row's figures as the calculator types them, with the currency the report adds. */
type Figures = ForecastFigures & { currency: string };
type Row = Figures & { campaignId?: string; name?: string; channel: string };
type Report = Omit<ForecastReport, 'rows'> & { rows: Row[] };

let t: TestApp;

const march = (day: number) => `2026-03-${String(day).padStart(2, '0')}`;
const days = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

async function send(app: TestApp, method: 'POST' | 'PUT', url: string, items: unknown[], role: 'ops' | 'finance' = 'ops') {
  const res = await app.call({ method, url, role, payload: { items } });
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200);
}

beforeAll(async () => {
  t = await makeApp(); // the clock says 2026-03-15T12:00:00Z
  await seedCampaigns(t, [
    campaignItem('ramp', { name: 'Video launch', channel: 'video' }),
    campaignItem('stopped', { name: 'Winter promo', channel: 'paid_search' }),
    campaignItem('news', { name: 'Newsletter', channel: 'email' }),
    campaignItem('search', { name: 'Spring search', channel: 'paid_search' }),
    campaignItem('expo', { name: 'Trade fair', channel: 'events' }),
    campaignItem('archived', { name: 'Old fair', channel: 'events' }),
  ]);
  await send(t, 'PUT', '/v1/fx-rates', [
    { date: '2026-03-01', currency: 'EUR', rate: '1.10' },
    { date: '2026-03-11', currency: 'EUR', rate: '1.20' },
  ], 'finance');
  await send(t, 'PUT', '/v1/plans', [
    { campaignId: 'ramp', month: '2026-03', amount: '2000', currency: 'USD' },
    { campaignId: 'stopped', month: '2026-03', amount: '1500', currency: 'USD' },
    { campaignId: 'news', month: '2026-03', amount: '1000', currency: 'EUR' },
    { campaignId: 'search', month: '2026-03', amount: '3100', currency: 'USD' },
    { campaignId: 'search', month: '2026-02', amount: '2800', currency: 'USD' },
    { campaignId: 'search', month: '2026-04', amount: '3000', currency: 'USD' },
    { campaignId: 'news', month: '2026-04', amount: '500', currency: 'EUR' },
  ]);
  await send(t, 'POST', '/v1/commitments', [
    { id: 'booth', campaignId: 'expo', month: '2026-03', amount: '500', currency: 'USD' },
    { id: 'old-booth', campaignId: 'archived', month: '2026-03', amount: '700', currency: 'USD', status: 'closed' },
  ]);
  const spend = (campaignId: string, date: string, amount: string, currency = 'USD') => ({ campaignId, date, amount, currency, source: 'manual' });
  await send(t, 'POST', '/v1/spend', [
    ...days(1, 15).map((d) => spend('ramp', march(d), String(10 * d))),
    ...days(1, 8).map((d) => spend('stopped', march(d), '100')),
    ...days(1, 15).map((d) => spend('news', march(d), '50', 'EUR')),
    ...days(1, 28).map((d) => spend('search', `2026-02-${String(d).padStart(2, '0')}`, '120')),
    ...days(1, 16).map((d) => spend('search', march(d), '120')),
  ]);
});
afterAll(() => t.close());

const get = (app: TestApp, query: string, role: 'viewer' | 'ops' | 'finance' | 'admin' | null = 'viewer', headers: Record<string, string> = {}) =>
  app.call({ method: 'GET', url: `/v1/reports/forecast${query}`, role, headers });

async function report(query: string, app: TestApp = t): Promise<Report> {
  const res = await get(app, query);
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as Report;
  expectRowsAddUp(body);
  return body;
}

/** The rows, as printed, add up exactly to the totals row, as printed (docs/reports.md, Reports). */
function expectRowsAddUp(body: Report): void {
  for (const column of ['planned', 'actualToDate', 'forecast', 'varianceVsPlan'] as const) {
    const sum = body.rows.reduce((acc, row) => acc.plus(row[column]), new Decimal(0));
    expect(sum.toFixed(2), `${column} of the rows`).toBe(body.totals[column]);
  }
}

/** A campaign row of March as of the 15th (15 of 31 days). */
function row(campaignId: string, name: string, channel: string, figures: Omit<Figures, 'currency' | 'daysElapsed' | 'daysInPeriod'>, n = 15, D = 31): Row {
  return { campaignId, name, channel, currency: 'USD', ...figures, daysElapsed: n, daysInPeriod: D };
}

const expo = (n = 15, D = 31) =>
  // Only an open commitment: a row, nothing forecast, and no variance ratio over a plan of 0.
  row('expo', 'Trade fair', 'events', { planned: '0.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '0.00', variancePct: null }, n, D);

describe('GET /v1/reports/forecast: March as of the 15th, by campaign', () => {
  it('run_rate = actual + actual / 15 x 16', async () => {
    const body = await report('?month=2026-03&asOf=2026-03-15&method=run_rate');
    expect(body).toMatchObject({
      report: 'forecast', currency: 'USD', groupBy: 'campaign', method: 'run_rate',
      from: '2026-03', to: '2026-03', periodStart: '2026-03-01', periodEnd: '2026-03-31', asOf: '2026-03-15',
    });
    expect(body.rows).toEqual([
      expo(),
      // 850 + 850 / 15 x 16 = 850 + 906.666.. = 1756.666..; 656.666.. / 1100 = 0.59696..
      row('news', 'Newsletter', 'email', { planned: '1100.00', actualToDate: '850.00', forecast: '1756.67', varianceVsPlan: '656.67', variancePct: '0.5970' }),
      // 1200 + 1200 / 15 x 16 = 1200 + 1280 = 2480; 480 / 2000 = 0.24
      row('ramp', 'Video launch', 'video', { planned: '2000.00', actualToDate: '1200.00', forecast: '2480.00', varianceVsPlan: '480.00', variancePct: '0.2400' }),
      // 1800 + 1800 / 15 x 16 = 3720.00 (the 16th's 120 is after asOf); 620 / 3100 = 0.2
      row('search', 'Spring search', 'paid_search', { planned: '3100.00', actualToDate: '1800.00', forecast: '3720.00', varianceVsPlan: '620.00', variancePct: '0.2000' }),
      // 800 + 800 / 15 x 16 = 800 + 853.333.. = 1653.33; 153.333.. / 1500 = 0.10222..
      row('stopped', 'Winter promo', 'paid_search', { planned: '1500.00', actualToDate: '800.00', forecast: '1653.33', varianceVsPlan: '153.33', variancePct: '0.1022' }),
    ]);
    // 4650 + 4650 / 15 x 16 = 4650 + 4960 = 9610 (run_rate is linear in the spend); 1910 / 7700 = 0.24805..
    expect(body.totals).toEqual({
      currency: 'USD', planned: '7700.00', actualToDate: '4650.00', forecast: '9610.00', varianceVsPlan: '1910.00', variancePct: '0.2481', daysElapsed: 15, daysInPeriod: 31,
    });
  });

  it('trailing_7d = actual + (spend of March 9th..15th) / 7 x 16: the campaign that stopped a week ago stays where it is', async () => {
    const body = await report('?month=2026-03&asOf=2026-03-15&method=trailing_7d');
    expect(body.rows).toEqual([
      expo(),
      // last 7 days: 55 + 55 + 5 x 60 = 410; 850 + 410 / 7 x 16 = 850 + 937.142857.. = 1787.14; 687.142857 / 1100 = 0.62467..
      row('news', 'Newsletter', 'email', { planned: '1100.00', actualToDate: '850.00', forecast: '1787.14', varianceVsPlan: '687.14', variancePct: '0.6247' }),
      // last 7 days: 10 x (9 + .. + 15) = 840; 1200 + 840 / 7 x 16 = 1200 + 1920 = 3120; 1120 / 2000 = 0.56
      row('ramp', 'Video launch', 'video', { planned: '2000.00', actualToDate: '1200.00', forecast: '3120.00', varianceVsPlan: '1120.00', variancePct: '0.5600' }),
      // 1800 + 840 / 7 x 16 = 3720.00
      row('search', 'Spring search', 'paid_search', { planned: '3100.00', actualToDate: '1800.00', forecast: '3720.00', varianceVsPlan: '620.00', variancePct: '0.2000' }),
      // nothing spent March 9th..15th: 800 + 0 / 7 x 16 = 800.00 (run_rate said 1653.33); -700 / 1500 = -0.46666..
      row('stopped', 'Winter promo', 'paid_search', { planned: '1500.00', actualToDate: '800.00', forecast: '800.00', varianceVsPlan: '-700.00', variancePct: '-0.4667' }),
    ]);
    // 0 + 1787.142857 + 3120 + 3720 + 800 = 9427.142857; 1727.142857 / 7700 = 0.22430..
    expect(body.totals).toEqual({
      currency: 'USD', planned: '7700.00', actualToDate: '4650.00', forecast: '9427.14', varianceVsPlan: '1727.14', variancePct: '0.2243', daysElapsed: 15, daysInPeriod: 31,
    });
  });

  it('linear_trend = max(actual, the least-squares line through (d, c_d) at d = 31)', async () => {
    const body = await report('?month=2026-03&asOf=2026-03-15&method=linear_trend');
    expect(body.rows).toEqual([
      expo(),
      // c_d = 55d for d <= 10, then 610, 670, 730, 790, 850. Σc = 3025 + 3650 = 6675 (mean 445);
      // Sxy = 55 x Σ(d-8)d [d=1..10] + (3 x 610 + 4 x 670 + 5 x 730 + 6 x 790 + 7 x 850)
      //     = 55 x (385 - 440) + 18850 = -3025 + 18850 = 15825;
      // 445 + 15825 / 280 x 23 = 445 + 1299.910714.. = 1744.910714.. ; 644.910714 / 1100 = 0.58628..
      row('news', 'Newsletter', 'email', { planned: '1100.00', actualToDate: '850.00', forecast: '1744.91', varianceVsPlan: '644.91', variancePct: '0.5863' }),
      // c_d = 5d(d+1): Σc = 5 x (1240 + 120) = 6800 (mean 453.333..); Sxy = 5 x Σ(d-8)d(d+1)
      //     = 5 x (Σd³ - 7Σd² - 8Σd) = 5 x (14400 - 8680 - 960) = 23800, slope 85;
      // 453.333.. + 85 x 23 = 2408.333..; it prints 2408.34, not 2408.33: the total 9636.577.. prints
      // 9636.58 while the rows' floors add up to 9636.57, and the cent goes to the largest remainder:
      // ramp and stopped tie at 0.00333.., and the earlier row (ramp) takes it.
      // 408.333.. / 2000 = 0.20416..
      row('ramp', 'Video launch', 'video', { planned: '2000.00', actualToDate: '1200.00', forecast: '2408.34', varianceVsPlan: '408.34', variancePct: '0.2042' }),
      // constant 120 a day: c_d = 120d is a line, 120 x 31 = 3720
      row('search', 'Spring search', 'paid_search', { planned: '3100.00', actualToDate: '1800.00', forecast: '3720.00', varianceVsPlan: '620.00', variancePct: '0.2000' }),
      // c_d = 100d for d <= 8, then 800: Σc = 3600 + 7 x 800 = 9200 (mean 613.333..);
      // Sxy = 100 x (204 - 8 x 36) + 800 x (1 + .. + 7) = -8400 + 22400 = 14000, slope 50;
      // 613.333.. + 50 x 23 = 1763.333..: above run_rate (1653.33) and trailing_7d (800.00);
      // 263.333.. / 1500 = 0.17555..
      row('stopped', 'Winter promo', 'paid_search', { planned: '1500.00', actualToDate: '800.00', forecast: '1763.33', varianceVsPlan: '263.33', variancePct: '0.1756' }),
    ]);
    // 1744.910714 + 2408.333333 + 3720 + 1763.333333 = 9636.577381; 1936.577381 / 7700 = 0.25150..
    expect(body.totals).toEqual({
      currency: 'USD', planned: '7700.00', actualToDate: '4650.00', forecast: '9636.58', varianceVsPlan: '1936.58', variancePct: '0.2515', daysElapsed: 15, daysInPeriod: 31,
    });
  });

  it('defaults asOf to the app clock’s UTC day, method to run_rate and groupBy to campaign', async () => {
    const explicit = await report('?month=2026-03&asOf=2026-03-15&method=run_rate&groupBy=campaign');
    expect(await report('?month=2026-03')).toEqual(explicit);
  });
});

describe('GET /v1/reports/forecast: the edges of asOf', () => {
  it('on the first day every method projects that day alone: x 31', async () => {
    // n = 1: run_rate = s1 + s1 x 30; trailing_7d with k = 1 the same; linear_trend with n < 2 is run_rate.
    const expected = [
      expo(1),
      // 50 EUR x 1.10 = 55; 55 x 31 = 1705; 605 / 1100 = 0.55
      row('news', 'Newsletter', 'email', { planned: '1100.00', actualToDate: '55.00', forecast: '1705.00', varianceVsPlan: '605.00', variancePct: '0.5500' }, 1),
      // 10 x 31 = 310; -1690 / 2000 = -0.845
      row('ramp', 'Video launch', 'video', { planned: '2000.00', actualToDate: '10.00', forecast: '310.00', varianceVsPlan: '-1690.00', variancePct: '-0.8450' }, 1),
      // 120 x 31 = 3720
      row('search', 'Spring search', 'paid_search', { planned: '3100.00', actualToDate: '120.00', forecast: '3720.00', varianceVsPlan: '620.00', variancePct: '0.2000' }, 1),
      // 100 x 31 = 3100; 1600 / 1500 = 1.0666..
      row('stopped', 'Winter promo', 'paid_search', { planned: '1500.00', actualToDate: '100.00', forecast: '3100.00', varianceVsPlan: '1600.00', variancePct: '1.0667' }, 1),
    ];
    for (const method of ['run_rate', 'trailing_7d', 'linear_trend']) {
      const body = await report(`?month=2026-03&asOf=2026-03-01&method=${method}`);
      expect(body.rows, method).toEqual(expected);
      // 285 x 31 = 8835; 1135 / 7700 = 0.14740..
      expect(body.totals, method).toEqual({
        currency: 'USD', planned: '7700.00', actualToDate: '285.00', forecast: '8835.00', varianceVsPlan: '1135.00', variancePct: '0.1474', daysElapsed: 1, daysInPeriod: 31,
      });
    }
  });

  it('on the last day (and after it) every method forecasts the actual, which is final', async () => {
    // For linear_trend this is the documented decision: stopped's OLS line through its 31 points
    // (Σc = 22000, Sxy = -37200 + 73600 = 36400, Sxx = 2480, d̄ = 16) is 709.677 + 14.677 x 15 = 929.84
    // at d = 31, above the 800 it spent; it forecasts 800.00, not spend on days that have passed.
    const expected = [
      expo(31),
      // 850 (nothing after the 15th); -250 / 1100 = -0.22727..
      row('news', 'Newsletter', 'email', { planned: '1100.00', actualToDate: '850.00', forecast: '850.00', varianceVsPlan: '-250.00', variancePct: '-0.2273' }, 31),
      row('ramp', 'Video launch', 'video', { planned: '2000.00', actualToDate: '1200.00', forecast: '1200.00', varianceVsPlan: '-800.00', variancePct: '-0.4000' }, 31),
      // 16 days x 120 = 1920; -1180 / 3100 = -0.38064..
      row('search', 'Spring search', 'paid_search', { planned: '3100.00', actualToDate: '1920.00', forecast: '1920.00', varianceVsPlan: '-1180.00', variancePct: '-0.3806' }, 31),
      row('stopped', 'Winter promo', 'paid_search', { planned: '1500.00', actualToDate: '800.00', forecast: '800.00', varianceVsPlan: '-700.00', variancePct: '-0.4667' }, 31),
    ];
    for (const method of ['run_rate', 'trailing_7d', 'linear_trend']) {
      for (const asOf of ['2026-03-31', '2026-06-30']) {
        const body = await report(`?month=2026-03&asOf=${asOf}&method=${method}`);
        expect(body.asOf).toBe(asOf);
        expect(body.rows, `${method} ${asOf}`).toEqual(expected);
        // 850 + 1200 + 1920 + 800 = 4770; -2930 / 7700 = -0.38051..
        expect(body.totals, `${method} ${asOf}`).toEqual({
          currency: 'USD', planned: '7700.00', actualToDate: '4770.00', forecast: '4770.00', varianceVsPlan: '-2930.00', variancePct: '-0.3805', daysElapsed: 31, daysInPeriod: 31,
        });
      }
    }
  });

  it('a month with no spend yet forecasts 0 by every method, whether it has begun (April 10th) or not (the clock, March 15th)', async () => {
    for (const method of ['run_rate', 'trailing_7d', 'linear_trend']) {
      for (const [asOf, n] of [['2026-04-10', 10], ['2026-03-15', 0]] as const) {
        const body = await report(`?month=2026-04&asOf=${asOf}&method=${method}`);
        expect(body.rows, `${method} ${asOf}`).toEqual([
          // 500 EUR at 1.20 (the rate of March 11th, the newest on or before April 1st) = 600; -600 / 600 = -1
          { campaignId: 'news', name: 'Newsletter', channel: 'email', currency: 'USD', planned: '600.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '-600.00', variancePct: '-1.0000', daysElapsed: n, daysInPeriod: 30 },
          { campaignId: 'search', name: 'Spring search', channel: 'paid_search', currency: 'USD', planned: '3000.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '-3000.00', variancePct: '-1.0000', daysElapsed: n, daysInPeriod: 30 },
        ]);
        expect(body.totals).toEqual({
          currency: 'USD', planned: '3600.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '-3600.00', variancePct: '-1.0000', daysElapsed: n, daysInPeriod: 30,
        });
      }
    }
    // asOf defaults to the clock: before April, nothing has elapsed.
    expect((await report('?month=2026-04')).totals.daysElapsed).toBe(0);
  });

  it('answers an empty report for a month with nothing in it', async () => {
    const body = await report('?month=2025-07&asOf=2025-07-20&method=linear_trend');
    expect(body.rows).toEqual([]);
    expect(body.totals).toEqual({
      currency: 'USD', planned: '0.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '0.00', variancePct: null, daysElapsed: 20, daysInPeriod: 31,
    });
  });
});

describe('GET /v1/reports/forecast: by channel, over a range, as CSV', () => {
  it('groups by channel: run_rate and trailing_7d of the summed daily spend equal the sums of the campaigns', async () => {
    const byChannel = (figures: Omit<Figures, 'currency' | 'daysElapsed' | 'daysInPeriod'>, channel: string): Row => ({ channel, currency: 'USD', ...figures, daysElapsed: 15, daysInPeriod: 31 });
    const events = byChannel({ planned: '0.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '0.00', variancePct: null }, 'events');

    const runRate = await report('?month=2026-03&asOf=2026-03-15&method=run_rate&groupBy=channel');
    expect(runRate.groupBy).toBe('channel');
    expect(runRate.rows).toEqual([
      byChannel({ planned: '1100.00', actualToDate: '850.00', forecast: '1756.67', varianceVsPlan: '656.67', variancePct: '0.5970' }, 'email'),
      events,
      // search + stopped: 220 a day March 1..8, 120 a day 9..15: 2600 + 2600 / 15 x 16 = 5373.333..
      // (= 3720 + 1653.333..); 773.333.. / 4600 = 0.16811..
      byChannel({ planned: '4600.00', actualToDate: '2600.00', forecast: '5373.33', varianceVsPlan: '773.33', variancePct: '0.1681' }, 'paid_search'),
      byChannel({ planned: '2000.00', actualToDate: '1200.00', forecast: '2480.00', varianceVsPlan: '480.00', variancePct: '0.2400' }, 'video'),
    ]);
    expect(runRate.totals).toMatchObject({ planned: '7700.00', actualToDate: '4650.00', forecast: '9610.00', varianceVsPlan: '1910.00', variancePct: '0.2481' });

    const trailing = await report('?month=2026-03&asOf=2026-03-15&method=trailing_7d&groupBy=channel');
    // paid_search, last 7 days: 7 x 120 + 0 = 840; 2600 + 840 / 7 x 16 = 4520 (= 3720 + 800); -80 / 4600 = -0.01739..
    expect(trailing.rows.find((r) => r.channel === 'paid_search')).toMatchObject({ forecast: '4520.00', varianceVsPlan: '-80.00', variancePct: '-0.0174' });
    expect(trailing.rows.map((r) => r.forecast)).toEqual(['1787.14', '0.00', '4520.00', '3120.00']);
    expect(trailing.totals).toMatchObject({ forecast: '9427.14', varianceVsPlan: '1727.14' });
    expect(trailing.rows[0]).not.toHaveProperty('campaignId');
  });

  it('by channel, linear_trend is the sum of the campaigns’ forecasts, even where one campaign’s trend is under its actual', async () => {
    // steady spends 100 a day March 1..15; late spends 1500 on March 15th only; both display.
    // late alone: c_d = 0 until 1500 on d = 15: Σc = 1500 (mean 100), Sxy = 7 x 1500 = 10500, slope 37.5,
    //   100 + 37.5 x 23 = 962.50 < 1500 spent, so the campaign forecasts max(1500, 962.50) = 1500.00.
    // steady alone: 100 x 31 = 3100.00. By campaign: 1500 + 3100 = 4600.00.
    // The channel is the sum of its campaigns: 4600.00 (issue 14 item 11). It was the trend of the
    //   channel's summed spend, 962.50 + 3100 = 4062.50, so the channel row differed from its campaigns' rows.
    const own = await makeApp();
    try {
      await seedCampaigns(own, [campaignItem('late', { channel: 'display' }), campaignItem('steady', { channel: 'display' })]);
      await send(own, 'POST', '/v1/spend', [
        ...days(1, 15).map((d) => ({ campaignId: 'steady', date: march(d), amount: '100', currency: 'USD', source: 'manual' })),
        { campaignId: 'late', date: march(15), amount: '1500', currency: 'USD', source: 'manual' },
      ]);
      const byCampaign = await report('?month=2026-03&asOf=2026-03-15&method=linear_trend', own);
      expect(byCampaign.rows.map((r) => [r.campaignId, r.actualToDate, r.forecast])).toEqual([
        ['late', '1500.00', '1500.00'],
        ['steady', '1500.00', '3100.00'],
      ]);
      expect(byCampaign.totals.forecast).toBe('4600.00');
      const byChannel = await report('?month=2026-03&asOf=2026-03-15&method=linear_trend&groupBy=channel', own);
      expect(byChannel.rows).toEqual([
        { channel: 'display', currency: 'USD', planned: '0.00', actualToDate: '3000.00', forecast: '4600.00', varianceVsPlan: '4600.00', variancePct: null, daysElapsed: 15, daysInPeriod: 31 },
      ]);
      expect(byChannel.totals.forecast).toBe('4600.00');
    } finally {
      await own.close();
    }
  });

  it('spans February and March with from and to, as one period of 59 days', async () => {
    const body = await report('?from=2026-02&to=2026-03&asOf=2026-03-15&method=run_rate');
    expect(body).toMatchObject({ from: '2026-02', to: '2026-03', periodStart: '2026-02-01', periodEnd: '2026-03-31', asOf: '2026-03-15' });
    // n = 28 + 15 = 43 days elapsed of 59, daysLeft 16.
    const ranged = (campaignId: string, name: string, channel: string, figures: Omit<Figures, 'currency' | 'daysElapsed' | 'daysInPeriod'>) => row(campaignId, name, channel, figures, 43, 59);
    expect(body.rows).toEqual([
      ranged('expo', 'Trade fair', 'events', { planned: '0.00', actualToDate: '0.00', forecast: '0.00', varianceVsPlan: '0.00', variancePct: null }),
      // 850 + 850 / 43 x 16 = 850 + 316.27907 = 1166.27907; 66.27907 / 1100 = 0.06025..
      ranged('news', 'Newsletter', 'email', { planned: '1100.00', actualToDate: '850.00', forecast: '1166.28', varianceVsPlan: '66.28', variancePct: '0.0603' }),
      // 1200 + 1200 / 43 x 16 = 1200 + 446.511628 = 1646.511628; -353.488372 / 2000 = -0.17674..
      ranged('ramp', 'Video launch', 'video', { planned: '2000.00', actualToDate: '1200.00', forecast: '1646.51', varianceVsPlan: '-353.49', variancePct: '-0.1767' }),
      // plan 2800 + 3100 = 5900; 28 x 120 + 15 x 120 = 5160; 5160 + 120 x 16 = 7080; 1180 / 5900 = 0.2
      ranged('search', 'Spring search', 'paid_search', { planned: '5900.00', actualToDate: '5160.00', forecast: '7080.00', varianceVsPlan: '1180.00', variancePct: '0.2000' }),
      // 800 + 800 / 43 x 16 = 800 + 297.674419 = 1097.674419, printed 1097.68: the total
      // 10990.465116 prints 10990.47, the rows' floors add up to 10990.45, and the two cents go to
      // the largest remainders, news (0.00907) and stopped (0.00442), not ramp (0.00163).
      // -402.325581 / 1500 = -0.26821..
      ranged('stopped', 'Winter promo', 'paid_search', { planned: '1500.00', actualToDate: '800.00', forecast: '1097.68', varianceVsPlan: '-402.32', variancePct: '-0.2682' }),
    ]);
    // 8010 + 8010 / 43 x 16 = 8010 + 2980.465116 = 10990.465116; 490.465116 / 10500 = 0.04671..
    expect(body.totals).toEqual({
      currency: 'USD', planned: '10500.00', actualToDate: '8010.00', forecast: '10990.47', varianceVsPlan: '490.47', variancePct: '0.0467', daysElapsed: 43, daysInPeriod: 59,
    });
  });

  it('answers CSV (?format=csv and Accept: text/csv): the JSON field names as header, the rows, TOTAL last', async () => {
    const query = '?month=2026-03&asOf=2026-03-15&method=trailing_7d';
    const json = await report(query);
    const viaQuery = await get(t, `${query}&format=csv`);
    const viaAccept = await get(t, query, 'viewer', { accept: 'text/csv' });
    expect(viaQuery.statusCode, viaQuery.body).toBe(200);
    expect(viaAccept.body).toBe(viaQuery.body);
    expect(viaQuery.headers['content-type']).toMatch(/^text\/csv/);
    expect(viaQuery.headers['content-disposition']).toContain('forecast-campaign-trailing_7d-2026-03-asof-2026-03-15.csv');
    const cells = (value: unknown) => (value === null ? '' : String(value));
    const csv = parseCsv(viaQuery.body);
    expect(csv[0]).toEqual(Object.keys(json.rows[0]!));
    expect(csv.slice(1, -1)).toEqual(json.rows.map((r) => Object.values(r).map(cells)));
    expect(csv.at(-1)).toEqual(['TOTAL', '', '', 'USD', '7700.00', '4650.00', '9427.14', '1727.14', '0.2243', '15', '31']);
  });

  it('answers CSV by channel over a range', async () => {
    const query = '?from=2026-02&to=2026-03&asOf=2026-03-15&groupBy=channel';
    const json = await report(query);
    const res = await get(t, `${query}&format=csv`);
    expect(res.headers['content-disposition']).toContain('forecast-channel-run_rate-2026-02_2026-03-asof-2026-03-15.csv');
    const csv = parseCsv(res.body);
    expect(csv[0]).toEqual(Object.keys(json.rows[0]!));
    expect(csv[0]![0]).toBe('channel');
    expect(csv.map((r) => r[0])).toEqual(['channel', 'email', 'events', 'paid_search', 'video', 'TOTAL']);
    // The same total as by campaign: run_rate by channel is the sum of the campaigns.
    expect(csv.at(-1)!.slice(1, 6)).toEqual(['USD', '10500.00', '8010.00', '10990.47', '490.47']);
  });
});

describe('GET /v1/reports/forecast: roles, bad queries, missing FX rates', () => {
  it('is readable by every role, and 401 without a valid key', async () => {
    for (const role of ['viewer', 'ops', 'finance', 'admin'] as const) expect((await get(t, '?month=2026-03', role)).statusCode).toBe(200);
    problemOf(await get(t, '?month=2026-03', null), 401);
    problemOf(await get(t, '?month=2026-03', null, { authorization: 'Bearer sb_not_a_key' }), 401);
  });

  it.each([
    ['', ['from']],
    ['?asOf=2026-03-15', ['from']],
    ['?month=2026-13', ['month']],
    ['?month=2026-3', ['month']],
    ['?month=march', ['month']],
    ['?month=2026-03&from=2026-01&to=2026-03', ['month']],
    ['?from=2026-04&to=2026-03', ['from']],
    ['?from=2026-03', ['to']],
    ['?from=2020-01&to=2026-03', ['to']],
    ['?month=2026-03&method=ewma', ['method']],
    ['?month=2026-03&method=', ['method']],
    ['?month=2026-03&asOf=2026-02-30', ['asOf']],
    ['?month=2026-03&asOf=2026-03-1', ['asOf']],
    ['?month=2026-03&asOf=yesterday', ['asOf']],
    ['?month=2026-03&groupBy=month', ['groupBy']],
    ['?month=2026-03&format=pdf', ['format']],
    ['?month=2026-03&currency=EUR', ['currency']],
  ])('refuses %s with a 400 naming the field', async (query, paths) => {
    expect(errorPaths(await get(t, query))).toEqual(paths);
  });

  it('is a 422 fx_rate_missing naming each (currency, date) it needs and has no rate for', async () => {
    const own = await makeApp();
    try {
      await seedCampaigns(own, [campaignItem('uk')]);
      await send(own, 'PUT', '/v1/plans', [{ campaignId: 'uk', month: '2026-03', amount: '1000', currency: 'JPY' }]);
      await send(own, 'POST', '/v1/spend', [{ campaignId: 'uk', date: '2026-03-03', amount: '25', currency: 'GBP', source: 'manual' }]);
      for (const method of ['run_rate', 'trailing_7d', 'linear_trend']) {
        const problem = problemOf(await get(own, `?month=2026-03&asOf=2026-03-10&method=${method}`), 422, 'fx_rate_missing');
        // The plan at the first day of its month, the spend at its own date.
        expect(problem.missingRates).toEqual([
          { currency: 'GBP', date: '2026-03-03' },
          { currency: 'JPY', date: '2026-03-01' },
        ]);
        expect(problem.detail).toContain('no GBP rate on or before 2026-03-03');
        expect(problem.detail).toContain('no JPY rate on or before 2026-03-01');
      }
      // With the rates in place, the same report answers: 25 x 1.30 = 32.50 in 10 days;
      // 32.50 + 32.50 / 10 x 21 = 100.75; the plan 1000 JPY x 0.0065 = 6.50.
      await send(own, 'PUT', '/v1/fx-rates', [
        { date: '2026-03-01', currency: 'GBP', rate: '1.30' },
        { date: '2026-03-01', currency: 'JPY', rate: '0.0065' },
      ], 'finance');
      const body = await report('?month=2026-03&asOf=2026-03-10', own);
      expect(body.totals).toMatchObject({ planned: '6.50', actualToDate: '32.50', forecast: '100.75', varianceVsPlan: '94.25', variancePct: '14.5000' });
    } finally {
      await own.close();
    }
  });
});
