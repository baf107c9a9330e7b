import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../../domain/roles.js';
import { DisplayName, problems } from '../common/schemas.js';

const ApiKey = z
  .object({ id: z.string(), name: z.string(), role: z.enum(ROLES), prefix: z.string(), createdAt: z.string() })
  .meta({ id: 'ApiKey', example: { id: 'key_1f2e3d4c5b6a7980', name: 'finance script', role: 'finance', prefix: 'sb_Xq3v', createdAt: '2026-03-01T09:00:00.000Z' } });

const routes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/api-keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key',
        description: 'The key itself is in this answer only; it is stored hashed.',
        operationId: 'createApiKey',
        body: z.strictObject({ name: DisplayName(128), role: z.enum(ROLES) }).meta({ example: { name: 'finance script', role: 'finance' } }),
        response: {
          201: ApiKey.extend({ key: z.string().meta({ description: 'The secret: shown in this answer only' }) }).meta({
            id: 'NewApiKey',
            example: {
              id: 'key_1f2e3d4c5b6a7980',
              name: 'finance script',
              role: 'finance',
              prefix: 'sb_Xq3v',
              createdAt: '2026-03-01T09:00:00.000Z',
              key: 'sb_Xq3vR0Zk2mJ8yTqL4nWc9sHf1aBd6eUo7iPg5vKx3Ns',
            },
          }),
          ...problems(415),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await app.apiKeys.create(request.body.name, request.body.role)),
  );

  app.get(
    '/v1/api-keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['api-keys'],
        summary: 'List active API keys',
        operationId: 'listApiKeys',
        response: { 200: z.object({ items: z.array(ApiKey) }), ...problems() },
      },
    },
    async () => ({ items: await app.apiKeys.list() }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key',
        operationId: 'revokeApiKey',
        params: z.object({ id: z.string().max(64) }),
        response: { 204: z.null().meta({ description: 'Revoked' }), ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      await app.apiKeys.revoke(request.params.id);
      return reply.status(204).send(null);
    },
  );
};

export default routes;
