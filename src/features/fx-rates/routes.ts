import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseRate, RateFormatError } from '../../domain/fx.js';
import { itemPath } from '../common/batch.js';
import { decodeCursor, isStringArray, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { BatchResult, batchBody, CurrencyCode, DateString, JsonNumberLiteral, jsonOrCsv, ListQuery, page, problems } from '../common/schemas.js';
import { NumberLiteral } from '../../lib/json-body.js';

const RateInput = z
  .union([z.string(), z.number(), JsonNumberLiteral])
  .transform((value, ctx) => {
    try {
      return parseRate(value instanceof NumberLiteral ? value.text : value).text;
    } catch (error) {
      if (!(error instanceof RateFormatError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  })
  .meta({ description: 'Base-currency units per 1 unit of currency: positive, at most 6 integer and 12 fractional digits', example: '1.0842' });

export const FxItem = z.strictObject({ date: DateString, currency: CurrencyCode, rate: RateInput });
const FxRate = z
  .object({ currency: z.string(), date: z.string(), rate: z.string() })
  .meta({ id: 'FxRate', example: { currency: 'EUR', date: '2026-03-01', rate: '1.0842' } });

const routes: FastifyPluginAsyncZod = async (app) => {
  app.put(
    '/v1/fx-rates',
    {
      config: { role: 'finance', batch: true, idempotent: true },
      schema: {
        tags: ['fx-rates'],
        summary: 'Set FX rates (batch upsert)',
        description: 'All-or-nothing, keyed by (date, currency). A conversion uses the newest rate dated on or before the amount’s date.',
        operationId: 'putFxRates',
        body: batchBody(FxItem).meta({ example: { items: [{ date: '2026-03-01', currency: 'EUR', rate: '1.0842' }] } }),
        response: { 200: BatchResult, ...problems(413, 415) },
      },
    },
    async (request) => app.fxRates.upsert(request.body.items, itemPath),
  );

  app.get(
    '/v1/fx-rates',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['fx-rates'],
        summary: 'List FX rates',
        operationId: 'listFxRates',
        querystring: z.strictObject({ ...ListQuery, currency: CurrencyCode.optional(), from: DateString.optional(), to: DateString.optional() }),
        response: { 200: jsonOrCsv(page(FxRate), 'A page of rates by currency and date'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, currency, from, to } = request.query;
      const after = decodeCursor(cursor, isStringArray(2)) as [string, string] | null;
      const result = pageOf(await app.fxRates.list({ limit, currency, from, to, after }), limit, (r) => [r.currency, r.date]);
      if (wantsCsv(request)) return sendCsv(reply, 'fx-rates', ['currency', 'date', 'rate'], result.items as unknown as Record<string, unknown>[]);
      return result;
    },
  );
};

export default routes;
