/**
 * Timestamps wherever the API takes one (touchpoints and revenue, in small
 * batches through zod and in large ones through the fast path, and the
 * audit's from/to): an offset must be within -12:00..+14:00, and the instant
 * within the years 1900 to 2999, as written and in UTC. Anything else is a
 * 400 naming the field, and nothing is written; `9999-12-31T23:59:59.999-23:59`
 * used to be stored and listed as `+010000-01-01...`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigBatchBody, campaignItem, errorPaths, makeApp, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('a')]);
});
afterAll(() => t.close());

const touch = (id: string, occurredAt: string) => ({ id, customerId: 'cust-1', campaignId: 'a', occurredAt });
const sale = (id: string, occurredAt: string) => ({ id, customerId: 'cust-1', occurredAt, amount: '10', currency: 'USD' });
const post = (url: string, payload: unknown) => t.call({ method: 'POST', url, role: 'ops', payload: payload as Record<string, unknown> });

const REFUSED = [
  '9999-12-31T23:59:59.999-23:59',
  '2026-03-01T10:00:00+14:01',
  '2026-03-01T10:00:00-12:01',
  '2026-03-01T10:00:00+23:59',
  '3000-01-01T00:00:00Z',
  '2999-12-31T23:00:00-05:00', // 3000-01-01T04:00Z
  '1900-01-01T00:30:00+01:00', // 1899-12-31T23:30Z
  '0000-01-01T00:00:00Z',
];

describe.each([
  ['/v1/touchpoints', touch],
  ['/v1/revenue', sale],
])('POST %s', (url, item) => {
  it.each(REFUSED)('refuses %s with a 400 naming items/1/occurredAt, writing nothing', async (bad) => {
    const before = await snapshot(t.app);
    const res = await post(url, { items: [item('ok-1', '2026-03-01T10:00:00Z'), item('bad-1', bad)] });
    expect(errorPaths(res)).toEqual(['items/1/occurredAt']);
    expect(problemOf(res, 400).errors![0]!.message).toContain('-12:00 to +14:00, in the years 1900 to 2999');
    expect(await snapshot(t.app)).toBe(before);
  });

  it('takes the widest offsets and the edges of the years, and lists them in UTC', async () => {
    const res = await post(url, {
      items: [
        item('edge-east', '2026-03-01T10:00:00+14:00'), // 2026-02-28T20:00Z
        item('edge-west', '2026-03-01T10:00:00-12:00'), // 2026-03-01T22:00Z
        item('edge-last', '2999-12-31T23:59:59.999Z'),
        item('edge-first', '1900-01-01T00:00:00Z'),
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const listed = await t.call({ method: 'GET', url: `${url}?customerId=cust-1&limit=1000`, role: 'finance' });
    expect(listed.statusCode, listed.body).toBe(200);
    const at = Object.fromEntries((listed.json().items as { id: string; occurredAt: string }[]).map((i) => [i.id, i.occurredAt]));
    expect(at).toMatchObject({
      'edge-east': '2026-02-28T20:00:00.000Z',
      'edge-west': '2026-03-01T22:00:00.000Z',
      'edge-last': '2999-12-31T23:59:59.999Z',
      'edge-first': '1900-01-01T00:00:00.000Z',
    });
    for (const instant of Object.values(at)) expect(instant).toMatch(/^\d{4}-/);
  });
});

describe('the touchpoint fast path', () => {
  it('refuses a far offset or year in a large batch with the same 400 as zod, naming the item', async () => {
    for (const bad of ['9999-12-31T23:59:59.999-23:59', '2026-03-01T10:00:00.000+14:30', '3000-01-01T00:00:00.000Z']) {
      const before = await snapshot(t.app);
      const body = bigBatchBody(2_000, (i) => touch(`fast-${i}`, i === 1_234 ? bad : '2026-03-01T10:00:00.000Z'));
      const res = await t.call({ method: 'POST', url: '/v1/touchpoints', role: 'ops', payload: body, headers: { 'content-type': 'application/json' } });
      expect(errorPaths(res)).toEqual(['items/1234/occurredAt']);
      expect(await snapshot(t.app)).toBe(before);
    }
  });
});

describe('GET /v1/audit from and to', () => {
  it.each([
    ['from', '2026-03-01T00:00:00+15:00'],
    ['from', '9999-12-31T23:59:59.999-23:59'],
    ['to', '3000-01-01'],
    ['to', '2999-12-31T23:30:00-01:00'],
  ])('refuses %s=%s with a 400 naming it', async (field, value) => {
    const res = await t.call({ method: 'GET', url: `/v1/audit?${field}=${encodeURIComponent(value)}`, role: 'finance' });
    expect(errorPaths(res)).toEqual([field]);
  });

  it('takes a date or an instant at the edges', async () => {
    for (const query of ['from=1900-01-01', 'to=2999-12-31', 'from=2026-03-01T00:00:00%2B14:00', 'to=2999-12-31T23:59:59.999Z']) {
      expect((await t.call({ method: 'GET', url: `/v1/audit?${query}`, role: 'finance' })).statusCode, query).toBe(200);
    }
  });
});
