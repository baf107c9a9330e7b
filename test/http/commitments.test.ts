/** Commitments: POST batch upsert keyed by id, GET list with filters, pagination and CSV. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignItem, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('a'), campaignItem('b')]);
});
afterEach(() => t.close());

const post = (items: unknown[]) => t.call({ method: 'POST', url: '/v1/commitments', role: 'ops', payload: { items } });
const get = (query = '') => t.call({ method: 'GET', url: `/v1/commitments${query}`, role: 'ops' });
const io = (id: string, extra: Record<string, unknown> = {}) => ({ id, campaignId: 'a', month: '2026-03', amount: '5000', currency: 'USD', ...extra });

describe('POST /v1/commitments', () => {
  it('counts inserted, updated and unchanged; status defaults to open', async () => {
    // No EUR rate: the open EUR commitment is taken, with a warning (it converts at its month's first day).
    const eur = { warnings: [{ path: 'items/1/currency', message: 'no EUR rate on or before 2026-03-01; reports that include this line answer 422 until one is added' }], warningCount: 1 };
    expect((await post([io('io-1'), io('io-2', { campaignId: 'b', amount: 1250.5, currency: 'EUR' }), io('io-3', { status: 'closed' })])).json()).toEqual({
      inserted: 3,
      updated: 0,
      unchanged: 0,
      ...eur,
    });
    expect((await post([io('io-1', { status: 'open' }), io('io-2', { campaignId: 'b', amount: '1250.50', currency: 'EUR' })])).json()).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 2,
      ...eur,
    });
    expect((await post([io('io-1', { status: 'closed' }), io('io-3', { status: 'closed', month: '2026-04' }), io('io-4')])).json()).toEqual({
      inserted: 1,
      updated: 2,
      unchanged: 0,
    });
    expect((await get()).json()).toEqual({
      items: [
        { id: 'io-1', campaignId: 'a', month: '2026-03', amount: '5000.00', currency: 'USD', status: 'closed', updatedAt: '2026-03-15T12:00:00.000Z' },
        { id: 'io-2', campaignId: 'b', month: '2026-03', amount: '1250.50', currency: 'EUR', status: 'open', updatedAt: '2026-03-15T12:00:00.000Z' },
        { id: 'io-3', campaignId: 'a', month: '2026-04', amount: '5000.00', currency: 'USD', status: 'closed', updatedAt: '2026-03-15T12:00:00.000Z' },
        { id: 'io-4', campaignId: 'a', month: '2026-03', amount: '5000.00', currency: 'USD', status: 'open', updatedAt: '2026-03-15T12:00:00.000Z' },
      ],
      nextCursor: null,
    });
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      await post([io('io-0')]);
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it('an unknown campaign', async () => {
      const problem = problemOf(await post([io('io-1'), io('io-2', { campaignId: 'ghost' })]), 400);
      expect(problem.errors).toEqual([{ path: 'items/1/campaignId', message: expect.stringContaining('ghost') }]);
    });

    it('a negative amount (a signed order is never below zero)', async () => {
      const problem = problemOf(await post([io('io-1'), io('io-2', { amount: '-100.00' })]), 400);
      expect(problem.errors).toEqual([{ path: 'items/1/amount', message: 'must not be negative' }]);
    });

    it('the same id twice in one batch', async () => {
      expect(errorPaths(await post([io('io-1'), io('io-1', { amount: '1' })]))).toEqual(['items/1/id']);
    });

    it('bad fields, every one listed', async () => {
      const res = await post([
        io('io-1', { status: 'pending' }),
        io('io-2', { amount: '0.0000001' }),
        io('io-3', { amount: '1000000000000' }),
        io('io-4', { currency: 'eur' }),
        io('io-5', { month: '2026-13' }),
        io('bad id'),
        io('io-7', { note: 'x' }),
        { id: 'io-8', campaignId: 'a', month: '2026-03', currency: 'USD' },
      ]);
      expect(errorPaths(res)).toEqual([
        'items/0/status',
        'items/1/amount',
        'items/2/amount',
        'items/3/currency',
        'items/4/month',
        'items/5/id',
        'items/6/note',
        'items/7/amount',
      ]);
    });
  });
});

describe('GET /v1/commitments', () => {
  beforeEach(async () => {
    const items = Array.from({ length: 23 }, (_, i) =>
      io(`io-${String(i).padStart(2, '0')}`, { campaignId: i % 2 ? 'b' : 'a', month: i < 10 ? '2026-03' : '2026-04', status: i % 4 === 0 ? 'closed' : 'open' }),
    );
    expect((await post(items)).json().inserted).toBe(23);
  });

  it('walks every commitment once with limit and nextCursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`?limit=4${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => `io-${String(i).padStart(2, '0')}`));
  });

  it('filters by campaignId, month and status', async () => {
    const count = async (query: string) => (await get(`${query}&limit=10000`)).json().items.length;
    expect(await count('?campaignId=a')).toBe(12);
    expect(await count('?month=2026-03')).toBe(10);
    expect(await count('?status=closed')).toBe(6);
    expect(await count('?campaignId=a&month=2026-04&status=open')).toBe(4);
  });

  it('answers CSV with the JSON field names as header', async () => {
    const json = (await get('?limit=3')).json();
    const csv = parseCsv((await t.call({ method: 'GET', url: '/v1/commitments?limit=3', role: 'finance', headers: { accept: 'text/csv' } })).body);
    expect(csv[0]).toEqual(Object.keys(json.items[0]));
    expect(csv.slice(1)).toEqual(json.items.map((c: Record<string, unknown>) => Object.values(c).map(String)));
  });

  it.each([['?limit=0'], ['?limit=10001'], ['?cursor=%%%'], ['?status=pending'], ['?month=2026-3'], ['?from=2026-03']])('refuses %s (400)', async (query) => {
    problemOf(await get(query), 400, 'validation_failed');
  });
});
