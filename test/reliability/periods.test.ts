/**
 * Report periods against the real service (bench/server.ts in a child
 * process, over a SQLite file or a PostgreSQL database):
 * `GET /v1/reports/burn?month=9999-12` used to spin for a minute, grow
 * past 3 GB and take the process down. Here every report and
 * POST /v1/forecasts gets generated period parameters, any
 * syntactically valid value (years 0000 to 9999, months 00 to 13, days 01
 * to 31, see test/period-params.ts), over real HTTP: each answer must come
 * within a second and be a 200 (201) or a 400 naming a period field, and at
 * the end the same process is alive, answers /healthz, and its memory never
 * grew past 1 GiB.
 *
 * PERIODS_RUNS overrides the number of generated requests (default 300).
 */
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ask, killServer, send, startServer, WORKER_CHILD, type Answer } from '../../bench/harness.js';
import type { ServerStats } from '../../bench/server.js';
import { bodyOf, PERIOD_FIELDS, periodRequest, urlOf } from '../period-params.js';
import { testStore, type TestStore } from './store.js';

const RUNS = Number(process.env.PERIODS_RUNS ?? 300);
const WITHIN_MS = 1_000;
const MAX_RSS = 1024 * 1024 * 1024;

describe('report periods against a real server', () => {
  let store: TestStore | null = null;
  let child: ChildProcess | null = null;

  afterAll(async () => {
    if (child) await killServer(child);
    await store?.settled();
    await store?.remove();
  });

  it('answers any period with a 200 or a 400 naming the field, within a second, and stays up', async () => {
    store = await testStore('periods');
    const started = await startServer(store.target, null, WORKER_CHILD);
    child = started.child;
    const agent = new http.Agent({ keepAlive: true });
    const json = (body: unknown) => Buffer.from(JSON.stringify(body));
    /** One request, refused by the test if the service takes longer than a second. */
    const timed = (method: string, path: string, body?: Buffer): Promise<Answer> =>
      Promise.race([
        send(agent, started.port, method, path, body),
        new Promise<Answer>((_, reject) => setTimeout(() => reject(new Error(`${method} ${path} took over ${WITHIN_MS} ms`)), WITHIN_MS).unref()),
      ]);
    const ok = async (method: string, path: string, body: unknown) => {
      const answer = await send(agent, started.port, method, path, json(body));
      expect(answer.status, `${method} ${path}: ${answer.body.slice(0, 300)}`).toBeLessThan(300);
    };

    // A little of everything the reports read, in the month under way and the one before.
    const month = new Date().toISOString().slice(0, 7);
    await ok('POST', '/v1/campaigns', { items: [{ id: 'c1', name: 'Periods', channel: 'paid_search', startDate: '2020-01-01' }] });
    await ok('PUT', '/v1/plans', { items: [{ campaignId: 'c1', month, amount: '3100', currency: 'USD' }] });
    await ok('POST', '/v1/spend', { items: [{ campaignId: 'c1', date: `${month}-01`, amount: '100', currency: 'USD', source: 'manual' }] });
    await ok('POST', '/v1/touchpoints', { items: [{ id: 't1', customerId: 'u1', campaignId: 'c1', occurredAt: `${month}-01T10:00:00Z` }] });
    await ok('POST', '/v1/revenue', { items: [{ id: 'r1', customerId: 'u1', occurredAt: `${month}-01T11:00:00Z`, amount: '500', currency: 'USD' }] });
    // Warm every route once, so that the second's bound measures the period, not the first compile.
    for (const report of ['burn', 'forecast', 'budget-forecast-actual', 'roi', 'attribution']) {
      expect((await send(agent, started.port, 'GET', `/v1/reports/${report}?month=${month}`)).status).toBe(200);
    }

    let names = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(periodRequest, async (request) => {
        const answer =
          request.method === 'GET'
            ? await timed('GET', urlOf(request))
            : await timed('POST', request.path, json(bodyOf(request, `periods-${names++}`)));
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const where = `${request.method} ${urlOf(request)} ${JSON.stringify(request.params)}: ${answer.status} ${answer.body.slice(0, 300)}`;
        if (answer.status === 200 || answer.status === 201) return;
        expect(answer.status, where).toBe(400);
        const problem = JSON.parse(answer.body) as { code: string; errors?: { path: string }[] };
        expect(problem.code, where).toBe('validation_failed');
        expect(problem.errors?.length, where).toBeGreaterThan(0);
        for (const { path } of problem.errors!) expect(PERIOD_FIELDS, where).toContain(path);
      }),
      { numRuns: RUNS },
    );

    // Both kinds of answer were seen, and the process that gave them is the one still serving.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(0);
    expect(child.exitCode).toBeNull();
    expect((await timed('GET', '/healthz')).status).toBe(200);
    const stats = await ask<ServerStats>(child, 'stats');
    expect(stats.maxRssBytes).toBeLessThan(MAX_RSS);
    agent.destroy();
  });
});
