/**
 * Spend: POST batch keyed by (source, campaignId, date, reference) where a
 * re-import replaces the amount, externalRef resolution, GET list.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignItem, countRows, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
  await seedCampaigns(t, [
    campaignItem('a', { externalRefs: [{ source: 'google_ads', id: '111' }] }),
    campaignItem('b', { externalRefs: [{ source: 'meta', id: '222' }] }),
  ]);
});
afterEach(() => t.close());

const post = (items: unknown[]) => t.call({ method: 'POST', url: '/v1/spend', role: 'ops', payload: { items } });
const get = (query = '') => t.call({ method: 'GET', url: `/v1/spend${query}`, role: 'ops' });
const line = (extra: Record<string, unknown> = {}) => ({ campaignId: 'a', date: '2026-03-14', amount: '412.37', currency: 'USD', source: 'google_ads', ...extra });
const sumOf = (items: { amount: string }[]) => items.reduce((sum, s) => sum + Math.round(Number(s.amount) * 100), 0);

describe('POST /v1/spend', () => {
  it('inserts; the same file again is unchanged; a restated amount replaces the old one', async () => {
    const file = [line(), line({ date: '2026-03-15', amount: 100 }), line({ campaignId: 'b', source: 'meta', amount: '95.10', currency: 'EUR' })];
    // No EUR rate: the EUR line is taken, with a warning, each time it is sent.
    const eur = { warnings: [{ path: 'items/2/currency', message: 'no EUR rate on or before 2026-03-14; reports that include this line answer 422 until one is added' }], warningCount: 1 };
    expect((await post(file)).json()).toEqual({ inserted: 3, updated: 0, unchanged: 0, ...eur });
    expect((await post(file)).json()).toEqual({ inserted: 0, updated: 0, unchanged: 3, ...eur });
    expect(await countRows(t.app, 'spend')).toBe(3);

    // The platform restates yesterday: 412.37 becomes 420.00.
    const restated = [line({ amount: '420.00' }), line({ date: '2026-03-15', amount: '100.000' })];
    expect((await post(restated)).json()).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
    const items = (await get('?campaignId=a')).json().items;
    expect(items).toEqual([
      { id: expect.any(Number), campaignId: 'a', date: '2026-03-14', amount: '420.00', currency: 'USD', source: 'google_ads', reference: null, version: 2 },
      { id: expect.any(Number), campaignId: 'a', date: '2026-03-15', amount: '100.00', currency: 'USD', source: 'google_ads', reference: null, version: 1 },
    ]);
    // Never double counted: 420.00 + 100.00.
    expect(sumOf(items)).toBe(52_000);
    expect(await countRows(t.app, 'spend')).toBe(3);
  });

  it('keeps lines apart by source and by reference', async () => {
    const res = await post([
      line({ source: 'invoice', reference: 'INV-1' }),
      line({ source: 'invoice', reference: 'INV-2' }),
      line({ source: 'manual' }),
      line(),
    ]);
    expect(res.json()).toEqual({ inserted: 4, updated: 0, unchanged: 0 });
    expect((await post([line({ source: 'invoice', reference: 'INV-2', amount: '1' })])).json()).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
  });

  it('finds the campaign by externalRef', async () => {
    const res = await post([
      { externalRef: { source: 'meta', id: '222' }, date: '2026-03-14', amount: 95.1, currency: 'EUR', source: 'meta' },
      { campaignId: 'a', externalRef: { source: 'google_ads', id: '111' }, date: '2026-03-14', amount: '1', currency: 'USD', source: 'google_ads' },
    ]);
    const eur = { warnings: [{ path: 'items/0/currency', message: 'no EUR rate on or before 2026-03-14; reports that include this line answer 422 until one is added' }], warningCount: 1 };
    expect(res.json()).toEqual({ inserted: 2, updated: 0, unchanged: 0, ...eur });
    expect((await get('?campaignId=b')).json().items.map((s: { amount: string }) => s.amount)).toEqual(['95.10']);
    // The same line sent by campaignId is the same line.
    expect((await post([{ campaignId: 'b', date: '2026-03-14', amount: '95.10', currency: 'EUR', source: 'meta' }])).json()).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 1,
      ...eur,
    });
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      await post([line()]);
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it('7 decimal places, 13 integer digits, exponents (400 at items/N/amount)', async () => {
      const res = await post([line({ date: '2026-03-01' }), line({ amount: '0.1234567' }), line({ amount: 0.1234567 }), line({ amount: '1000000000000' }), line({ amount: 1e-7 }), line({ amount: '1E2' })]);
      expect(errorPaths(res)).toEqual(['items/1/amount', 'items/2/amount', 'items/3/amount', 'items/4/amount', 'items/5/amount']);
    });

    it('a number too long for a double is read from its digits, not rounded', async () => {
      // 19 significant digits: as a double it would print as 1234567890123.4568 (13 integer digits) or worse.
      expect(errorPaths(await post([line({ amount: 1234567890123.456789 })]))).toEqual(['items/0/amount']);
    });

    it('bad currency codes and dates', async () => {
      const res = await post([
        line({ currency: 'usd' }),
        line({ currency: 'XXX' }),
        line({ currency: 'DOLLAR' }),
        line({ date: '2026-02-30' }),
        line({ date: '2026-13-01' }),
        line({ date: '2025-02-29' }),
        line({ date: '14/03/2026' }),
      ]);
      expect(errorPaths(res)).toEqual(['items/0/currency', 'items/1/currency', 'items/2/currency', 'items/3/date', 'items/4/date', 'items/5/date', 'items/6/date']);
    });

    it('an unknown campaign or external ref, or a campaignId that contradicts the externalRef', async () => {
      const res = await post([
        line({ campaignId: 'ghost' }),
        { externalRef: { source: 'meta', id: 'nope' }, date: '2026-03-14', amount: '1', currency: 'USD', source: 'meta' },
        line({ date: '2026-03-02' }),
        line({ campaignId: 'b', externalRef: { source: 'google_ads', id: '111' } }),
      ]);
      expect(errorPaths(res)).toEqual(['items/0/campaignId', 'items/1/externalRef', 'items/3/campaignId']);
    });

    it('neither campaignId nor externalRef', async () => {
      expect(errorPaths(await post([line({ date: '2026-03-02' }), { date: '2026-03-14', amount: '1', currency: 'USD', source: 'meta' }]))).toEqual(['items/1/campaignId']);
    });

    it('two lines with the same natural key in one batch', async () => {
      const problem = problemOf(await post([line({ date: '2026-03-01' }), line({ date: '2026-03-02' }), line({ date: '2026-03-01', amount: '5' })]), 400);
      expect(problem.errors).toEqual([{ path: 'items/2/reference', message: expect.stringContaining('item 0') }]);
    });

    it('a repeat among several lines of one campaign and day, naming the latest earlier line', async () => {
      const problem = problemOf(
        await post([
          line({ source: 'invoice', reference: 'INV-1' }),
          line({ source: 'invoice', reference: 'INV-2' }),
          line({ source: 'invoice', reference: 'INV-1', amount: '2' }),
          line({ reference: null }),
          line({ source: 'invoice', reference: 'INV-1', amount: '3' }),
          line({ campaignId: undefined, externalRef: { source: 'google_ads', id: '111' } }),
        ]),
        400,
      );
      expect(problem.errors).toEqual([
        { path: 'items/2/reference', message: expect.stringContaining('repeats item 0:') },
        { path: 'items/4/reference', message: expect.stringContaining('repeats item 2:') },
        { path: 'items/5/reference', message: expect.stringContaining('repeats item 3:') },
      ]);
    });

    it('bad sources and references', async () => {
      expect(errorPaths(await post([line({ source: 'Google Ads' }), line({ source: '' }), line({ reference: '' }), line({ reference: 42 })]))).toEqual([
        'items/0/source',
        'items/1/source',
        'items/2/reference',
        'items/3/reference',
      ]);
    });
  });
});

describe('GET /v1/spend', () => {
  beforeEach(async () => {
    const items = Array.from({ length: 31 }, (_, d) => line({ date: `2026-03-${String(d + 1).padStart(2, '0')}`, amount: `${d + 1}.50` }));
    items.push(line({ campaignId: 'b', source: 'meta', date: '2026-03-10', amount: '7' }));
    expect((await post(items)).json().inserted).toBe(32);
  });

  it('walks every line once, in ingest order', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`?limit=10${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: { id: number }[]; nextCursor: string | null };
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(32);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(new Set(seen).size).toBe(32);
  });

  it('filters by campaignId, source and date range', async () => {
    expect((await get('?campaignId=b')).json().items).toHaveLength(1);
    expect((await get('?source=google_ads&limit=10000')).json().items).toHaveLength(31);
    const week = (await get('?campaignId=a&from=2026-03-08&to=2026-03-14')).json().items;
    expect(week.map((s: { date: string }) => s.date)).toEqual(['2026-03-08', '2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13', '2026-03-14']);
    // 8.50 + 9.50 + ... + 14.50 = 80.50
    expect(sumOf(week)).toBe(8050);
  });

  it('answers CSV with the JSON field names as header', async () => {
    const json = (await get('?limit=2')).json();
    for (const res of [await get('?limit=2&format=csv'), await t.call({ method: 'GET', url: '/v1/spend?limit=2', role: 'ops', headers: { accept: 'text/csv,application/json;q=0.5' } })]) {
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const rows = parseCsv(res.body);
      expect(rows[0]).toEqual(Object.keys(json.items[0]));
      expect(rows[1]).toEqual(Object.values(json.items[0]).map((v) => (v === null ? '' : String(v))));
    }
  });

  it.each([['?limit=0'], ['?limit=10001'], ['?cursor=bm90IGEgbnVtYmVy'], [`?cursor=${Buffer.from('"5"').toString('base64url')}`], ['?from=2026-02-30'], ['?to=2026-13-01'], ['?month=2026-03']])(
    'refuses %s (400)',
    async (query) => {
      problemOf(await get(query), 400, 'validation_failed');
    },
  );
});
