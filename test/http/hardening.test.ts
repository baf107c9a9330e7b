/**
 * Hardening (issue 5): security headers on every answer, a strict CSP for
 * the API and one swagger UI can live with at /docs, no-store on API
 * answers, a rate limit per API key (per IP without one) that answers a
 * problem+json 429 and writes nothing, and no API key in the logs.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, FastifyRequest, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ConfigError, DEFAULT_RATE_LIMIT, loadConfig } from '../../src/config.js';
import { BucketStore, rateLimitKey } from '../../src/plugins/hardening.js';
import { ADMIN_KEY, campaignItem, makeApp, problemOf, snapshot, type TestApp } from '../helper.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** The headers helmet sets on every answer, as this service configures it. */
function expectSecurityHeaders(res: LightMyRequestResponse): void {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
  expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(res.headers['x-permitted-cross-domain-policies']).toBe('none');
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
}

/** An API answer: the strict policy (nothing loads from it) and never cached. */
function expectApiHeaders(res: LightMyRequestResponse): void {
  expectSecurityHeaders(res);
  expect(res.headers['content-security-policy']).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
  expect(res.headers['cache-control']).toBe('no-store');
}

describe('security headers', () => {
  it('are on a /v1 answer, which no cache may keep', async () => {
    t = await makeApp();
    const res = await t.call({ method: 'GET', url: '/v1/settings', role: 'viewer' });
    expect(res.statusCode).toBe(200);
    expectApiHeaders(res);
  });

  it('are on a CSV report too', async () => {
    t = await makeApp();
    const res = await t.call({ method: 'GET', url: '/v1/reports/burn?month=2026-03&format=csv', role: 'viewer' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expectApiHeaders(res);
  });

  it('are on error answers: 401, 403, 400 and 404', async () => {
    t = await makeApp();
    expectApiHeaders(await t.call({ method: 'GET', url: '/v1/settings', role: null }));
    const forbidden = await t.call({ method: 'POST', url: '/v1/campaigns', role: 'viewer', payload: { items: [campaignItem('c1')] } });
    problemOf(forbidden, 403, 'forbidden');
    expectApiHeaders(forbidden);
    const invalid = await t.call({ method: 'POST', url: '/v1/campaigns', role: 'ops', payload: { items: [campaignItem('c1', { channel: 'tv' })] } });
    problemOf(invalid, 400, 'validation_failed');
    expectApiHeaders(invalid);
    const missing = await t.call({ method: 'GET', url: '/v1/nope' });
    problemOf(missing, 404, 'not_found');
    expectApiHeaders(missing);
  });

  it('are on /healthz and /openapi.json', async () => {
    t = await makeApp();
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expectApiHeaders(health);
    const document = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(document.statusCode).toBe(200);
    expectApiHeaders(document);
  });
});

describe('swagger UI at /docs', () => {
  it('is served with a policy that lets it load: every script, style and image it links answers, none 5xx', async () => {
    t = await makeApp();
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expectSecurityHeaders(page);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).not.toContain("'unsafe-eval'");
    // The UI loads over plain HTTP on 127.0.0.1, the default: no forced upgrade.
    expect(csp).not.toContain('upgrade-insecure-requests');

    // script-src 'self' holds only if the page has no inline script.
    const scripts = [...page.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="/);
      expect(body!.trim()).toBe('');
    }
    const links = [...page.body.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, 'http://localhost/docs/').pathname);
    expect(links).toContain('/docs/static/swagger-ui-bundle.js');
    for (const path of [...links, '/docs/json', '/docs']) {
      const res = await t.app.inject({ method: 'GET', url: path });
      expect(res.statusCode, path).toBeLessThan(400);
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers['content-security-policy'], path).toContain("script-src 'self'");
    }
    const bundle = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    // Static files of the UI may be cached; only API answers are no-store.
    expect(bundle.headers['cache-control']).not.toBe('no-store');
  });
});

