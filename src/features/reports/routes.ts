import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ATTRIBUTION_MODELS, type AttributionModel } from '../../domain/attribution/index.js';
import { parseDay, periodOfMonths } from '../../domain/periods.js';
import { ValidationError } from '../../lib/errors.js';
import { sendReportCsv, wantsCsv } from '../shared/http.js';
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

// ---------------------------------------------------------------------------
// ROI and attribution

const MAX_RANGE_DAYS = 3 * 365 + 1;

const RoiFigures = {
  spend: MoneyOutput,
  revenue: MoneyOutput,
  conversions: z.string().meta({ description: 'Attributed conversions, fractional, 4 decimals', example: '12.5000' }),
  roas: RatioOutput,
  roi: RatioOutput,
  cpa: RatioOutput,
};
const { spend: _spend, ...ModelFiguresShape } = RoiFigures;
const ModelFigures = z.object(ModelFiguresShape);

const RoiGroupColumns = {
  campaignId: z.string().nullable().optional().meta({ description: 'null on the (unattributed) row' }),
  name: z.string().optional(),
  channel: z.string().nullable().optional().meta({ description: 'null on the (unattributed) row' }),
  month: z.string().optional(),
};

const RoiHead = {
  currency: z.string(),
  groupBy: z.enum(['campaign', 'channel', 'month']),
  from: z.string(),
  to: z.string(),
  lookbackDays: z.number().int(),
  halfLifeDays: z.number(),
};

/** Two campaigns and the unattributed row, Q1 2026, linear model. */
const EXAMPLE_ROI_ROW = { campaignId: 'cmp-spring-search', name: 'Spring search, brand', channel: 'paid_search', currency: 'USD', spend: '1000.00', revenue: '2500.00', conversions: '12.5000', roas: '2.5000', roi: '1.5000', cpa: '80.0000' };
const EXAMPLE_UNATTRIBUTED = { campaignId: null, name: '(unattributed)', channel: null, currency: 'USD', spend: '0.00', revenue: '300.00', conversions: '2.0000', roas: null, roi: null, cpa: null };
const EXAMPLE_ROI_TOTALS = { currency: 'USD', spend: '1000.00', revenue: '2800.00', conversions: '14.5000', roas: '2.8000', roi: '1.8000', cpa: '68.9655' };

const RoiReport = z
  .object({
    report: z.literal('roi'),
    ...RoiHead,
    model: z.enum(ATTRIBUTION_MODELS),
    rows: z.array(z.object({ ...RoiGroupColumns, currency: z.string(), ...RoiFigures })),
    totals: z.object({ currency: z.string(), ...RoiFigures }),
  })
  .meta({
    id: 'RoiReport',
    example: {
      report: 'roi',
      currency: 'USD',
      groupBy: 'campaign',
      from: '2026-01-01',
      to: '2026-03-31',
      lookbackDays: 90,
      halfLifeDays: 7,
      model: 'linear',
      rows: [EXAMPLE_ROI_ROW, EXAMPLE_UNATTRIBUTED],
      totals: EXAMPLE_ROI_TOTALS,
    },
  });

const ModelColumns = z.object(Object.fromEntries(ATTRIBUTION_MODELS.map((model) => [model, ModelFigures.optional()])) as Record<AttributionModel, z.ZodOptional<typeof ModelFigures>>);

const pickModel = ({ spend: _s, currency: _c, campaignId: _i, name: _n, channel: _h, ...rest }: Record<string, unknown>) => rest;

const AttributionReport = z
  .object({
    report: z.literal('attribution'),
    ...RoiHead,
    models: z.array(z.enum(ATTRIBUTION_MODELS)),
    rows: z.array(z.object({ ...RoiGroupColumns, currency: z.string(), spend: MoneyOutput, models: ModelColumns })),
    totals: z.object({ currency: z.string(), spend: MoneyOutput, models: ModelColumns }),
  })
  .meta({
    id: 'AttributionReport',
    example: {
      report: 'attribution',
      currency: 'USD',
      groupBy: 'campaign',
      from: '2026-01-01',
      to: '2026-03-31',
      lookbackDays: 90,
      halfLifeDays: 7,
      models: ['linear'],
      rows: [
        { campaignId: EXAMPLE_ROI_ROW.campaignId, name: EXAMPLE_ROI_ROW.name, channel: EXAMPLE_ROI_ROW.channel, currency: 'USD', spend: '1000.00', models: { linear: pickModel(EXAMPLE_ROI_ROW) } },
        { campaignId: null, name: '(unattributed)', channel: null, currency: 'USD', spend: '0.00', models: { linear: pickModel(EXAMPLE_UNATTRIBUTED) } },
      ],
      totals: { currency: 'USD', spend: '1000.00', models: { linear: pickModel(EXAMPLE_ROI_TOTALS) } },
    },
  });

const RangeQuery = {
  from: DateString.meta({ description: 'First day, inclusive', example: '2026-01-01' }),
  to: DateString.meta({ description: 'Last day, inclusive; at most three years after from', example: '2026-03-31' }),
  groupBy: z.enum(['campaign', 'channel', 'month']).default('campaign'),
  lookbackDays: z.coerce.number().int().min(1).max(3650).default(90).meta({ description: 'Lookback window in days, 1 to 3650' }),
  // A floor keeps ln 2 / half-life finite: a denormal half-life would make every weight NaN.
  halfLifeDays: z.coerce.number().min(0.0001).max(3650).default(7).meta({ description: 'time_decay half-life in days, a decimal from 0.0001 to 3650' }),
  format: Format,
};

