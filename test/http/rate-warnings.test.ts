/**
 * A line in a currency with no rate on or before its date is accepted, but
 * every report that includes it answers 422 until such a rate is added: each
 * batch says so in `warnings`, naming the line's currency field, the currency
 * and the date (a plan or commitment: its month's first day). Base USD.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LISTED_WARNINGS } from '../../src/features/common/batch.js';
import { campaignItem, makeApp, problemOf, seedCampaigns, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('a', { externalRefs: [{ source: 'google_ads', id: '111' }] })]);
});
afterEach(() => t.close());

const send = (method: 'POST' | 'PUT', url: string, items: unknown[], headers: Record<string, string> = {}) =>
  t.call({ method, url, role: url === '/v1/fx-rates' ? 'finance' : 'ops', payload: { items }, headers });
const warning = (path: string, currency: string, date: string) => ({
  path,
  message: `no ${currency} rate on or before ${date}; reports that include this line answer 422 until one is added`,
});
const spend = (date: string, currency: string, reference = date) => ({ campaignId: 'a', date, amount: '1000', currency, source: 'manual', reference });

describe('a spend batch', () => {
  it('warns of the JPY line with no rate, not of the base currency line, and burn then answers 422 as it says', async () => {
    const res = await send('POST', '/v1/spend', [spend('2026-03-03', 'USD'), spend('2026-03-04', 'JPY')]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ inserted: 2, updated: 0, unchanged: 0, warnings: [warning('items/1/currency', 'JPY', '2026-03-04')], warningCount: 1 });
    problemOf(await t.call({ method: 'GET', url: '/v1/reports/burn?month=2026-03', role: 'viewer' }), 422, 'fx_rate_missing');
  });

  it('still warns when the only rate is dated after the line, and stops once one is on or before it', async () => {
    expect((await send('PUT', '/v1/fx-rates', [{ date: '2026-03-05', currency: 'JPY', rate: '0.0067' }])).statusCode).toBe(200);
    const line = spend('2026-03-04', 'JPY');
    expect((await send('POST', '/v1/spend', [line])).json().warnings).toEqual([warning('items/0/currency', 'JPY', '2026-03-04')]);
    // A line on the rate's own date converts.
    expect((await send('POST', '/v1/spend', [spend('2026-03-05', 'JPY')])).json()).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect((await send('PUT', '/v1/fx-rates', [{ date: '2026-03-04', currency: 'JPY', rate: '0.0066' }])).statusCode).toBe(200);
    expect((await send('POST', '/v1/spend', [line])).json()).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    expect((await t.call({ method: 'GET', url: '/v1/reports/burn?month=2026-03', role: 'viewer' })).statusCode).toBe(200);
  });

  it(`lists the first ${MAX_LISTED_WARNINGS} warnings and counts them all`, async () => {
    // 1,500 days of JPY spend from 2026-01-01, none with a rate.
    const items = Array.from({ length: 1500 }, (_, i) => spend(new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10), 'JPY'));
    const body = (await send('POST', '/v1/spend', items)).json();
    expect(body.warningCount).toBe(1500);
    expect(body.warnings).toHaveLength(MAX_LISTED_WARNINGS);
    expect(body.warnings[999]).toEqual(warning('items/999/currency', 'JPY', items[999]!.date));
  });

  it('replays its warnings with the first answer under the same Idempotency-Key', async () => {
    const items = [spend('2026-03-04', 'JPY')];
    const first = await send('POST', '/v1/spend', items, { 'idempotency-key': 'k-1' });
    // A rate added in between changes nothing of the replay: it is the first answer again.
    expect((await send('PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'JPY', rate: '0.0067' }])).statusCode).toBe(200);
    const again = await send('POST', '/v1/spend', items, { 'idempotency-key': 'k-1' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(again.json().warnings).toEqual([warning('items/0/currency', 'JPY', '2026-03-04')]);
  });
});

describe('plans, commitments and revenue', () => {
  it('a plan warns at its month’s first day, even with a rate later in the month', async () => {
    expect((await send('PUT', '/v1/fx-rates', [{ date: '2026-03-02', currency: 'EUR', rate: '1.10' }])).statusCode).toBe(200);
    const res = await send('PUT', '/v1/plans', [
      { campaignId: 'a', month: '2026-03', amount: '10', currency: 'EUR' },
      { campaignId: 'a', month: '2026-04', amount: '10', currency: 'EUR' },
      { campaignId: 'a', month: '2026-05', amount: '10', currency: 'USD' },
    ]);
    expect(res.json()).toEqual({ inserted: 3, updated: 0, unchanged: 0, warnings: [warning('items/0/currency', 'EUR', '2026-03-01')], warningCount: 1 });
  });

  it('an open commitment warns; a closed one, in no report, does not', async () => {
    const res = await send('POST', '/v1/commitments', [
      { id: 'io-1', campaignId: 'a', month: '2026-03', amount: '10', currency: 'GBP', status: 'closed' },
      { id: 'io-2', campaignId: 'a', month: '2026-03', amount: '10', currency: 'GBP' },
    ]);
    expect(res.json()).toEqual({ inserted: 2, updated: 0, unchanged: 0, warnings: [warning('items/1/currency', 'GBP', '2026-03-01')], warningCount: 1 });
  });

  it('a conversion and its refund each warn at their own UTC day', async () => {
    const res = await send('POST', '/v1/revenue', [
      // 23:30 in New York on March 4th is March 5th in UTC, the day the reports convert it at.
      { id: 'ord-1', customerId: 'u1', occurredAt: '2026-03-04T23:30:00-05:00', amount: '100', currency: 'CHF' },
      { id: 'ref-1', customerId: 'u1', occurredAt: '2026-03-09T10:00:00Z', amount: '-20', currency: 'CHF', refundOf: 'ord-1' },
      { id: 'ord-2', customerId: 'u2', occurredAt: '2026-03-04T10:00:00Z', amount: '100', currency: 'USD' },
    ]);
    expect(res.json()).toEqual({
      inserted: 3,
      updated: 0,
      unchanged: 0,
      warnings: [warning('items/0/currency', 'CHF', '2026-03-05'), warning('items/1/currency', 'CHF', '2026-03-09')],
      warningCount: 2,
    });
  });

  it('a clean batch answers as it always has, with no warnings member', async () => {
    const res = await send('PUT', '/v1/plans', [{ campaignId: 'a', month: '2026-03', amount: '10', currency: 'USD' }]);
    expect(Object.keys(res.json())).toEqual(['inserted', 'updated', 'unchanged']);
  });
});

describe('the CSV import', () => {
  const GOOGLE = 'Day,Campaign,Campaign ID,Currency code,Cost\r\n2026-03-01,Brand,111,USD,10.00\r\n2026-03-02,Brand,111,JPY,1500\r\n';
  const importCsv = (format: string, body: string, query = '') =>
    t.call({ method: 'POST', url: `/v1/spend/import?format=${format}${query}`, role: 'ops', headers: { 'content-type': 'text/csv' }, payload: body });

  it('names the file’s line and currency column, in a dry run and in the import itself', async () => {
    for (const dryRun of ['true', 'false']) {
      const res = await importCsv('google_ads', GOOGLE, `&dryRun=${dryRun}`);
      expect(res.statusCode, res.body).toBe(200);
      // Line 1 is the header: the JPY row is line 3.
      expect(res.json()).toMatchObject({ dryRun: dryRun === 'true', inserted: 2, warnings: [warning('line/3/Currency code', 'JPY', '2026-03-02')], warningCount: 1 });
    }
  });

  it('names the generic format’s currency column', async () => {
    const csv = 'date,campaignId,amount,currency,source\n2026-03-01,a,10.00,USD,invoice\n2026-03-02,a,12.00,SEK,invoice\n';
    expect((await importCsv('generic', csv)).json().warnings).toEqual([warning('line/3/currency', 'SEK', '2026-03-02')]);
  });

  it('has no warnings member when every row converts', async () => {
    const csv = 'date,campaignId,amount,currency,source\n2026-03-01,a,10.00,USD,invoice\n';
    expect((await importCsv('generic', csv)).json()).not.toHaveProperty('warnings');
  });
});

describe('the OpenAPI document', () => {
  it('gives BatchResult and the import result optional warnings and warningCount', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const schema of [doc.components.schemas.BatchResult, doc.components.schemas.SpendImportResult]) {
      expect(schema.properties.warnings).toMatchObject({ type: 'array', maxItems: MAX_LISTED_WARNINGS, items: { properties: { path: { type: 'string' }, message: { type: 'string' } } } });
      expect(schema.properties.warningCount).toMatchObject({ type: 'integer' });
      expect(schema.required).not.toContain('warnings');
      expect(schema.required).not.toContain('warningCount');
    }
  });
});
