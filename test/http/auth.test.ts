/**
 * Roles on every route, as docs/api.md sets them: admin > finance > ops >
 * viewer. viewer reads reports and settings only; ops writes campaigns,
 * plans, commitments and spend and reads everything; finance also writes FX
 * rates; admin also manages keys and settings. No key, a bad key or a
 * revoked key is a 401; a role that may not is a 403 that writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { campaignItem, makeApp, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

interface RouteCase {
  name: string;
  least: Role;
  /** A request that succeeds for an allowed role; built fresh for every call. */
  request: (t: TestApp) => InjectOptions | Promise<InjectOptions>;
}

const ROUTES: RouteCase[] = [
  { name: 'GET /v1/settings', least: 'viewer', request: () => ({ method: 'GET', url: '/v1/settings' }) },
  { name: 'PUT /v1/settings', least: 'admin', request: () => ({ method: 'PUT', url: '/v1/settings', payload: { pacingTolerance: '0.10' } }) },
  { name: 'POST /v1/api-keys', least: 'admin', request: () => ({ method: 'POST', url: '/v1/api-keys', payload: { name: 'script', role: 'viewer' } }) },
  { name: 'GET /v1/api-keys', least: 'admin', request: () => ({ method: 'GET', url: '/v1/api-keys' }) },
  {
    name: 'DELETE /v1/api-keys/{id}',
    least: 'admin',
    request: async (t) => ({ method: 'DELETE', url: `/v1/api-keys/${(await t.app.apiKeys.create('to revoke', 'viewer')).id}` }),
  },
  { name: 'PUT /v1/campaigns/{id}', least: 'ops', request: () => ({ method: 'PUT', url: '/v1/campaigns/c1', payload: { name: 'One', channel: 'email', startDate: '2026-01-01' } }) },
  { name: 'POST /v1/campaigns', least: 'ops', request: () => ({ method: 'POST', url: '/v1/campaigns', payload: { items: [campaignItem('c2')] } }) },
  { name: 'GET /v1/campaigns', least: 'ops', request: () => ({ method: 'GET', url: '/v1/campaigns' }) },
  { name: 'GET /v1/campaigns/{id}', least: 'ops', request: () => ({ method: 'GET', url: '/v1/campaigns/c1' }) },
  {
    name: 'PUT /v1/plans',
    least: 'ops',
    request: () => ({ method: 'PUT', url: '/v1/plans', payload: { items: [{ campaignId: 'c1', month: '2026-03', amount: '100', currency: 'USD' }] } }),
  },
  { name: 'GET /v1/plans', least: 'ops', request: () => ({ method: 'GET', url: '/v1/plans' }) },
  { name: 'GET /v1/plans/history', least: 'ops', request: () => ({ method: 'GET', url: '/v1/plans/history' }) },
  {
    name: 'POST /v1/commitments',
    least: 'ops',
    request: () => ({
      method: 'POST',
      url: '/v1/commitments',
      payload: { items: [{ id: 'io-1', campaignId: 'c1', month: '2026-03', amount: '50', currency: 'USD' }] },
    }),
  },
  { name: 'GET /v1/commitments', least: 'ops', request: () => ({ method: 'GET', url: '/v1/commitments' }) },
  {
    name: 'PUT /v1/fx-rates',
    least: 'finance',
    request: () => ({ method: 'PUT', url: '/v1/fx-rates', payload: { items: [{ date: '2026-03-01', currency: 'EUR', rate: '1.08' }] } }),
  },
  { name: 'GET /v1/fx-rates', least: 'ops', request: () => ({ method: 'GET', url: '/v1/fx-rates' }) },
  {
    name: 'POST /v1/spend',
    least: 'ops',
    request: () => ({
      method: 'POST',
      url: '/v1/spend',
      payload: { items: [{ campaignId: 'c1', date: '2026-03-02', amount: '10', currency: 'USD', source: 'manual' }] },
    }),
  },
  { name: 'GET /v1/spend', least: 'ops', request: () => ({ method: 'GET', url: '/v1/spend' }) },
  { name: 'GET /v1/reports/burn', least: 'viewer', request: () => ({ method: 'GET', url: '/v1/reports/burn?month=2026-03' }) },
];

const RANK: Record<Role, number> = { viewer: 0, ops: 1, finance: 2, admin: 3 };

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('c1')]);
});
afterAll(() => t.close());

describe.each(ROUTES)('$name', (route) => {
  const allowed = ROLES.filter((role) => RANK[role] >= RANK[route.least]);
  const refused = ROLES.filter((role) => RANK[role] < RANK[route.least]);

  it.each(allowed)('is allowed to %s', async (role) => {
    const res = await t.call({ ...(await route.request(t)), role });
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(200);
    expect(res.statusCode, res.body).toBeLessThan(300);
  });

  if (refused.length > 0) {
    it.each(refused)('is refused to %s with a 403 that writes nothing', async (role) => {
      const request = (await route.request(t));
      const before = await snapshot(t.app);
      const problem = problemOf(await t.call({ ...request, role }), 403, 'forbidden');
      expect(problem.detail).toContain(route.least);
      expect(await snapshot(t.app)).toBe(before);
    });
  }

  it('is a 401 without a key, with a bad key, with a malformed header, and writes nothing', async () => {
    const request = (await route.request(t));
    const before = await snapshot(t.app);
    for (const authorization of [undefined, 'Bearer sb_not_a_real_key', 'Basic YWRtaW46YWRtaW4=', 'Bearer', `Token ${t.keys.admin}`]) {
      const res = await t.app.inject({ ...request, headers: authorization === undefined ? {} : { authorization } });
      problemOf(res, 401, 'unauthorized');
    }
    expect(await snapshot(t.app)).toBe(before);
  });
});

describe('a revoked key', () => {
  it('stops working at once, on every route', async () => {
    const created = await t.call({ method: 'POST', url: '/v1/api-keys', payload: { name: 'leaving', role: 'admin' } });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json() as { id: string; key: string };
    const before = await t.app.inject({ method: 'GET', url: '/v1/settings', headers: { authorization: `Bearer ${key}` } });
    expect(before.statusCode).toBe(200);

    expect((await t.call({ method: 'DELETE', url: `/v1/api-keys/${id}` })).statusCode).toBe(204);
    for (const route of ROUTES) {
      const res = await t.app.inject({ ...(await route.request(t)), headers: { authorization: `Bearer ${key}` } });
      const problem = problemOf(res, 401, 'unauthorized');
      expect(problem.detail).toMatch(/revoked|not valid/);
    }
  });
});

describe('public routes', () => {
  it.each(['/healthz', '/openapi.json', '/docs'])('%s answers without a key', async (url) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect([200, 302]).toContain(res.statusCode);
  });
});