const ModelList = z
  .string()
  .default(ATTRIBUTION_MODELS.join(','))
  .transform((text, ctx) => {
    const names = text.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => !(ATTRIBUTION_MODELS as readonly string[]).includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown model ${unknown.map((u) => JSON.stringify(u)).join(', ')}; models are ${ATTRIBUTION_MODELS.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(names)] as AttributionModel[];
  })
  .meta({ description: `Comma-separated models, in the order their columns appear; default all: ${ATTRIBUTION_MODELS.join(',')}`, example: 'first_touch,last_touch,linear' });

function checkRange(query: { from: string; to: string }): void {
  if (query.from > query.to) throw new ValidationError([{ path: 'from', message: `must not be after to (${query.to})` }]);
  if (parseDay(query.to) - parseDay(query.from) + 1 > MAX_RANGE_DAYS) {
    throw new ValidationError([{ path: 'to', message: `a report spans at most ${MAX_RANGE_DAYS} days (three years)` }]);
  }
}

const ROI_DESCRIPTION =
  'Spend dated in [from, to] and conversions with occurredAt in [from, to] (whole UTC days), each converted to the base currency at its own date; ' +
  'refunds dated in the range are split as the conversion they refund and converted at their own date. `model` defaults to `linear`. ' +
  'Rows are sorted by their group; by campaign or channel, the last row (campaignId and channel null, name "(unattributed)") takes conversions no touchpoint explains, ' +
  'so totals.revenue is the revenue recorded in the range. By month, a row is the spend and revenue recorded in that month (a refund in its own month): models move revenue between campaigns, not months. ' +
  'Amounts rounded half-even to the minor unit and conversions to 4 decimals by largest remainder, so rows add up to totals as printed; ratios from the exact figures, null over zero. ' +
  'CSV: the JSON fields, totals last with TOTAL in the first column.';

const ATTRIBUTION_DESCRIPTION =
  'The ROI report for several models side by side: one row per group (as in /v1/reports/roi, the union of every model’s rows), spend once, ' +
  'and under `models.<model>` that model’s revenue, conversions, roas, roi and cpa. CSV flattens them to columns `<model>.revenue`, `<model>.conversions`, ..., ' +
  'models in the order asked, totals last with TOTAL in the first column.';

function groupColumns(groupBy: 'campaign' | 'channel' | 'month'): string[] {
  return groupBy === 'campaign' ? ['campaignId', 'name', 'channel'] : [groupBy];
}

const routes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/reports/roi',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['reports'],
        summary: 'ROI per campaign, channel or month under one attribution model',
        description: ROI_DESCRIPTION,
        operationId: 'getRoiReport',
        querystring: z.strictObject({
          ...RangeQuery,
          model: z.enum(ATTRIBUTION_MODELS).default('linear'),
        }),
        response: { 200: jsonOrCsv(RoiReport, 'The ROI report'), ...problems(422) },
      },
    },
    async (request, reply) => {
      const { format: _format, ...query } = request.query;
      checkRange(query);
      const report = app.roiReports.roi(query);
      if (wantsCsv(request)) {
        const columns = [...groupColumns(report.groupBy), 'currency', 'spend', 'revenue', 'conversions', 'roas', 'roi', 'cpa'];
        return sendReportCsv(reply, `roi-${report.model}-${report.from}_${report.to}`, columns, report.rows, report.totals);
      }
      return report;
    },
  );

  app.get(
    '/v1/reports/attribution',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['reports'],
        summary: 'Attribution models side by side: revenue, conversions and ratios per model',
        description: ATTRIBUTION_DESCRIPTION,
        operationId: 'getAttributionReport',
        querystring: z.strictObject({ ...RangeQuery, models: ModelList }),
        response: { 200: jsonOrCsv(AttributionReport, 'The attribution models side by side'), ...problems(422) },
      },
    },
    async (request, reply) => {
      const { format: _format, ...query } = request.query;
      checkRange(query);
      const report = app.roiReports.attribution(query);
      if (wantsCsv(request)) {
        const fields = ['revenue', 'conversions', 'roas', 'roi', 'cpa'] as const;
        const modelColumns = report.models.flatMap((model) => fields.map((field) => `${model}.${field}`));
        const columns = [...groupColumns(report.groupBy), 'currency', 'spend', ...modelColumns];
        const flatten = ({ models, ...rest }: { models: Record<string, Record<string, unknown> | undefined> } & Record<string, unknown>) => {
          const out: Record<string, unknown> = { ...rest };
          for (const model of report.models) for (const field of fields) out[`${model}.${field}`] = models[model]?.[field];
          return out;
        };
        const rows = report.rows.map((row) => flatten(row as never));
        const totals = flatten(report.totals as never);
        return sendReportCsv(reply, `attribution-${report.from}_${report.to}`, columns, rows, totals);
      }
      return report;
    },
  );

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
        const filename = `burn-${report.from}${report.to !== report.from ? '_' + report.to : ''}`;
        return sendReportCsv(reply, filename, [...groupColumns, ...FIGURE_COLUMNS], report.rows, report.totals);
      }
      return report;
    },
  );
};

export default routes;
