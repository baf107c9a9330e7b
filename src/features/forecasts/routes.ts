import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeCursor, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { DateString, DisplayName, jsonOrCsv, ListQuery, MonthString, page, problems } from '../common/schemas.js';
import { MonthPeriodQuery, periodFromQuery } from '../reports/period-query.js';
import { EXAMPLE_FORECAST_FIGURES, EXAMPLE_FORECAST_ROW, ForecastFigures, ForecastMethod, ForecastRow } from '../reports/routes.js';

const SnapshotSummaryShape = {
  id: z.string(),
  name: z.string(),
  month: z.string().nullable().meta({ description: 'The month, for a snapshot of one month; null for a range (see from, to)' }),
  from: z.string(),
  to: z.string(),
  asOf: z.string(),
  method: ForecastMethod,
  groupBy: z.enum(['campaign', 'channel']),
  currency: z.string(),
  createdAt: z.string(),
  createdBy: z.string().nullable().meta({ description: 'Name of the API key that took it' }),
  totals: ForecastFigures,
};

const EXAMPLE_SUMMARY = {
  id: 'fcs_8c1d2e3f4a5b6c7d',
  name: 'March mid-month',
  month: '2026-03',
  from: '2026-03',
  to: '2026-03',
  asOf: '2026-03-15',
  method: 'run_rate',
  groupBy: 'campaign',
  currency: 'USD',
  createdAt: '2026-03-16T08:00:00.000Z',
  createdBy: 'ops lead',
  totals: EXAMPLE_FORECAST_FIGURES,
};

const SUMMARY_COLUMNS = ['id', 'name', 'month', 'from', 'to', 'asOf', 'method', 'groupBy', 'currency', 'createdAt', 'createdBy'];
const SUMMARY_TOTALS = ['planned', 'actualToDate', 'forecast', 'varianceVsPlan', 'variancePct'] as const;

const SnapshotSummary = z.object(SnapshotSummaryShape).meta({ id: 'ForecastSnapshotSummary', example: EXAMPLE_SUMMARY });
const Snapshot = z
  .object({ ...SnapshotSummaryShape, rows: z.array(ForecastRow) })
  .meta({ id: 'ForecastSnapshot', example: { ...EXAMPLE_SUMMARY, rows: [EXAMPLE_FORECAST_ROW] } });

const routes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/forecasts',
    {
      config: { role: 'ops', idempotent: true },
      schema: {
        tags: ['forecasts'],
        summary: 'Save a forecast snapshot',
        description:
          'Computes the forecast report for `month` (or `from`..`to`), `asOf` (default today, UTC), `method` and `groupBy` (default campaign), and saves it whole under a unique `name`. ' +
          'The snapshot never changes afterwards, whatever later happens to spend, plans or rates; a name already taken is a 409. ' +
          '`asOf` must be a day of the period (a 400 otherwise), and no month of the period may be closed (a 409 period_closed): the newest snapshot of a month is its forecast in budget-forecast-actual, so a late one would rewrite that month’s forecast accuracy.',
        operationId: 'createForecastSnapshot',
        body: z
          .strictObject({
            name: DisplayName(200),
            ...MonthPeriodQuery,
            asOf: DateString.optional().meta({ description: 'A day of the period (default today, UTC)' }),
            method: ForecastMethod,
            groupBy: z.enum(['campaign', 'channel']).default('campaign'),
          })
          .meta({ example: { name: 'March mid-month', month: '2026-03', asOf: '2026-03-15', method: 'run_rate' } }),
        response: { 201: Snapshot, ...problems(409, 415, 422) },
      },
    },
    async (request, reply) => {
      const { name, asOf, method, groupBy } = request.body;
      const period = periodFromQuery(request.body);
      const snapshot = await app.forecastSnapshots.create({ name, period, asOf, method, groupBy }, request.principal);
      return reply.status(201).send(snapshot);
    },
  );

  app.get(
    '/v1/forecasts',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['forecasts'],
        summary: 'List forecast snapshots, newest first (totals only)',
        description: `In the order they were taken, the last first. CSV: one line per snapshot, its totals flattened into the columns ${SUMMARY_TOTALS.join(', ')}.`,
        operationId: 'listForecastSnapshots',
        querystring: z.strictObject({ ...ListQuery, month: MonthString.optional().meta({ description: 'Only snapshots whose period includes this month' }) }),
        response: { 200: jsonOrCsv(page(SnapshotSummary), 'A page of snapshots'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, month } = request.query;
      const after = decodeCursor(cursor, (v): v is number => Number.isSafeInteger(v));
      const { items, nextCursor } = pageOf(await app.forecastSnapshots.list({ limit, month, after }), limit, (s) => s.seq);
      const summaries = items.map(({ seq: _seq, ...summary }) => summary);
      if (wantsCsv(request)) {
        const flat = summaries.map(({ totals, ...s }) => ({ ...s, ...Object.fromEntries(SUMMARY_TOTALS.map((c) => [c, totals[c]])) }));
        return sendCsv(reply, 'forecasts', [...SUMMARY_COLUMNS, ...SUMMARY_TOTALS], flat);
      }
      return { items: summaries, nextCursor };
    },
  );

  app.get(
    '/v1/forecasts/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['forecasts'],
        summary: 'One forecast snapshot, with its rows as they were when it was taken',
        operationId: 'getForecastSnapshot',
        params: z.strictObject({ id: z.string().min(1).max(64) }),
        response: { 200: Snapshot, ...problems(404) },
      },
    },
    async (request) => app.forecastSnapshots.get(request.params.id),
  );
};

export default routes;
