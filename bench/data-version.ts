/**
 * Micro-benchmark, not part of `npm run bench`: what reading the data
 * version costs the burn report's cached path. Every cache keys on it (the
 * API-key lookup, the settings, the report cache), so a cached report reads
 * it a few times per request. Prints the cost of one read, how many reads a
 * cached burn request makes, and their share of the request's time.
 *
 *   npx tsx bench/data-version.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';

const dir = mkdtempSync(join(tmpdir(), 'spendbook-dv-'));
const key = 'sb_x_admin_key_0123456789';
const app = await buildApp(
  { port: 0, host: '127.0.0.1', db: { kind: 'sqlite', path: join(dir, 'dv.db') }, adminKey: key, logLevel: 'silent', rateLimit: 1e9 },
  { announceAdminKey: () => undefined },
);
const call = (method: string, url: string, payload?: unknown) =>
  app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload: payload as object } : {}) });
const ids = Array.from({ length: 200 }, (_, c) => `c${c}`);
await call('POST', '/v1/campaigns', { items: ids.map((id) => ({ id, name: id, channel: 'paid_search', startDate: '2026-01-01' })) });
await call('PUT', '/v1/plans', { items: ids.map((id) => ({ campaignId: id, month: '2026-06', amount: '3000', currency: 'USD' })) });
for (let d = 1; d <= 30; d++) {
  const date = `2026-06-${String(d).padStart(2, '0')}`;
  await call('POST', '/v1/spend', { items: ids.map((id, c) => ({ campaignId: id, date, amount: String((c * 7 + d) % 500), currency: 'USD', source: 'google_ads' })) });
}

const READS = 200_000;
let started = performance.now();
// Awaited, as every cache does: the read is async (PostgreSQL), so a read costs a resolved promise on SQLite too.
for (let i = 0; i < READS; i++) await app.uow.version();
const perRead = ((performance.now() - started) * 1000) / READS;

const BURN = '/v1/reports/burn?month=2026-06&asOf=2026-06-15';
const first = await call('GET', BURN);
if (first.statusCode !== 200) throw new Error(first.body);
const original = app.uow.version.bind(app.uow);
let reads = 0;
app.uow.version = () => (reads++, original());
await call('GET', BURN);
const readsPerRequest = reads;
app.uow.version = original;

const REQUESTS = 3_000;
for (let i = 0; i < 300; i++) await call('GET', BURN);
const hits = app.reportCache.hits;
started = performance.now();
for (let i = 0; i < REQUESTS; i++) await call('GET', BURN);
const perRequest = ((performance.now() - started) * 1000) / REQUESTS;
if (app.reportCache.hits - hits !== REQUESTS) throw new Error('the burn report was not served from the cache');

console.log(`one data version read: ${perRead.toFixed(2)} µs (${READS.toLocaleString('en-US')} reads)`);
console.log(`cached burn request over inject: ${perRequest.toFixed(0)} µs (${REQUESTS.toLocaleString('en-US')} requests), ${readsPerRequest} version reads each`);
console.log(`share of the request spent reading the version: ${((100 * readsPerRequest * perRead) / perRequest).toFixed(1)}%`);
await app.close();
rmSync(dir, { recursive: true, force: true });
