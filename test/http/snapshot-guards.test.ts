/**
 * A month's forecast accuracy cannot be rewritten: POST /v1/forecasts
 * refuses a snapshot of a closed month (409 period_closed, as every write
 * dated in a closed month) and a snapshot whose asOf is not a day of its
 * period (400 naming asOf), and writes nothing either way.
 *
 * Clock 2026-04-05, base USD. Campaign A plans 2800.00 for February and
 * 3100.00 for March. It spends 100.00 a day February 1..14, 200.00 a day
 * February 15..28, and 100.00 a day every day of March. February's
 * snapshot, run_rate as of the 14th: 1400 + 1400 / 14 x 14 = 2800.00;
 * February's actual is 1400 + 14 x 200 = 4200.00: error 1400.00, MAPE
 * 1400 / 4200 = 0.3333. A snapshot as of the 28th, taken now, would say
 * 4200.00 and turn the MAPE into 0.0000. February is closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignItem, countRows, errorPaths, makeApp, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

type Json = Record<string, any>;

let t: TestApp;
const day = (month: string, d: number) => `${month}-${String(d).padStart(2, '0')}`;

beforeAll(async () => {
  t = await makeApp({ now: new Date('2026-04-05T09:00:00Z') });
  await seedCampaigns(t, [campaignItem('A')]);
  const ok = async (method: 'POST' | 'PUT', url: string, payload: unknown, role: 'ops' | 'finance' = 'ops') => {
    const res = await t.call({ method, url, role, payload: payload as Json });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json() as Json;
  };
  await ok('PUT', '/v1/plans', { items: [
    { campaignId: 'A', month: '2026-02', amount: '2800', currency: 'USD' },
    { campaignId: 'A', month: '2026-03', amount: '3100', currency: 'USD' },
  ] });
  await ok('POST', '/v1/spend', { items: [
    ...Array.from({ length: 28 }, (_, i) => ({ campaignId: 'A', date: day('2026-02', i + 1), amount: i < 14 ? '100' : '200', currency: 'USD', source: 'manual' })),
    ...Array.from({ length: 31 }, (_, i) => ({ campaignId: 'A', date: day('2026-03', i + 1), amount: '100', currency: 'USD', source: 'manual' })),
  ] });
  const feb = await ok('POST', '/v1/forecasts', { name: 'feb-mid', month: '2026-02', asOf: '2026-02-14', method: 'run_rate' });
  expect(feb.totals.forecast).toBe('2800.00');
  await ok('POST', '/v1/periods/2026-02/close', { reason: 'books closed' }, 'finance');
});
afterAll(() => t.close());

const post = (payload: Json) => t.call({ method: 'POST', url: '/v1/forecasts', role: 'ops', payload });
const bfa = async () => {
  const res = await t.call({ method: 'GET', url: '/v1/reports/budget-forecast-actual?from=2026-02&to=2026-03', role: 'viewer' });
  expect(res.statusCode, res.body).toBe(200);
  return res.body;
};

describe('POST /v1/forecasts of a closed month', () => {
  it('is a 409 period_closed naming the month, whatever the asOf or method, and writes nothing', async () => {
    const before = await snapshot(t.app);
    const report = await bfa();
    expect(JSON.parse(report)).toMatchObject({ mape: '0.3333', rows: [{ month: '2026-02', forecast: '2800.00', actual: '4200.00', error: '1400.00' }, {}] });
    for (const payload of [
      // The late one that would have made February's forecast its actual, 4200.00, and its MAPE 0; any asOf of February is refused.
      { name: 'feb-late', month: '2026-02', asOf: '2026-02-28', method: 'run_rate' },
      { name: 'feb-early', month: '2026-02', asOf: '2026-02-01', method: 'linear_trend' },
      { name: 'feb-mar', from: '2026-02', to: '2026-03', asOf: '2026-03-10', method: 'run_rate' },
      { name: 'jan-feb', from: '2026-01', to: '2026-02', asOf: '2026-02-10', method: 'trailing_7d', groupBy: 'channel' },
    ]) {
      const problem = problemOf(await post(payload), 409, 'period_closed');
      expect(problem.months).toEqual(['2026-02']);
      expect(problem.detail).toContain('2026-02 is closed');
      expect(problem.detail).toContain('forecast accuracy');
    }
    expect(await snapshot(t.app)).toBe(before);
    expect(await countRows(t.app, 'forecast_snapshots')).toBe(1);
    expect(await bfa()).toBe(report);
  });
});

describe('POST /v1/forecasts with asOf outside its period', () => {
  it.each([
    ['after the period', { month: '2026-03', asOf: '2026-04-01' }],
    ['far after it', { month: '2026-03', asOf: '2999-12-31' }],
    ['before it', { month: '2026-03', asOf: '2026-02-28' }],
    ['after a range', { from: '2026-03', to: '2026-04', asOf: '2026-05-01' }],
  ])('%s is a 400 naming asOf, and writes nothing', async (_what, period) => {
    const before = await snapshot(t.app);
    const res = await post({ name: 'late', method: 'run_rate', ...period });
    expect(errorPaths(res)).toEqual(['asOf']);
    expect(problemOf(res, 400).errors![0]!.message).toContain('must be a day of the snapshot');
    expect(await snapshot(t.app)).toBe(before);
  });

  it('refuses the year 9999 as a date at all', async () => {
    const res = await post({ name: 'late', method: 'run_rate', month: '2026-03', asOf: '9999-12-31' });
    expect(errorPaths(res)).toEqual(['asOf']);
    expect(problemOf(res, 400).errors![0]!.message).toContain('1900 to 2999');
  });

  it('says when the asOf it refuses is the default, today', async () => {
    // Today is April 5th, after March.
    const problem = problemOf(await post({ name: 'march-now', month: '2026-03', method: 'run_rate' }), 400);
    expect(problem.errors).toEqual([{ path: 'asOf', message: "must be a day of the snapshot's period, 2026-03-01 to 2026-03-31 (it defaults to today, 2026-04-05)" }]);
  });

  it('takes the first and the last day of the period, and today within it', async () => {
    // March 1st: 100 + 100 / 1 x 30 = 3100.00; March 31st: the actual, 31 x 100 = 3100.00.
    for (const asOf of ['2026-03-01', '2026-03-31']) {
      const res = await post({ name: `march ${asOf}`, month: '2026-03', asOf, method: 'run_rate' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().totals.forecast).toBe('3100.00');
    }
    const april = await post({ name: 'april now', month: '2026-04', method: 'run_rate' });
    expect(april.statusCode, april.body).toBe(201);
    expect(april.json().asOf).toBe('2026-04-05');
  });
});