describe('rate limit per API key', () => {
  it('answers the 6th request of a minute, with a limit of 5, with a problem+json 429 that wrote nothing', async () => {
    t = await makeApp({ rateLimit: 5 });
    for (let i = 1; i <= 5; i++) {
      const res = await t.call({ method: 'GET', url: '/v1/campaigns', role: 'ops' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(5 - i));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    }
    const before = await snapshot(t.app);
    const limited = await t.call({ method: 'POST', url: '/v1/campaigns', role: 'ops', payload: { items: [campaignItem('c1')] } });
    const problem = problemOf(limited, 429, 'rate_limited');
    expect(problem).toMatchObject({ type: 'urn:spendbook:problem:rate-limited', title: 'Too many requests', status: 429 });
    expect(problem.detail).toMatch(/more than 5 requests in a minute/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers['x-ratelimit-limit']).toBe('5');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expectApiHeaders(limited);
    expect(await snapshot(t.app)).toBe(before);

    // Another key has its own minute.
    const other = await t.call({ method: 'GET', url: '/v1/campaigns', role: 'finance' });
    expect(other.statusCode).toBe(200);
    expect(other.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('counts requests with a bad key too, against the address: the limit runs before auth', async () => {
    t = await makeApp({ rateLimit: 5 });
    const bad = { authorization: 'Bearer sb_not_a_key_at_all_0123456789' };
    for (let i = 0; i < 5; i++) problemOf(await t.app.inject({ method: 'GET', url: '/v1/settings', headers: bad }), 401, 'unauthorized');
    problemOf(await t.app.inject({ method: 'GET', url: '/v1/settings', headers: bad }), 429, 'rate_limited');
    expect((await t.call({ method: 'GET', url: '/v1/settings' })).statusCode).toBe(200);
  });

  it('limits requests without a key by client IP', async () => {
    t = await makeApp({ rateLimit: 5 });
    const from = (remoteAddress: string, url = '/openapi.json') => t!.app.inject({ method: 'GET', url, remoteAddress });
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.7')).statusCode).toBe(200);
    problemOf(await from('203.0.113.7'), 429, 'rate_limited');
    // Limited before auth: no 401 for the limited address.
    problemOf(await from('203.0.113.7', '/v1/settings'), 429, 'rate_limited');
    expect((await from('203.0.113.8')).statusCode).toBe(200);
    // A key is its own bucket, whatever the address.
    const keyed = await t.app.inject({ method: 'GET', url: '/v1/settings', remoteAddress: '203.0.113.7', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(keyed.statusCode).toBe(200);
  });

  it('never limits /healthz, and /healthz does not use up the limit', async () => {
    t = await makeApp({ rateLimit: 5 });
    for (let i = 0; i < 20; i++) {
      const health = await t.app.inject({ method: 'GET', url: '/healthz', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(health.statusCode).toBe(200);
      expect(health.headers['x-ratelimit-limit']).toBeUndefined();
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    }
    const res = await t.call({ method: 'GET', url: '/v1/settings' });
    expect(res.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('keys the bucket by the SHA-256 of a valid key, never the key; any other token counts against the address', async () => {
    const token = 'sb_secret_token_XYZ_not_hex';
    const valid = (t: string) => t === token;
    const request = (authorization?: string) => ({ headers: authorization ? { authorization } : {}, ip: '::ffff:198.51.100.4' }) as unknown as FastifyRequest;
    expect(await rateLimitKey(request(`Bearer ${token}`), valid)).toBe(`key:${sha256(token)}`);
    expect(await rateLimitKey(request(`bearer   ${token}  `), valid)).toBe(`key:${sha256(token)}`);
    expect(await rateLimitKey(request(`Bearer ${token}`), valid)).not.toContain(token);
    // No valid bearer key (none, another scheme, a made-up token): the client's address, IPv4-mapped IPv6 read as IPv4.
    expect(await rateLimitKey(request(), valid)).toBe('ip:198.51.100.4');
    expect(await rateLimitKey(request(`Basic ${token}`), valid)).toBe('ip:198.51.100.4');
    expect(await rateLimitKey(request(`Bearer ${token}x`), valid)).toBe('ip:198.51.100.4');
  });

  it('limits made-up tokens from one address together: 120 junk tokens at a limit of 30 get 429s', async () => {
    t = await makeApp({ rateLimit: 30 });
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/settings', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer sb_junk_${i}` } });
      statuses.push(res.statusCode);
    }
    // 30 requests in the address's minute are answered (401: no such key), the other 90 are limited.
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(90);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    // The same address without a token is limited too; another address is not; a valid key from it is its own bucket.
    problemOf(await t.app.inject({ method: 'GET', url: '/openapi.json', remoteAddress: '203.0.113.9' }), 429, 'rate_limited');
    expect((await t.app.inject({ method: 'GET', url: '/openapi.json', remoteAddress: '203.0.113.10' })).statusCode).toBe(200);
    const keyed = await t.app.inject({ method: 'GET', url: '/v1/settings', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(keyed.statusCode).toBe(200);
    expect(keyed.headers['x-ratelimit-remaining']).toBe('29');
  });

  it('keeps keys’ windows apart from addresses’: 20,000 addresses push out the oldest address, never a key', () => {
    const store = new BucketStore();
    const count = (bucket: string) => {
      let current = -1;
      store.read(bucket, (_error, result) => void (current = result.current), 60_000);
      return current;
    };
    const hit = (bucket: string) => store.incr(bucket, () => undefined, 60_000);
    for (let i = 0; i < 7; i++) hit('key:k1');
    for (let i = 0; i < 3; i++) hit('ip:198.51.100.1');
    for (let i = 0; i < 20_000; i++) hit(`ip:10.0.${i >> 8}.${i & 255}`);
    expect(count('key:k1')).toBe(7);
    // The first address was the least recently used of more than 10,000: its window is gone; the latest stays.
    expect(count('ip:198.51.100.1')).toBe(0);
    expect(count('ip:10.0.78.31')).toBe(1); // 19,999 = 78 * 256 + 31
  });

  it('a revoked key counts against its address, not a bucket of its own', async () => {
    t = await makeApp({ rateLimit: 3 });
    const created = await t.app.apiKeys.create('to revoke', 'viewer');
    await t.app.apiKeys.revoke(created.id);
    const as = (remoteAddress: string) => t!.app.inject({ method: 'GET', url: '/v1/settings', remoteAddress, headers: { authorization: `Bearer ${created.key}` } });
    for (let i = 0; i < 3; i++) problemOf(await as('198.51.100.20'), 401, 'unauthorized');
    problemOf(await as('198.51.100.20'), 429, 'rate_limited');
    problemOf(await as('198.51.100.21'), 401, 'unauthorized');
  });

  it('uses the production default when the test suite does not ask for a limit', async () => {
    t = await makeApp();
    const res = await t.call({ method: 'GET', url: '/v1/settings' });
    expect(res.headers['x-ratelimit-limit']).toBe(String(DEFAULT_RATE_LIMIT));
  });
});

describe('SPENDBOOK_RATE_LIMIT', () => {
  it.each(['0', '-1', '2.5', '1e3', 'lots', '99999999999'])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig({ SPENDBOOK_RATE_LIMIT: value })).toThrow(ConfigError);
    expect(() => loadConfig({ SPENDBOOK_RATE_LIMIT: value })).toThrow(/^invalid configuration:\n {2}SPENDBOOK_RATE_LIMIT: /);
  });

  it('sets the limit the app enforces', async () => {
    const app = await buildApp(loadConfig({ SPENDBOOK_DB: ':memory:', SPENDBOOK_ADMIN_KEY: ADMIN_KEY, SPENDBOOK_RATE_LIMIT: '2', LOG_LEVEL: 'silent' }), {
      announceAdminKey: () => undefined,
    });
    try {
      const get = () => app.inject({ method: 'GET', url: '/v1/settings', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect((await get()).statusCode).toBe(200);
      expect((await get()).statusCode).toBe(200);
      problemOf(await get(), 429, 'rate_limited');
    } finally {
      await app.close();
    }
  });
});

describe('logs', () => {
  it('never contain an API key or its hash, whatever the answer', async () => {
    const lines: string[] = [];
    const badKey = 'sb_wrong_key_that_was_never_issued_42';
    const secrets = [ADMIN_KEY, badKey];
    let app: FastifyInstance | undefined;
    try {
      app = await buildApp(
        { port: 0, host: '127.0.0.1', db: { kind: 'sqlite', path: ':memory:' }, adminKey: ADMIN_KEY, logLevel: 'trace', rateLimit: 3 },
        { announceAdminKey: () => undefined, logStream: { write: (line) => void lines.push(line) } },
      );
      const viewerKey = (await app.apiKeys.create('log test viewer', 'viewer')).key;
      secrets.push(viewerKey);
      const as = (key: string | null) => (key ? { authorization: `Bearer ${key}` } : {});
      const statuses: number[] = [];
      const send = async (key: string | null, method: 'GET' | 'POST', url: string, payload?: unknown) => {
        const res = await app!.inject({ method, url, headers: as(key), ...(payload === undefined ? {} : { payload: payload as object }) });
        statuses.push(res.statusCode);
      };
      await send(ADMIN_KEY, 'GET', '/v1/settings'); // 200
      await send(ADMIN_KEY, 'POST', '/v1/campaigns', { items: [{ id: 'c1' }] }); // 400
      await send(viewerKey, 'POST', '/v1/campaigns', { items: [campaignItem('c1')] }); // 403
      await send(viewerKey, 'GET', '/v1/nope'); // 404
      for (let i = 0; i < 4; i++) await send(badKey, 'GET', '/v1/settings'); // 401 x3, then 429
      await send(null, 'GET', '/v1/settings'); // 429: no key, from the address the bad key used up
      expect(statuses).toEqual([200, 400, 403, 404, 401, 401, 401, 429, 429]);
    } finally {
      await app?.close();
    }
    const log = lines.join('');
    // The log was written (requests, the 4xx lines), so its silence about keys means something.
    expect(lines.length).toBeGreaterThan(10);
    expect(log).toContain('"code":"unauthorized"');
    expect(log).toContain('"code":"rate_limited"');
    expect(secrets).toHaveLength(3);
    for (const line of lines) {
      const parsed = JSON.parse(line) as { req?: { headers?: unknown } };
      expect(parsed.req?.headers).toBeUndefined();
      for (const secret of secrets) {
        expect(line).not.toContain(secret);
        expect(line).not.toContain(sha256(secret));
      }
    }
  });
});
