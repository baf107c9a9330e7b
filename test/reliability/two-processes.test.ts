/**
 * Two service processes on one store (one SQLite file, or one PostgreSQL
 * database): whatever one writes, the other answers with at once, though it
 * caches API keys, settings and reports. Every write moves the data version
 * (src/store/unit-of-work.ts), and every cache keys on it.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, killServer, startServer, WORKER_CHILD } from '../../bench/harness.js';
import { TEST_STORE } from '../helper.js';
import { testStore, type TestStore } from './store.js';

let store: TestStore;
let one: { child: ChildProcess; port: number };
let two: { child: ChildProcess; port: number };

async function call(server: { port: number }, method: string, path: string, body?: unknown, key = ADMIN_KEY) {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, any>) : null };
}

async function ok(server: { port: number }, method: string, path: string, body?: unknown) {
  const res = await call(server, method, path, body);
  expect([200, 201], JSON.stringify(res.json)).toContain(res.status);
  return res.json!;
}

beforeAll(async () => {
  store = await testStore('two');
  // One after the other: the first makes and migrates the file (on PostgreSQL, the database is migrated already).
  one = await startServer(store.target, null, WORKER_CHILD);
  two = await startServer(store.target, null, WORKER_CHILD);
});

afterAll(async () => {
  if (one) await killServer(one.child, 'SIGTERM');
  if (two) await killServer(two.child, 'SIGTERM');
  await store?.remove();
});

describe(`two processes on one ${TEST_STORE === 'postgres' ? 'PostgreSQL database' : 'SQLite file'}`, () => {
  it('a key revoked by one is refused by the other at once', async () => {
    const created = await ok(one, 'POST', '/v1/api-keys', { name: 'script', role: 'ops' });
    const key = created.key as string;
    // The second process authenticates the key, and caches that.
    expect((await call(two, 'GET', '/v1/campaigns', undefined, key)).status).toBe(200);
    expect((await call(two, 'GET', '/v1/campaigns', undefined, key)).status).toBe(200);
    expect((await call(one, 'DELETE', `/v1/api-keys/${created.id as string}`)).status).toBeLessThan(300);
    const refused = await call(two, 'GET', '/v1/campaigns', undefined, key);
    expect(refused.status).toBe(401);
    expect(refused.json?.detail).toMatch(/revoked/);
  });

  it('a settings change by one is seen by the other at once', async () => {
    expect(await ok(two, 'GET', '/v1/settings')).toMatchObject({ baseCurrency: 'USD', pacingTolerance: '0.10' });
    await ok(one, 'PUT', '/v1/settings', { baseCurrency: 'EUR', pacingTolerance: '0.25' });
    expect(await ok(two, 'GET', '/v1/settings')).toMatchObject({ baseCurrency: 'EUR', pacingTolerance: '0.25' });
    await ok(two, 'PUT', '/v1/settings', { baseCurrency: 'USD', pacingTolerance: '0.10' });
    expect(await ok(one, 'GET', '/v1/settings')).toMatchObject({ baseCurrency: 'USD', pacingTolerance: '0.10' });
  });

  it("a spend write by one is in the other's (cached) burn report at once", async () => {
    const BURN = '/v1/reports/burn?month=2026-03&asOf=2026-03-10';
    await ok(one, 'POST', '/v1/campaigns', { items: [{ id: 'A', name: 'Search', channel: 'paid_search', startDate: '2026-01-01' }] });
    await ok(one, 'POST', '/v1/spend', { items: [{ campaignId: 'A', date: '2026-03-01', amount: '100', currency: 'USD', source: 'manual' }] });
    // Twice, so that the second answer is the cached one.
    expect((await ok(two, 'GET', BURN)).totals).toMatchObject({ actual: '100.00' });
    expect((await ok(two, 'GET', BURN)).totals).toMatchObject({ actual: '100.00' });
    await ok(one, 'POST', '/v1/spend', { items: [{ campaignId: 'A', date: '2026-03-02', amount: '23.45', currency: 'USD', source: 'manual' }] });
    // 100.00 + 23.45 = 123.45
    expect((await ok(two, 'GET', BURN)).totals).toMatchObject({ actual: '123.45' });
    // And back the other way: a restatement by the second, 100 -> 50: 50.00 + 23.45 = 73.45.
    expect((await ok(one, 'GET', BURN)).totals).toMatchObject({ actual: '123.45' });
    await ok(two, 'POST', '/v1/spend', { items: [{ campaignId: 'A', date: '2026-03-01', amount: '50', currency: 'USD', source: 'manual' }] });
    expect((await ok(one, 'GET', BURN)).totals).toMatchObject({ actual: '73.45' });
  });
});
