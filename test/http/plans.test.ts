/** Plans: PUT batch upsert keyed by (campaignId, month), GET list, GET history of revisions. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignItem, countRows, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('a'), campaignItem('b'), campaignItem('c')]);
});
afterEach(() => t.close());

const put = (items: unknown[], role: 'ops' | 'finance' | 'admin' = 'ops') => t.call({ method: 'PUT', url: '/v1/plans', role, payload: { items } });
const get = (url: string) => t.call({ method: 'GET', url, role: 'ops' });
const plan = (campaignId: string, month: string, amount: unknown, currency = 'USD') => ({ campaignId, month, amount, currency });

describe('PUT /v1/plans', () => {
  it('counts inserted, updated and unchanged, and keeps every revision', async () => {
    expect((await put([plan('a', '2026-03', '12000'), plan('a', '2026-04', 8000.5), plan('b', '2026-03', '0.000001')])).json()).toEqual({
      inserted: 3,
      updated: 0,
      unchanged: 0,
    });
    // Same amount written differently is unchanged; a new amount or currency is an update.
    // No EUR rate at all: the EUR plan is taken, with a warning (a plan converts at its month's first day).
    expect((await put([plan('a', '2026-03', '12000.000000'), plan('a', '2026-04', '8000.50', 'EUR'), plan('b', '2026-03', 0.000001)])).json()).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 2,
      warnings: [{ path: 'items/1/currency', message: 'no EUR rate on or before 2026-04-01; reports that include this line answer 422 until one is added' }],
      warningCount: 1,
    });
    expect((await put([plan('a', '2026-03', '12500.25')], 'finance')).json()).toEqual({ inserted: 0, updated: 1, unchanged: 0 });

    const plans = (await get('/v1/plans')).json();
    expect(plans).toEqual({
      items: [
        { campaignId: 'a', month: '2026-03', amount: '12500.25', currency: 'USD', revision: 2, updatedAt: '2026-03-15T12:00:00.000Z' },
        { campaignId: 'a', month: '2026-04', amount: '8000.50', currency: 'EUR', revision: 2, updatedAt: '2026-03-15T12:00:00.000Z' },
        { campaignId: 'b', month: '2026-03', amount: '0.000001', currency: 'USD', revision: 1, updatedAt: '2026-03-15T12:00:00.000Z' },
      ],
      nextCursor: null,
    });

    const history = (await get('/v1/plans/history?campaignId=a&month=2026-03')).json();
    expect(history.items).toEqual([
      { campaignId: 'a', month: '2026-03', revision: 1, amount: '12000.00', currency: 'USD', changedAt: '2026-03-15T12:00:00.000Z', changedBy: 'test ops' },
      { campaignId: 'a', month: '2026-03', revision: 2, amount: '12500.25', currency: 'USD', changedAt: '2026-03-15T12:00:00.000Z', changedBy: 'test finance' },
    ]);
    expect(await countRows(t.app, 'plan_revisions')).toBe(5);
  });

  it('takes the extremes of an amount: 12 integer and 6 fractional digits, as string or number, and zero', async () => {
    expect((await put([plan('a', '2026-01', '999999999999.999999'), plan('a', '2026-02', 999999999999.99), plan('a', '2026-03', '0')])).statusCode).toBe(200);
    const amounts = (await get('/v1/plans')).json().items.map((p: { amount: string }) => p.amount);
    expect(amounts).toEqual(['999999999999.999999', '999999999999.99', '0.00']);
  });

  it('refuses a negative plan, naming the item', async () => {
    const res = await put([plan('a', '2026-01', '10'), plan('a', '2026-02', '-5.5')]);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'items/1/amount', message: 'must not be negative' }]);
    expect((await get('/v1/plans')).json().items).toEqual([]);
  });

  it('prints amounts to the currency’s minor unit (JPY 0, KWD 3)', async () => {
    await put([plan('a', '2026-01', '1500', 'JPY'), plan('a', '2026-02', '1.5', 'KWD')]);
    expect((await get('/v1/plans')).json().items.map((p: { amount: string }) => p.amount)).toEqual(['1500', '1.500']);
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      await put([plan('a', '2026-03', '100')]);
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it('amounts with 7 decimal places, 13 integer digits, exponents or thousands separators', async () => {
      const res = await put([
        plan('a', '2026-03', '1.1234567'),
        plan('a', '2026-04', 1.1234567),
        plan('a', '2026-05', '1234567890123'),
        plan('a', '2026-06', 1234567890123),
        plan('a', '2026-07', '1e3'),
        plan('a', '2026-08', 1e21),
        plan('a', '2026-09', '1,000.00'),
        plan('a', '2026-10', ''),
        plan('a', '2026-11', '12345678901234567890.5'),
        plan('a', '2026-12', 'NaN'),
      ]);
      const problem = problemOf(res, 400, 'validation_failed');
      expect(problem.errors!.map((e) => e.path)).toEqual(Array.from({ length: 10 }, (_, i) => `items/${i}/amount`));
      expect(problem.errors![0]!.message).toMatch(/6 decimal places/);
      expect(problem.errors![2]!.message).toMatch(/12 integer digits/);
    });

    it('an amount of the wrong type', async () => {
      expect(errorPaths(await put([plan('a', '2026-03', true), plan('a', '2026-04', null), plan('a', '2026-05', { value: 1 })]))).toEqual([
        'items/0/amount',
        'items/1/amount',
        'items/2/amount',
      ]);
    });

    it('bad currency codes', async () => {
      expect(errorPaths(await put([plan('a', '2026-03', '1', 'usd'), plan('a', '2026-04', '1', 'US'), plan('a', '2026-05', '1', 'ABC'), plan('a', '2026-06', '1', 'XAU')]))).toEqual([
        'items/0/currency',
        'items/1/currency',
        'items/2/currency',
        'items/3/currency',
      ]);
    });

    it('bad months', async () => {
      expect(errorPaths(await put([plan('a', '2026-13', '1'), plan('a', '2026-00', '1'), plan('a', '2026-3', '1'), plan('a', '2026-03-01', '1')]))).toEqual([
        'items/0/month',
        'items/1/month',
        'items/2/month',
        'items/3/month',
      ]);
    });

    it('an unknown campaign', async () => {
      const problem = problemOf(await put([plan('a', '2026-03', '5'), plan('zzz', '2026-03', '5')]), 400);
      expect(problem.errors).toEqual([{ path: 'items/1/campaignId', message: expect.stringContaining('zzz') }]);
    });

    it('the same (campaignId, month) twice in one batch', async () => {
      const problem = problemOf(await put([plan('a', '2026-05', '5'), plan('b', '2026-05', '5'), plan('a', '2026-05', '6')]), 400);
      expect(problem.errors).toEqual([{ path: 'items/2/month', message: expect.stringContaining('item 0') }]);
    });

    it('a mix: every bad item listed, and the good ones not written', async () => {
      const res = await put([plan('a', '2026-06', '1'), plan('nope', '2026-06', '1'), plan('b', '2026-06', '1'), plan('nope2', '2026-06', '1')]);
      expect(errorPaths(res)).toEqual(['items/1/campaignId', 'items/3/campaignId']);
    });
  });
});

describe('GET /v1/plans', () => {
  beforeEach(async () => {
    const items = ['a', 'b', 'c'].flatMap((id) => ['2026-01', '2026-02', '2026-03', '2026-04'].map((month) => plan(id, month, '100')));
    expect((await put(items)).json().inserted).toBe(12);
  });

  it('walks all plans once by (campaignId, month) with limit and nextCursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`/v1/plans?limit=5${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: { campaignId: string; month: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((p) => `${p.campaignId} ${p.month}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
    expect(seen).toEqual([...seen].sort());
  });

  it('filters by campaignId and by a month range', async () => {
    const months = (url: string) => get(url).then((r) => r.json().items.map((p: { campaignId: string; month: string }) => `${p.campaignId} ${p.month}`));
    expect(await months('/v1/plans?campaignId=b')).toEqual(['b 2026-01', 'b 2026-02', 'b 2026-03', 'b 2026-04']);
    expect(await months('/v1/plans?campaignId=c&from=2026-02&to=2026-03')).toEqual(['c 2026-02', 'c 2026-03']);
    expect(await months('/v1/plans?from=2026-04')).toEqual(['a 2026-04', 'b 2026-04', 'c 2026-04']);
    expect(await months('/v1/plans?campaignId=unknown')).toEqual([]);
  });

  it('answers CSV with the JSON field names as header', async () => {
    const json = (await get('/v1/plans?limit=2')).json();
    for (const res of [await get('/v1/plans?limit=2&format=csv'), await t.call({ method: 'GET', url: '/v1/plans?limit=2', role: 'ops', headers: { accept: 'text/csv' } })]) {
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const rows = parseCsv(res.body);
      expect(rows[0]).toEqual(Object.keys(json.items[0]));
      expect(rows.slice(1)).toEqual(json.items.map((p: Record<string, unknown>) => Object.values(p).map(String)));
    }
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=10001', 'limit'],
    ['?cursor=abc', 'cursor'],
    [`?cursor=${Buffer.from('["a"]').toString('base64url')}`, 'cursor'],
    ['?from=2026-13', 'from'],
    ['?campaignId=has%20space', 'campaignId'],
    ['?month=2026-03', 'month'],
  ])('refuses %s (400 at %s)', async (query, path) => {
    expect(errorPaths(await get(`/v1/plans${query}`))).toEqual([path]);
  });
});

describe('GET /v1/plans/history', () => {
  it('pages through every revision, oldest first, and filters', async () => {
    for (let i = 1; i <= 6; i++) await put([plan('a', '2026-03', String(i * 100)), plan('b', '2026-03', '50')]);
    // a: 6 revisions; b: 1.
    const all: { campaignId: string; revision: number; amount: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = (await get(`/v1/plans/history?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: typeof all; nextCursor: string | null };
      all.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(all).toHaveLength(7);
    expect(all.filter((r) => r.campaignId === 'a').map((r) => [r.revision, r.amount])).toEqual([
      [1, '100.00'],
      [2, '200.00'],
      [3, '300.00'],
      [4, '400.00'],
      [5, '500.00'],
      [6, '600.00'],
    ]);
    expect((await get('/v1/plans/history?campaignId=b')).json().items).toHaveLength(1);
    expect((await get('/v1/plans/history?month=2026-04')).json()).toEqual({ items: [], nextCursor: null });

    const csv = parseCsv((await get('/v1/plans/history?campaignId=b&format=csv')).body);
    expect(csv).toEqual([
      ['campaignId', 'month', 'revision', 'amount', 'currency', 'changedAt', 'changedBy'],
      ['b', '2026-03', '1', '50.00', 'USD', '2026-03-15T12:00:00.000Z', 'test ops'],
    ]);
  });

  it.each([['?limit=0'], ['?limit=10001'], ['?cursor=xyz'], [`?cursor=${Buffer.from('"1"').toString('base64url')}`], ['?month=2026-13'], ['?from=2026-01']])(
    'refuses %s (400)',
    async (query) => {
      problemOf(await get(`/v1/plans/history${query}`), 400, 'validation_failed');
    },
  );
});

describe('number literals a double cannot carry (more than 15 significant digits, or an exponent)', () => {
  const raw = (url: string, method: 'PUT' | 'POST', body: string) =>
    t.call({ method, url, role: 'admin', payload: body, headers: { 'content-type': 'application/json' } });

  it('are exact amounts and rates when sent as JSON numbers, and refused as text or with an exponent', async () => {
    // 18 significant digits: a double would read 999999999999.999999 as 1000000000000.
    const stored = await raw('/v1/plans', 'PUT', '{"items":[{"campaignId":"a","month":"2026-03","amount":999999999999.999999,"currency":"USD"}]}');
    expect(stored.statusCode).toBe(200);
    expect((await get('/v1/plans?campaignId=a&from=2026-03&to=2026-03')).json().items[0].amount).toBe('999999999999.999999');
    const rate = await raw('/v1/fx-rates', 'PUT', '{"items":[{"currency":"EUR","date":"2026-03-01","rate":123456.123456789012}]}');
    expect(rate.statusCode).toBe(200);
    expect((await get('/v1/fx-rates?currency=EUR')).json().items[0].rate).toBe('123456.123456789012');
    // An exponent is refused as an amount, by name; the same literal is refused where a name (text) belongs.
    expect(problemOf(await raw('/v1/plans', 'PUT', '{"items":[{"campaignId":"a","month":"2026-04","amount":1.5e3,"currency":"USD"}]}'), 400).errors).toEqual([
      { path: 'items/0/amount', message: expect.stringMatching(/plain notation/) },
    ]);
    expect(errorPaths(await raw('/v1/campaigns', 'POST', '{"items":[{"id":"z","name":12345678901234567890,"channel":"email","startDate":"2026-01-01"}]}'))).toEqual([
      'items/0/name',
    ]);
  });
});
