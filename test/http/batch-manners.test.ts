/**
 * The manners every batch write shares (docs/api.md, "Batches" and
 * "Idempotency"): JSON only, at least one item, at most 100,000 items and
 * 64 MiB, all-or-nothing, and Idempotency-Key replay. Each refusal is a
 * problem+json 4xx and leaves the database exactly as it was.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { bigBatchBody, campaignItem, errorPaths, makeApp, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

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
