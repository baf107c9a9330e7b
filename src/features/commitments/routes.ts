import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { itemPath } from '../common/batch.js';
import { decodeCursor, isStringArray, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { BatchResult, batchBody, ClientId, CurrencyCode, jsonOrCsv, ListQuery, NonNegativeMoneyInput, MoneyOutput, MonthString, page, problems } from '../common/schemas.js';

const Status = z.enum(['open', 'closed']);
export const CommitmentItem = z.strictObject({
  id: ClientId,
  campaignId: ClientId,
  month: MonthString,
  amount: NonNegativeMoneyInput,
  currency: CurrencyCode,
  status: Status.default('open'),
});

const Commitment = z
  .object({
    id: z.string(),
    campaignId: z.string(),
    month: z.string(),
    amount: MoneyOutput,
    currency: z.string(),
    status: Status,
    updatedAt: z.string(),
  })
  .meta({
    id: 'Commitment',
    example: { id: 'io-2026-031', campaignId: 'cmp-spring-search', month: '2026-03', amount: '5000.00', currency: 'USD', status: 'open', updatedAt: '2026-02-25T16:30:00.000Z' },
  });

const COLUMNS = ['id', 'campaignId', 'month', 'amount', 'currency', 'status', 'updatedAt'];

const routes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/commitments',
    {
      config: { role: 'ops', batch: true, idempotent: true },
      schema: {
        tags: ['commitments'],
        summary: 'Upsert signed orders (batch)',
        description: 'All-or-nothing, keyed by id. Open commitments count as committed in the burn report.',
        operationId: 'upsertCommitments',
        body: batchBody(CommitmentItem).meta({
          example: { items: [{ id: 'io-2026-031', campaignId: 'cmp-spring-search', month: '2026-03', amount: '5000.00', currency: 'USD', status: 'open' }] },
        }),
        response: { 200: BatchResult, ...problems(413, 415) },
      },
    },
    async (request) => app.commitments.upsert(request.body.items, itemPath),
  );

  app.get(
    '/v1/commitments',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['commitments'],
        summary: 'List commitments',
        operationId: 'listCommitments',
        querystring: z.strictObject({ ...ListQuery, campaignId: ClientId.optional(), month: MonthString.optional(), status: Status.optional() }),
        response: { 200: jsonOrCsv(page(Commitment), 'A page of commitments by id'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, campaignId, month, status } = request.query;
      const after = decodeCursor(cursor, isStringArray(1));
      const result = pageOf(await app.commitments.list({ limit, campaignId, month, status, after: after?.[0] ?? null }), limit, (c) => [c.id]);
      if (wantsCsv(request)) return sendCsv(reply, 'commitments', COLUMNS, result.items as unknown as Record<string, unknown>[]);
      return result;
    },
  );
};

export default routes;
