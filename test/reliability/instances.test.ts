/**
 * Three service processes (node dist/src/server.js) on one real PostgreSQL,
 * a throwaway server of the test's own (test/pg-server.ts), started empty:
 *
 * 1. started at the same moment, all three come up: the migrations ran once,
 *    and there is one active admin key;
 * 2. a write acknowledged by one is in the very next answer of the others
 *    (the burn report, a list, the settings, a revoked key), though each
 *    caches them;
 * 3. Idempotency-Key is shared: replayed by another instance, 409 for another
 *    body, and two requests racing on one key through two instances write once;
 * 4. batches restating the same natural keys, sent at once through different
 *    instances, leave one batch's values entirely, never a mix, and never a 5xx
 *    (deadlocks are retried);
 * 5. kill -9 of an instance mid-batch leaves the batch wholly absent, the
 *    others keep serving, and its Idempotency-Key claim answers 409 in
 *    progress until it is stale, then is taken over; PostgreSQL restarted
 *    under them: every request
 *    meanwhile is a 503 problem+json within 10 s, they reconnect by
 *    themselves, and everything acknowledged before is still there.
 *
 * The steps run in order on the same database.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../build.js';
import { startPgServer, type PgServer } from '../pg-server.js';
import { call, startInstance, stopInstance, waitReady, type Answer, type Instance } from './fleet.js';

let server: PgServer | undefined;
let sql: pg.Client | undefined;
const instances: Instance[] = [];
let a: Instance, b: Instance, c: Instance;

/** One value from the database, read directly (int8 comes back as text: Number() it). */
async function value(text: string, params: unknown[] = []): Promise<unknown> {
  const { rows } = await sql!.query({ text, values: params, rowMode: 'array' });
  return (rows[0] as unknown[] | undefined)?.[0] ?? null;
}

async function ok(instance: Instance, method: string, path: string, body?: unknown): Promise<any> {
  const res = await call(instance.port, method, path, { body });
  if (res.status < 200 || res.status >= 300) throw new Error(`${instance.name} ${method} ${path}: ${res.status} ${res.text.slice(0, 500)}`);
  return res.json;
}

