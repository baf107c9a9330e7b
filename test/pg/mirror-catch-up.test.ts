/**
 * Two instances on one PostgreSQL database: a commit of one reaches the
 * other's report mirrors (touchpoints, revenue, spend) by a catch-up, the
 * rows changed since the mirror's change cursor (migration 0007), not by
 * reading the whole table again; and the mirrors stay equal to the tables
 * (a third instance, freshly loaded, answers every report the same, byte
 * for byte) after any sequence of writes through either instance, some of
 * them racing the other's reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { dropPgDatabase, freshPgUrl } from '../pg-db.js';

const ADMIN = 'sb_catchup_admin_key_0123456789abcdef';
const NOW = new Date('2026-03-31T12:00:00Z');

async function instance(url: string): Promise<FastifyInstance> {
  const app = await buildApp(
    { port: 0, host: '127.0.0.1', db: { kind: 'postgres', url }, adminKey: ADMIN, logLevel: 'silent', rateLimit: 1_000_000 },
    { now: () => NOW, announceAdminKey: () => undefined },
  );
  // The report tables load in the background after the start (services.ts): wait for them, as /readyz does.
  for (let waited = 0; !app.readiness.mirrorsLoaded; waited += 10) {
    if (waited > 30_000) throw new Error('the report tables did not load within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return app;
}

const call = (app: FastifyInstance, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<LightMyRequestResponse> =>
  app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` }, ...(payload === undefined ? {} : { payload }) });

async function ok(app: FastifyInstance, method: 'POST' | 'PUT', url: string, items: unknown[]): Promise<void> {
  const res = await call(app, method, url, { items });
  expect(res.statusCode, `${url} ${res.body}`).toBe(200);
}

const spend = (campaignId: string, date: string, amount: string, currency = 'USD', reference = '') => ({
  campaignId,
  date,
  amount,
  currency,
  source: 'manual',
  ...(reference ? { reference } : {}),
});
const touch = (id: string, customerId: string, campaignId: string, occurredAt: string) => ({ id, customerId, campaignId, occurredAt });
const revenue = (id: string, customerId: string, occurredAt: string, amount: string, currency = 'USD', refundOf?: string) => ({
  id,
  customerId,
  occurredAt,
  amount,
  currency,
  ...(refundOf ? { refundOf } : {}),
});

/** The reports that read the three mirrors: ROI by campaign under every model, attribution, and burn. */
const REPORTS = [
  ...['linear', 'first_touch', 'last_touch', 'position_based', 'time_decay'].map((model) => `/v1/reports/roi?from=2026-03-01&to=2026-03-31&model=${model}`),
  '/v1/reports/roi?from=2026-03-01&to=2026-03-31&groupBy=channel',
  '/v1/reports/attribution?from=2026-03-01&to=2026-03-31',
  '/v1/reports/burn?month=2026-03&asOf=2026-03-31',
];

async function reports(app: FastifyInstance): Promise<string[]> {
  const bodies: string[] = [];
  for (const url of REPORTS) {
    const res = await call(app, 'GET', url);
    expect(res.statusCode, `${url} ${res.body}`).toBe(200);
    bodies.push(`${url}\n${res.body}`);
  }
  return bodies;
}

const mirrors = (app: FastifyInstance) => [app.touchIndex, app.revenueIndex, app.spendIndex];

let url: string;
let a: FastifyInstance;
let b: FastifyInstance;

beforeAll(async () => {
  url = await freshPgUrl();
  a = await instance(url);
  b = await instance(url);
  const campaigns = ['A', 'B', 'C'].map((id) => ({ id, name: `Campaign ${id}`, channel: id === 'C' ? 'email' : 'paid_search', startDate: '2026-01-01' }));
  expect((await call(a, 'POST', '/v1/campaigns', { items: campaigns })).statusCode).toBe(200);
  await ok(a, 'PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.10' }]);
  await ok(a, 'PUT', '/v1/plans', [
    { campaignId: 'A', month: '2026-03', amount: '1000', currency: 'USD' },
    { campaignId: 'B', month: '2026-03', amount: '500', currency: 'USD' },
  ]);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  if (url) await dropPgDatabase(url);
});

