import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseDay } from '../../domain/periods.js';
import { itemPath } from '../common/batch.js';
import { decodeCursor, isStringArray, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { BatchResult, ClientId, DateString, jsonOrCsv, ListQuery, page, problems } from '../common/schemas.js';
import { touchpointValidatorCompiler } from './fast-batch.js';
import { CustomerId, TimestampOutput, TouchpointBatch } from './schemas.js';

const DAY_MS = 86_400_000;

/** A list's from/to (inclusive UTC days) as a half-open range of instants. */
export function dayRange(from: string | undefined, to: string | undefined): { start?: number; end?: number } {
  return {
    ...(from !== undefined ? { start: parseDay(from) * DAY_MS } : {}),
    ...(to !== undefined ? { end: (parseDay(to) + 1) * DAY_MS } : {}),
  };
}

export const DayRangeQuery = {
  from: DateString.optional().meta({ description: 'first UTC day, inclusive' }),
  to: DateString.optional().meta({ description: 'last UTC day, inclusive' }),
};

const Touchpoint = z
  .object({ id: z.string(), customerId: z.string(), campaignId: z.string(), occurredAt: TimestampOutput })
  .meta({
    id: 'Touchpoint',
    example: { id: 'tp-1001', customerId: 'cust-81734', campaignId: 'cmp-spring-search', occurredAt: '2026-03-01T10:15:00.000Z' },
  });

const COLUMNS = ['id', 'customerId', 'campaignId', 'occurredAt'];

const routes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/touchpoints',
    {
      config: { role: 'ops', batch: true, idempotent: true },
      // TouchpointBatch is the schema; a fast path takes plainly valid bodies first (see fast-batch.ts).
      validatorCompiler: touchpointValidatorCompiler,
      schema: {
        tags: ['touchpoints'],
        summary: 'Ingest touchpoints (batch)',
        description: 'All-or-nothing, keyed by id: re-sending changes nothing; other values for a known id replace the stored ones.',
        operationId: 'ingestTouchpoints',
        body: TouchpointBatch.meta({
          example: {
            items: [
              { id: 'tp-1001', customerId: 'cust-81734', campaignId: 'cmp-spring-search', occurredAt: '2026-03-01T10:15:00Z' },
              { id: 'tp-1002', customerId: 'cust-81734', campaignId: 'cmp-spring-social', occurredAt: '2026-03-02T12:15:00+02:00' },
            ],
          },
        }),
        response: { 200: BatchResult, ...problems(413, 415) },
      },
    },
    async (request) => app.touchpoints.ingest(request.body.items, itemPath),
  );

  app.get(
    '/v1/touchpoints',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['touchpoints'],
        summary: 'List touchpoints',
        operationId: 'listTouchpoints',
        querystring: z.strictObject({ ...ListQuery, customerId: CustomerId.optional(), campaignId: ClientId.optional(), ...DayRangeQuery }),
        response: { 200: jsonOrCsv(page(Touchpoint), 'A page of touchpoints by id'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, customerId, campaignId, from, to } = request.query;
      const after = decodeCursor(cursor, isStringArray(1));
      const rows = await app.touchpoints.list({ limit, customerId, campaignId, ...dayRange(from, to), after: after?.[0] ?? null });
      const result = pageOf(rows, limit, (tp) => [tp.id]);
      if (wantsCsv(request)) return sendCsv(reply, 'touchpoints', COLUMNS, result.items as unknown as Record<string, unknown>[]);
      return result;
    },
  );
};

export default routes;
