/**
 * The manners every batch write shares (docs/api.md, "Batches" and
 * "Idempotency"): JSON only, at least one item, at most 100,000 items and
 * 64 MiB, all-or-nothing, and Idempotency-Key replay. Each refusal is a
 * problem+json 4xx and leaves the database exactly as it was.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { idempotencyRepository } from '../../src/features/idempotency/repository.js';
import { bigBatchBody, campaignItem, countRows, errorPaths, makeApp, problemOf, rawSql, seedCampaigns, snapshot, type TestApp } from '../helper.js';

interface BatchRoute {
  method: 'POST' | 'PUT';
  url: string;
  role: Role;
  /** A valid item i (distinct natural keys for distinct i). */
  item: (i: number) => Record<string, unknown>;
  /** A field of the item and a value of the wrong type for it. */
  wrongType: [string, unknown];
}

const day = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);

const BATCH_ROUTES: BatchRoute[] = [
  { method: 'POST', url: '/v1/campaigns', role: 'ops', item: (i) => campaignItem(`b${i}`), wrongType: ['name', 42] },
  {
    method: 'PUT',
    url: '/v1/plans',
    role: 'ops',
    item: (i) => ({ campaignId: 'c1', month: `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`, amount: '100.50', currency: 'USD' }),
    wrongType: ['amount', true],
  },
  {
    method: 'POST',
    url: '/v1/commitments',
    role: 'ops',
    // USD: an open commitment in a currency with no rate warns (test/http/rate-warnings.test.ts), which is not what this file is about.
    item: (i) => ({ id: `io-${i}`, campaignId: 'c1', month: '2026-03', amount: 250, currency: 'USD' }),
    wrongType: ['month', 202603],
  },
  { method: 'PUT', url: '/v1/fx-rates', role: 'finance', item: (i) => ({ date: day(i), currency: 'EUR', rate: '1.08' }), wrongType: ['rate', [1]] },
  {
    method: 'POST',
    url: '/v1/spend',
    role: 'ops',
    item: (i) => ({ campaignId: 'c1', date: day(i), amount: '12.34', currency: 'USD', source: 'google_ads' }),
    wrongType: ['currency', 840],
  },
  {
    method: 'POST',
    url: '/v1/touchpoints',
    role: 'ops',
    item: (i) => ({ id: `tp-${i}`, customerId: `cust-${i % 7}`, campaignId: 'c1', occurredAt: `${day(i)}T10:15:00Z` }),
    wrongType: ['occurredAt', 1_700_000_000],
  },
  {
    method: 'POST',
    url: '/v1/revenue',
    role: 'ops',
    item: (i) => ({ id: `conv-${i}`, customerId: `cust-${i % 7}`, occurredAt: `${day(i)}T18:00:00+02:00`, amount: '49.90', currency: 'USD' }),
    wrongType: ['customerId', { id: 1 }],
  },
];

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
  await seedCampaigns(t, [campaignItem('c1')]);
});
afterEach(() => t.close());

/** 64 MiB and one byte of valid JSON. */
const OVERSIZED = `{"items":[${' '.repeat(64 * 1024 * 1024 - 11)}]}`;

