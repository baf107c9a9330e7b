/**
 * Identifiers and names as a finance user's spreadsheet meets them. In CSV,
 * an id or name a spreadsheet would turn into a number or date (`0042` → 42,
 * `-10` → -10) gets a leading apostrophe and stays text; amounts and ratios
 * stay numbers. A name with a control character at either end (a pasted tab
 * or line break) is refused by name with a 400, never trimmed without a word.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepAsText, toCsv } from '../../src/lib/csv.js';
import { campaignItem, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp(); // 2026-03-15
  await seedCampaigns(t, [
    campaignItem('0042', { name: '2026-03-01', channel: 'paid_search' }),
    campaignItem('-10', { name: 'Search, brand', channel: 'email' }),
  ]);
  const res = await t.call({
    method: 'PUT',
    url: '/v1/plans',
    payload: { items: [{ campaignId: '0042', month: '2026-03', amount: '3100', currency: 'USD' }, { campaignId: '-10', month: '2026-03', amount: '-0', currency: 'USD' }] },
  });
  expect(res.statusCode, res.body).toBe(200);
});
afterAll(() => t.close());

describe('keepAsText', () => {
  it('marks what a spreadsheet would convert, and leaves other text alone', () => {
    for (const text of ['0042', '-10', '+7', '1e5', '1,234.50', '12%', '(10)', '$5', '2026-03-01', '3/4/26', '12:30']) expect(keepAsText(text), text).toBe(`'${text}`);
    for (const text of ['cmp-0042', 'Spring search', 'c1', 'A-10', '-', '']) expect(keepAsText(text), text).toBe(text);
  });

  it('only for identifier and name columns: amounts in a row stay as they are', () => {
    const csv = toCsv(['campaignId', 'name', 'planned', 'burnRate', 'month'], [{ campaignId: '0042', name: '-10', planned: '-1000.50', burnRate: '0.5806', month: '2026-03' }]);
    expect(csv).toBe("campaignId,name,planned,burnRate,month\r\n'0042,'-10,-1000.50,0.5806,2026-03\r\n");
  });

  it('property: stripping one leading apostrophe gives the value back, and a marked value is never a formula', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const kept = keepAsText(text);
        expect(kept === text || kept === `'${text}`).toBe(true);
        expect(kept.startsWith("'") && kept !== text ? kept.slice(1) : kept).toBe(text);
      }),
    );
  });
});

describe('reports and lists as CSV', () => {
  it('keeps campaign ids 0042 and -10 and a date-like name as text in the burn CSV, amounts as numbers', async () => {
    const res = await t.call({ method: 'GET', url: '/v1/reports/burn.csv?month=2026-03&asOf=2026-03-15', role: 'viewer' });
    expect(res.statusCode, res.body).toBe(200);
    const rows = parseCsv(res.body);
    expect(rows[0]!.slice(0, 5)).toEqual(['campaignId', 'name', 'channel', 'currency', 'planned']);
    // Sorted by campaign id: '-10' before '0042'. 3100 + 0 = 3100 planned in all.
    expect(rows.slice(1).map((row) => row.slice(0, 5))).toEqual([
      ["'-10", 'Search, brand', 'email', 'USD', '0.00'],
      ["'0042", "'2026-03-01", 'paid_search', 'USD', '3100.00'],
      ['TOTAL', '', '', 'USD', '3100.00'],
    ]);
  });

  it('does the same in the campaigns list', async () => {
    const res = await t.call({ method: 'GET', url: '/v1/campaigns?format=csv', role: 'ops' });
    const rows = parseCsv(res.body);
    expect(rows.slice(1).map((row) => row.slice(0, 2))).toEqual([["'-10", 'Search, brand'], ["'0042", "'2026-03-01"]]);
  });
});

describe('names with a control character at either end', () => {
  it('answers 400 naming items/<i>/name, in words, and writes nothing', async () => {
    const before = await snapshot(t.app);
    for (const [name, words] of [
      ['\tSpring search', 'must not begin with a tab (U+0009)'],
      ['Spring search\n', 'must not end with a line feed (U+000A)'],
      ['\rSpring', 'must not begin with a carriage return (U+000D)'],
      ['Spring\u0007', 'must not end with a control character (U+0007)'],
    ] as const) {
      const res = await t.call({ method: 'POST', url: '/v1/campaigns', payload: { items: [campaignItem('ok-1'), campaignItem('c9', { name })] } });
      const problem = problemOf(res, 400, 'validation_failed');
      expect(problem.errors).toEqual([{ path: 'items/1/name', message: expect.stringContaining(words) }]);
    }
    expect(await snapshot(t.app)).toBe(before);
  });

  it('still trims plain spaces, and keeps a tab inside a name', async () => {
    await seedCampaigns(t, [campaignItem('c10', { name: '  Spring\tsearch  ' })]);
    const res = await t.call({ method: 'GET', url: '/v1/campaigns/c10', role: 'ops' });
    expect(res.json().name).toBe('Spring\tsearch');
  });

  it('refuses them in a forecast snapshot’s and an API key’s name too', async () => {
    expect(errorPaths(await t.call({ method: 'POST', url: '/v1/forecasts', payload: { name: 'March\n', month: '2026-03', asOf: '2026-03-10', method: 'run_rate' } }))).toEqual(['name']);
    expect(errorPaths(await t.call({ method: 'POST', url: '/v1/api-keys', payload: { name: '\tscript', role: 'viewer' } }))).toEqual(['name']);
  });
});
