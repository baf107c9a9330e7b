import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../lib/errors.js';
import { problemsOnly } from '../common/schemas.js';

const routes: FastifyPluginAsyncZod = async (app) => {
  const unreadable = (error: unknown) =>
    new AppError(503, 'unavailable', 'Service unavailable', `the database cannot be read: ${error instanceof Error ? error.message : String(error)}`);

  app.get(
    '/healthz',
    {
      config: { role: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness: the process answers and the database is readable',
        description:
          'For probes: needs no key and is never rate limited. It takes no parameters, so an unknown query parameter is a 400, as on every other route; ' +
          'a database it cannot read is a 503, so that a probe tells "down" from a bug.',
        operationId: 'healthz',
        security: [],
        querystring: z.strictObject({}),
        response: { 200: z.object({ status: z.literal('ok') }).meta({ example: { status: 'ok' } }), ...problemsOnly(400, 503) },
      },
    },
    async () => {
      try {
        await app.database.ping();
      } catch (error) {
        throw unreadable(error);
      }
      return { status: 'ok' as const };
    },
  );

  // Liveness says "do not restart me"; readiness says "send me requests": a
  // load balancer takes an instance out while it starts, shuts down, or
  // cannot reach the database, and puts it back when this answers 200 again.
  app.get(
    '/readyz',
    {
      config: { role: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Readiness: the instance can serve requests now',
        description:
          'For load balancers: needs no key and is never rate limited. 200 once the database answers and the tables the reports read are in memory; ' +
          '503 while the instance starts, shuts down, or cannot reach its database.',
        operationId: 'readyz',
        security: [],
        querystring: z.strictObject({}),
        response: { 200: z.object({ status: z.literal('ready') }).meta({ example: { status: 'ready' } }), ...problemsOnly(400, 503) },
      },
    },
    async () => {
      const { readiness } = app;
      if (readiness.closing) throw new AppError(503, 'not_ready', 'Service unavailable', 'this instance is shutting down; send requests to another');
      if (!readiness.mirrorsLoaded) throw new AppError(503, 'not_ready', 'Service unavailable', 'this instance is still loading the tables the reports read');
      try {
        await app.database.ping();
      } catch (error) {
        throw unreadable(error);
      }
      return { status: 'ready' as const };
    },
  );
};

export default routes;
