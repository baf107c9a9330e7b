import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { itemPath } from '../common/batch.js';
import { decodeCursor, isStringArray, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { BatchResult, jsonOrCsv, ListQuery, MoneyOutput, page, problems } from '../common/schemas.js';
import { dayRange, DayRangeQuery } from '../touchpoints/routes.js';
import { CustomerId, TimestampOutput } from '../touchpoints/schemas.js';
import { RevenueBatch } from './schemas.js';

const RevenueEvent = z
  .object({
    id: z.string(),
    customerId: z.string(),
    occurredAt: TimestampOutput,
    amount: MoneyOutput,
    currency: z.string(),
    refundOf: z.string().nullable(),
  })
  .meta({
    id: 'RevenueEvent',
    example: { id: 'ord-5001', customerId: 'cust-81734', occurredAt: '2026-03-03T09:00:00.000Z', amount: '120.00', currency: 'USD', refundOf: null },
  });

const COLUMNS = ['id', 'customerId', 'occurredAt', 'amount', 'currency', 'refundOf'];

const routes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/revenue',
    {
      config: { role: 'ops', batch: true, idempotent: true },
      schema: {
        tags: ['revenue'],
        summary: 'Ingest conversions and refunds (batch)',
        description:
          'All-or-nothing, keyed by id. A conversion has a positive amount; a refund a negative one and refundOf naming a conversion ' +
          '(stored, or earlier in the batch) of the same customer and currency, whose refunds never add up to more than its amount.',
        operationId: 'ingestRevenue',
        body: RevenueBatch.meta({
          example: {
            items: [
              { id: 'ord-5001', customerId: 'cust-81734', occurredAt: '2026-03-03T09:00:00Z', amount: '120.00', currency: 'USD' },
              { id: 'ref-5001-1', customerId: 'cust-81734', occurredAt: '2026-03-10T11:00:00+01:00', amount: '-20.00', currency: 'USD', refundOf: 'ord-5001' },
            ],
          },
        }),
        response: { 200: BatchResult, ...problems(413, 415) },
      },
    },
    async (request) => app.revenue.ingest(request.body.items, itemPath),
  );

  app.get(
    '/v1/revenue',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['revenue'],
        summary: 'List conversions and refunds',
        operationId: 'listRevenue',
        querystring: z.strictObject({ ...ListQuery, customerId: CustomerId.optional(), ...DayRangeQuery }),
        response: { 200: jsonOrCsv(page(RevenueEvent), 'A page of revenue events by id'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, customerId, from, to } = request.query;
      const after = decodeCursor(cursor, isStringArray(1));
      const result = pageOf(await app.revenue.list({ limit, customerId, ...dayRange(from, to), after: after?.[0] ?? null }), limit, (r) => [r.id]);
      if (wantsCsv(request)) return sendCsv(reply, 'revenue', COLUMNS, result.items as unknown as Record<string, unknown>[]);
      return result;
    },
  );
};

export default routes;
