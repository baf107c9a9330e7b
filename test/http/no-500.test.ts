/**
 * Nothing a client sends produces a 5xx: arbitrary JSON bodies on every
 * write route and arbitrary query strings on every read route get a 2xx or
 * a problem+json 4xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { campaignItem, makeApp, seedCampaigns, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('c1', { externalRefs: [{ source: 'meta', id: '1' }] })]);
});
afterAll(() => t.close());

const WRITES: [InjectOptions['method'], string][] = [
  ['PUT', '/v1/settings'],
  ['POST', '/v1/api-keys'],
  ['PUT', '/v1/campaigns/c9'],
  ['POST', '/v1/campaigns'],
  ['PUT', '/v1/plans'],
  ['POST', '/v1/commitments'],
  ['PUT', '/v1/fx-rates'],
  ['POST', '/v1/spend'],
  ['POST', '/v1/touchpoints'],
  ['POST', '/v1/revenue'],
  ['POST', '/v1/forecasts'],
  ['POST', '/v1/periods/2026-01/close'],
  ['POST', '/v1/periods/2026-01/reopen'],
];
const READS = ['/v1/settings', '/v1/api-keys', '/v1/campaigns', '/v1/campaigns/c1', '/v1/plans', '/v1/plans/history', '/v1/commitments', '/v1/fx-rates', '/v1/spend', '/v1/reports/burn', '/v1/reports/roi', '/v1/reports/attribution', '/v1/reports/forecast', '/v1/reports/forecast-vs-actual', '/v1/reports/budget-forecast-actual', '/v1/forecasts', '/v1/forecasts/fcs_0', '/v1/periods'];

/** Values near the edges the API checks: dates, months, amounts, codes, ids. */
const edgy = fc.oneof(
  fc.constantFrom('2026-02-30', '2026-13-01', '2026-03', '2026-03-15', '0000-01-01', '9999-12-31', 'USD', 'EUR', 'usd', 'c1', 'meta', 'google_ads'),
  fc.constantFrom('1e400', '-0', '0.0000001', '999999999999.999999', '1000000000000', '', ' ', '\u0000', 'NaN', 'Infinity', '__proto__', 'constructor'),
  fc.constantFrom(1e308, -1e-308, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, -1, 0, 1.5),
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, edgy, fc.array(tie('any'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('any'), { maxKeys: 4 })),
})).any;
const FIELDS = ['id', 'name', 'channel', 'startDate', 'endDate', 'tags', 'externalRefs', 'externalRef', 'campaignId', 'month', 'date', 'amount', 'currency', 'source', 'reference', 'rate', 'status', 'role', 'baseCurrency', 'fiscalYearStartMonth', 'pacingTolerance'];
const item = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 });
const body = fc.oneof(fc.record({ items: fc.array(item, { maxLength: 5 }) }), item, value);

const QUERY_KEYS = ['limit', 'cursor', 'format', 'channel', 'tag', 'campaignId', 'from', 'to', 'month', 'status', 'currency', 'source', 'asOf', 'groupBy', 'model', 'models', 'lookbackDays', 'halfLifeDays'];
const queryValue = fc.oneof(edgy.map(String), fc.constantFrom('0', '10001', '-1', 'csv', 'json', 'campaign', 'channel', 'linear', 'data_driven,linear', '1e-300', '0.0001', 'WzFd', 'eyJ4IjoxfQ', 'WyJhIiwiYiJd', '%', '%E0'));
const query = fc.dictionary(fc.constantFrom(...QUERY_KEYS), queryValue, { maxKeys: 5 });

function expectNo5xx(res: { statusCode: number; body: string; headers: Record<string, unknown> }, what: string) {
  expect(res.statusCode, `${what} -> ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode >= 400) expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
}

describe('never a 5xx', () => {
  it.each(WRITES)('%s %s with arbitrary JSON bodies', async (method, url) => {
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const text = JSON.stringify(payload) ?? 'null';
        const res = await t.call({ method, url, payload: text, headers: { 'content-type': 'application/json' } });
        expectNo5xx(res, `${method} ${url} ${text.slice(0, 300)}`);
      }),
      { numRuns: 150 },
    );
  });

  it.each(READS)('GET %s with arbitrary query strings', async (url) => {
    await fc.assert(
      fc.asyncProperty(query, async (params) => {
        const qs = Object.entries(params)
          .map(([k, v]) => `${k}=${/^%/.test(v) ? v : encodeURIComponent(v)}`)
          .join('&');
        const res = await t.call({ method: 'GET', url: `${url}?${qs}` });
        expectNo5xx(res, `GET ${url}?${qs}`);
      }),
      { numRuns: 150 },
    );
  });

  it('raw bytes that are not JSON, or not UTF-8', async () => {
    for (const payload of [Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('{"items":[{"amount":1'), Buffer.from('{"items":[]}'.repeat(3)), Buffer.from('\u0000')]) {
      const res = await t.call({ method: 'POST', url: '/v1/spend', payload, headers: { 'content-type': 'application/json' } });
      expectNo5xx(res, String(payload));
      expect(res.statusCode).toBe(400);
    }
  });

  it('a prototype-polluting body', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/v1/campaigns',
      payload: '{"items":[{"id":"p","name":"P","channel":"email","startDate":"2026-01-01","__proto__":{"admin":true}}]}',
      headers: { 'content-type': 'application/json' },
    });
    expectNo5xx(res, 'proto');
    expect(res.statusCode).toBe(400);
  });
});
