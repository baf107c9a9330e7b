/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas, at
 * /openapi.json, and swagger UI at /docs.
 */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Spendbook API',
          version: '1.0.0',
          description:
            'Marketing spend and ROI budgeting: plans, commitments, actual spend, FX rates and exact burn reports. ' +
            'Money is a decimal string on output; errors are RFC 9457 problem+json.',
          license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
        },
        servers: [{ url: '/', description: 'this server' }],
        components: {
          securitySchemes: {
            apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <api key>' },
          },
        },
        security: [{ apiKey: [] }],
        tags: [
          { name: 'settings', description: 'Base currency, fiscal year and pacing tolerance' },
          { name: 'api-keys', description: 'API keys and their roles' },
          { name: 'campaigns', description: 'Campaigns and their ad-platform ids' },
          { name: 'plans', description: 'Planned spend per campaign and month, with revisions' },
          { name: 'commitments', description: 'Signed orders not yet invoiced' },
          { name: 'spend', description: 'Actual spend' },
          { name: 'fx-rates', description: 'Exchange rates into the base currency' },
          { name: 'reports', description: 'Burn and other reports, JSON or CSV' },
          { name: 'system', description: 'Liveness and documentation' },
        ],
      },
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true }, config: { role: 'public' } }, async () => app.swagger());
  },
  { name: 'spendbook-swagger' },
);