describe.each(BATCH_ROUTES)('$method $url', (route) => {
  const send = (payload: unknown, headers: Record<string, string> = {}) =>
    t.call({ method: route.method, url: route.url, role: route.role, payload: payload as string, headers });

  it('writes a batch and counts it; the same batch again is all unchanged', async () => {
    const items = [route.item(0), route.item(1), route.item(2)];
    const first = await send({ items });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
    const again = await send({ items });
    expect(again.json()).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
  });

  it('takes application/json with a charset', async () => {
    const res = await send(JSON.stringify({ items: [route.item(0)] }), { 'content-type': 'application/json; charset=utf-8' });
    expect(res.statusCode, res.body).toBe(200);
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      before = await snapshot(t.app);
    });
    afterEach(async () => {
      expect(await snapshot(t.app)).toBe(before);
    });

    it('a body that is not JSON (400)', async () => {
      for (const text of ['{"items": [', 'items=1', "{'items': []}", '{"items": [1,]}']) {
        problemOf(await send(text, { 'content-type': 'application/json' }), 400, 'invalid_json');
      }
    });

    it('an empty body (400)', async () => {
      problemOf(await send('', { 'content-type': 'application/json' }), 400);
    });

    it('a text/plain body (415)', async () => {
      problemOf(await send(JSON.stringify({ items: [route.item(0)] }), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    });

    it('other media types (415)', async () => {
      for (const type of ['application/x-www-form-urlencoded', 'text/csv', 'application/xml', 'multipart/form-data; boundary=x']) {
        problemOf(await send('items=1', { 'content-type': type }), 415, 'unsupported_media_type');
      }
    });

    it('a body that is not {items: [...]} (400)', async () => {
      for (const body of ['null', '[]', '42', '"items"', '{}', '{"items": null}', '{"items": {}}', '{"items": "x"}']) {
        const res = await send(body, { 'content-type': 'application/json' });
        problemOf(res, 400);
      }
    });

    it('an empty batch (400 at items)', async () => {
      expect(errorPaths(await send({ items: [] }))).toEqual(['items']);
    });

    it('an unknown top-level field (400 naming it)', async () => {
      expect(errorPaths(await send({ items: [route.item(0)], dryRun: true }))).toEqual(['dryRun']);
    });

    it('an unknown field in an item (400 at items/N/field)', async () => {
      expect(errorPaths(await send({ items: [route.item(0), { ...route.item(1), extra: 1 }] }))).toEqual(['items/1/extra']);
    });

    it('a field of the wrong type (400 at items/N/field)', async () => {
      const [field, value] = route.wrongType;
      expect(errorPaths(await send({ items: [route.item(0), { ...route.item(1), [field]: value }] }))).toEqual([`items/1/${field}`]);
    });

    it('an item that is not an object (400 at items/N)', async () => {
      expect(errorPaths(await send({ items: [route.item(0), 'x', null] }))).toEqual(['items/1', 'items/2']);
    });

    it('one bad item among many (400 listing only its index)', async () => {
      const items = Array.from({ length: 50 }, (_, i) => route.item(i));
      items[37] = { ...items[37], unexpected: 'x' };
      const problem = problemOf(await send({ items }), 400, 'validation_failed');
      expect(problem.errors).toEqual([{ path: 'items/37/unexpected', message: expect.any(String) }]);
      expect(problem.detail).toContain('items/37/unexpected');
    });

    it('several bad items (400 listing every one)', async () => {
      const [field, value] = route.wrongType;
      const items = Array.from({ length: 20 }, (_, i) => route.item(i));
      for (const i of [2, 11, 19]) items[i] = { ...items[i], [field]: value };
      expect(errorPaths(await send({ items }))).toEqual([`items/11/${field}`, `items/19/${field}`, `items/2/${field}`]);
    });

    it('100,001 items (413)', async () => {
      const body = bigBatchBody(100_001, route.item);
      const problem = problemOf(await send(body, { 'content-type': 'application/json' }), 413, 'payload_too_large');
      expect(problem.detail).toMatch(/100,000/);
    });

    it('a body over 64 MiB (413)', async () => {
      problemOf(await send(OVERSIZED, { 'content-type': 'application/json' }), 413, 'payload_too_large');
    });

    it('an Idempotency-Key that is not 1 to 255 printable characters (400)', async () => {
      for (const key of ['has space', 'x'.repeat(256), 'é']) {
        problemOf(await send({ items: [route.item(0)] }, { 'idempotency-key': key }), 400, 'validation_failed');
      }
    });
  });

  describe('Idempotency-Key', () => {
    it('with the same body replays the first answer and writes nothing again', async () => {
      const body = { items: [route.item(0), route.item(1)] };
      const first = await send(body, { 'idempotency-key': 'load-1' });
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json()).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
      const before = await snapshot(t.app);

      const replay = await send(body, { 'idempotency-key': 'load-1' });
      expect(replay.statusCode).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toBe(first.body);
      expect(await snapshot(t.app)).toBe(before);

      // Without the key, the natural keys still make the re-send harmless.
      expect((await send(body)).json()).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
    });

    it('with a different body is a 409 that writes nothing', async () => {
      expect((await send({ items: [route.item(0)] }, { 'idempotency-key': 'load-2' })).statusCode).toBe(200);
      const before = await snapshot(t.app);
      const problem = problemOf(await send({ items: [route.item(1)] }, { 'idempotency-key': 'load-2' }), 409, 'idempotency_key_reused');
      expect(problem.detail).toContain('load-2');
      expect(await snapshot(t.app)).toBe(before);
    });

    it('is not spent by a refused request', async () => {
      problemOf(await send({ items: [] }, { 'idempotency-key': 'load-3' }), 400);
      const res = await send({ items: [route.item(0)] }, { 'idempotency-key': 'load-3' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    });

    it('belongs to the API key that used it', async () => {
      const body = { items: [route.item(0)] };
      expect((await send(body, { 'idempotency-key': 'load-4' })).statusCode).toBe(200);
      const other = await t.call({ method: route.method, url: route.url, role: 'admin', payload: body, headers: { 'idempotency-key': 'load-4' } });
      expect(other.statusCode).toBe(200);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect(other.json()).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    });
  });
});

/**
 * Idempotency-Key under concurrency: the key is claimed (status_code 0, the
 * claimer's token as body) before the write and completed with the answer
 * after it, so that requests racing on one key write once, whichever
 * instance they reach. Here the claims of "another instance" are rows put in
 * the table by hand, which is all another instance would leave there.
 */
describe('Idempotency-Key claims', () => {
  const line = (i: number, amount = '12.34') => ({ campaignId: 'c1', date: day(i), amount, currency: 'USD', source: 'google_ads', reference: `r${i}` });
  const text = (items: unknown[]) => JSON.stringify({ items });
  const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
  /** The hash the server keeps for a POST /v1/spend with this body text. */
  const requestHash = (body: string) => sha256(`POST /v1/spend\n${sha256(body)}`);
  const post = (body: string, key: string) =>
    t.call({ method: 'POST', url: '/v1/spend', role: 'ops', payload: body, headers: { 'content-type': 'application/json', 'idempotency-key': key } });
  const keyIdOf = async (role: Role) => String(await rawSql(t.app).value('select id from api_keys where name = ?', `test ${role}`));
  /** A claim as another instance would leave it, made `ageMs` ago. */
  const claimByHand = async (key: string, body: string, ageMs: number) =>
    rawSql(t.app).run(
      'insert into idempotency_keys (api_key_id, key, request_hash, status_code, response_body, created_at) values (?, ?, ?, 0, ?, ?)',
      await keyIdOf('ops'),
      key,
      requestHash(body),
      'token-of-another-instance',
      new Date(Date.now() - ageMs).toISOString(),
    );
  const records = async (key: string) => rawSql(t.app).all('select status_code, response_body from idempotency_keys where key = ?', key);

  it('several requests racing on one key and body write once; the others replay its answer', async () => {
    const body = text([line(0), line(1), line(2)]);
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(body, 'race-1')));
    for (const res of answers) expect(res.statusCode, res.body).toBe(200);
    const written = answers.filter((res) => res.headers['idempotent-replayed'] === undefined);
    expect(written).toHaveLength(1);
    expect(written[0]!.json()).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
    // The three others replay that answer exactly, not "unchanged: 3" from a second write.
    for (const res of answers) expect(res.body).toBe(written[0]!.body);
    expect(await countRows(t.app, 'spend')).toBe(3);
    expect(await records('race-1')).toEqual([{ status_code: expect.anything(), response_body: written[0]!.body }]);
    expect(Number((await records('race-1'))[0]!.status_code)).toBe(200);
  });

  it('a request that finds the key claimed for its body waits for the answer and replays it', async () => {
    const body = text([line(0)]);
    await claimByHand('wait-1', body, 0);
    const answer = '{"inserted":1,"updated":0,"unchanged":0}';
    // "The other instance" finishes 300 ms later.
    const finish = setTimeout(() => {
      void rawSql(t.app).run("update idempotency_keys set status_code = 200, response_body = ? where key = 'wait-1'", answer);
    }, 300);
    try {
      const res = await post(body, 'wait-1');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.body).toBe(answer);
      // It replayed what the other wrote (nothing, here) rather than writing itself.
      expect(await countRows(t.app, 'spend')).toBe(0);
    } finally {
      clearTimeout(finish);
    }
  });

  it('a request whose key is given back while it waits claims it and writes', async () => {
    const body = text([line(0)]);
    await claimByHand('wait-2', body, 0);
    const giveBack = setTimeout(() => void rawSql(t.app).run("delete from idempotency_keys where key = 'wait-2'"), 300);
    try {
      const res = await post(body, 'wait-2');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      expect(res.json()).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    } finally {
      clearTimeout(giveBack);
    }
  });

  it('another body under a claimed key is a 409 at once, without waiting', async () => {
    await claimByHand('busy-1', text([line(0)]), 0);
    const before = await snapshot(t.app);
    const started = Date.now();
    const problem = problemOf(await post(text([line(1)]), 'busy-1'), 409, 'idempotency_key_reused');
    expect(problem.detail).toContain('busy-1');
    // The default wait is 30 s; a conflict does not wait at all.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await snapshot(t.app)).toBe(before);
  });

  describe('with a short wait (200 ms) and claims stale after 60 s', () => {
    let quick: TestApp;
    beforeEach(async () => {
      quick = await makeApp({ idempotency: { waitMs: 200, staleMs: 60_000 } });
      await seedCampaigns(quick, [campaignItem('c1')]);
    });
    afterEach(() => quick.close());

    it('a claim still running past the wait is a 409 idempotency_key_in_progress with Retry-After until it is stale', async () => {
      const body = text([line(0)]);
      const opsId = String(await rawSql(quick.app).value("select id from api_keys where name = 'test ops'"));
      // Claimed 20 s ago: stale in 40 s.
      await rawSql(quick.app).run(
        'insert into idempotency_keys (api_key_id, key, request_hash, status_code, response_body, created_at) values (?, ?, ?, 0, ?, ?)',
        opsId,
        'slow-1',
        requestHash(body),
        'token-of-another-instance',
        new Date(Date.now() - 20_000).toISOString(),
      );
      const before = await snapshot(quick.app);
      const res = await quick.call({ method: 'POST', url: '/v1/spend', role: 'ops', payload: body, headers: { 'content-type': 'application/json', 'idempotency-key': 'slow-1' } });
      const problem = problemOf(res, 409, 'idempotency_key_in_progress');
      expect(problem.detail).toContain('slow-1');
      const retryAfter = Number(res.headers['retry-after']);
      // 60 s - 20 s = 40 s, give or take the test's own time.
      expect(retryAfter).toBeGreaterThanOrEqual(35);
      expect(retryAfter).toBeLessThanOrEqual(40);
      expect(await snapshot(quick.app)).toBe(before);
    });

    it('a claim older than the stale time (a process that died mid-request) is taken over, and the batch written', async () => {
      const body = text([line(0), line(1)]);
      const opsId = String(await rawSql(quick.app).value("select id from api_keys where name = 'test ops'"));
      await rawSql(quick.app).run(
        'insert into idempotency_keys (api_key_id, key, request_hash, status_code, response_body, created_at) values (?, ?, ?, 0, ?, ?)',
        opsId,
        'dead-1',
        requestHash(body),
        'token-of-a-dead-instance',
        new Date(Date.now() - 61_000).toISOString(),
      );
      const res = await quick.call({ method: 'POST', url: '/v1/spend', role: 'ops', payload: body, headers: { 'content-type': 'application/json', 'idempotency-key': 'dead-1' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      expect(res.json()).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
      const rows = await rawSql(quick.app).all("select status_code, response_body from idempotency_keys where key = 'dead-1'");
      expect(rows.map((r) => [Number(r.status_code), r.response_body])).toEqual([[200, res.body]]);
    });
  });

  it('the claim of a request refused by the service (4xx) is given back: the key stays free for the retry', async () => {
    // Campaign c9 does not exist yet: the body is valid, the service refuses it after the key was claimed.
    const body = JSON.stringify({ items: [{ ...line(0), campaignId: 'c9' }] });
    const refused = await post(body, 'retry-1');
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    expect(refused.statusCode).toBeLessThan(500);
    expect(await records('retry-1')).toEqual([]);
    await seedCampaigns(t, [campaignItem('c9')]);
    const retried = await post(body, 'retry-1');
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.json()).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
  });

  it('ending a claim needs its token: a claimer that was taken over (presumed dead) changes nothing', async () => {
    const repo = idempotencyRepository(t.app.database);
    const ops = await keyIdOf('ops');
    const at = (minute: number) => `2026-01-01T00:0${minute}:00.000Z`;
    expect(await repo.claim(ops, 'tok-1', 'hash', 'first', at(0))).toBe(true);
    expect(await repo.claim(ops, 'tok-1', 'hash', 'second', at(1))).toBe(false);
    // Taken over only for the same request, and only if claimed before the cutoff.
    expect(await repo.takeOver(ops, 'tok-1', 'other-hash', 'second', at(5), at(3))).toBe(false);
    expect(await repo.takeOver(ops, 'tok-1', 'hash', 'second', at(5), at(0))).toBe(false);
    expect(await repo.takeOver(ops, 'tok-1', 'hash', 'second', at(5), at(3))).toBe(true);
    // The first claimer comes back to life: its answer and its give-back are both refused.
    expect(await repo.complete(ops, 'tok-1', 'first', 200, '{"late":true}')).toBe(false);
    expect(await repo.release(ops, 'tok-1', 'first')).toBe(false);
    expect(await repo.complete(ops, 'tok-1', 'second', 200, '{"ok":true}')).toBe(true);
    expect(await repo.find(ops, 'tok-1')).toEqual({ requestHash: 'hash', statusCode: 200, responseBody: '{"ok":true}', createdAt: at(5) });
    // A finished record is no claim: neither given back nor taken over.
    expect(await repo.release(ops, 'tok-1', 'second')).toBe(false);
    expect(await repo.takeOver(ops, 'tok-1', 'hash', 'third', at(9), at(8))).toBe(false);
  });

  it('a completed answer is never a claim: every record of a finished request has an HTTP status', async () => {
    const body = text([line(0)]);
    expect((await post(body, 'done-1')).statusCode).toBe(200);
    expect((await post(body, 'done-1')).headers['idempotent-replayed']).toBe('true');
    const rows = await rawSql(t.app).all('select status_code from idempotency_keys');
    expect(rows.map((r) => Number(r.status_code))).toEqual([200]);
  });
});