describe('a mirror on PostgreSQL catches up with another instance', () => {
  it('answers the same reports as the writing instance after new rows, restatements and refunds, without loading again', async () => {
    await reports(b); // B's mirrors current before A writes
    const loadsBefore = mirrors(b).map((m) => m.fullLoads);
    const catchUpsBefore = mirrors(b).map((m) => m.catchUps);

    await ok(a, 'POST', '/v1/spend', [spend('A', '2026-03-02', '100'), spend('A', '2026-03-20', '100'), spend('B', '2026-03-10', '100', 'EUR')]);
    await ok(a, 'POST', '/v1/touchpoints', [
      touch('t1', 'u1', 'A', '2026-03-01T10:00:00Z'),
      touch('t2', 'u1', 'B', '2026-03-03T10:00:00Z'),
      touch('t3', 'u2', 'C', '2026-03-05T10:00:00Z'),
    ]);
    await ok(a, 'POST', '/v1/revenue', [revenue('cv1', 'u1', '2026-03-05T10:00:00Z', '300'), revenue('cv2', 'u2', '2026-03-16T12:00:00Z', '100', 'EUR')]);
    const first = await reports(a);
    expect(await reports(b)).toEqual(first);
    // Burn, by hand: A 100 + 100 = 200.00 USD; B 100 EUR at 1.10 = 110.00.
    expect(first.at(-1)).toContain('"200.00"');
    expect(first.at(-1)).toContain('"110.00"');

    // Restatements (a spend line's amount, a touch moved to another campaign, a conversion's amount) and a refund.
    await ok(a, 'POST', '/v1/spend', [spend('A', '2026-03-02', '150')]);
    await ok(a, 'POST', '/v1/touchpoints', [touch('t2', 'u1', 'C', '2026-03-04T10:00:00Z')]);
    await ok(a, 'POST', '/v1/revenue', [revenue('cv1', 'u1', '2026-03-05T10:00:00Z', '320')]);
    await ok(a, 'POST', '/v1/revenue', [revenue('r1', 'u1', '2026-03-20T00:00:00Z', '-20', 'USD', 'cv1')]);
    const second = await reports(a);
    expect(second).not.toEqual(first);
    expect(await reports(b)).toEqual(second);
    // Burn: A is now 150 + 100 = 250.00 (the restated line replaced, not added: 350.00 would be a double count).
    expect(second.at(-1)).toContain('"250.00"');
    expect(second.at(-1)).not.toContain('"350.00"');

    expect(mirrors(b).map((m) => m.fullLoads)).toEqual(loadsBefore);
    for (const [k, mirror] of mirrors(b).entries()) {
      expect(mirror.lastRefresh).toBe('catch-up');
      expect(mirror.catchUps).toBeGreaterThan(catchUpsBefore[k]!);
    }
  });

  it('keeps both mirrors equal to a freshly loaded third instance after any writes through either, racing reports', async () => {
    const day = fc.integer({ min: 1, max: 28 }).map((d) => `2026-03-${String(d).padStart(2, '0')}`);
    const instant = fc.tuple(day, fc.integer({ min: 0, max: 23 })).map(([d, h]) => `${d}T${String(h).padStart(2, '0')}:00:00Z`);
    const campaign = fc.constantFrom('A', 'B', 'C');
    const customer = fc.constantFrom('u0', 'u1', 'u2', 'u3');
    // Few keys, so that most writes restate a stored row.
    const spendLine = fc.tuple(campaign, day, fc.integer({ min: 1, max: 500 }), fc.constantFrom('USD', 'EUR'), fc.constantFrom('', 'x'));
    const touchRow = fc.tuple(fc.integer({ min: 0, max: 9 }), customer, campaign, instant);
    // Conversions of at least 100 and refunds of at most 10 (four refund ids): a conversion is never over-refunded.
    // Conversion cvN belongs to customer uN, in USD, as its refunds must.
    const conversion = fc.tuple(fc.integer({ min: 0, max: 3 }), instant, fc.integer({ min: 100, max: 900 }));
    const refund = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), instant, fc.integer({ min: 1, max: 10 }));
    const write = fc.oneof(
      fc.array(spendLine, { minLength: 1, maxLength: 4 }).map((lines) => ({
        url: '/v1/spend',
        // One line per natural key in a batch.
        items: [...new Map(lines.map(([c, d, amount, cur, ref]) => [`${c} ${d} ${ref}`, spend(c, d, String(amount), cur, ref)])).values()],
      })),
      fc.array(touchRow, { minLength: 1, maxLength: 4 }).map((rows) => ({
        url: '/v1/touchpoints',
        items: [...new Map(rows.map(([n, u, c, at]) => [n, touch(`t${n}`, u, c, at)])).values()],
      })),
      fc.array(conversion, { minLength: 1, maxLength: 3 }).map((rows) => ({
        url: '/v1/revenue',
        items: [...new Map(rows.map(([n, at, amount]) => [n, revenue(`cv${n}`, `u${n}`, at, String(amount))])).values()],
      })),
      refund.map(([n, of, at, amount]) => ({ url: '/v1/revenue', items: [revenue(`rf${n}`, `u${of}`, at, String(-amount), 'USD', `cv${of}`)] })),
    );
    // Which instance writes, and whether the other's report runs at the same time.
    const step = fc.record({ write, onB: fc.boolean(), racing: fc.boolean() });

    // Every conversion a refund may name exists from the start.
    await ok(a, 'POST', '/v1/revenue', [0, 1, 2, 3].map((n) => revenue(`cv${n}`, `u${n}`, '2026-03-10T00:00:00Z', '500')));

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        for (const { write, onB, racing } of steps) {
          const [writer, reader] = onB ? [b, a] : [a, b];
          const writing = call(writer, 'POST', write.url, { items: write.items });
          const [res] = await Promise.all([writing, racing ? reports(reader) : Promise.resolve([])]);
          expect(res.statusCode, `${write.url} ${res.body}`).toBe(200);
        }
        const fresh = await instance(url);
        try {
          const truth = await reports(fresh);
          expect(await reports(a)).toEqual(truth);
          expect(await reports(b)).toEqual(truth);
        } finally {
          await fresh.close();
        }
      }),
      { numRuns: 8 },
    );
    // The two instances caught up rather than loading whole tables at each other's commits.
    for (const mirror of [...mirrors(a), ...mirrors(b)]) expect(mirror.catchUps).toBeGreaterThan(0);
  });
});
