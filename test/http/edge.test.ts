/**
 * The HTTP edge (issue 14): answers the framework gives before any route
 * runs are problem+json like the rest, an unknown route is a 404 whatever is
 * sent to it, and URLs in the log carry no secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, problemOf, type TestApp } from '../helper.js';

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
