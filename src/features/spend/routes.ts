import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { itemPath } from '../common/batch.js';
import { decodeCursor, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { BatchResult, ClientId, DateString, jsonOrCsv, ListQuery, MoneyOutput, page, problems } from '../common/schemas.js';
import { spendValidatorCompiler } from './fast-batch.js';
import { Source, SpendBatch } from './schemas.js';

// The item schema, for callers that validate spend lines outside a request (the demo loader).
export { SpendItem } from './schemas.js';

const Spend = z
  .object({
    id: z.number().int(),
    campaignId: z.string(),
    date: z.string(),
    amount: MoneyOutput,
    currency: z.string(),
    source: z.string(),
    reference: z.string().nullable(),
    version: z.number().int().meta({ description: '1, plus one for each restatement' }),
  })
  .meta({ id: 'Spend' });

const COLUMNS = ['id', 'campaignId', 'date', 'amount', 'currency', 'source', 'reference', 'version'];

const routes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/spend',
    {
      config: { role: 'ops', batch: true, idempotent: true },
      // SpendBatch is the schema; a fast path takes plainly valid bodies first (see fast-batch.ts).
      validatorCompiler: spendValidatorCompiler,
      schema: {
        tags: ['spend'],
        summary: 'Ingest actual spend (batch)',
        description:
          'All-or-nothing. Natural key (source, campaignId, date, reference): re-sending changes nothing and a restated amount replaces the old one.',
        operationId: 'ingestSpend',
        body: SpendBatch.meta({
          example: {
            items: [
              { campaignId: 'cmp-spring-search', date: '2026-03-14', amount: '412.37', currency: 'USD', source: 'google_ads' },
              { externalRef: { source: 'meta', id: '120208812345' }, date: '2026-03-14', amount: 95.1, currency: 'EUR', source: 'meta' },
            ],
          },
        }),
        response: { 200: BatchResult, ...problems(413, 415) },
      },
    },
    async (request) => app.spend.ingest(request.body.items, itemPath),
  );

  app.get(
    '/v1/spend',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['spend'],
        summary: 'List spend lines',
        operationId: 'listSpend',
        querystring: z.strictObject({
          ...ListQuery,
          campaignId: ClientId.optional(),
          source: Source.optional(),
          from: DateString.optional(),
          to: DateString.optional(),
        }),
        response: { 200: jsonOrCsv(page(Spend), 'A page of spend lines in ingest order'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, campaignId, source, from, to } = request.query;
      const after = decodeCursor(cursor, (v): v is number => Number.isSafeInteger(v));
      const result = pageOf(await app.spend.list({ limit, campaignId, source, from, to, after }), limit, (s) => s.id);
      if (wantsCsv(request)) return sendCsv(reply, 'spend', COLUMNS, result.items as unknown as Record<string, unknown>[]);
      return result;
    },
  );
};

export default routes;
