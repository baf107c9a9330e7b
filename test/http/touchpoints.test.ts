/** Touchpoints: POST batch keyed by the client's id, GET list with filters, pagination and CSV. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bigBatchBody, campaignItem, countRows, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('a'), campaignItem('b')]);
});
afterEach(() => t.close());

const post = (items: unknown[], role: 'ops' | 'viewer' | null = 'ops') => t.call({ method: 'POST', url: '/v1/touchpoints', role, payload: { items } });
const get = (query = '') => t.call({ method: 'GET', url: `/v1/touchpoints${query}`, role: 'ops' });
const touch = (id: string, extra: Record<string, unknown> = {}) => ({ id, customerId: 'cust-1', campaignId: 'a', occurredAt: '2026-03-01T10:15:00Z', ...extra });

describe('POST /v1/touchpoints', () => {
  it('counts inserted, updated and unchanged; stores the instant whatever the offset', async () => {
    const batch = [touch('tp-1'), touch('tp-2', { campaignId: 'b', occurredAt: '2026-03-01T12:15:00+02:00' }), touch('tp-3', { customerId: 'cust-2', occurredAt: '2026-03-02T00:30:00.5-01:00' })];
    expect((await post(batch)).json()).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
    expect((await post(batch)).json()).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
    // The same instant written another way is the same value: unchanged.
    expect((await post([touch('tp-1', { occurredAt: '2026-03-01T11:15:00.000+01:00' })])).json()).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    expect((await post([touch('tp-1', { campaignId: 'b' }), touch('tp-2', { customerId: 'cust-9', campaignId: 'b', occurredAt: '2026-03-01T10:15:00Z' }), touch('tp-4')])).json()).toEqual({
      inserted: 1,
      updated: 2,
      unchanged: 0,
    });
    expect((await get()).json()).toEqual({
      items: [
        { id: 'tp-1', customerId: 'cust-1', campaignId: 'b', occurredAt: '2026-03-01T10:15:00.000Z' },
        { id: 'tp-2', customerId: 'cust-9', campaignId: 'b', occurredAt: '2026-03-01T10:15:00.000Z' },
        { id: 'tp-3', customerId: 'cust-2', campaignId: 'a', occurredAt: '2026-03-02T01:30:00.500Z' },
        { id: 'tp-4', customerId: 'cust-1', campaignId: 'a', occurredAt: '2026-03-01T10:15:00.000Z' },
      ],
      nextCursor: null,
    });
    expect(await countRows(t.app, 'touchpoints')).toBe(4);
  });

  it('is for ops: a viewer gets 403 and no key 401, writing nothing', async () => {
    const before = await snapshot(t.app);
    problemOf(await post([touch('tp-1')], 'viewer'), 403, 'forbidden');
    problemOf(await post([touch('tp-1')], null), 401, 'unauthorized');
    problemOf(await t.call({ method: 'GET', url: '/v1/touchpoints', role: 'viewer' }), 403, 'forbidden');
    expect(await snapshot(t.app)).toBe(before);
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      await post([touch('tp-0')]);
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it('bad fields, every one listed with its path', async () => {
      const res = await post([
        touch('tp-1', { customerId: 42 }),
        touch('tp-2', { note: 'x' }),
        touch('tp-3', { occurredAt: '2026-02-30T10:00:00Z' }),
        touch('tp-4', { occurredAt: '2026-03-01T10:15:00' }),
        touch('tp-5', { occurredAt: '2026-03-01' }),
        touch('tp-6', { customerId: 'has space' }),
        touch('bad id'),
        touch('tp-8', { occurredAt: '2026-03-01T24:00:00Z' }),
        touch('tp-9', { occurredAt: '2026-03-01T10:15:00.1234Z' }),
        { id: 'tp-10', customerId: 'cust-1', campaignId: 'a' },
      ]);
      expect(errorPaths(res)).toEqual([
        'items/0/customerId',
        'items/1/note',
        'items/2/occurredAt',
        'items/3/occurredAt',
        'items/4/occurredAt',
        'items/5/customerId',
        'items/6/id',
        'items/7/occurredAt',
        'items/8/occurredAt',
        'items/9/occurredAt',
      ]);
    });

    it('a timestamp without an offset, with a message that says so', async () => {
      const problem = problemOf(await post([touch('tp-1', { occurredAt: '2026-03-01T10:15:00' })]), 400);
      expect(problem.errors).toEqual([{ path: 'items/0/occurredAt', message: expect.stringContaining('offset') }]);
    });

    it('an unknown campaign', async () => {
      const problem = problemOf(await post([touch('tp-1'), touch('tp-2', { campaignId: 'ghost' })]), 400);
      expect(problem.errors).toEqual([{ path: 'items/1/campaignId', message: expect.stringContaining('ghost') }]);
    });

    it('the same id twice in one batch', async () => {
      expect(errorPaths(await post([touch('tp-1'), touch('tp-1', { campaignId: 'b' })]))).toEqual(['items/1/id']);
    });

    it('an empty batch', async () => {
      expect(errorPaths(await post([]))).toEqual(['items']);
    });

    it('100,001 items (413)', async () => {
      const body = bigBatchBody(100_001, (i) => touch(`tp-${i}`));
      const res = await t.call({ method: 'POST', url: '/v1/touchpoints', role: 'ops', payload: body, headers: { 'content-type': 'application/json' } });
      expect(problemOf(res, 413, 'payload_too_large').detail).toMatch(/100,000/);
    });
  });

  it('replays an Idempotency-Key, and refuses it with another body (409)', async () => {
    const send = (items: unknown[]) => t.call({ method: 'POST', url: '/v1/touchpoints', role: 'ops', payload: { items }, headers: { 'idempotency-key': 'tp-load-1' } });
    expect((await send([touch('tp-1')])).json()).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    const replay = await send([touch('tp-1')]);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    problemOf(await send([touch('tp-2')]), 409);
  });
});

describe('GET /v1/touchpoints', () => {
  beforeEach(async () => {
    const items = Array.from({ length: 23 }, (_, i) =>
      touch(`tp-${String(i).padStart(2, '0')}`, {
        customerId: `cust-${i % 3}`,
        campaignId: i % 2 ? 'b' : 'a',
        occurredAt: new Date(Date.UTC(2026, 2, 1 + i, 23, 59, 59, 999)).toISOString(),
      }),
    );
    expect((await post(items)).json().inserted).toBe(23);
  });

  it('walks every touchpoint once with limit and nextCursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`?limit=5${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((tp) => tp.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => `tp-${String(i).padStart(2, '0')}`));
  });

  it('filters by customerId, campaignId and whole UTC days from/to', async () => {
    const ids = async (query: string) => (await get(`${query}&limit=10000`)).json().items.map((tp: { id: string }) => tp.id);
    expect(await ids('?customerId=cust-0')).toEqual(['tp-00', 'tp-03', 'tp-06', 'tp-09', 'tp-12', 'tp-15', 'tp-18', 'tp-21']);
    expect((await ids('?campaignId=b')).length).toBe(11);
    // 2026-03-03 and 2026-03-04, each touch at 23:59:59.999 of its day.
    expect(await ids('?from=2026-03-03&to=2026-03-04')).toEqual(['tp-02', 'tp-03']);
    expect(await ids('?customerId=cust-1&campaignId=a&from=2026-03-05')).toEqual(['tp-04', 'tp-10', 'tp-16', 'tp-22']);
  });

  it('answers CSV with the JSON field names as header', async () => {
    const json = (await get('?limit=3')).json();
    const csv = parseCsv((await t.call({ method: 'GET', url: '/v1/touchpoints?limit=3&format=csv', role: 'ops' })).body);
    expect(csv[0]).toEqual(['id', 'customerId', 'campaignId', 'occurredAt']);
    expect(csv.slice(1)).toEqual(json.items.map((tp: Record<string, unknown>) => Object.values(tp).map(String)));
  });

  it.each([['?limit=0'], ['?cursor=%%%'], ['?from=2026-03'], ['?customerId=a%20b'], ['?unknown=1']])('refuses %s (400)', async (query) => {
    problemOf(await get(query), 400, 'validation_failed');
  });
});
