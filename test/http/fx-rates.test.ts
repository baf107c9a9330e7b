/** FX rates: PUT batch upsert keyed by (date, currency), GET list; finance writes, ops reads. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorPaths, makeApp, parseCsv, problemOf, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

const put = (items: unknown[]) => t.call({ method: 'PUT', url: '/v1/fx-rates', role: 'finance', payload: { items } });
const get = (query = '') => t.call({ method: 'GET', url: `/v1/fx-rates${query}`, role: 'ops' });
const rate = (date: string, currency: string, value: unknown) => ({ date, currency, rate: value });

describe('PUT /v1/fx-rates', () => {
  it('counts inserted, updated and unchanged, comparing rates by value', async () => {
    expect((await put([rate('2026-03-01', 'EUR', '1.0842'), rate('2026-03-01', 'GBP', 1.27), rate('2026-03-02', 'EUR', '1.085')])).json()).toEqual({
      inserted: 3,
      updated: 0,
      unchanged: 0,
    });
    expect((await put([rate('2026-03-01', 'EUR', '1.084200'), rate('2026-03-01', 'GBP', '1.27'), rate('2026-03-02', 'EUR', '1.09'), rate('2026-03-01', 'JPY', '0.0067')])).json()).toEqual({
      inserted: 1,
      updated: 1,
      unchanged: 2,
    });
    expect((await get()).json()).toEqual({
      items: [
        { currency: 'EUR', date: '2026-03-01', rate: '1.0842' },
        { currency: 'EUR', date: '2026-03-02', rate: '1.09' },
        { currency: 'GBP', date: '2026-03-01', rate: '1.27' },
        { currency: 'JPY', date: '2026-03-01', rate: '0.0067' },
      ],
      nextCursor: null,
    });
  });

  it('takes 12 fractional digits of a rate', async () => {
    expect((await put([rate('2026-03-01', 'JPY', '0.006700000001')])).statusCode).toBe(200);
    expect((await get()).json().items[0].rate).toBe('0.006700000001');
  });

  it('is for finance and admin; ops and viewer get 403', async () => {
    for (const role of ['ops', 'viewer'] as const) {
      problemOf(await t.call({ method: 'PUT', url: '/v1/fx-rates', role, payload: { items: [rate('2026-03-01', 'EUR', '1.1')] } }), 403);
    }
    expect((await t.call({ method: 'PUT', url: '/v1/fx-rates', role: 'admin', payload: { items: [rate('2026-03-01', 'EUR', '1.1')] } })).statusCode).toBe(200);
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      await put([rate('2026-03-01', 'EUR', '1.08')]);
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it('a rate for the base currency', async () => {
      const problem = problemOf(await put([rate('2026-03-02', 'EUR', '1.1'), rate('2026-03-02', 'USD', '1')]), 400);
      expect(problem.errors).toEqual([{ path: 'items/1/currency', message: expect.stringContaining('base currency') }]);
    });

    it('the same (date, currency) twice in one batch', async () => {
      expect(errorPaths(await put([rate('2026-03-05', 'EUR', '1.1'), rate('2026-03-05', 'GBP', '1.2'), rate('2026-03-05', 'EUR', '1.2')]))).toEqual(['items/2/date']);
    });

    it('bad rates, currencies and dates, every one listed', async () => {
      const res = await put([
        rate('2026-03-02', 'EUR', '0'),
        rate('2026-03-02', 'GBP', '-1.2'),
        rate('2026-03-02', 'CHF', '1e0'),
        rate('2026-03-02', 'JPY', '0.0000000000001'),
        rate('2026-03-02', 'SEK', '1234567.1'),
        rate('2026-03-02', 'eur', '1.1'),
        rate('2026-02-30', 'NOK', '0.1'),
        rate('2026-13-01', 'DKK', '0.1'),
        rate('2026-03-02', 'CAD', true),
      ]);
      expect(errorPaths(res)).toEqual([
        'items/0/rate',
        'items/1/rate',
        'items/2/rate',
        'items/3/rate',
        'items/4/rate',
        'items/5/currency',
        'items/6/date',
        'items/7/date',
        'items/8/rate',
      ]);
    });
  });
});

describe('GET /v1/fx-rates', () => {
  beforeEach(async () => {
    const items = ['EUR', 'GBP', 'JPY'].flatMap((currency) =>
      Array.from({ length: 10 }, (_, d) => rate(`2026-03-${String(d + 1).padStart(2, '0')}`, currency, `1.${d}`)),
    );
    expect((await put(items)).json().inserted).toBe(30);
  });

  it('walks every rate once by (currency, date)', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`?limit=7${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: { currency: string; date: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((r) => `${r.currency} ${r.date}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    expect(seen).toEqual([...seen].sort());
  });

  it('filters by currency and date range', async () => {
    const got = (await get('?currency=GBP&from=2026-03-04&to=2026-03-06')).json().items;
    expect(got).toEqual([
      { currency: 'GBP', date: '2026-03-04', rate: '1.3' },
      { currency: 'GBP', date: '2026-03-05', rate: '1.4' },
      { currency: 'GBP', date: '2026-03-06', rate: '1.5' },
    ]);
  });

  it('answers CSV for viewers of the list (finance) with the JSON field names as header', async () => {
    const res = await t.call({ method: 'GET', url: '/v1/fx-rates?currency=EUR&limit=2&format=csv', role: 'finance' });
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(parseCsv(res.body)).toEqual([
      ['currency', 'date', 'rate'],
      ['EUR', '2026-03-01', '1'],
      ['EUR', '2026-03-02', '1.1'],
    ]);
  });

  it.each([['?limit=0'], ['?limit=10001'], ['?cursor=Zm9v'], ['?currency=eur'], ['?from=2026-02-30'], ['?month=2026-03']])('refuses %s (400)', async (query) => {
    problemOf(await get(query), 400, 'validation_failed');
  });
});
