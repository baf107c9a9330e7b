/** GET /v1/reports/burn over HTTP: a small case worked by hand, CSV, roles, bad queries, a missing FX rate. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignItem, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp(); // the clock says 2026-03-15
  await seedCampaigns(t, [
    campaignItem('c1', { name: 'Spring search', channel: 'paid_search' }),
    campaignItem('c2', { name: 'Newsletter', channel: 'email' }),
  ]);
  const ok = async (method: 'POST' | 'PUT', url: string, items: unknown[], role: 'ops' | 'finance' = 'ops') => {
    const res = await t.call({ method, url, role, payload: { items } });
    expect(res.statusCode, res.body).toBe(200);
  };
  await ok('PUT', '/v1/fx-rates', [
    { date: '2026-02-01', currency: 'EUR', rate: '1.05' },
    { date: '2026-03-01', currency: 'EUR', rate: '1.10' },
    { date: '2026-03-12', currency: 'EUR', rate: '1.20' },
  ], 'finance');
  await ok('PUT', '/v1/plans', [
    { campaignId: 'c1', month: '2026-03', amount: '3100', currency: 'USD' },
    { campaignId: 'c2', month: '2026-03', amount: '1000', currency: 'EUR' },
    { campaignId: 'c1', month: '2026-02', amount: '2800', currency: 'USD' },
  ]);
  await ok('POST', '/v1/commitments', [
    { id: 'io-1', campaignId: 'c1', month: '2026-03', amount: '500', currency: 'USD' },
    { id: 'io-2', campaignId: 'c1', month: '2026-03', amount: '200', currency: 'USD', status: 'closed' },
  ]);
  // c1 spends 120.00 a day, March 1st to 16th; the 16th is after asOf.
  await ok(
    'POST',
    '/v1/spend',
    Array.from({ length: 16 }, (_, d) => ({ campaignId: 'c1', date: `2026-03-${String(d + 1).padStart(2, '0')}`, amount: '120', currency: 'USD', source: 'google_ads' })),
  );
  // c2 spends 200 EUR on the 10th (at 1.10) and 100 EUR on the 12th (at 1.20).
  await ok('POST', '/v1/spend', [
    { campaignId: 'c2', date: '2026-03-10', amount: '200', currency: 'EUR', source: 'manual' },
    { campaignId: 'c2', date: '2026-03-12', amount: '100', currency: 'EUR', source: 'manual' },
  ]);
});
afterAll(() => t.close());

const burn = (query: string, role: 'viewer' | 'ops' | 'finance' | 'admin' = 'viewer', headers: Record<string, string> = {}) =>
  t.call({ method: 'GET', url: `/v1/reports/burn${query}`, role, headers });

describe('GET /v1/reports/burn', () => {
  it('computes March as of the 15th, by campaign, as worked by hand', async () => {
    const res = await burn('?month=2026-03&asOf=2026-03-15');
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ report: 'burn', currency: 'USD', groupBy: 'campaign', from: '2026-03', to: '2026-03', periodStart: '2026-03-01', periodEnd: '2026-03-31', asOf: '2026-03-15' });
    expect(report.rows).toEqual([
      {
        campaignId: 'c1',
        name: 'Spring search',
        channel: 'paid_search',
        currency: 'USD',
        planned: '3100.00',
        committed: '500.00', // the closed 200 does not count
        actual: '1800.00', // 15 days x 120; the 16th is after asOf
        remaining: '1300.00', // 3100 - 1800
        available: '800.00', // 3100 - 1800 - 500
        daysElapsed: 15,
        daysInPeriod: 31,
        expectedToDate: '1500.00', // 3100 x 15 / 31
        burnRate: '0.5806', // 1800 / 3100
        pacing: '1.2000', // 1800 / 1500
        status: 'overpacing', // 1.2 > 1 + 0.10
        exhaustionDate: '2026-03-26', // 3100 / 120 a day = 25.8 days
      },
      {
        campaignId: 'c2',
        name: 'Newsletter',
        channel: 'email',
        currency: 'USD',
        planned: '1100.00', // 1000 EUR at the rate of March 1st, 1.10
        committed: '0.00',
        actual: '340.00', // 200 x 1.10 + 100 x 1.20
        remaining: '760.00',
        available: '760.00',
        daysElapsed: 15,
        daysInPeriod: 31,
        expectedToDate: '532.26', // 1100 x 15 / 31 = 532.258...
        burnRate: '0.3091', // 340 / 1100
        pacing: '0.6388', // 340 / 532.258...
        status: 'underpacing',
        exhaustionDate: null, // 22.67 a day does not use 1100 within March
      },
    ]);
    expect(report.totals).toMatchObject({
      currency: 'USD',
      planned: '4200.00',
      committed: '500.00',
      actual: '2140.00',
      remaining: '2060.00',
      available: '1560.00',
      daysElapsed: 15,
      daysInPeriod: 31,
      expectedToDate: '2032.26', // 1500.00 + 532.26, and 4200 x 15 / 31 = 2032.258...
      burnRate: '0.5095', // 2140 / 4200
      pacing: '1.0530', // 2140 / 2032.258...
      status: 'on_track',
    });
  });

  it('defaults asOf to today (the app clock) and groups by campaign', async () => {
    const explicit = (await burn('?month=2026-03&asOf=2026-03-15')).json();
    const byDefault = (await burn('?month=2026-03')).json();
    expect(byDefault).toEqual(explicit);
  });

  it('groups by channel, with the same totals', async () => {
    const byCampaign = (await burn('?month=2026-03&asOf=2026-03-15')).json();
    const byChannel = (await burn('?month=2026-03&asOf=2026-03-15&groupBy=channel')).json();
    expect(byChannel.groupBy).toBe('channel');
    expect(byChannel.rows.map((r: { channel: string; planned: string }) => [r.channel, r.planned])).toEqual([
      ['email', '1100.00'],
      ['paid_search', '3100.00'],
    ]);
    expect(byChannel.rows[0]).not.toHaveProperty('campaignId');
    expect(byChannel.totals).toEqual(byCampaign.totals);
  });

  it('spans a range of months with from and to', async () => {
    const report = (await burn('?from=2026-02&to=2026-03&asOf=2026-03-15')).json();
    expect(report).toMatchObject({ from: '2026-02', to: '2026-03', periodStart: '2026-02-01', periodEnd: '2026-03-31' });
    const c1 = report.rows.find((r: { campaignId: string }) => r.campaignId === 'c1');
    // Feb plan 2800 (2800 USD), March 3100; 28 + 15 of 59 days elapsed.
    expect(c1).toMatchObject({ planned: '5900.00', actual: '1800.00', daysElapsed: 43, daysInPeriod: 59 });
  });

  it('counts nothing before the period and everything after it', async () => {
    const before = (await burn('?month=2026-03&asOf=2026-02-15')).json();
    expect(before.totals).toMatchObject({ actual: '0.00', daysElapsed: 0, expectedToDate: '0.00' });
    const after = (await burn('?month=2026-03&asOf=2026-06-30')).json();
    // 16 x 120 + 340
    expect(after.totals).toMatchObject({ actual: '2260.00', daysElapsed: 31, expectedToDate: '4200.00' });
  });

  it('answers CSV (?format=csv and Accept: text/csv): JSON field names as header, rows, TOTAL last', async () => {
    const json = (await burn('?month=2026-03&asOf=2026-03-15')).json();
    const viaQuery = await burn('?month=2026-03&asOf=2026-03-15&format=csv');
    const viaAccept = await burn('?month=2026-03&asOf=2026-03-15', 'viewer', { accept: 'text/csv' });
    expect(viaAccept.body).toBe(viaQuery.body);
    expect(viaQuery.headers['content-type']).toMatch(/^text\/csv/);
    expect(viaQuery.headers['content-disposition']).toBe('attachment; filename="burn-campaign-2026-03-asof-2026-03-15.csv"');
    const rows = parseCsv(viaQuery.body);
    expect(rows[0]).toEqual(Object.keys(json.rows[0]));
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual(Object.values(json.rows[0]).map((v) => (v === null ? '' : String(v))));
    const total = rows[3]!;
    expect(total[0]).toBe('TOTAL');
    expect(total[rows[0]!.indexOf('planned')]).toBe('4200.00');
    expect(total[rows[0]!.indexOf('expectedToDate')]).toBe('2032.26');
  });

  it('is readable by every role', async () => {
    for (const role of ['viewer', 'ops', 'finance', 'admin'] as const) expect((await burn('?month=2026-03', role)).statusCode).toBe(200);
  });

  it('answers an empty report for a month with nothing in it', async () => {
    const report = (await burn('?month=2025-01&asOf=2025-01-10')).json();
    expect(report.rows).toEqual([]);
    // An empty month has no status: it read on_track (issue 14 item 12).
    expect(report.totals).toMatchObject({ planned: '0.00', actual: '0.00', burnRate: null, pacing: null, status: null });
  });

  it.each([
    ['', ['from']],
    ['?month=2026-03&from=2026-01&to=2026-03', ['month']],
    ['?month=2026-03&to=2026-04', ['month']],
    ['?from=2026-04&to=2026-03', ['from']],
    ['?from=2026-03', ['to']],
    ['?to=2026-03', ['from']],
    ['?month=2026-13', ['month']],
    ['?month=2026-3', ['month']],
    ['?month=2026-03&asOf=2026-02-30', ['asOf']],
    ['?month=2026-03&asOf=2026-13-01', ['asOf']],
    ['?month=2026-03&groupBy=month', ['groupBy']],
    ['?month=2026-03&format=pdf', ['format']],
    ['?month=2026-03&currency=EUR', ['currency']],
    ['?from=2020-01&to=2026-03', ['to']],
  ])('refuses %s with a 400', async (query, paths) => {
    expect(errorPaths(await burn(query))).toEqual(paths);
  });
});

describe('a missing FX rate', () => {
  it('is a 422 naming each missing (currency, date)', async () => {
    await seedCampaigns(t, [campaignItem('c3')]);
    const plans = await t.call({
      method: 'PUT',
      url: '/v1/plans',
      role: 'ops',
      payload: { items: [{ campaignId: 'c3', month: '2026-04', amount: '10', currency: 'GBP' }, { campaignId: 'c3', month: '2026-05', amount: '10', currency: 'EUR' }] },
    });
    expect(plans.statusCode).toBe(200);
    const spend = await t.call({
      method: 'POST',
      url: '/v1/spend',
      role: 'ops',
      payload: { items: [{ campaignId: 'c3', date: '2026-04-02', amount: '3', currency: 'JPY', source: 'manual' }] },
    });
    expect(spend.statusCode).toBe(200);
    const problem = problemOf(await burn('?from=2026-04&to=2026-05&asOf=2026-04-10'), 422, 'fx_rate_missing');
    expect(problem.missingRates).toEqual([
      { currency: 'GBP', date: '2026-04-01' },
      { currency: 'JPY', date: '2026-04-02' },
    ]);
    expect(problem.detail).toContain('no GBP rate on or before 2026-04-01');
  });
});

describe('amounts whose sum passes what SQLite integers hold', () => {
  it('are summed exactly in bigint, spend and commitments alike', async () => {
    const big = await makeApp();
    try {
      await seedCampaigns(big, [campaignItem('x')]);
      // Ten lines of 999,999,999,999 USD: 9.99e18 micros, past 2^63. Burn sums spend in bigint
      // (the in-memory SpendIndex), so the total is exact: 10 x 999,999,999,999 = 9,999,999,999,990.
      const items = Array.from({ length: 10 }, (_, d) => ({ campaignId: 'x', date: `2026-03-${String(d + 1).padStart(2, '0')}`, amount: '999999999999', currency: 'USD', source: 'manual' }));
      expect((await big.call({ method: 'POST', url: '/v1/spend', role: 'ops', payload: { items } })).statusCode).toBe(200);
      const burn = await big.call({ method: 'GET', url: '/v1/reports/burn?month=2026-03&asOf=2026-03-31' });
      expect(burn.statusCode).toBe(200);
      expect(burn.json().totals).toMatchObject({ actual: '9999999999990.00', remaining: '-9999999999990.00', status: 'unplanned' });
      // Ten open commitments of 999,999,999,999 in one campaign and month pass 2^63 micros too: summed in
      // bigint, not with SQLite's sum(), they total 9,999,999,999,990 exactly.
      const commitments = Array.from({ length: 10 }, (_, i) => ({ id: `io-${i}`, campaignId: 'x', month: '2026-03', amount: '999999999999', currency: 'USD' }));
      expect((await big.call({ method: 'POST', url: '/v1/commitments', role: 'ops', payload: { items: commitments } })).statusCode).toBe(200);
      const again = await big.call({ method: 'GET', url: '/v1/reports/burn?month=2026-03&asOf=2026-03-31' });
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json().totals).toMatchObject({ actual: '9999999999990.00', committed: '9999999999990.00' });
    } finally {
      await big.close();
    }
  });
});
