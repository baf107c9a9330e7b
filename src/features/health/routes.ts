import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

const routes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      config: { role: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness: the process answers and the database is readable',
        operationId: 'healthz',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }).meta({ example: { status: 'ok' } }) },
      },
    },
    async () => {
      app.sqlite.prepare('select 1').get();
      return { status: 'ok' as const };
    },
  );
};

export default routes;
