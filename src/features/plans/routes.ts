import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { itemPath } from '../common/batch.js';
import { decodeCursor, isStringArray, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { BatchResult, batchBody, ClientId, CurrencyCode, jsonOrCsv, ListQuery, NonNegativeMoneyInput, MoneyOutput, MonthString, page, problems } from '../common/schemas.js';

export const PlanItem = z.strictObject({ campaignId: ClientId, month: MonthString, amount: NonNegativeMoneyInput, currency: CurrencyCode });

const Plan = z
  .object({
    campaignId: z.string(),
    month: z.string(),
    amount: MoneyOutput,
    currency: z.string(),
    revision: z.number().int(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Plan', example: { campaignId: 'cmp-spring-search', month: '2026-03', amount: '12000.00', currency: 'USD', revision: 2, updatedAt: '2026-02-21T10:00:00.000Z' } });

const PlanRevision = z
  .object({
    campaignId: z.string(),
    month: z.string(),
    revision: z.number().int(),
    amount: MoneyOutput,
    currency: z.string(),
    changedAt: z.string(),
    changedBy: z.string().nullable(),
  })
  .meta({
    id: 'PlanRevision',
    example: { campaignId: 'cmp-spring-search', month: '2026-03', revision: 2, amount: '12000.00', currency: 'USD', changedAt: '2026-02-21T10:00:00.000Z', changedBy: 'ops loader' },
  });

const PLAN_COLUMNS = ['campaignId', 'month', 'amount', 'currency', 'revision', 'updatedAt'];
const REVISION_COLUMNS = ['campaignId', 'month', 'revision', 'amount', 'currency', 'changedAt', 'changedBy'];

const routes: FastifyPluginAsyncZod = async (app) => {
  app.put(
    '/v1/plans',
    {
      config: { role: 'ops', batch: true, idempotent: true },
      schema: {
        tags: ['plans'],
        summary: 'Set planned spend (batch upsert)',
        description: 'All-or-nothing. Keyed by (campaignId, month); every change keeps a revision.',
        operationId: 'putPlans',
        body: batchBody(PlanItem).meta({ example: { items: [{ campaignId: 'cmp-spring-search', month: '2026-03', amount: '12000.00', currency: 'USD' }] } }),
        response: { 200: BatchResult, ...problems(413, 415) },
      },
    },
    async (request) => app.plans.upsert(request.body.items, request.principal?.name ?? null, itemPath),
  );

  app.get(
    '/v1/plans',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['plans'],
        summary: 'List current plans',
        operationId: 'listPlans',
        querystring: z.strictObject({ ...ListQuery, campaignId: ClientId.optional(), from: MonthString.optional(), to: MonthString.optional() }),
        response: { 200: jsonOrCsv(page(Plan), 'A page of plans by campaign and month'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, campaignId, from, to } = request.query;
      const after = decodeCursor(cursor, isStringArray(2)) as [string, string] | null;
      const result = pageOf(await app.plans.list({ limit, campaignId, from, to, after }), limit, (p) => [p.campaignId, p.month]);
      if (wantsCsv(request)) return sendCsv(reply, 'plans', PLAN_COLUMNS, result.items as unknown as Record<string, unknown>[]);
      return result;
    },
  );

  app.get(
    '/v1/plans/history',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['plans'],
        summary: 'Every revision of the plans',
        operationId: 'listPlanHistory',
        querystring: z.strictObject({ ...ListQuery, campaignId: ClientId.optional(), month: MonthString.optional() }),
        response: { 200: jsonOrCsv(page(PlanRevision), 'A page of revisions, oldest first'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, campaignId, month } = request.query;
      const after = decodeCursor(cursor, (v): v is number => Number.isSafeInteger(v));
      const rows = await app.plans.history({ limit, campaignId, month, after });
      const result = pageOf(rows, limit, (r) => r.id);
      const items = result.items.map(({ id: _id, ...rest }) => rest);
      if (wantsCsv(request)) return sendCsv(reply, 'plan-history', REVISION_COLUMNS, items as unknown as Record<string, unknown>[]);
      return { items, nextCursor: result.nextCursor };
    },
  );
};

export default routes;