const spendLine = (campaignId: string, date: string, reference: string, amount: string) => ({ campaignId, date, amount, currency: 'USD', source: 'manual', reference });
const day = (start: string, i: number) => new Date(Date.parse(`${start}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  await ensureBuilt();
  server = await startPgServer();
  sql = new pg.Client({ connectionString: server.url });
  await sql.connect();
  // A connection of the test's own survives none of the restart in step 5: it is opened again there.
  sql.on('error', () => undefined);
});

afterAll(async () => {
  await Promise.all(instances.map((instance) => stopInstance(instance, 'SIGKILL')));
  await sql?.end().catch(() => undefined);
  await server?.stop();
});

describe('three instances on one PostgreSQL', () => {
  it('started together on an empty database, all come up: migrations ran once, one admin key', async () => {
    const started = await Promise.all(['A', 'B', 'C'].map((name) => startInstance(name, server!.url)));
    instances.push(...started);
    [a, b, c] = started as [Instance, Instance, Instance];
    await Promise.all(started.map((instance) => waitReady(instance)));
    const journal = JSON.parse(readFileSync(join(ROOT, 'db', 'pg', 'migrations', 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(Number(await value('select count(*) from drizzle.__drizzle_migrations'))).toBe(journal.entries.length);
    expect(Number(await value("select count(*) from api_keys where role = 'admin' and revoked_at is null"))).toBe(1);
    for (const instance of started) expect((await call(instance.port, 'GET', '/healthz', { key: null })).status).toBe(200);
  });

  it('a write acknowledged by one is in the next answer of every other', async () => {
    const BURN = '/v1/reports/burn?month=2026-03&asOf=2026-03-10';
    await ok(a, 'POST', '/v1/campaigns', { items: [{ id: 'S', name: 'Search', channel: 'paid_search', startDate: '2026-01-01' }] });
    // The list, on the two others.
    for (const other of [b, c]) expect((await ok(other, 'GET', '/v1/campaigns')).items.map((item: { id: string }) => item.id)).toEqual(['S']);
    await ok(a, 'POST', '/v1/spend', { items: [spendLine('S', '2026-03-01', 'inv-1', '100')] });
    // Twice each: the second answer is the cached one.
    for (const other of [b, c, b, c]) expect((await ok(other, 'GET', BURN)).totals).toMatchObject({ actual: '100.00' });
    await ok(c, 'POST', '/v1/spend', { items: [spendLine('S', '2026-03-02', 'inv-2', '23.45')] });
    // 100.00 + 23.45 = 123.45
    for (const other of [a, b]) expect((await ok(other, 'GET', BURN)).totals).toMatchObject({ actual: '123.45' });

    // Settings.
    for (const other of [a, b, c]) expect(await ok(other, 'GET', '/v1/settings')).toMatchObject({ pacingTolerance: '0.10' });
    await ok(b, 'PUT', '/v1/settings', { baseCurrency: 'USD', pacingTolerance: '0.25' });
    for (const other of [a, c]) expect(await ok(other, 'GET', '/v1/settings')).toMatchObject({ pacingTolerance: '0.25' });

    // A key: used (and cached) on two instances, revoked on the third, refused by the two at once.
    const created = await ok(a, 'POST', '/v1/api-keys', { name: 'script', role: 'ops' });
    for (const other of [a, b, a, b]) expect((await call(other.port, 'GET', '/v1/campaigns', { key: created.key })).status).toBe(200);
    expect((await call(c.port, 'DELETE', `/v1/api-keys/${created.id as string}`)).status).toBeLessThan(300);
    for (const other of [a, b]) {
      const refused = await call(other.port, 'GET', '/v1/campaigns', { key: created.key });
      expect(refused.status).toBe(401);
      expect(refused.json.detail).toMatch(/revoked/);
    }
  });

  it('Idempotency-Key is shared: replayed by another instance, 409 for another body, one write when two race', async () => {
    const body = JSON.stringify({ items: [spendLine('S', '2026-03-03', 'idem-1', '5')] });
    const send = (instance: Instance, text: string, key: string) =>
      call(instance.port, 'POST', '/v1/spend', { body: text, headers: { 'idempotency-key': key } });
    const first = await send(a, body, 'shared-1');
    expect(first.status, first.text).toBe(200);
    expect(first.json).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    const replay = await send(b, body, 'shared-1');
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    const other = await send(c, JSON.stringify({ items: [spendLine('S', '2026-03-03', 'idem-1', '6')] }), 'shared-1');
    expect(other.status).toBe(409);
    expect(other.json.code).toBe('idempotency_key_reused');

    // A batch big enough to take a while, sent through two instances at once under one key.
    const lines = Array.from({ length: 3_000 }, (_, i) => spendLine('S', day('2025-01-01', i % 300), `race-${i}`, '1.25'));
    const racing = JSON.stringify({ items: lines });
    const answers = await Promise.all([send(a, racing, 'race-1'), send(b, racing, 'race-1')]);
    for (const res of answers) expect(res.status, res.text).toBe(200);
    const written = answers.filter((res) => res.headers.get('idempotent-replayed') !== 'true');
    expect(written).toHaveLength(1);
    expect(written[0]!.json).toEqual({ inserted: 3_000, updated: 0, unchanged: 0 });
    expect(answers.map((res) => res.text)).toEqual([written[0]!.text, written[0]!.text]);
    expect(Number(await value("select count(*) from spend where reference like 'race-%'"))).toBe(3_000);
    // 3,000 x 1.25 = 3,750
    expect(Number(await value("select sum(amount_micros) from spend where reference like 'race-%'"))).toBe(3_750_000_000);
  });

  it('batches restating the same natural keys through different instances at once: one batch wins entirely, never a 5xx', async () => {
    await ok(a, 'POST', '/v1/campaigns', { items: [{ id: 'R', name: 'Restated', channel: 'paid_social', startDate: '2024-01-01' }] });
    const N = 600;
    const keys = Array.from({ length: N }, (_, i) => ({ date: day('2024-06-01', i % 150), reference: `r-${Math.floor(i / 150)}` }));
    for (let round = 0; round < 6; round++) {
      // Three batches of the same keys, each with its own amount, in different orders (so that row locks cross: deadlocks).
      const amounts = [0, 1, 2].map((batch) => `${round * 10 + batch + 1}.00`);
      const orders = [keys, [...keys].reverse(), [...keys.filter((_, i) => i % 2 === 0), ...keys.filter((_, i) => i % 2 === 1).reverse()]];
      const answers = await Promise.all(
        [a, b, c].map((instance, batch) =>
          call(instance.port, 'POST', '/v1/spend', { body: { items: orders[batch]!.map((k) => spendLine('R', k.date, k.reference, amounts[batch]!)) } }),
        ),
      );
      for (const [i, res] of answers.entries()) {
        expect(res.status, `round ${round}: ${res.text.slice(0, 300)}\n${[a, b, c][i]!.output().slice(-3_000)}`).toBe(200);
        expect(res.json.inserted + res.json.updated + res.json.unchanged).toBe(N);
      }
      // In the first round the keys are new: between them, the three batches inserted each key once.
      if (round === 0) expect(answers.reduce((sum, res) => sum + res.json.inserted, 0)).toBe(N);
      const { rows } = await sql!.query("select amount_micros::text as micros, count(*)::int as n from spend where campaign_id = 'R' group by 1");
      expect(rows, `round ${round}`).toHaveLength(1);
      expect(rows[0].n).toBe(N);
      const winner = Number(rows[0].micros) / 1_000_000;
      expect(amounts.map(Number)).toContain(winner);
    }
  });

  it('kill -9 of an instance mid-batch: the batch is wholly absent (or wholly there if it committed); the others keep serving; its key is taken over once stale', async () => {
    await ok(b, 'POST', '/v1/campaigns', { items: [{ id: 'K', name: 'Killed', channel: 'display', startDate: '2020-01-01' }] });
    const N = 40_000;
    const body = JSON.stringify({ items: Array.from({ length: N }, (_, i) => spendLine('K', day('2021-01-01', i % 1000), `k-${i}`, '2.00')) });
    let answered: Answer | Error | undefined;
    const idempotent = { 'idempotency-key': 'killed-1' };
    void call(a.port, 'POST', '/v1/spend', { body, headers: idempotent, timeoutMs: 120_000 }).then(
      (res) => (answered = res),
      (error: Error) => (answered = error),
    );
    // Kill the moment A's transaction is seen writing (bounded: 60 s).
    const deadline = Date.now() + 60_000;
    let inFlight = false;
    while (!inFlight && answered === undefined && Date.now() < deadline) {
      inFlight = Number(await value("select count(*) from pg_stat_activity where pid <> pg_backend_pid() and xact_start is not null and query ilike '%spend%'")) > 0;
      if (!inFlight) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await stopInstance(a, 'SIGKILL');
    expect(inFlight, `the batch was ${answered === undefined ? 'never seen in flight' : 'answered before it was seen in flight'}`).toBe(true);
    // PostgreSQL ends the dead client's session and rolls its transaction back (bounded: 30 s).
    const gone = Date.now() + 30_000;
    while (Number(await value('select count(*) from pg_stat_activity where pid <> pg_backend_pid() and xact_start is not null')) > 0 && Date.now() < gone) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const count = Number(await value("select count(*) from spend where campaign_id = 'K'"));
    const acknowledged = answered !== undefined && !(answered instanceof Error) && answered.status === 200;
    expect(count).toBe(acknowledged ? N : 0);
    for (const other of [b, c]) {
      expect((await call(other.port, 'GET', '/readyz', { key: null })).status).toBe(200);
      expect((await ok(other, 'GET', '/v1/campaigns')).items.map((item: { id: string }) => item.id)).toEqual(['K', 'R', 'S']);
    }
    if (acknowledged) return;

    // The dead instance's Idempotency-Key claim is still there: a retry on another instance waits 30 s for an
    // answer that never comes, then is told to come back when the claim may be taken over (2 minutes after it was made).
    const retry = await call(b.port, 'POST', '/v1/spend', { body, headers: idempotent, timeoutMs: 60_000 });
    expect(retry.status, retry.text).toBe(409);
    expect(retry.json.code).toBe('idempotency_key_in_progress');
    expect(retry.ms).toBeGreaterThanOrEqual(29_000);
    const retryAfter = Number(retry.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(120 - 29);
    // Two minutes on (the claim's time moved back rather than waiting them out), the retry takes the claim over and writes.
    await sql!.query("update idempotency_keys set created_at = '2000-01-01T00:00:00.000Z' where key = 'killed-1' and status_code = 0");
    const taken = await call(c.port, 'POST', '/v1/spend', { body, headers: idempotent, timeoutMs: 120_000 });
    expect(taken.status, taken.text).toBe(200);
    expect(taken.headers.get('idempotent-replayed')).toBeNull();
    expect(taken.json).toEqual({ inserted: N, updated: 0, unchanged: 0 });
    expect(Number(await value("select count(*) from spend where campaign_id = 'K'"))).toBe(N);
    const replayed = await call(b.port, 'POST', '/v1/spend', { body, headers: idempotent, timeoutMs: 30_000 });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.text).toBe(taken.text);
  });

  it('PostgreSQL restarted: every request meanwhile is a 503 problem+json within 10 s, the instances reconnect by themselves, nothing acknowledged is lost', async () => {
    const BURN = '/v1/reports/burn?month=2026-03&asOf=2026-03-10';
    const before = {
      campaigns: await ok(b, 'GET', '/v1/campaigns'),
      burn: (await ok(c, 'GET', BURN)).totals,
      spend: await value('select count(*)::int from spend'),
      sum: await value('select sum(amount_micros)::text from spend'),
      keys: await value('select count(*)::int from api_keys'),
    };
    await sql!.end();
    await server!.halt();

    const slowest: Record<string, number> = {};
    try {
      for (let round = 0; round < 3; round++) {
        for (const instance of [b, c]) {
          const requests: [string, string, { body?: unknown; key?: null }][] = [
            ['GET', '/v1/campaigns', {}],
            ['GET', BURN, {}],
            ['POST', '/v1/spend', { body: { items: [spendLine('S', '2026-03-09', 'during-outage', '1')] } }],
            ['GET', '/readyz', { key: null }],
            ['GET', '/healthz', { key: null }],
          ];
          for (const [method, path, options] of requests) {
            const res = await call(instance.port, method, path, { ...options, timeoutMs: 10_000 });
            expect(res.status, `${instance.name} ${method} ${path}: ${res.text.slice(0, 300)}`).toBe(503);
            expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
            expect(res.ms).toBeLessThan(10_000);
            slowest[`${method} ${path}`] = Math.max(slowest[`${method} ${path}`] ?? 0, Math.round(res.ms));
          }
        }
      }
    } finally {
      await server!.resume();
      sql = new pg.Client({ connectionString: server!.url });
      await sql.connect();
      sql.on('error', () => undefined);
    }
    console.log('slowest answer per request during the outage (ms):', slowest);

    // They reconnect by themselves (bounded: 60 s).
    const resumed = Date.now();
    for (const instance of [b, c]) {
      for (;;) {
        const res = await call(instance.port, 'GET', '/readyz', { key: null, timeoutMs: 10_000 });
        if (res.status === 200) break;
        if (Date.now() - resumed > 60_000) throw new Error(`${instance.name} did not reconnect within 60 s: ${res.status} ${res.text}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    console.log(`instances ready again ${Date.now() - resumed} ms after PostgreSQL was`);

    expect(await ok(c, 'GET', '/v1/campaigns')).toEqual(before.campaigns);
    expect((await ok(b, 'GET', BURN)).totals).toEqual(before.burn);
    expect(await value('select count(*)::int from spend')).toBe(before.spend);
    expect(await value('select sum(amount_micros)::text from spend')).toBe(before.sum);
    expect(await value('select count(*)::int from api_keys')).toBe(before.keys);
    // And they write again; a new instance joins (its migrations find nothing to do).
    await ok(b, 'POST', '/v1/spend', { items: [spendLine('S', '2026-03-04', 'after-restart', '1')] });
    // 123.45 + 5.00 (the idempotency step, on 2026-03-03) + 1.00 = 129.45
    expect((await ok(c, 'GET', BURN)).totals.actual).toBe('129.45');
    const late = await startInstance('D', server!.url);
    instances.push(late);
    await waitReady(late);
    expect((await ok(late, 'GET', BURN)).totals.actual).toBe('129.45');
  });
});
