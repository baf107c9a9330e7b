/**
 * Forecast snapshots over HTTP: POST /v1/forecasts, GET /v1/forecasts[/{id}],
 * GET /v1/reports/forecast-vs-actual and GET /v1/reports/budget-forecast-actual.
 * Every number is worked by hand in the comment beside it (base USD, cents,
 * ratios to 4 places, half-even).
 *
 * The app's clock is fixed when it is built, so a snapshot that must outlive
 * its month is taken by an app whose clock says March 15th, on a SQLite file,
 * and read again by a second app on the same file whose clock says April 5th.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/domain/money.js';
import { campaignItem, countRows, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

type Role = 'viewer' | 'ops' | 'finance' | 'admin';
type Json = Record<string, any>;

const MID_MARCH = new Date('2026-03-15T12:00:00Z');
const EARLY_APRIL = new Date('2026-04-05T09:00:00Z');

const day = (month: string, d: number) => `${month}-${String(d).padStart(2, '0')}`;
const days = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

async function send(t: TestApp, method: 'POST' | 'PUT', url: string, items: unknown[], role: 'ops' | 'finance' = 'ops') {
  const res = await t.call({ method, url, role, payload: { items } });
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200);
  return res.json() as { inserted: number; updated: number; unchanged: number };
}

const postSnapshot = (t: TestApp, payload: unknown, role: Role | null = 'ops', headers: Record<string, string> = {}) =>
  t.call({ method: 'POST', url: '/v1/forecasts', role, payload: payload as Json, headers });

async function taken(t: TestApp, payload: Json, role: Role = 'ops'): Promise<Json> {
  const res = await postSnapshot(t, payload, role);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const get = (t: TestApp, url: string, role: Role | null = 'viewer', headers: Record<string, string> = {}) => t.call({ method: 'GET', url, role, headers });

async function getJson(t: TestApp, url: string): Promise<Json> {
  const res = await get(t, url);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json();
}

/** A column's printed amounts over the rows that have one, summed exactly. */
const sumOf = (rows: Json[], column: string) =>
  rows.filter((r) => r[column] !== null).reduce((acc, r) => acc.plus(r[column] as string), new Decimal(0)).toFixed(2);

function expectRowsAddUp(report: Json, columns: string[]): void {
  for (const column of columns) expect(sumOf(report.rows, column), column).toBe(report.totals[column]);
}

const cells = (values: unknown[]) => values.map((v) => (v === null ? '' : String(v)));

// ---------------------------------------------------------------------------

