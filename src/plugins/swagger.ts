/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas, at
 * /openapi.json, and swagger UI at /docs.
 */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { DEFAULT_RATE_LIMIT } from '../config.js';
import { NOT_LIMITED } from './hardening.js';

export interface SwaggerOptions {
  /** Requests per minute per key, as the hardening plugin limits them. */
  rateLimit?: number;
}

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
          'Optional, 1 to 255 printable ASCII characters. The same key with the same body replays the first successful answer ' +
          '(waiting up to 30 s for one still being processed, on any instance, then 409 idempotency_key_in_progress with Retry-After); ' +
          'with another body it is a 409 idempotency_key_reused. A refused request does not use the key up.',
        example: 'spend-2026-03-14-google-ads',
      },
    },
  };
  const responses = schema.response as Record<string, JsonObject> | undefined;
  if (responses?.['400'] && !responses['409']) {
    responses['409'] = { ...responses['400'], description: 'Idempotency-Key reused with a different request, or still being processed (Retry-After)' };
  }
  return result;
}

interface RouteConfig {
  role?: string;
}

/**
 * What every route can answer besides what it declares, said once here
 * rather than in each route: 413 and 415 on a route that takes a body (the
 * body limit and the content types apply to all), and 429 with Retry-After
 * on every rate-limited route; and in its description, the key it needs and
 * its limit, so that no operation goes without one.
 */
function documentAnswers(result: TransformedRoute, url: string, config: RouteConfig | undefined, rateLimit: number): TransformedRoute {
  const schema = result.schema as JsonObject | undefined;
  if (!schema || schema.hide) return result;
  const responses = schema.response as Record<string, JsonObject> | undefined;
  const problem = responses?.['400'];
  const limited = !NOT_LIMITED.has(url);
  if (responses && problem) {
    if (schema.body) {
      responses['413'] ??= { ...problem, description: 'Body over the size limit' };
      responses['415'] ??= { ...problem, description: 'Body of a media type this operation does not take' };
    }
    if (limited) {
      responses['429'] ??= {
        ...problem,
        description: `More than ${rateLimit.toLocaleString('en-US')} requests in a minute with this key (without one, from this address): code rate_limited`,
        headers: {
          'retry-after': { type: 'integer', minimum: 0, description: 'Seconds to wait before the next request' },
          'x-ratelimit-limit': { type: 'integer', description: 'Requests allowed per minute' },
          'x-ratelimit-remaining': { type: 'integer', description: 'Requests left in this minute' },
          'x-ratelimit-reset': { type: 'integer', description: 'Seconds until the minute ends' },
        },
      };
    }
  }
  const role = config?.role;
  const access =
    role === undefined || role === 'public'
      ? 'Needs no API key.'
      : `Needs an API key with the ${role} role${role === 'admin' ? '' : ' or higher (viewer < ops < finance < admin)'}.`;
  const limit = limited ? ` At most ${rateLimit.toLocaleString('en-US')} requests a minute per key, then 429 with Retry-After.` : '';
  const description = typeof schema.description === 'string' && schema.description !== '' ? `${schema.description}\n\n` : `${String(schema.summary ?? '')}. `;
  schema.description = `${description}${access}${limit}`;
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

export default fp<SwaggerOptions>(
  async (app, options) => {
    const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
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
          contact: { name: 'Spendbook maintainers' },
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
      transform: (document) =>
        documentAnswers(documentIdempotency(jsonSchemaTransform(document), document.route.config), document.url, document.route.config, rateLimit),
      transformObject: (document) => withoutUnusedSchemas(jsonSchemaTransformObject(document)),
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true }, config: { role: 'public' } }, async () => app.swagger());
  },
  { name: 'spendbook-swagger' },
);
