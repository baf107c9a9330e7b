/**
 * Revenue: POST batch of conversions and refunds keyed by the client's id,
 * with the refund rules checked against the state the batch would leave;
 * GET list with filters, pagination and CSV.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bigBatchBody, countRows, errorPaths, makeApp, parseCsv, problemOf, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

const post = (items: unknown[], role: 'ops' | 'viewer' | null = 'ops') => t.call({ method: 'POST', url: '/v1/revenue', role, payload: { items } });
const get = (query = '') => t.call({ method: 'GET', url: `/v1/revenue${query}`, role: 'ops' });
const conversion = (id: string, extra: Record<string, unknown> = {}) => ({ id, customerId: 'cust-1', occurredAt: '2026-03-03T09:00:00Z', amount: '100.00', currency: 'USD', ...extra });
const refund = (id: string, of: string, amount: string, extra: Record<string, unknown> = {}) =>
  conversion(id, { occurredAt: '2026-03-10T09:00:00Z', amount, refundOf: of, ...extra });

describe('POST /v1/revenue', () => {
  it('counts inserted, updated and unchanged; refunds may follow their conversion in the same batch', async () => {
    const batch = [conversion('ord-1'), conversion('ord-2', { amount: 49.9, currency: 'EUR', customerId: 'cust-2' }), refund('ref-1', 'ord-1', '-30')];
    // No EUR rate: ord-2 is taken, with a warning naming its day, as every answer that holds it.
    const eur = { warnings: [{ path: 'items/1/currency', message: 'no EUR rate on or before 2026-03-03; reports that include this line answer 422 until one is added' }], warningCount: 1 };
    expect((await post(batch)).json()).toEqual({ inserted: 3, updated: 0, unchanged: 0, ...eur });
    expect((await post(batch)).json()).toEqual({ inserted: 0, updated: 0, unchanged: 3, ...eur });
    // The same values written another way: unchanged.
    expect((await post([conversion('ord-1', { amount: 100, occurredAt: '2026-03-03T10:00:00+01:00' })])).json()).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    expect((await post([refund('ref-1', 'ord-1', '-70'), conversion('ord-2', { amount: '59.90', currency: 'EUR', customerId: 'cust-2' }), conversion('ord-3')])).json()).toEqual({
      inserted: 1,
      updated: 2,
      unchanged: 0,
      ...eur,
    });
    expect((await get()).json()).toEqual({
      items: [
        { id: 'ord-1', customerId: 'cust-1', occurredAt: '2026-03-03T09:00:00.000Z', amount: '100.00', currency: 'USD', refundOf: null },
        { id: 'ord-2', customerId: 'cust-2', occurredAt: '2026-03-03T09:00:00.000Z', amount: '59.90', currency: 'EUR', refundOf: null },
        { id: 'ord-3', customerId: 'cust-1', occurredAt: '2026-03-03T09:00:00.000Z', amount: '100.00', currency: 'USD', refundOf: null },
        { id: 'ref-1', customerId: 'cust-1', occurredAt: '2026-03-10T09:00:00.000Z', amount: '-70.00', currency: 'USD', refundOf: 'ord-1' },
      ],
      nextCursor: null,
    });
  });

  it('takes refunds up to exactly the conversion’s amount, across batches', async () => {
    // 100.00 = 30.00 + 69.999999 + 0.000001
    expect((await post([conversion('ord-1'), refund('ref-1', 'ord-1', '-30')])).statusCode).toBe(200);
    expect((await post([refund('ref-2', 'ord-1', '-69.999999'), refund('ref-3', 'ord-1', '-0.000001')])).json()).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
    expect(await countRows(t.app, 'revenue')).toBe(4);
  });

  it('lets a refund be lowered, which frees room for another', async () => {
    await post([conversion('ord-1'), refund('ref-1', 'ord-1', '-100')]);
    expect((await post([refund('ref-1', 'ord-1', '-60'), refund('ref-2', 'ord-1', '-40')])).json()).toEqual({ inserted: 1, updated: 1, unchanged: 0 });
  });

  it('is for ops: a viewer gets 403 and no key 401, writing nothing', async () => {
    const before = await snapshot(t.app);
    problemOf(await post([conversion('ord-1')], 'viewer'), 403, 'forbidden');
    problemOf(await post([conversion('ord-1')], null), 401, 'unauthorized');
    problemOf(await t.call({ method: 'GET', url: '/v1/revenue', role: 'viewer' }), 403, 'forbidden');
    expect(await snapshot(t.app)).toBe(before);
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      // ord-0: 100.00 USD of cust-1, 40.00 of it refunded already.
      expect((await post([conversion('ord-0'), refund('ref-0', 'ord-0', '-40')])).statusCode).toBe(200);
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it('bad fields, every one listed with its path', async () => {
      const res = await post([
        conversion('ord-1', { amount: true }),
        conversion('ord-2', { note: 'x' }),
        conversion('ord-3', { occurredAt: '2026-03-03T09:00:00' }),
        conversion('ord-4', { occurredAt: '2026-02-29T09:00:00Z' }),
        conversion('ord-5', { amount: '1.0000001' }),
        conversion('ord-6', { currency: 'usd' }),
        conversion('ord-7', { customerId: '' }),
        conversion('ord-8', { refundOf: 42 }),
      ]);
      expect(errorPaths(res)).toEqual([
        'items/0/amount',
        'items/1/note',
        'items/2/occurredAt',
        'items/3/occurredAt',
        'items/4/amount',
        'items/5/currency',
        'items/6/customerId',
        'items/7/refundOf',
      ]);
    });

    it('a conversion of zero or less, and a refund that is not negative', async () => {
      const res = await post([conversion('ord-1', { amount: '0' }), conversion('ord-2', { amount: '-5' }), refund('ref-1', 'ord-0', '5')]);
      expect(errorPaths(res)).toEqual(['items/0/amount', 'items/1/amount', 'items/2/amount']);
    });

    it('a refund of an unknown conversion', async () => {
      const problem = problemOf(await post([refund('ref-1', 'ghost', '-1')]), 400);
      expect(problem.errors).toEqual([{ path: 'items/0/refundOf', message: expect.stringContaining('ghost') }]);
    });

    it('a refund of a conversion that comes later in the batch', async () => {
      expect(errorPaths(await post([refund('ref-1', 'ord-1', '-1'), conversion('ord-1')]))).toEqual(['items/0/refundOf']);
    });

    it('a refund of a refund, stored or in the batch', async () => {
      expect(errorPaths(await post([refund('ref-1', 'ref-0', '-1')]))).toEqual(['items/0/refundOf']);
      expect(errorPaths(await post([conversion('ord-1'), refund('ref-1', 'ord-1', '-5'), refund('ref-2', 'ref-1', '-1')]))).toEqual(['items/2/refundOf']);
    });

    it('a refund larger than what is left of its conversion', async () => {
      const problem = problemOf(await post([refund('ref-1', 'ord-0', '-60.01')]), 400);
      expect(problem.errors).toEqual([{ path: 'items/0/amount', message: expect.stringContaining('only 60.00 USD') }]);
    });

    it('two refunds in one batch that together exceed what is left', async () => {
      // 60.00 left: 35.00 fits, 35.00 more does not.
      expect(errorPaths(await post([refund('ref-1', 'ord-0', '-35'), refund('ref-2', 'ord-0', '-35')]))).toEqual(['items/1/amount']);
    });

    it('a conversion lowered below what was refunded of it', async () => {
      expect(errorPaths(await post([conversion('ord-0', { amount: '39.99' })]))).toEqual(['items/0/amount']);
    });

    it('a conversion with refunds turned into a refund', async () => {
      expect(errorPaths(await post([conversion('ord-9'), refund('ord-0', 'ord-9', '-1')]))).toEqual(['items/1/refundOf']);
    });

    it('a refund of another customer or in another currency', async () => {
      const res = await post([refund('ref-1', 'ord-0', '-1', { customerId: 'cust-2' }), refund('ref-2', 'ord-0', '-1', { currency: 'EUR' })]);
      expect(errorPaths(res)).toEqual(['items/0/customerId', 'items/1/currency']);
    });

    it('a conversion moved to another customer or currency than its refunds', async () => {
      expect(errorPaths(await post([conversion('ord-0', { customerId: 'cust-2', currency: 'EUR' })]))).toEqual(['items/0/currency', 'items/0/customerId']);
    });

    it('the same id twice in one batch', async () => {
      expect(errorPaths(await post([conversion('ord-1'), conversion('ord-1', { amount: '5' })]))).toEqual(['items/1/id']);
    });

    it('an empty batch', async () => {
      expect(errorPaths(await post([]))).toEqual(['items']);
    });

    it('100,001 items (413)', async () => {
      const body = bigBatchBody(100_001, (i) => conversion(`ord-${i}`));
      const res = await t.call({ method: 'POST', url: '/v1/revenue', role: 'ops', payload: body, headers: { 'content-type': 'application/json' } });
      expect(problemOf(res, 413, 'payload_too_large').detail).toMatch(/100,000/);
    });
  });
});

describe('GET /v1/revenue', () => {
  beforeEach(async () => {
    const items = Array.from({ length: 17 }, (_, i) =>
      conversion(`ord-${String(i).padStart(2, '0')}`, { customerId: `cust-${i % 2}`, occurredAt: new Date(Date.UTC(2026, 2, 1 + i)).toISOString(), amount: `${i + 1}.5` }),
    );
    expect((await post(items)).json().inserted).toBe(17);
  });

  it('walks every event once with limit and nextCursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`?limit=4${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 17 }, (_, i) => `ord-${String(i).padStart(2, '0')}`));
  });

  it('filters by customerId and whole UTC days from/to', async () => {
    const ids = async (query: string) => (await get(`${query}&limit=10000`)).json().items.map((r: { id: string }) => r.id);
    expect((await ids('?customerId=cust-1')).length).toBe(8);
    expect(await ids('?from=2026-03-02&to=2026-03-04')).toEqual(['ord-01', 'ord-02', 'ord-03']);
    expect(await ids('?customerId=cust-0&from=2026-03-15')).toEqual(['ord-14', 'ord-16']);
  });

  it('answers CSV with the JSON field names as header and amounts as in JSON', async () => {
    const json = (await get('?limit=3')).json();
    const res = await t.call({ method: 'GET', url: '/v1/revenue?limit=3', role: 'finance', headers: { accept: 'text/csv' } });
    const csv = parseCsv(res.body);
    expect(csv[0]).toEqual(['id', 'customerId', 'occurredAt', 'amount', 'currency', 'refundOf']);
    expect(csv[1]).toEqual(['ord-00', 'cust-0', '2026-03-01T00:00:00.000Z', '1.50', 'USD', '']);
    expect(csv.length).toBe(json.items.length + 1);
  });

  it.each([['?limit=0'], ['?cursor=%%%'], ['?to=2026-02-30'], ['?campaignId=a']])('refuses %s (400)', async (query) => {
    problemOf(await get(query), 400, 'validation_failed');
  });
});
