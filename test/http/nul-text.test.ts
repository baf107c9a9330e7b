/**
 * A NUL character (U+0000) anywhere a client sends text is a 400 naming the
 * field, on both stores: PostgreSQL cannot take one in a statement (it was a
 * 500 there), and SQLite would have stored it. The reliability fuzz found it
 * on PostgreSQL (DELETE /v1/api-keys/%00).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUL_MESSAGE, nulFields } from '../../src/lib/nul-text.js';
import { campaignItem, makeApp, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('c1')]);
});
afterAll(() => t.close());

describe('nulFields', () => {
  it('names each string (or key) holding U+0000 by its path, and nothing else', () => {
    const byPath = (fields: { path: string }[]) => [...fields].sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(byPath(nulFields({ items: [{ a: 'ok' }, { a: 'x\u0000', b: ['y', '\u0000'] }], ['k\u0000']: 1 }))).toEqual([
      { path: 'items/1/a', message: NUL_MESSAGE },
      { path: 'items/1/b/1', message: NUL_MESSAGE },
      { path: 'k\u0000', message: NUL_MESSAGE },
    ]);
    expect(nulFields({ id: 'a\u0000b' })).toEqual([{ path: 'id', message: NUL_MESSAGE }]);
    expect(nulFields({ items: ['\\u0000', 'plain', 0, null, { x: true }] })).toEqual([]);
  });
});

describe('a NUL character in what a client sends', () => {
  it.each([
    ['POST', '/v1/api-keys', 'name', { name: 'a\u0000b', role: 'ops' }],
    ['POST', '/v1/campaigns', 'items/0/name', { items: [campaignItem('c2', { name: 'x\u0000y' })] }],
    ['POST', '/v1/spend', 'items/0/reference', { items: [{ campaignId: 'c1', date: '2026-03-01', amount: '1', currency: 'USD', source: 'manual', reference: 'r\u0000' }] }],
    ['POST', '/v1/forecasts', 'name', { name: 'f\u0000g', month: '2026-03', method: 'run_rate' }],
  ] as const)('%s %s is a 400 naming %s, writing nothing', async (method, url, path, payload) => {
    const before = await snapshot(t.app);
    const res = await t.call({ method, url, payload, role: 'admin' });
    expect(problemOf(res, 400, 'validation_failed').errors).toEqual([{ path: path, message: NUL_MESSAGE }]);
    expect(await snapshot(t.app)).toBe(before);
  });

  it.each([
    ['DELETE', '/v1/api-keys/a%00b', 'id'],
    ['GET', '/v1/api-keys/%00', null],
    ['GET', '/v1/forecasts/%00', 'id'],
    ['GET', '/v1/reports/burn?month=2026-03&campaignId=c%00', 'campaignId'],
  ] as const)('%s %s is a 400 naming the parameter (or a 404 for no route)', async (method, url, path) => {
    const res = await t.call({ method, url });
    if (path === null) problemOf(res, 404);
    else expect(problemOf(res, 400, 'validation_failed').errors).toEqual([{ path, message: NUL_MESSAGE }]);
  });

  it('the six characters \\u0000 as text are ordinary text', async () => {
    const res = await t.call({ method: 'POST', url: '/v1/api-keys', payload: { name: 'a\\u0000b', role: 'viewer' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'a\\u0000b' });
  });
});
