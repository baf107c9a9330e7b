/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas, at
 * /openapi.json, and swagger UI at /docs.
 */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

type TransformedRoute = ReturnType<typeof jsonSchemaTransform>;
type JsonObject = Record<string, unknown>;

/**
 * The batch plugin honours `Idempotency-Key` on routes marked `idempotent`;
 * the document says so: the header, and the 409 for a key reused with
 * another body.
 */
function documentIdempotency(result: TransformedRoute, config: { idempotent?: boolean } | undefined): TransformedRoute {
  const schema = result.schema as JsonObject | undefined;
  if (!config?.idempotent || !schema || schema.hide) return result;
  const headers = (schema.headers as JsonObject | undefined) ?? { type: 'object', properties: {} };
  schema.headers = {
    ...headers,
    properties: {
      ...(headers.properties as JsonObject | undefined),
      'idempotency-key': {
        type: 'string',
        pattern: '^[\\x21-\\x7e]{1,255}$',
        description:
          'Optional, 1 to 255 printable ASCII characters. The same key with the same body replays the first answer; with another body it is a 409.',
        example: 'spend-2026-03-14-google-ads',
      },
    },
  };
  const responses = schema.response as Record<string, JsonObject> | undefined;
  if (responses?.['400'] && !responses['409']) {
    responses['409'] = { ...responses['400'], description: 'Idempotency-Key reused with a different request' };
  }
  return result;
}

type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

/**
 * The zod registry gives every schema with an id an input and an output
 * variant; only the ones a path refers to, directly or through another
 * component, belong in the document.
 */
function withoutUnusedSchemas(transformed: OpenApiDocument): OpenApiDocument {
  const document = transformed as { components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas;
  if (!schemas) return transformed;
  const refsIn = (value: unknown) =>
    [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => decodeURIComponent(m[1]!));
  const { components: _components, ...rest } = document;
  const used = new Set<string>();
  let frontier = refsIn(rest);
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const name of frontier) {
      if (used.has(name)) continue;
      used.add(name);
      next.push(...refsIn(schemas[name] ?? null));
    }
    frontier = next;
  }
  return {
    ...document,
    components: { ...document.components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) },
  } as OpenApiDocument;
}

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
          { name: 'touchpoints', description: 'Customers’ touches with campaigns, for attribution' },
          { name: 'revenue', description: 'Conversions and their refunds' },
          { name: 'fx-rates', description: 'Exchange rates into the base currency' },
          { name: 'reports', description: 'Burn, forecast, ROI and attribution reports, JSON or CSV' },
          { name: 'forecasts', description: 'Saved, immutable forecast snapshots' },
          { name: 'audit', description: 'Who changed what, when, from what to what' },
          { name: 'periods', description: 'Month close: closed months refuse every write dated in them' },
          { name: 'system', description: 'Liveness and documentation' },
        ],
      },
      transform: (document) => documentIdempotency(jsonSchemaTransform(document), document.route.config),
      transformObject: (document) => withoutUnusedSchemas(jsonSchemaTransformObject(document)),
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true }, config: { role: 'public' } }, async () => app.swagger());
  },
  { name: 'spendbook-swagger' },
);
