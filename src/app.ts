/**
 * buildApp: the one composition root, used by the server and by every test.
 * Infrastructure first (errors, hardening, database, auth, body handling, OpenAPI),
 * then the app's services, then the routes.
 */
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifySerializerCompiler } from 'fastify';
import { z } from 'zod';
import { ResponseSerializationError, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { DEFAULT_RATE_LIMIT, type Config } from './config.js';
// Installs the API's validation messages for every zod schema (before any schema parses).
import './lib/zod-messages.js';
import errorsPlugin, { clientErrorHandler, frameworkError } from './plugins/errors.js';
import { redactUrl } from './lib/redact-url.js';
import hardeningPlugin from './plugins/hardening.js';
import dbPlugin from './plugins/db.js';
import auditPlugin from './plugins/audit.js';
import authPlugin from './plugins/auth.js';
import batchPlugin, { MAX_BODY_BYTES, type IdempotencyTiming } from './plugins/batch.js';
import swaggerPlugin from './plugins/swagger.js';
import servicesPlugin from './plugins/services.js';
import { DEFAULT_SNAPSHOT_QUIET_MS } from './features/mirrors/snapshots.js';
import healthRoutes from './features/health/routes.js';
import settingsRoutes from './features/settings/routes.js';
import apiKeyRoutes from './features/api-keys/routes.js';
import campaignRoutes from './features/campaigns/routes.js';
import planRoutes from './features/plans/routes.js';
import commitmentRoutes from './features/commitments/routes.js';
import fxRateRoutes from './features/fx-rates/routes.js';
import spendRoutes from './features/spend/routes.js';
import spendImportRoutes from './features/spend/import-routes.js';
import touchpointRoutes from './features/touchpoints/routes.js';
import revenueRoutes from './features/revenue/routes.js';
import reportRoutes from './features/reports/routes.js';
import periodRoutes from './features/periods/routes.js';
import forecastRoutes from './features/forecasts/routes.js';
import auditRoutes from './features/audit/routes.js';
import sessionsPlugin from './features/dashboard/sessions.js';
import dashboardRoutes from './features/dashboard/routes.js';

/**
 * Answers are checked against their route's zod response schema, then
 * JSON.stringify'd, like fastify-type-provider-zod's serializer, with two
 * differences measured on the burn report (1,000 rows):
 *
 * - the check is `safeParse`, zod's compiled fast path (under 1 ms), where
 *   the library's `safeEncode` walks the schema generically (10 to 30 ms).
 *   Response schemas here are plain data shapes, no codecs and no
 *   transforms, so both accept and return the same values (a transform in
 *   a response schema would also break the OpenAPI document, which the
 *   tests build);
 * - the text is remembered per answer object. Finished reports are shared,
 *   read-only objects served from the report cache: each is checked and
 *   printed once, on its first answer, and its repeats cost nothing. Answers
 *   built per request are fresh objects, so they are always checked, and the
 *   WeakMap lets them go with the request.
 */
const serializerCompiler: FastifySerializerCompiler<z.ZodType | { properties: z.ZodType }> = ({ schema, method, url }) => {
  const zodSchema = schema instanceof z.ZodType ? schema : schema.properties;
  if (!(zodSchema instanceof z.ZodType)) throw new Error(`${method} ${url}: a response schema that is not a zod schema`);
  const printed = new WeakMap<object, string>();
  const serialize = (data: unknown) => {
    const result = zodSchema.safeParse(data);
    if (result.error) throw new ResponseSerializationError(method, url, { cause: result.error });
    return JSON.stringify(result.data);
  };
  return (data: unknown) => {
    if (typeof data !== 'object' || data === null) return serialize(data);
    let text = printed.get(data);
    if (text === undefined) printed.set(data, (text = serialize(data)));
    return text;
  };
};

export interface BuildOptions {
  /** The clock; tests pin it. */
  now?: () => Date;
  /** Where a generated first admin key is shown (default: stdout). */
  announceAdminKey?: (key: string) => void;
  /** Log to stdout (the server) or not at all (default, for tests). */
  log?: boolean;
  /** Log to this stream instead of stdout (tests that read the log); implies logging. */
  logStream?: { write(line: string): void };
  /** How long a request waits on another holding its Idempotency-Key, and when a claim counts as abandoned (tests shorten them). */
  idempotency?: IdempotencyTiming;
}

function printAdminKey(key: string): void {
  process.stdout.write(
    `\nSpendbook created the first admin API key. It is shown this once; keep it:\n\n    ${key}\n\n` +
      'Set SPENDBOOK_ADMIN_KEY before the first start to choose it yourself.\n\n',
  );
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      options.log || options.logStream
        ? {
            level: config.logLevel,
            redact: { paths: ['req.headers.authorization', 'headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
            // Fastify's request serializer, with key-like query parameters' values redacted from the URL.
            serializers: {
              req: (request: FastifyRequest) => ({
                method: request.method,
                url: redactUrl(request.url),
                host: request.host,
                remoteAddress: request.ip,
                remotePort: request.socket?.remotePort,
              }),
            },
            ...(options.logStream ? { stream: options.logStream } : {}),
          }
        : false,
    bodyLimit: MAX_BODY_BYTES,
    // The HTTP server answers quickly to clients that stall; batches of 64 MiB still fit.
    requestTimeout: 120_000,
    // Client-chosen ids are up to 128 characters, and each may be percent-encoded to three.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 3 * 128 },
    frameworkErrors: frameworkError,
    clientErrorHandler,
    // Fastify's own 503 while closing is plain JSON: the errors plugin answers it as problem+json instead.
    return503OnClosing: false,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();
  const now = options.now ?? (() => new Date());
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(errorsPlugin);
  await app.register(hardeningPlugin, { rateLimit: config.rateLimit ?? DEFAULT_RATE_LIMIT });
  await app.register(dbPlugin, { db: config.db, now });
  await app.register(auditPlugin);
  await app.register(authPlugin, { adminKey: config.adminKey, announceAdminKey: options.announceAdminKey ?? printAdminKey, now });
  await app.register(sessionsPlugin, { now });
  await app.register(batchPlugin, options.idempotency ?? {});
  await app.register(swaggerPlugin, { rateLimit: config.rateLimit ?? DEFAULT_RATE_LIMIT });
  await app.register(servicesPlugin, { now, snapshotQuietMs: config.snapshotQuietMs ?? DEFAULT_SNAPSHOT_QUIET_MS });

  await app.register(healthRoutes);
  await app.register(settingsRoutes);
  await app.register(apiKeyRoutes);
  await app.register(campaignRoutes);
  await app.register(planRoutes);
  await app.register(commitmentRoutes);
  await app.register(fxRateRoutes);
  await app.register(spendRoutes);
  await app.register(spendImportRoutes);
  await app.register(touchpointRoutes);
  await app.register(revenueRoutes);
  await app.register(reportRoutes);
  await app.register(periodRoutes);
  await app.register(forecastRoutes);
  await app.register(auditRoutes);
  await app.register(dashboardRoutes);
  await app.ready();
  return app;
}
