/**
 * Report periods over HTTP. Every report takes `month=YYYY-MM`, or `from`
 * and `to` (months; for ROI and attribution, months or days); mixing the two
 * is a 400; years are 1900 to 2999. A month past 9999-12 used to loop for a
 * minute and take the process down, so a property test sends any
 * syntactically valid period to every report and to POST /v1/forecasts: each
 * answer is a 200 (201) or a 400 naming a period field, within a second.
 *
 * Seed, base USD, clock 2026-03-15: campaign A plans 3100.00 for March and
 * spends 100.00 a day March 1..10; a touchpoint of u1 on A on March 2nd, and
 * u1 converts for 500.00 on March 5th.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignItem, errorPaths, makeApp, problemOf, seedCampaigns, type TestApp } from '../helper.js';
import { bodyOf, dateText, monthText, PERIOD_FIELDS, periodRequest, urlOf, type PeriodRequest } from '../period-params.js';

type Json = Record<string, any>;

let t: TestApp;

beforeAll(async () => {
  t = await makeApp({ now: new Date('2026-03-15T12:00:00Z') });
  await seedCampaigns(t, [campaignItem('A')]);
  const ok = async (method: 'POST' | 'PUT', url: string, items: unknown[]) => {
    const res = await t.call({ method, url, role: 'ops', payload: { items } });
    expect(res.statusCode, res.body).toBe(200);
  };
  await ok('PUT', '/v1/plans', [{ campaignId: 'A', month: '2026-03', amount: '3100', currency: 'USD' }]);
  await ok('POST', '/v1/spend', Array.from({ length: 10 }, (_, i) => ({ campaignId: 'A', date: `2026-03-${String(i + 1).padStart(2, '0')}`, amount: '100', currency: 'USD', source: 'manual' })));
  await ok('POST', '/v1/touchpoints', [{ id: 't1', customerId: 'u1', campaignId: 'A', occurredAt: '2026-03-02T10:00:00Z' }]);
  await ok('POST', '/v1/revenue', [{ id: 'r1', customerId: 'u1', occurredAt: '2026-03-05T10:00:00Z', amount: '500', currency: 'USD' }]);
});
afterAll(() => t.close());

const get = (url: string) => t.call({ method: 'GET', url, role: 'viewer' });

/** Whether a month or date is one the service takes, worked out here without the service's code. */
function inRange(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number | undefined];
  if (y < 1900 || y > 2999 || m < 1 || m > 12) return false;
  return d === undefined || (d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate());
}

