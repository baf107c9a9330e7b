/**
 * A/B helper, not part of `npm run bench`: the burn report over inject on
 * 1,000 campaigns x 180 days of spend, recomputed after a small spend write
 * every third request, in-process. Run it in two checkouts alternately
 * (`npx tsx bench/burn-ab.ts`) to compare the cost of the burn path itself
 * on a noisy machine (README, Attribution on data set L).
 */
import { buildApp } from '../src/app.js';
const key = 'sb_x_admin_key_0123456789';
const app = await buildApp({ port: 0, host: '127.0.0.1', db: { kind: 'sqlite', path: ':memory:' }, adminKey: key, logLevel: 'silent', rateLimit: 1e9 }, { announceAdminKey: () => undefined });
const call = (method: string, url: string, payload?: unknown) => app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload: payload as object } : {}) });
const ids = Array.from({ length: 1000 }, (_, c) => `c${c}`);
for (let k = 0; k < 1000; k += 500) await call('POST', '/v1/campaigns', { items: ids.slice(k, k + 500).map((id) => ({ id, name: id, channel: 'paid_search', startDate: '2026-01-01' })) });
await call('PUT', '/v1/plans', { items: ids.map((id) => ({ campaignId: id, month: '2026-06', amount: '3000', currency: 'USD' })) });
for (let d = 1; d <= 180; d++) {
  const date = new Date(Date.UTC(2026, 0, d)).toISOString().slice(0, 10);
  const r = await call('POST', '/v1/spend', { items: ids.map((id, c) => ({ campaignId: id, date, amount: String((c * 7 + d) % 500), currency: 'USD', source: 'google_ads' })) });
  if (r.statusCode !== 200) throw new Error(r.body);
}
const times: number[] = [];
for (let i = 0; i < 300; i++) {
  if (i % 3 === 0) await call('POST', '/v1/spend', { items: [{ campaignId: 'c1', date: '2026-06-10', amount: String(i), currency: 'USD', source: 'manual' }] });
  const t0 = performance.now();
  const r = await call('GET', '/v1/reports/burn?month=2026-06&asOf=2026-06-15');
  times.push(performance.now() - t0);
  if (r.statusCode !== 200) throw new Error(r.body);
}
const fresh = times.filter((_, i) => i % 3 === 0).slice(10).sort((a, b) => a - b);
const cached = times.filter((_, i) => i % 3 !== 0).slice(10).sort((a, b) => a - b);
const q = (s: number[], p: number) => s[Math.floor(p * (s.length - 1))]!.toFixed(1);
console.log(`recomputed p50 ${q(fresh, 0.5)} p90 ${q(fresh, 0.9)} ms; cached p50 ${q(cached, 0.5)} p90 ${q(cached, 0.9)} ms`);
await app.close();
