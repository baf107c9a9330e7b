/**
 * The HTTP edge (issue 14): answers the framework gives before any route
 * runs are problem+json like the rest, an unknown route is a 404 whatever is
 * sent to it, and URLs in the log carry no secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { redactUrl } from '../../src/lib/redact-url.js';
import { ADMIN_KEY, makeApp, problemOf, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
});
afterAll(() => t.close());

describe('an unknown route', () => {
  const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
  /** Bodies a route would refuse: empty, not JSON, not UTF-8, JSON of every shape. */
  const BODIES: { payload?: string | Buffer; type?: string }[] = [
    {},
    { payload: '', type: 'application/json' },
    { payload: '{"reason":"x"}', type: 'application/json' },
    { payload: '{not json', type: 'application/json' },
    { payload: 'null', type: 'application/json' },
    { payload: Buffer.from([0x7b, 0xff, 0x7d]), type: 'application/json' },
    { payload: 'a,b\r\n', type: 'text/csv' },
    { payload: 'hello', type: 'text/plain' },
    { payload: '{}', type: 'application/merge-patch+json' },
  ];

  it('is a problem+json 404 naming the method and path, whatever the method and body', async () => {
    for (const url of ['/v1/nope', '/v1/periods/2026-02', '/nope?x=1', '/v1/campaigns/c1/extra']) {
      for (const method of METHODS) {
        for (const body of BODIES) {
          const res = await t.call({ method, url, ...(body.payload === undefined ? {} : { payload: body.payload }), headers: body.type ? { 'content-type': body.type } : {} });
          const where = `${method} ${url} ${JSON.stringify(body)}`;
          expect(res.statusCode, where).toBe(404);
          if (method === 'HEAD') continue;
          const problem = problemOf(res, 404, 'not_found');
          expect(problem.detail, where).toBe(`no route ${method} ${url.split('?')[0]}`);
        }
      }
    }
  });

  it('is a 404 without a key too, and a known route still reads its body', async () => {
    problemOf(await t.call({ method: 'DELETE', url: '/v1/nope', role: null, payload: '', headers: { 'content-type': 'application/json' } }), 404, 'not_found');
    problemOf(await t.call({ method: 'POST', url: '/v1/api-keys', payload: '', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    problemOf(await t.call({ method: 'POST', url: '/v1/api-keys', payload: '{not json', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  });
});

describe('URLs in the log', () => {
  it('redactUrl keeps each key-like parameter’s name and drops its value, leaving the rest as sent', () => {
    expect(redactUrl('/v1/campaigns?api_key=sb_abc&limit=5')).toBe('/v1/campaigns?api_key=[redacted]&limit=5');
    expect(redactUrl('/v1/x?key=1&token=2&apikey=3&access_token=4&Api-Key=5&client_secret=6&password=7')).toBe(
      '/v1/x?key=[redacted]&token=[redacted]&apikey=[redacted]&access_token=[redacted]&Api-Key=[redacted]&client_secret=[redacted]&password=[redacted]',
    );
    // A name percent-encoded or with + is read as decoded; a malformed escape is read as is.
    expect(redactUrl('/v1/x?api%5Fkey=s&%ZZ=t&month=2026-03')).toBe('/v1/x?api%5Fkey=[redacted]&%ZZ=t&month=2026-03');
    expect(redactUrl('/v1/x?api+key=s')).toBe('/v1/x?api+key=[redacted]');
    expect(redactUrl('/v1/reports/burn?month=2026-03&groupBy=channel')).toBe('/v1/reports/burn?month=2026-03&groupBy=channel');
    expect(redactUrl('/v1/x')).toBe('/v1/x');
    expect(redactUrl('/v1/x?token')).toBe('/v1/x?token');
  });

  it('never hold a key sent in the query string, on any answer', async () => {
    const lines: string[] = [];
    const secret = 'sb_query_secret_0123456789abcdef';
    const app = await buildApp(
      { port: 0, host: '127.0.0.1', db: { kind: 'sqlite', path: ':memory:' }, adminKey: ADMIN_KEY, logLevel: 'trace', rateLimit: 100 },
      { announceAdminKey: () => undefined, logStream: { write: (line) => void lines.push(line) } },
    );
    try {
      const urls = [
        `/v1/settings?api_key=${secret}`,
        `/v1/campaigns?limit=5&token=${secret}`,
        `/v1/nope?access_token=${secret}`,
        `/v1/campaigns?limit=abc&apikey=${encodeURIComponent(secret)}`,
        `/healthz?key=${secret}`,
      ];
      for (const url of urls) await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    } finally {
      await app.close();
    }
    const logged = lines.map((line) => JSON.parse(line) as { req?: { url?: string } }).filter((entry) => entry.req?.url);
    // Each request's line was written, with its URL: the redaction is seen, not a silent log.
    expect(logged.map((entry) => entry.req!.url)).toEqual([
      '/v1/settings?api_key=[redacted]',
      '/v1/campaigns?limit=5&token=[redacted]',
      '/v1/nope?access_token=[redacted]',
      '/v1/campaigns?limit=abc&apikey=[redacted]',
      '/healthz?key=[redacted]',
    ]);
    for (const line of lines) expect(line).not.toContain(secret);
  });
});
