/**
 * The report mirrors on PostgreSQL under writes and reads at once, in one
 * app (in-process requests, so that thousands of them fit in a few
 * seconds): writers POST spend batches of 100 new lines that add up to
 * exactly 10,000.00 each, with pauses now and then long enough for the
 * mirror's deferred work (PREPARE_AFTER_MS); burn and ROI readers ask all
 * the while. Every answer must show whole batches only (the reported spend
 * minus the seeded spend is a multiple of 10,000.00) and every batch that
 * was acknowledged before the request was sent; at the end the report
 * equals the seed plus every acknowledged batch, to the cent.
 *
 * This found two faults the slower HTTP load test (test/reliability/load)
 * met about once a run of the whole suite: a catch-up putting rows it read
 * before a commit over a deferred re-read of the days that commit touched
 * (part of a batch then vanished from a report), and readers taking a store
 * whose catch-up was still under way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { mulberry32 } from '../../fixtures/prng.js';
import { dropPgDatabase, freshPgUrl } from '../pg-db.js';

const ADMIN = 'sb_concurrency_admin_key_0123456789ab';
const CAMPAIGNS = 200;
const SECONDS = 10;
const WRITERS = 3;
const BURN_READERS = 4;
const ROI_READERS = 2;
const BATCH_CENTS = 1_000_000n;
const BURN = '/v1/reports/burn?month=2026-03&asOf=2026-03-31';
const ROI = '/v1/reports/roi?from=2026-01-01&to=2026-03-31&model=linear';

const campaignId = (i: number) => `c-${String(i).padStart(4, '0')}`;
const day = (d: number) => String(d).padStart(2, '0');
const amount = (cents: bigint) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
const cents = (text: string) => BigInt(text.replace('.', ''));

describe('the report mirrors on PostgreSQL, written and read at once', () => {
  let app: FastifyInstance | null = null;
  let url: string | null = null;
  afterAll(async () => {
    await app?.close();
    if (url) await dropPgDatabase(url);
  });

  it('answer every report with whole batches, each counting every batch acknowledged before it was asked', { timeout: 120_000 }, async () => {
    const random = mulberry32(20261204);
    const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
    url = await freshPgUrl();
    app = await buildApp(
      { port: 0, host: '127.0.0.1', db: { kind: 'postgres', url }, adminKey: ADMIN, logLevel: 'silent', rateLimit: 1_000_000 },
      { announceAdminKey: () => undefined },
    );
    for (let waited = 0; !app.readiness.mirrorsLoaded; waited += 10) {
      if (waited > 30_000) throw new Error('the report tables did not load within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const served = app;
    const call = async (method: 'GET' | 'POST', path: string, payload?: object) => {
      const res = await served.inject({ method, url: path, headers: { authorization: `Bearer ${ADMIN}` }, ...(payload ? { payload } : {}) });
      if (res.statusCode !== 200) throw new Error(`${method} ${path} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      return JSON.parse(res.body) as { inserted?: number; totals: { actual: string; spend: string } };
    };

    await call('POST', '/v1/campaigns', {
      items: Array.from({ length: CAMPAIGNS }, (_, i) => ({ id: campaignId(i), name: `C ${i}`, channel: 'email', startDate: '2026-01-01' })),
    });
    let seededMarch = 0n;
    let seededFebruary = 0n;
    for (const [month, days] of [['2026-02', 28], ['2026-03', 31]] as const) {
      const items = [];
      for (let d = 1; d <= days; d++) {
        for (let c = 0; c < CAMPAIGNS; c++) {
          const line = BigInt(between(100, 200_000));
          if (month === '2026-03') seededMarch += line;
          else seededFebruary += line;
          items.push({ campaignId: campaignId(c), date: `${month}-${day(d)}`, amount: amount(line), currency: 'USD', source: 'google_ads' });
        }
      }
      await call('POST', '/v1/spend', { items });
    }
    // Touchpoints and revenue, so that the ROI report reads all three mirrors.
    await call('POST', '/v1/touchpoints', {
      items: Array.from({ length: 5_000 }, (_, i) => ({
        id: `tp-${i}`,
        customerId: `cust-${i % 1_000}`,
        campaignId: campaignId(between(0, CAMPAIGNS - 1)),
        occurredAt: `2026-0${between(1, 3)}-${day(between(1, 28))}T${day(between(0, 23))}:00:00Z`,
      })),
    });
    await call('POST', '/v1/revenue', {
      items: Array.from({ length: 500 }, (_, i) => ({ id: `conv-${i}`, customerId: `cust-${(i * 7) % 1_000}`, occurredAt: `2026-03-${day(between(1, 31))}T12:00:00Z`, amount: '100.00', currency: 'USD' })),
    });

    const problems: string[] = [];
    let sent = 0;
    let acknowledged = 0;
    let reads = 0;
    const end = Date.now() + SECONDS * 1000;
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    const writer = async () => {
      while (Date.now() < end) {
        const tag = `w${sent++}`;
        let total = 0n;
        const items = Array.from({ length: 100 }, (_, i) => {
          const line = i < 99 ? BigInt(between(1, 10_000)) : BATCH_CENTS - total;
          total += line;
          return { campaignId: campaignId(between(0, CAMPAIGNS - 1)), date: `2026-03-${day(between(1, 31))}`, amount: amount(line), currency: 'USD', source: 'manual', reference: `${tag}-${i}` };
        });
        const answer = await call('POST', '/v1/spend', { items });
        if (answer.inserted !== 100) problems.push(`${tag} inserted ${answer.inserted}`);
        acknowledged++;
        // Now and then a pause past the mirror's quiet time, so that its deferred work runs between writes too.
        if (random() < 0.03) await pause(between(1_050, 1_300));
        else if (random() < 0.3) await pause(between(0, 20));
      }
    };
    const reader = (path: string, field: 'actual' | 'spend', seeded: bigint) => async () => {
      while (Date.now() < end) {
        const before = acknowledged;
        const answer = await call('GET', path);
        reads++;
        const written = cents(answer.totals[field]) - seeded;
        if (written < 0n || written % BATCH_CENTS !== 0n) problems.push(`${path}: ${field} ${answer.totals[field]} is not the seed plus whole batches`);
        else if (written / BATCH_CENTS < BigInt(before)) problems.push(`${path}: ${field} ${answer.totals[field]} misses batches acknowledged before it was asked (${before})`);
        if (random() < 0.3) await pause(between(0, 30));
      }
    };
    await Promise.all([
      ...Array.from({ length: WRITERS }, writer),
      ...Array.from({ length: BURN_READERS }, reader(BURN, 'actual', seededMarch)),
      ...Array.from({ length: ROI_READERS }, reader(ROI, 'spend', seededMarch + seededFebruary)),
    ]);
    console.log(`${acknowledged} batches written, ${reads} reports read; spend mirror: ${served.spendIndex.fullLoads} full loads, ${served.spendIndex.catchUps} catch-ups`);

    expect(problems.slice(0, 10)).toEqual([]);
    expect(acknowledged).toBeGreaterThan(20);
    expect((await call('GET', BURN)).totals.actual).toBe(amount(seededMarch + BigInt(acknowledged) * BATCH_CENTS));
    expect((await call('GET', ROI)).totals.spend).toBe(amount(seededMarch + seededFebruary + BigInt(acknowledged) * BATCH_CENTS));
    // Writes of this process never make the mirror read the whole table again (the load at the start is the one).
    expect(served.spendIndex.fullLoads).toBe(1);
  });
});