describe('any syntactically valid period, on every report', () => {
  let names = 0;

  async function answer(request: PeriodRequest) {
    const started = performance.now();
    const res =
      request.method === 'GET'
        ? await get(urlOf(request))
        : await t.call({ method: 'POST', url: request.path, role: 'ops', payload: bodyOf(request, `p${names++}`) });
    return { res, ms: performance.now() - started };
  }

  it('is a 200 or a 400 naming a period field, within a second; anything outside 1900-2999 is refused', async () => {
    await fc.assert(
      fc.asyncProperty(periodRequest, async (request) => {
        const { res, ms } = await answer(request);
        const where = `${request.method} ${urlOf(request)} ${JSON.stringify(request.params)}: ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(ms, where).toBeLessThan(1000);
        if (res.statusCode === 200 || res.statusCode === 201) {
          expect(Object.values(request.params).every(inRange), where).toBe(true);
          return;
        }
        const paths = errorPaths(res);
        expect(paths.length, where).toBeGreaterThan(0);
        for (const path of paths) expect(PERIOD_FIELDS, where).toContain(path);
        // A lone in-range month on a GET without asOf is always answered.
        const { month, ...rest } = request.params;
        if (request.method === 'GET' && month !== undefined && Object.keys(rest).length === 0) expect(/^\d{4}-\d{2}$/.test(month) && inRange(month), where).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect((await t.call({ method: 'GET', url: '/healthz', role: null })).statusCode).toBe(200);
  });

  it.each([
    ['burn', 'month=9999-12', ['month']],
    ['burn', 'from=9999-11&to=9999-12', ['from', 'to']],
    ['forecast', 'from=9999-12&to=9999-12', ['from', 'to']],
    ['budget-forecast-actual', 'from=2999-01&to=9999-12', ['to']],
    ['roi', 'from=9999-12-01&to=9999-12-31', ['from', 'to']],
    ['attribution', 'from=2999-12&to=9999-12', ['to']],
    ['burn', 'month=3000-01', ['month']],
    ['burn', 'month=2026-03&asOf=9999-12-31', ['asOf']],
    ['forecast', 'month=2026-03&asOf=1899-12-31', ['asOf']],
  ])('refuses /v1/reports/%s?%s at once, naming %j', async (report, query, paths) => {
    const started = performance.now();
    const res = await get(`/v1/reports/${report}?${query}`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(errorPaths(res)).toEqual(paths);
    expect(problemOf(res, 400).errors![0]!.message).toContain('1900 to 2999');
  });

  it('answers the last month there is, December 2999', async () => {
    const burn = (await get('/v1/reports/burn?month=2999-12&asOf=2999-12-31')).json() as Json;
    expect(burn).toMatchObject({ from: '2999-12', to: '2999-12', periodStart: '2999-12-01', periodEnd: '2999-12-31', asOf: '2999-12-31' });
    expect(burn.totals).toMatchObject({ planned: '0.00', actual: '0.00', daysElapsed: 31, daysInPeriod: 31 });
    const roi = (await get('/v1/reports/roi?from=2999-12&to=2999-12')).json() as Json;
    expect(roi).toMatchObject({ from: '2999-12-01', to: '2999-12-31' });
  });

  it('the generators reach both sides of the range', () => {
    const sample = fc.sample(fc.oneof(monthText, dateText), { numRuns: 2000, seed: 1 });
    expect(sample.filter(inRange).length).toBeGreaterThan(200);
    expect(sample.filter((text) => !inRange(text)).length).toBeGreaterThan(200);
  });
});

describe('one way to name a period, on every report', () => {
  it.each(['burn', 'forecast', 'budget-forecast-actual', 'roi', 'attribution'])('/v1/reports/%s takes month=2026-03', async (report) => {
    const res = await get(`/v1/reports/${report}?month=2026-03`);
    expect(res.statusCode, res.body).toBe(200);
  });

  it.each(['roi', 'attribution'])('/v1/reports/%s reads month=2026-03 as from 2026-03-01 to 2026-03-31, and a month from/to as its first/last day', async (report) => {
    const byMonth = await get(`/v1/reports/${report}?month=2026-03`);
    const answers = await Promise.all(
      ['from=2026-03-01&to=2026-03-31', 'from=2026-03&to=2026-03', 'from=2026-03&to=2026-03-31', 'from=2026-03-01&to=2026-03'].map((q) => get(`/v1/reports/${report}?${q}`)),
    );
    for (const res of answers) expect(res.body).toBe(byMonth.body);
    const march = byMonth.json() as Json;
    expect(march).toMatchObject({ from: '2026-03-01', to: '2026-03-31' });
  });

  it('ROI over months counts the revenue and spend of those months: 10 x 100.00 spent, 500.00 earned in March', async () => {
    const roi = (await get('/v1/reports/roi?from=2026-02&to=2026-03')).json() as Json;
    expect(roi).toMatchObject({ from: '2026-02-01', to: '2026-03-31' });
    // roas = 500 / 1000 = 0.5000; roi = (500 - 1000) / 1000 = -0.5000.
    expect(roi.totals).toMatchObject({ spend: '1000.00', revenue: '500.00', roas: '0.5000', roi: '-0.5000' });
    // A day range that stops before the conversion: March 1..4 spent 400.00, earned nothing.
    const early = (await get('/v1/reports/roi?from=2026-03&to=2026-03-04')).json() as Json;
    expect(early.totals).toMatchObject({ spend: '400.00', revenue: '0.00' });
  });

  it.each([
    ['burn', 'month=2026-03&from=2026-03', ['month']],
    ['burn', 'month=2026-03&to=2026-03', ['month']],
    ['forecast', 'month=2026-03&from=2026-01&to=2026-03', ['month']],
    ['budget-forecast-actual', 'month=2026-03&to=2026-03', ['month']],
    ['roi', 'month=2026-03&from=2026-03-01&to=2026-03-31', ['month']],
    ['attribution', 'month=2026-03&from=2026-03', ['month']],
    ['burn', 'from=2026-03-01&to=2026-03-31', ['from', 'to']], // burn works in months
    ['forecast', 'from=2026-03&to=2026-03-31', ['to']],
    ['roi', 'from=2026-04&to=2026-03-31', ['from']],
    ['roi', 'from=2026-03-02&to=2026-03-01', ['from']],
    ['roi', 'from=2023-01&to=2026-03', ['to']], // 1186 days, more than 3 x 365 + 1 = 1096
    ['burn', 'from=2023-03&to=2026-03', ['to']], // 37 months, more than 36
    ['roi', 'from=2026-03', ['to']],
    ['attribution', 'to=2026-03', ['from']],
    ['roi', '', ['from']],
    ['roi', 'month=2026-03-01', ['month']],
    ['roi', 'from=2026-3&to=2026-03', ['from']],
  ])('/v1/reports/%s?%s is a 400 naming %j', async (report, query, paths) => {
    expect(errorPaths(await get(`/v1/reports/${report}?${query}`))).toEqual(paths);
  });

  it('takes the longest ranges: 36 months, and three years of days', async () => {
    expect((await get('/v1/reports/burn?from=2023-04&to=2026-03')).statusCode).toBe(200);
    expect((await get('/v1/reports/roi?from=2023-04&to=2026-03')).statusCode).toBe(200); // 2023-04-01..2026-03-31 = 1096 days
  });
});
