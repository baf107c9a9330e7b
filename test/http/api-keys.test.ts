/** POST/GET/DELETE /v1/api-keys: shown once, stored hashed, revocation, the last admin key. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/features/api-keys/service.js';
import { ADMIN_KEY, errorPaths, makeApp, problemOf, snapshot, tableRows, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

const withKey = (key: string, url = '/v1/settings', method: 'GET' | 'PUT' = 'GET') =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(method === 'PUT' ? { payload: {} } : {}) });

describe('POST /v1/api-keys', () => {
  it('creates a key with its role, shows the secret once and stores only its hash', async () => {
    const res = await t.call({ method: 'POST', url: '/v1/api-keys', payload: { name: '  finance script  ', role: 'finance' } });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json() as { id: string; name: string; role: string; prefix: string; createdAt: string; key: string };
    expect(created).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{16}$/),
      name: 'finance script',
      role: 'finance',
      prefix: created.key.slice(0, 7),
      createdAt: '2026-03-15T12:00:00.000Z',
      key: expect.stringMatching(/^sb_[A-Za-z0-9_-]{43}$/),
    });

    // Finance may write FX rates but not manage keys.
    expect((await t.app.inject({ method: 'PUT', url: '/v1/fx-rates', headers: { authorization: `Bearer ${created.key}` }, payload: { items: [{ date: '2026-03-01', currency: 'EUR', rate: '1.1' }] } })).statusCode).toBe(200);
    problemOf(await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: { authorization: `Bearer ${created.key}` } }), 403);

    const rows = await tableRows(t.app, 'api_keys');
    const stored = rows.find((row) => row.id === created.id)!;
    expect(stored.key_hash).toBe(hashKey(created.key));
    expect(JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))).not.toContain(created.key);

    const list = (await t.call({ method: 'GET', url: '/v1/api-keys' })).json() as { items: Record<string, unknown>[] };
    const listed = list.items.find((k) => k.id === created.id)!;
    expect(listed).toEqual({ id: created.id, name: 'finance script', role: 'finance', prefix: created.prefix, createdAt: created.createdAt });
    expect(JSON.stringify(list)).not.toContain(created.key);
  });

  it('creates keys of every role, each with its own powers', async () => {
    for (const role of ['admin', 'finance', 'ops', 'viewer'] as const) {
      const { key } = (await t.call({ method: 'POST', url: '/v1/api-keys', payload: { name: role, role } })).json() as { key: string };
      expect((await withKey(key)).statusCode).toBe(200);
      expect((await withKey(key, '/v1/settings', 'PUT')).statusCode).toBe(role === 'admin' ? 200 : 403);
      expect((await withKey(key, '/v1/campaigns')).statusCode).toBe(role === 'viewer' ? 403 : 200);
    }
  });

  describe('refuses bad input, creating nothing', () => {
    let before: string;
    beforeEach(async () => {
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it.each([
      [{ name: 'x', role: 'superuser' }, ['role']],
      [{ name: 'x', role: 'ADMIN' }, ['role']],
      [{ name: '', role: 'viewer' }, ['name']],
      [{ name: '   ', role: 'viewer' }, ['name']],
      [{ name: 'x'.repeat(129), role: 'viewer' }, ['name']],
      [{ name: 7, role: 'viewer' }, ['name']],
      [{ role: 'viewer' }, ['name']],
      [{ name: 'x' }, ['role']],
      [{ name: 'x', role: 'viewer', key: 'my-own-secret-key-123' }, ['key']],
    ])('%j', async (payload, paths) => {
      expect(errorPaths(await t.call({ method: 'POST', url: '/v1/api-keys', payload }))).toEqual(paths);
    });

    it('a non-JSON body (400) and a text/plain one (415)', async () => {
      problemOf(await t.call({ method: 'POST', url: '/v1/api-keys', payload: '{name', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
      problemOf(await t.call({ method: 'POST', url: '/v1/api-keys', payload: 'name=x', headers: { 'content-type': 'text/plain' } }), 415);
    });
  });
});

describe('GET /v1/api-keys', () => {
  it('lists the active keys, oldest first, without revoked ones', async () => {
    const list = (await t.call({ method: 'GET', url: '/v1/api-keys' })).json() as { items: { id: string; role: string; name: string }[] };
    expect(list.items.map((k) => k.role).sort()).toEqual(['admin', 'finance', 'ops', 'viewer']);
    const viewer = list.items.find((k) => k.role === 'viewer')!;
    expect((await t.call({ method: 'DELETE', url: `/v1/api-keys/${viewer.id}` })).statusCode).toBe(204);
    const after = (await t.call({ method: 'GET', url: '/v1/api-keys' })).json() as { items: { id: string }[] };
    expect(after.items.map((k) => k.id)).not.toContain(viewer.id);
    expect(after.items).toHaveLength(3);
  });
});

describe('DELETE /v1/api-keys/{id}', () => {
  it('revokes a key: 204, then 401 with it, then 404 on a second delete', async () => {
    const created = (await t.call({ method: 'POST', url: '/v1/api-keys', payload: { name: 'temp', role: 'ops' } })).json() as { id: string; key: string };
    expect((await withKey(created.key)).statusCode).toBe(200);
    const res = await t.call({ method: 'DELETE', url: `/v1/api-keys/${created.id}` });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    problemOf(await withKey(created.key), 401, 'unauthorized');
    problemOf(await t.call({ method: 'DELETE', url: `/v1/api-keys/${created.id}` }), 404, 'not_found');
  });

  it('answers 404 for an unknown id and 400 for an over-long one', async () => {
    problemOf(await t.call({ method: 'DELETE', url: '/v1/api-keys/key_0000000000000000' }), 404, 'not_found');
    problemOf(await t.call({ method: 'DELETE', url: `/v1/api-keys/${'k'.repeat(65)}` }), 400);
  });

  it('refuses to revoke the last admin key (409), and allows it once another admin exists', async () => {
    const admin = (await t.call({ method: 'GET', url: '/v1/api-keys' })).json().items.find((k: { role: string }) => k.role === 'admin') as { id: string };
    const before = await snapshot(t.app);
    problemOf(await t.call({ method: 'DELETE', url: `/v1/api-keys/${admin.id}` }), 409, 'last_admin_key');
    expect(await snapshot(t.app)).toBe(before);

    const second = (await t.call({ method: 'POST', url: '/v1/api-keys', payload: { name: 'second admin', role: 'admin' } })).json() as { key: string };
    expect((await t.call({ method: 'DELETE', url: `/v1/api-keys/${admin.id}` })).statusCode).toBe(204);
    problemOf(await withKey(ADMIN_KEY), 401);
    expect((await withKey(second.key, '/v1/api-keys')).statusCode).toBe(200);
  });
});
