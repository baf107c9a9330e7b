import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { periodOfMonths } from '../../domain/periods.js';
import { ValidationError } from '../../lib/errors.js';
import { sendCsv, wantsCsv } from '../shared/http.js';
import { DateString, Format, jsonOrCsv, MoneyOutput, MonthString, problems, RatioOutput } from '../shared/schemas.js';

const MAX_MONTHS = 36;

const BurnFigures = {
  currency: z.string(),
  planned: MoneyOutput,
  committed: MoneyOutput,
  actual: MoneyOutput,
  remaining: MoneyOutput,
  available: MoneyOutput,
  daysElapsed: z.number().int(),
  daysInPeriod: z.number().int(),
  expectedToDate: MoneyOutput,
  burnRate: RatioOutput,
  pacing: RatioOutput,
  status: z.enum(['unplanned', 'over_budget', 'overpacing', 'underpacing', 'on_track']),
  exhaustionDate: z.string().nullable(),
};

/** One campaign, 3100.00 planned for March, 1800.00 spent by the 15th: its row and the totals. */
const EXAMPLE_FIGURES = {
  currency: 'USD',
  planned: '3100.00',
  committed: '500.00',
  actual: '1800.00',
  remaining: '1300.00',
  available: '800.00',
  daysElapsed: 15,
  daysInPeriod: 31,
  expectedToDate: '1500.00',
  burnRate: '0.5806',
  pacing: '1.2000',
  status: 'overpacing',
  exhaustionDate: '2026-03-26',
};

const BurnReport = z
  .object({
    report: z.literal('burn'),
    currency: z.string(),
    groupBy: z.enum(['campaign', 'channel']),
    from: z.string(),
    to: z.string(),
    periodStart: z.string(),
    periodEnd: z.string(),
    asOf: z.string(),
    rows: z.array(
      z.object({ campaignId: z.string().optional(), name: z.string().optional(), channel: z.string(), ...BurnFigures }),
    ),
    totals: z.object(BurnFigures),
  })
  .meta({
    id: 'BurnReport',
    example: {
      report: 'burn',
      currency: 'USD',
      groupBy: 'campaign',
      from: '2026-03',
      to: '2026-03',
      periodStart: '2026-03-01',
      periodEnd: '2026-03-31',
      asOf: '2026-03-15',
      rows: [
        { campaignId: 'cmp-spring-search', name: 'Spring search, brand', channel: 'paid_search', ...EXAMPLE_FIGURES },
      ],
      totals: EXAMPLE_FIGURES,
    },
  });

const FIGURE_COLUMNS = ['currency', 'planned', 'committed', 'actual', 'remaining', 'available', 'daysElapsed', 'daysInPeriod', 'expectedToDate', 'burnRate', 'pacing', 'status', 'exhaustionDate'];

/** The period of a report: `month`, or `from` and `to`. */
export function periodFromQuery(query: { month?: string | undefined; from?: string | undefined; to?: string | undefined }) {
  if (query.month !== undefined) {
    if (query.from !== undefined || query.to !== undefined) {
      throw new ValidationError([{ path: 'month', message: 'give either month, or from and to, not both' }]);
    }
    return periodOfMonths(query.month, query.month);
  }
  if (query.from === undefined || query.to === undefined) {
    throw new ValidationError([{ path: query.from === undefined ? 'from' : 'to', message: 'give month, or both from and to' }]);
  }
  if (query.from > query.to) throw new ValidationError([{ path: 'from', message: `must not be after to (${query.to})` }]);
  const period = periodOfMonths(query.from, query.to);
  if (period.months.length > MAX_MONTHS) {
    throw new ValidationError([{ path: 'to', message: `a report spans at most ${MAX_MONTHS} months` }]);
  }
  return period;
}

const routes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/reports/burn',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['reports'],
        summary: 'Budget burn: planned, committed, actual, pacing',
        description:
          'For `month`, or `from`..`to` (months). `asOf` defaults to today (UTC); after the period it counts as its last day. ' +
          'Amounts in the base currency, rounded half-even to its minor unit; rows add up to totals as printed.',
        operationId: 'getBurnReport',
        querystring: z.strictObject({
          month: MonthString.optional(),
          from: MonthString.optional(),
          to: MonthString.optional(),
          asOf: DateString.optional(),
          groupBy: z.enum(['campaign', 'channel']).default('campaign'),
          format: Format,
        }),
        response: { 200: jsonOrCsv(BurnReport, 'The burn report'), ...problems(422) },
      },
    },
    async (request, reply) => {
      const period = periodFromQuery(request.query);
      const asOf = request.query.asOf ?? app.now().toISOString().slice(0, 10);
      const report = app.burnReports.report({ period, asOf, groupBy: request.query.groupBy });
      if (wantsCsv(request)) {
        const groupColumns = report.groupBy === 'campaign' ? ['campaignId', 'name', 'channel'] : ['channel'];
        const totalsRow = { [groupColumns[0]!]: 'TOTAL', ...report.totals };
        return sendCsv(reply, `burn-${report.from}${report.to !== report.from ? '_' + report.to : ''}`, [...groupColumns, ...FIGURE_COLUMNS], [
          ...(report.rows as unknown as Record<string, unknown>[]),
          totalsRow,
        ]);
      }
      return report;
    },
  );
};

export default routes;