describe('a snapshot of March taken on the 15th, against March as it runs and once it is over', () => {
  /*
   * s1 Search   paid_search  plan 3100 USD             spends 100 USD a day March 1..15 (google_ads)
   * s2 Social   paid_social  plan 1240 EUR = 1550 USD  spends 32 EUR = 40 USD a day March 1..15 (meta); EUR at 1.25
   * s3 Display  display      no plan                   spends nothing before the snapshot
   *
   * The snapshot, run_rate as of March 15th (15 of 31 days, 16 left):
   *   s1: 1500 + 1500 / 15 x 16 = 3100.00, variance 0.00, 0 / 3100 = 0.0000
   *   s2:  600 +  600 / 15 x 16 = 1240.00, variance -310.00, -310 / 1550 = -0.2000
   *   totals: planned 4650.00, actual 2100.00, forecast 4340.00, variance -310.00, -310 / 4650 = -0.0667
   */
  let dir: string;
  let dbPath: string;
  let t: TestApp | null = null;
  let first: Json;
  let byChannel: Json;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spendbook-forecast-'));
    dbPath = join(dir, 'spendbook.db');
    t = await makeApp({ now: MID_MARCH, dbPath });
    await seedCampaigns(t, [
      campaignItem('s1', { name: 'Search', channel: 'paid_search' }),
      campaignItem('s2', { name: 'Social', channel: 'paid_social' }),
      campaignItem('s3', { name: 'Display', channel: 'display' }),
    ]);
    await send(t, 'PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.25' }], 'finance');
    await send(t, 'PUT', '/v1/plans', [
      { campaignId: 's1', month: '2026-03', amount: '3100', currency: 'USD' },
      { campaignId: 's2', month: '2026-03', amount: '1240', currency: 'EUR' },
    ]);
    await send(t, 'POST', '/v1/spend', [
      ...days(1, 15).map((d) => ({ campaignId: 's1', date: day('2026-03', d), amount: '100', currency: 'USD', source: 'google_ads' })),
      ...days(1, 15).map((d) => ({ campaignId: 's2', date: day('2026-03', d), amount: '32', currency: 'EUR', source: 'meta' })),
    ]);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is saved whole: the forecast report of that moment, with who took it and when', async () => {
    const live = await getJson(t!, '/v1/reports/forecast?month=2026-03&method=run_rate');
    first = await taken(t!, { name: 'March mid-month', month: '2026-03', method: 'run_rate' });
    expect(first.id).toMatch(/^fcs_[0-9a-f]{16}$/);
    expect(first).toEqual({
      id: first.id,
      name: 'March mid-month',
      month: '2026-03',
      from: '2026-03',
      to: '2026-03',
      asOf: '2026-03-15', // the app clock's UTC day
      method: 'run_rate',
      groupBy: 'campaign',
      currency: 'USD',
      createdAt: '2026-03-15T12:00:00.000Z',
      createdBy: 'test ops',
      totals: { currency: 'USD', planned: '4650.00', actualToDate: '2100.00', forecast: '4340.00', varianceVsPlan: '-310.00', variancePct: '-0.0667', daysElapsed: 15, daysInPeriod: 31 },
      rows: [
        { campaignId: 's1', name: 'Search', channel: 'paid_search', currency: 'USD', planned: '3100.00', actualToDate: '1500.00', forecast: '3100.00', varianceVsPlan: '0.00', variancePct: '0.0000', daysElapsed: 15, daysInPeriod: 31 },
        { campaignId: 's2', name: 'Social', channel: 'paid_social', currency: 'USD', planned: '1550.00', actualToDate: '600.00', forecast: '1240.00', varianceVsPlan: '-310.00', variancePct: '-0.2000', daysElapsed: 15, daysInPeriod: 31 },
      ],
    });
    // The same rows and totals as the live report at that moment.
    expect(first.rows).toEqual(live.rows);
    expect(first.totals).toEqual(live.totals);
    expect(await getJson(t!, `/v1/forecasts/${first.id}`)).toEqual(first);

    byChannel = await taken(t!, { name: 'March by channel', month: '2026-03', asOf: '2026-03-15', method: 'trailing_7d', groupBy: 'channel' });
    expect(byChannel).toMatchObject({ groupBy: 'channel', method: 'trailing_7d', asOf: '2026-03-15' });
    // Constant spend: the last 7 days say what the 15 say, 3100.00 and 1240.00.
    expect(byChannel.rows.map((r: Json) => [r.channel, r.forecast])).toEqual([
      ['paid_search', '3100.00'],
      ['paid_social', '1240.00'],
    ]);
    expect(byChannel.rows[0]).not.toHaveProperty('campaignId');
  });

  it('does not move when spend is restated or added, the plan changes or a rate is restated', async () => {
    // Restated: s1's March 10th, same natural key (google_ads, s1, 2026-03-10, no reference): 100 -> 160.
    expect(await send(t!, 'POST', '/v1/spend', [{ campaignId: 's1', date: '2026-03-10', amount: '160', currency: 'USD', source: 'google_ads' }])).toMatchObject({ inserted: 0, updated: 1 });
    // Added: s3, which the snapshot did not see, spends 200 on March 14th.
    await send(t!, 'POST', '/v1/spend', [{ campaignId: 's3', date: '2026-03-14', amount: '200', currency: 'USD', source: 'manual' }]);
    // The plan of s1: 3100 -> 4000.
    await send(t!, 'PUT', '/v1/plans', [{ campaignId: 's1', month: '2026-03', amount: '4000', currency: 'USD' }]);
    // A rate restated: EUR 1.25 -> 1.50.
    await send(t!, 'PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.50' }], 'finance');

    // The live report moved ...
    const live = await getJson(t!, '/v1/reports/forecast?month=2026-03&method=run_rate');
    expect(live.rows.map((r: Json) => [r.campaignId, r.planned, r.actualToDate, r.forecast])).toEqual([
      ['s1', '4000.00', '1560.00', '3224.00'], // 1560 + 1560 / 15 x 16 = 1560 + 1664
      ['s2', '1860.00', '720.00', '1488.00'], // 1240 x 1.50; 15 x 48 = 720; 720 + 48 x 16 = 1488
      ['s3', '0.00', '200.00', '413.33'], // 200 + 200 / 15 x 16 = 413.333..
    ]);
    // ... the snapshots did not.
    expect(await getJson(t!, `/v1/forecasts/${first.id}`)).toEqual(first);
    expect(await getJson(t!, `/v1/forecasts/${byChannel.id}`)).toEqual(byChannel);
    const listed = (await getJson(t!, '/v1/forecasts?month=2026-03')).items.find((s: Json) => s.id === first.id);
    const { rows: _rows, ...summary } = first;
    expect(listed).toEqual(summary);

    // The rate back to 1.25 for what follows.
    await send(t!, 'PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.25' }], 'finance');
  });

  it('forecast-vs-actual while March runs: the actual to date (the 15th) against the frozen forecast', async () => {
    const report = await getJson(t!, `/v1/reports/forecast-vs-actual?snapshot=${first.id}`);
    expect(report).toMatchObject({
      report: 'forecast_vs_actual',
      snapshot: { id: first.id, name: 'March mid-month', asOf: '2026-03-15', method: 'run_rate', createdAt: '2026-03-15T12:00:00.000Z' },
      currency: 'USD',
      groupBy: 'campaign',
      from: '2026-03',
      to: '2026-03',
      periodStart: '2026-03-01',
      periodEnd: '2026-03-31',
      actualThrough: '2026-03-15',
      final: false,
    });
    expect(report.rows).toEqual([
      // planned is today's plan (4000); actual 14 x 100 + 160 = 1560; error 1560 - 3100 = -1540; -1540 / 3100 = -0.49677..
      { campaignId: 's1', name: 'Search', channel: 'paid_search', currency: 'USD', planned: '4000.00', forecast: '3100.00', actual: '1560.00', error: '-1540.00', errorPct: '-0.4968' },
      // 15 x 40 = 600; 600 - 1240 = -640; -640 / 1240 = -0.51612..
      { campaignId: 's2', name: 'Social', channel: 'paid_social', currency: 'USD', planned: '1550.00', forecast: '1240.00', actual: '600.00', error: '-640.00', errorPct: '-0.5161' },
      // not in the snapshot: forecast 0, the whole 200 is the error, no ratio over a forecast of 0
      { campaignId: 's3', name: 'Display', channel: 'display', currency: 'USD', planned: '0.00', forecast: '0.00', actual: '200.00', error: '200.00', errorPct: null },
    ]);
    // -1980 / 4340 = -0.45622..
    expect(report.totals).toEqual({ currency: 'USD', planned: '5550.00', forecast: '4340.00', actual: '2360.00', error: '-1980.00', errorPct: '-0.4562' });
    // MAPE = (1540/1560 + 640/600 + 200/200) / 3 = (0.987179 + 1.066667 + 1) / 3 = 1.017949
    expect(report.mape).toBe('1.0179');
    expectRowsAddUp(report, ['planned', 'forecast', 'actual', 'error']);
  });

  it('forecast-vs-actual once March is over (another app on the same file, its clock on April 5th): final', async () => {
    await t!.close();
    t = await makeApp({ now: EARLY_APRIL, dbPath });
    // The rest of March: s1 100 a day on the 16th..31st (+1600 = 3160); s2 32 EUR a day on the 16th..25th
    // (+400 = 1000); and s1 spends 999 on April 1st, which is not March.
    await send(t, 'POST', '/v1/spend', [
      ...days(16, 31).map((d) => ({ campaignId: 's1', date: day('2026-03', d), amount: '100', currency: 'USD', source: 'google_ads' })),
      ...days(16, 25).map((d) => ({ campaignId: 's2', date: day('2026-03', d), amount: '32', currency: 'EUR', source: 'meta' })),
      { campaignId: 's1', date: '2026-04-01', amount: '999', currency: 'USD', source: 'google_ads' },
    ]);
    expect(await getJson(t, `/v1/forecasts/${first.id}`)).toEqual(first);

    const report = await getJson(t, `/v1/reports/forecast-vs-actual?snapshot=${first.id}`);
    expect(report).toMatchObject({ actualThrough: '2026-03-31', final: true, periodEnd: '2026-03-31' });
    expect(report.rows).toEqual([
      // 3160 - 3100 = 60; 60 / 3100 = 0.019354..
      { campaignId: 's1', name: 'Search', channel: 'paid_search', currency: 'USD', planned: '4000.00', forecast: '3100.00', actual: '3160.00', error: '60.00', errorPct: '0.0194' },
      // 1000 - 1240 = -240; -240 / 1240 = -0.19354..
      { campaignId: 's2', name: 'Social', channel: 'paid_social', currency: 'USD', planned: '1550.00', forecast: '1240.00', actual: '1000.00', error: '-240.00', errorPct: '-0.1935' },
      { campaignId: 's3', name: 'Display', channel: 'display', currency: 'USD', planned: '0.00', forecast: '0.00', actual: '200.00', error: '200.00', errorPct: null },
    ]);
    // 4360 - 4340 = 20; 20 / 4340 = 0.004608..
    expect(report.totals).toEqual({ currency: 'USD', planned: '5550.00', forecast: '4340.00', actual: '4360.00', error: '20.00', errorPct: '0.0046' });
    // MAPE = (60/3160 + 240/1000 + 200/200) / 3 = (0.018987 + 0.24 + 1) / 3 = 0.419662
    expect(report.mape).toBe('0.4197');
    expectRowsAddUp(report, ['planned', 'forecast', 'actual', 'error']);

    // The channel snapshot, keyed by channel: the same figures.
    const channels = await getJson(t, `/v1/reports/forecast-vs-actual?snapshot=${byChannel.id}`);
    expect(channels).toMatchObject({ groupBy: 'channel', final: true, mape: '0.4197' });
    expect(channels.rows.map((r: Json) => [r.channel, r.forecast, r.actual, r.error, r.errorPct])).toEqual([
      ['display', '0.00', '200.00', '200.00', null],
      ['paid_search', '3100.00', '3160.00', '60.00', '0.0194'],
      ['paid_social', '1240.00', '1000.00', '-240.00', '-0.1935'],
    ]);
    expect(channels.rows[0]).not.toHaveProperty('campaignId');
  });

  it('forecast-vs-actual as CSV: the JSON fields, TOTAL last, mape filled on the TOTAL row only', async () => {
    const url = `/v1/reports/forecast-vs-actual?snapshot=${first.id}`;
    const json = await getJson(t!, url);
    const res = await get(t!, `${url}&format=csv`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="forecast-vs-actual-campaign-${first.id}-2026-03.csv"`);
    expect((await get(t!, url, 'viewer', { accept: 'text/csv' })).body).toBe(res.body);
    const csv = parseCsv(res.body);
    expect(csv[0]).toEqual([...Object.keys(json.rows[0]), 'mape']);
    expect(csv.slice(1, -1)).toEqual(json.rows.map((r: Json) => [...cells(Object.values(r)), '']));
    expect(csv.at(-1)).toEqual(['TOTAL', '', '', 'USD', '5550.00', '4340.00', '4360.00', '20.00', '0.0046', '0.4197']);
  });

  it('lists snapshots newest first, filtered by month, with totals but no rows', async () => {
    const april = await taken(t!, { name: 'April early', month: '2026-04', method: 'linear_trend' });
    // Taken on April 5th (5 of 30 days): s1 spent 999 on April 1st and nothing since, so c_d = 999 for
    // d = 1..5, a flat line: linear_trend says 999.00 (run_rate would say 999 + 999 / 5 x 25 = 5994).
    expect(april).toMatchObject({
      asOf: '2026-04-05',
      createdAt: '2026-04-05T09:00:00.000Z',
      rows: [{ campaignId: 's1', planned: '0.00', actualToDate: '999.00', forecast: '999.00', varianceVsPlan: '999.00', variancePct: null }],
      totals: { forecast: '999.00', daysElapsed: 5, daysInPeriod: 30 },
    });
    const all = await getJson(t!, '/v1/forecasts');
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((s: Json) => s.name)[0]).toBe('April early');
    expect(all.items.map((s: Json) => s.name).slice(1).sort()).toEqual(['March by channel', 'March mid-month']);
    for (const item of all.items) expect(item).not.toHaveProperty('rows');
    expect((await getJson(t!, '/v1/forecasts?month=2026-04')).items.map((s: Json) => s.id)).toEqual([april.id]);
    expect((await getJson(t!, '/v1/forecasts?month=2026-03')).items.map((s: Json) => s.name).sort()).toEqual(['March by channel', 'March mid-month']);
    expect((await getJson(t!, '/v1/forecasts?month=2026-05')).items).toEqual([]);
  });
});

// ---------------------------------------------------------------------------

describe('GET /v1/forecasts: order and pages', () => {
  let t: TestApp;
  const names = Array.from({ length: 8 }, (_, i) => `snapshot ${i + 1}`);
  beforeAll(async () => {
    t = await makeApp({ now: MID_MARCH });
    await seedCampaigns(t, [campaignItem('c1')]);
    await send(t, 'PUT', '/v1/plans', [{ campaignId: 'c1', month: '2026-03', amount: '3100', currency: 'USD' }]);
    for (const name of names) await taken(t, { name, month: '2026-03', method: 'run_rate' });
    // A range covering February and March.
    await taken(t, { name: 'Q1 so far', from: '2026-02', to: '2026-03', method: 'run_rate' });
  });
  afterAll(() => t.close());

  it('a range snapshot has month null, and the month filter finds it in each month it covers', async () => {
    const range = (await getJson(t, '/v1/forecasts?month=2026-02')).items;
    expect(range.map((s: Json) => [s.name, s.month, s.from, s.to])).toEqual([['Q1 so far', null, '2026-02', '2026-03']]);
    expect((await getJson(t, '/v1/forecasts?month=2026-03')).items).toHaveLength(9);
  });

  it('pages with limit and cursor: every snapshot once, nextCursor null at the end', async () => {
    const all = (await getJson(t, '/v1/forecasts')).items.map((s: Json) => s.id);
    expect(all).toHaveLength(9);
    const paged: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const page: Json = await getJson(t, `/v1/forecasts?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      sizes.push(page.items.length);
      paged.push(...page.items.map((s: Json) => s.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(sizes).toEqual([4, 4, 1]);
    expect(paged).toEqual(all);
  });

  it('lists snapshots taken within the same millisecond newest first too', async () => {
    // All nine were taken at the app clock's one instant; "newest first" is still the order they were taken in, reversed.
    const listed = (await getJson(t, '/v1/forecasts')).items.map((s: Json) => s.name);
    expect(listed).toEqual(['Q1 so far', ...[...names].reverse()]);
  });
});

// ---------------------------------------------------------------------------

describe('GET /v1/reports/budget-forecast-actual: January to April, the clock on March 15th', () => {
  /*
   * One campaign b1 (paid_search). Plans: January 3100, February 2800, March 3100, April 3000 (USD).
   * January: 100 a day on the 1st..31st, then the 5th restated to 300: 3100 + 200 = 3300, final.
   *   jan-a  asOf Jan 20th, taken before the restatement: 2000 + 2000 / 20 x 11 = 3100.00
   *   jan-b  asOf Jan 20th, taken after it: 2200 + 2200 / 20 x 11 = 2200 + 1210 = 3410.00  <- the month's forecast
   *   jan-early asOf Jan 10th, taken last: 1200 + 1200 / 10 x 21 = 3720.00 (an earlier asOf: not the newest)
   *   q1 a snapshot of January..February as one range: not a month's forecast
   * February: 90 a day, 28 x 90 = 2520, final; no snapshot of February alone: no forecast.
   * March, under way: 100 a day on the 1st..8th, 150 on the 9th..15th: 800 + 1050 = 1850 to date;
   *   no snapshot: the live forecast, run_rate 1850 + 1850 / 15 x 16 = 1850 + 1973.333 = 3823.33
   * April, not begun: planned 3000, actual 0, no forecast.
   */
  let t: TestApp;
  let janB: Json;
  beforeAll(async () => {
    t = await makeApp({ now: MID_MARCH });
    await seedCampaigns(t, [campaignItem('b1', { name: 'Search', channel: 'paid_search' })]);
    await send(t, 'PUT', '/v1/plans', [
      { campaignId: 'b1', month: '2026-01', amount: '3100', currency: 'USD' },
      { campaignId: 'b1', month: '2026-02', amount: '2800', currency: 'USD' },
      { campaignId: 'b1', month: '2026-03', amount: '3100', currency: 'USD' },
      { campaignId: 'b1', month: '2026-04', amount: '3000', currency: 'USD' },
    ]);
    const line = (date: string, amount: string) => ({ campaignId: 'b1', date, amount, currency: 'USD', source: 'google_ads' });
    await send(t, 'POST', '/v1/spend', [
      ...days(1, 31).map((d) => line(day('2026-01', d), '100')),
      ...days(1, 28).map((d) => line(day('2026-02', d), '90')),
      ...days(1, 8).map((d) => line(day('2026-03', d), '100')),
      ...days(9, 15).map((d) => line(day('2026-03', d), '150')),
    ]);
    const janA = await taken(t, { name: 'jan-a', month: '2026-01', asOf: '2026-01-20', method: 'run_rate' });
    expect(janA.totals.forecast).toBe('3100.00');
    await send(t, 'POST', '/v1/spend', [line('2026-01-05', '300')]);
    janB = await taken(t, { name: 'jan-b', month: '2026-01', asOf: '2026-01-20', method: 'run_rate' });
    expect(janB.totals.forecast).toBe('3410.00');
    expect((await taken(t, { name: 'jan-early', month: '2026-01', asOf: '2026-01-10', method: 'run_rate' })).totals.forecast).toBe('3720.00');
    await taken(t, { name: 'q1', from: '2026-01', to: '2026-02', asOf: '2026-02-10', method: 'run_rate' });
  });
  afterAll(() => t.close());

  const bfa = (query: string) => getJson(t, `/v1/reports/budget-forecast-actual${query}`);

  it('sets each month’s plan, forecast and actual side by side', async () => {
    const report = await bfa('?from=2026-01&to=2026-04');
    expect(report).toMatchObject({ report: 'budget_forecast_actual', currency: 'USD', from: '2026-01', to: '2026-04', asOf: '2026-03-15', method: 'run_rate' });
    expect(report.rows).toEqual([
      // 3300 - 3410 = -110; -110 / 3410 = -0.03225..
      { month: '2026-01', currency: 'USD', planned: '3100.00', forecast: '3410.00', forecastSource: 'snapshot', snapshotId: janB.id, snapshotAsOf: '2026-01-20', actual: '3300.00', final: true, error: '-110.00', errorPct: '-0.0323' },
      { month: '2026-02', currency: 'USD', planned: '2800.00', forecast: null, forecastSource: null, snapshotId: null, snapshotAsOf: null, actual: '2520.00', final: true, error: null, errorPct: null },
      // 1850 - 3823.33 = -1973.33; -1973.33 / 3823.33 = -0.51612.. (= -16/31)
      { month: '2026-03', currency: 'USD', planned: '3100.00', forecast: '3823.33', forecastSource: 'live', snapshotId: null, snapshotAsOf: null, actual: '1850.00', final: false, error: '-1973.33', errorPct: '-0.5161' },
      { month: '2026-04', currency: 'USD', planned: '3000.00', forecast: null, forecastSource: null, snapshotId: null, snapshotAsOf: null, actual: '0.00', final: false, error: null, errorPct: null },
    ]);
    // planned 3100 + 2800 + 3100 + 3000 = 12000; actual 3300 + 2520 + 1850 = 7670;
    // forecast and error over January and March only: 3410 + 3823.33 = 7233.33, -110 - 1973.33 = -2083.33;
    // -2083.33 / 7233.33 = -0.28801..
    expect(report.totals).toEqual({ currency: 'USD', planned: '12000.00', forecast: '7233.33', actual: '7670.00', error: '-2083.33', errorPct: '-0.2880' });
    // MAPE over the months that are over and have a forecast: January alone, 110 / 3300 = 0.0333..
    expect(report.mape).toBe('0.0333');
    expectRowsAddUp(report, ['planned', 'forecast', 'actual', 'error']);
  });

  it('takes the live forecast of the month under way by `method`', async () => {
    // trailing_7d: March 9th..15th = 7 x 150 = 1050; 1850 + 1050 / 7 x 16 = 1850 + 2400 = 4250.00;
    // error -2400.00, -2400 / 4250 = -0.56470..; totals 3410 + 4250 = 7660.00, -110 - 2400 = -2510.00, -2510 / 7660 = -0.32767..
    const report = await bfa('?from=2026-01&to=2026-04&method=trailing_7d');
    expect(report.method).toBe('trailing_7d');
    expect(report.rows[2]).toMatchObject({ month: '2026-03', forecast: '4250.00', forecastSource: 'live', error: '-2400.00', errorPct: '-0.5647' });
    expect(report.rows[0]).toMatchObject({ forecast: '3410.00', forecastSource: 'snapshot' }); // a snapshot is what it is, whatever the method
    expect(report.totals).toMatchObject({ forecast: '7660.00', error: '-2510.00', errorPct: '-0.3277' });
    expect(report.mape).toBe('0.0333');
  });

  it('answers one month', async () => {
    const one = await bfa('?month=2026-02');
    expect(one.rows).toHaveLength(1);
    expect(one.totals).toEqual({ currency: 'USD', planned: '2800.00', forecast: null, actual: '2520.00', error: null, errorPct: null });
    expect(one.mape).toBeNull(); // February is over but has no forecast
  });

  it('answers CSV: a row per month, TOTAL last with mape on it', async () => {
    const json = await bfa('?from=2026-01&to=2026-04');
    const res = await get(t, '/v1/reports/budget-forecast-actual?from=2026-01&to=2026-04&format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="budget-forecast-actual-run_rate-2026-01_2026-04-asof-2026-03-15.csv"');
    const [header, ...lines] = parseCsv(res.body);
    const byName = (line: string[]) => Object.fromEntries(header!.map((column, i) => [column, line[i]]));
    expect(lines.slice(0, -1).map(byName)).toEqual(json.rows.map((r: Json) => ({ ...Object.fromEntries(Object.keys(r).map((k, i) => [k, cells(Object.values(r))[i]])), mape: '' })));
    expect(byName(lines.at(-1)!)).toEqual({
      month: 'TOTAL', currency: 'USD', planned: '12000.00', forecast: '7233.33', forecastSource: '', snapshotId: '', snapshotAsOf: '',
      actual: '7670.00', final: '', error: '-2083.33', errorPct: '-0.2880', mape: '0.0333',
    });
  });

  it('orders the CSV columns as the JSON fields', async () => {
    // docs/api.md: "header row of the JSON field names in the JSON order" (as the forecast and forecast-vs-actual CSVs do).
    const json = await bfa('?from=2026-01&to=2026-04');
    const res = await get(t, '/v1/reports/budget-forecast-actual?from=2026-01&to=2026-04&format=csv');
    expect(parseCsv(res.body)[0]).toEqual([...Object.keys(json.rows[0]), 'mape']);
  });

  it('prefers a snapshot of the month under way to the live forecast, and still leaves it out of the MAPE', async () => {
    const march = await taken(t, { name: 'mar-mid', month: '2026-03', method: 'trailing_7d' });
    expect(march.totals.forecast).toBe('4250.00'); // as above
    const report = await bfa('?from=2026-01&to=2026-04');
    expect(report.rows[2]).toMatchObject({ forecast: '4250.00', forecastSource: 'snapshot', snapshotId: march.id, snapshotAsOf: '2026-03-15', final: false, error: '-2400.00' });
    expect(report.mape).toBe('0.0333'); // March is not over
  });
});

// ---------------------------------------------------------------------------

describe('bad inputs and roles on the forecast snapshot routes', () => {
  let t: TestApp;
  let existing: Json;
  beforeAll(async () => {
    t = await makeApp({ now: MID_MARCH });
    await seedCampaigns(t, [campaignItem('c1')]);
    await send(t, 'PUT', '/v1/plans', [
      { campaignId: 'c1', month: '2026-03', amount: '3100', currency: 'USD' },
      { campaignId: 'c1', month: '2026-05', amount: '100000', currency: 'JPY' },
    ]);
    await send(t, 'POST', '/v1/spend', [{ campaignId: 'c1', date: '2026-03-02', amount: '120', currency: 'USD', source: 'manual' }]);
    existing = await taken(t, { name: 'March mid-month', month: '2026-03', method: 'run_rate' });
  });
  afterAll(() => t.close());

  const good = { name: 'New one', month: '2026-03', method: 'run_rate' };

  describe('POST /v1/forecasts', () => {
    it.each([
      ['a missing name', { month: '2026-03', method: 'run_rate' }, ['name']],
      ['an empty name', { ...good, name: '' }, ['name']],
      ['a blank name', { ...good, name: '   ' }, ['name']],
      ['a name of 201 characters', { ...good, name: 'x'.repeat(201) }, ['name']],
      ['a name that is not a string', { ...good, name: 42 }, ['name']],
      ['an unknown field', { ...good, colour: 'red' }, ['colour']],
      ['a missing method', { name: 'x', month: '2026-03' }, ['method']],
      ['an unknown method', { ...good, method: 'ewma' }, ['method']],
      ['neither month nor from/to', { name: 'x', method: 'run_rate' }, ['from']],
      ['an invalid month', { ...good, month: '2026-13' }, ['month']],
      ['both month and from/to', { ...good, from: '2026-01', to: '2026-03' }, ['month']],
      ['from after to', { name: 'x', from: '2026-04', to: '2026-03', method: 'run_rate' }, ['from']],
      ['from without to', { name: 'x', from: '2026-03', method: 'run_rate' }, ['to']],
      ['an invalid asOf', { ...good, asOf: '2026-02-30' }, ['asOf']],
      ['an unknown groupBy', { ...good, groupBy: 'month' }, ['groupBy']],
    ])('refuses %s with a 400 naming the field, and writes nothing', async (_what, payload, paths) => {
      const before = await snapshot(t.app);
      expect(errorPaths(await postSnapshot(t, payload))).toEqual(paths);
      expect(await snapshot(t.app)).toBe(before);
    });

    it('refuses a name already taken with 409 snapshot_name_taken, whatever else differs, and writes nothing', async () => {
      const before = await snapshot(t.app);
      for (const payload of [
        { name: 'March mid-month', month: '2026-03', method: 'run_rate' },
        { name: 'March mid-month', month: '2026-04', method: 'linear_trend', groupBy: 'channel' },
        { name: '  March mid-month ', month: '2026-03', method: 'run_rate' }, // trimmed, the same name
      ]) {
        const problem = problemOf(await postSnapshot(t, payload), 409, 'snapshot_name_taken');
        expect(problem.detail).toContain('March mid-month');
        expect(problem.snapshotId).toBe(existing.id);
      }
      expect(await snapshot(t.app)).toBe(before);
      expect(await countRows(t.app, 'forecast_snapshots')).toBe(1);
    });

    it('is 403 for a viewer and 401 without a valid key, writing nothing; ops, finance and admin may', async () => {
      const before = await snapshot(t.app);
      problemOf(await postSnapshot(t, good, 'viewer'), 403);
      problemOf(await postSnapshot(t, good, null), 401);
      problemOf(await postSnapshot(t, good, null, { authorization: 'Bearer sb_not_a_key' }), 401);
      expect(await snapshot(t.app)).toBe(before);
      for (const role of ['ops', 'finance', 'admin'] as const) {
        expect(await taken(t, { ...good, name: `by ${role}` }, role)).toMatchObject({ name: `by ${role}`, createdBy: role === 'admin' ? expect.any(String) : `test ${role}` });
      }
    });

    it('is a 422 fx_rate_missing naming the currency and date, and writes nothing', async () => {
      const before = await snapshot(t.app);
      const problem = problemOf(await postSnapshot(t, { name: 'May', month: '2026-05', asOf: '2026-05-10', method: 'run_rate' }), 422, 'fx_rate_missing');
      expect(problem.missingRates).toEqual([{ currency: 'JPY', date: '2026-05-01' }]);
      expect(problem.detail).toContain('no JPY rate on or before 2026-05-01');
      expect(await snapshot(t.app)).toBe(before);
    });

    it('replays an Idempotency-Key with the same body, and refuses it with another', async () => {
      const body = { name: 'idempotent', month: '2026-03', method: 'trailing_7d' };
      const once = await postSnapshot(t, body, 'ops', { 'idempotency-key': 'snap-1' });
      expect(once.statusCode, once.body).toBe(201);
      const again = await postSnapshot(t, body, 'ops', { 'idempotency-key': 'snap-1' });
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual(once.json());
      problemOf(await postSnapshot(t, { ...body, method: 'run_rate' }, 'ops', { 'idempotency-key': 'snap-1' }), 409, 'idempotency_key_reused');
      const listed = (await t.call({ method: 'GET', url: '/v1/forecasts?limit=1000' })).json().items as { name: string }[];
      expect(listed.filter((s) => s.name === 'idempotent')).toHaveLength(1);
    });
  });

  describe('GET /v1/forecasts and /v1/forecasts/{id}', () => {
    it('is readable by a viewer, 401 without a key', async () => {
      expect((await get(t, '/v1/forecasts')).statusCode).toBe(200);
      expect((await get(t, `/v1/forecasts/${existing.id}`)).statusCode).toBe(200);
      problemOf(await get(t, '/v1/forecasts', null), 401);
      problemOf(await get(t, `/v1/forecasts/${existing.id}`, null), 401);
    });

    it('is a 404 for an unknown id and a 400 for an over-long one', async () => {
      const problem = problemOf(await get(t, '/v1/forecasts/fcs_0000000000000000'), 404);
      expect(problem.detail).toContain('fcs_0000000000000000');
      expect(errorPaths(await get(t, `/v1/forecasts/${'x'.repeat(65)}`))).toEqual(['id']);
    });

    it.each([
      ['?limit=0', ['limit']],
      ['?limit=10001', ['limit']],
      ['?limit=many', ['limit']],
      ['?cursor=not-a-cursor', ['cursor']],
      ['?month=2026-13', ['month']],
      ['?format=pdf', ['format']],
      ['?name=March', ['name']],
    ])('refuses the list query %s with a 400', async (query, paths) => {
      expect(errorPaths(await get(t, `/v1/forecasts${query}`))).toEqual(paths);
    });

    it('answers the list as CSV on request, as every list endpoint does', async () => {
      const res = await get(t, '/v1/forecasts?format=csv');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(parseCsv(res.body)[0]!.slice(0, 3)).toEqual(['id', 'name', 'month']);
    });
  });

  describe('GET /v1/reports/forecast-vs-actual', () => {
    it('is readable by every role, 401 without a key', async () => {
      for (const role of ['viewer', 'ops', 'finance', 'admin'] as const) {
        expect((await get(t, `/v1/reports/forecast-vs-actual?snapshot=${existing.id}`, role)).statusCode).toBe(200);
      }
      problemOf(await get(t, `/v1/reports/forecast-vs-actual?snapshot=${existing.id}`, null), 401);
    });

    it.each([
      ['', ['snapshot']],
      ['?snapshot=', ['snapshot']],
      ['?snapshot=ID&month=2026-03', ['month']],
      ['?snapshot=ID&format=pdf', ['format']],
    ])('refuses %s with a 400', async (query, paths) => {
      expect(errorPaths(await get(t, `/v1/reports/forecast-vs-actual${query.replace('ID', existing.id)}`))).toEqual(paths);
    });

    it('is a 404 for an unknown snapshot', async () => {
      const problem = problemOf(await get(t, '/v1/reports/forecast-vs-actual?snapshot=fcs_0000000000000000'), 404);
      expect(problem.detail).toContain('fcs_0000000000000000');
    });

    it('is a 422 fx_rate_missing when the report needs a rate that does not exist', async () => {
      // A snapshot of June as of its first day (nothing in it yet; an asOf must be a day of the period),
      // then a plan for June in GBP, which has no rate.
      const june = await taken(t, { name: 'June, early look', month: '2026-06', asOf: '2026-06-01', method: 'run_rate' });
      await send(t, 'PUT', '/v1/plans', [{ campaignId: 'c1', month: '2026-06', amount: '500', currency: 'GBP' }]);
      const problem = problemOf(await get(t, `/v1/reports/forecast-vs-actual?snapshot=${june.id}`), 422, 'fx_rate_missing');
      expect(problem.missingRates).toEqual([{ currency: 'GBP', date: '2026-06-01' }]);
      expect(problem.detail).toContain('no GBP rate on or before 2026-06-01');
    });
  });

  describe('GET /v1/reports/budget-forecast-actual', () => {
    it('is readable by every role, 401 without a key', async () => {
      for (const role of ['viewer', 'ops', 'finance', 'admin'] as const) {
        expect((await get(t, '/v1/reports/budget-forecast-actual?month=2026-03', role)).statusCode).toBe(200);
      }
      problemOf(await get(t, '/v1/reports/budget-forecast-actual?month=2026-03', null), 401);
    });

    it.each([
      ['', ['from']],
      ['?month=2026-13', ['month']],
      ['?month=2026-03&from=2026-01&to=2026-03', ['month']],
      ['?from=2026-04&to=2026-03', ['from']],
      ['?to=2026-03', ['from']],
      ['?from=2020-01&to=2026-03', ['to']],
      ['?month=2026-03&method=ewma', ['method']],
      ['?month=2026-03&asOf=2026-03-10', ['asOf']],
      ['?month=2026-03&groupBy=channel', ['groupBy']],
      ['?month=2026-03&format=pdf', ['format']],
    ])('refuses %s with a 400', async (query, paths) => {
      expect(errorPaths(await get(t, `/v1/reports/budget-forecast-actual${query}`))).toEqual(paths);
    });

    it('is a 422 fx_rate_missing naming the currency and date', async () => {
      const problem = problemOf(await get(t, '/v1/reports/budget-forecast-actual?from=2026-04&to=2026-05'), 422, 'fx_rate_missing');
      expect(problem.missingRates).toEqual([{ currency: 'JPY', date: '2026-05-01' }]);
      expect(problem.detail).toContain('no JPY rate on or before 2026-05-01');
    });
  });
});
