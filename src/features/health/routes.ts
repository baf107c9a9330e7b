import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../lib/errors.js';
import { problemsOnly } from '../common/schemas.js';

const routes: FastifyPluginAsyncZod = async (app) => {
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
        throw new AppError(503, 'unavailable', 'Service unavailable', `the database cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      }
      return { status: 'ok' as const };
    },
  );
};

export default routes;
