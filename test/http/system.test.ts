/** /healthz, /readyz, /openapi.json, /docs and unknown routes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, problemOf, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
});
afterAll(() => t.close());

describe('GET /healthz', () => {
  it('answers ok without a key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers 400 naming an unknown query parameter, as every route does', async () => {
    const problem = problemOf(await t.app.inject({ method: 'GET', url: '/healthz?verbose=1' }), 400, 'validation_failed');
    expect(problem.detail).toContain('verbose');
  });

  it('answers 503 problem+json, not 500, when the database cannot be read', async () => {
    const broken = await makeApp();
    await broken.app.database.close();
    const problem = problemOf(await broken.app.inject({ method: 'GET', url: '/healthz' }), 503, 'unavailable');
    expect(problem.detail).toMatch(/database/);
    await broken.close().catch(() => undefined); // its database is already closed
  });
});

describe('GET /readyz', () => {
  it('answers ready without a key once the app is built (the tables the reports read are loaded)', async () => {
    expect(t.app.readiness).toEqual({ mirrorsLoaded: true, closing: false });
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });

  it('answers 400 naming an unknown query parameter', async () => {
    expect(problemOf(await t.app.inject({ method: 'GET', url: '/readyz?deep=1' }), 400, 'validation_failed').detail).toContain('deep');
  });

  it('answers 503 not_ready while the tables are not loaded, and while the instance shuts down', async () => {
    const app = await makeApp();
    try {
      app.app.readiness.mirrorsLoaded = false;
      expect(problemOf(await app.app.inject({ method: 'GET', url: '/readyz' }), 503, 'not_ready').detail).toMatch(/loading/);
      // /healthz still answers: the process is alive, only not ready.
      expect((await app.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      app.app.readiness.mirrorsLoaded = true;
      expect((await app.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      // Closing marks the instance not ready (preClose, before requests in flight are waited for).
      await app.close();
      expect(app.app.readiness.closing).toBe(true);
    }
  });

  it('answers 503 problem+json when the database cannot be read', async () => {
    const broken = await makeApp();
    await broken.app.database.close();
    const problem = problemOf(await broken.app.inject({ method: 'GET', url: '/readyz' }), 503, 'unavailable');
    expect(problem.detail).toMatch(/database/);
    await broken.close().catch(() => undefined); // its database is already closed
  });

  it('is never rate limited', async () => {
    const limited = await makeApp({ rateLimit: 2 });
    try {
      for (let i = 0; i < 5; i++) expect((await limited.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('GET /openapi.json', () => {
  it('answers the OpenAPI document without a key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().openapi).toMatch(/^3\.1\./);
  });
});

describe('GET /docs', () => {
  it('serves swagger UI without a key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(res.statusCode);
    const page = res.statusCode === 302 ? await t.app.inject({ method: 'GET', url: res.headers.location as string }) : res;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/swagger/i);
    const init = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
  });
});

describe('unknown routes and methods', () => {
  it('are a problem+json 404, with or without a key', async () => {
    for (const [method, url] of [
      ['GET', '/v1/nope'],
      ['GET', '/nope'],
      ['DELETE', '/v1/campaigns'],
      ['POST', '/v1/reports/burn'],
    ] as const) {
      problemOf(await t.app.inject({ method, url }), 404, 'not_found');
      problemOf(await t.call({ method, url }), 404, 'not_found');
    }
  });
});
