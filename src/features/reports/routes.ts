import { z } from 'zod';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { ATTRIBUTION_MODELS, type AttributionModel } from '../../domain/attribution/index.js';
import { FORECAST_METHODS } from '../../domain/forecast.js';
import { XLSX_MEDIA_TYPE, type XlsxColumnKind, type XlsxParameter } from '../../lib/xlsx.js';
import { sendReport, type ReportTable } from '../common/http.js';
import { UNATTRIBUTED_NAME } from './roi-service.js';
import { DateString, jsonCsvOrXlsx, MoneyOutput, problems, RatioOutput, ReportFormat } from '../common/schemas.js';
import { reportCaption, reportFileName } from './naming.js';
import { DayPeriodQuery, MonthPeriodQuery, periodFromQuery } from './period-query.js';

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
  status: z
    .enum(['unplanned', 'over_budget', 'overpacing', 'underpacing', 'on_track'])
    .nullable()
    .meta({ description: 'The first that holds; null when nothing is planned and nothing spent (an empty row, or an empty month’s totals)' }),
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

// ---------------------------------------------------------------------------
// Forecast, forecast versus actual, budget versus forecast versus actual

export const ForecastMethod = z.enum(FORECAST_METHODS).meta({
  description:
    'run_rate: actual + actual / daysElapsed x daysLeft. trailing_7d: actual + (spend of the last k = min(7, daysElapsed) days through asOf) / k x daysLeft. ' +
    'linear_trend: max(actual, the least-squares line through (d, cumulative spend through d), d = 1..daysElapsed, at the period’s last day); run_rate with fewer than 2 days elapsed.',
});

const ForecastFigureShape = {
  currency: z.string(),
  planned: MoneyOutput,
  actualToDate: MoneyOutput,
  forecast: MoneyOutput.meta({ description: 'Projected spend at the end of the period' }),
  varianceVsPlan: MoneyOutput.meta({ description: 'forecast - planned' }),
  variancePct: RatioOutput.meta({ description: 'varianceVsPlan / planned, 4 decimals; null when planned is 0' }),
  daysElapsed: z.number().int(),
  daysInPeriod: z.number().int(),
};
export const ForecastFigures = z.object(ForecastFigureShape);

const PeriodGroupColumns = { campaignId: z.string().optional(), name: z.string().optional(), channel: z.string() };
export const ForecastRow = z.object({ ...PeriodGroupColumns, ...ForecastFigureShape });

/** One campaign, 3100.00 planned for March, 1800.00 spent by the 15th at 120.00 a day: 3720.00 by run rate. */
export const EXAMPLE_FORECAST_FIGURES = {
  currency: 'USD',
  planned: '3100.00',
  actualToDate: '1800.00',
  forecast: '3720.00',
  varianceVsPlan: '620.00',
  variancePct: '0.2000',
  daysElapsed: 15,
  daysInPeriod: 31,
};
export const EXAMPLE_FORECAST_ROW = { campaignId: 'cmp-spring-search', name: 'Spring search, brand', channel: 'paid_search', ...EXAMPLE_FORECAST_FIGURES };

const ForecastReport = z
  .object({
    report: z.literal('forecast'),
    currency: z.string(),
    groupBy: z.enum(['campaign', 'channel']),
    method: z.enum(FORECAST_METHODS),
    from: z.string(),
    to: z.string(),
    periodStart: z.string(),
    periodEnd: z.string(),
    asOf: z.string(),
    rows: z.array(ForecastRow),
    totals: ForecastFigures,
  })
  .meta({
    id: 'ForecastReport',
    example: {
      report: 'forecast',
      currency: 'USD',
      groupBy: 'campaign',
      method: 'run_rate',
      from: '2026-03',
      to: '2026-03',
      periodStart: '2026-03-01',
      periodEnd: '2026-03-31',
      asOf: '2026-03-15',
      rows: [EXAMPLE_FORECAST_ROW],
      totals: EXAMPLE_FORECAST_FIGURES,
    },
  });

const FORECAST_COLUMNS = ['currency', 'planned', 'actualToDate', 'forecast', 'varianceVsPlan', 'variancePct', 'daysElapsed', 'daysInPeriod'];

const FvaFigureShape = {
  currency: z.string(),
  planned: MoneyOutput.meta({ description: 'The current plan' }),
  forecast: MoneyOutput.meta({ description: 'The snapshot’s forecast; 0 for a group the snapshot did not have' }),
  actual: MoneyOutput.meta({ description: 'Spend of the period: final once it is over, to date while it runs' }),
  error: MoneyOutput.meta({ description: 'actual - forecast' }),
  errorPct: RatioOutput.meta({ description: 'error / forecast, 4 decimals; null when the forecast is 0' }),
};

const EXAMPLE_FVA = { currency: 'USD', planned: '3100.00', forecast: '3720.00', actual: '3410.00', error: '-310.00', errorPct: '-0.0833' };

const ForecastVsActualReport = z
  .object({
    report: z.literal('forecast_vs_actual'),
    snapshot: z.object({ id: z.string(), name: z.string(), asOf: z.string(), method: z.enum(FORECAST_METHODS), createdAt: z.string() }),
    currency: z.string(),
    groupBy: z.enum(['campaign', 'channel']),
    from: z.string(),
    to: z.string(),
    periodStart: z.string(),
    periodEnd: z.string(),
    actualThrough: z.string().nullable().meta({ description: 'The last day whose spend the actuals count; null before the period starts' }),
    final: z.boolean().meta({ description: 'true once the period is over: the actuals are final' }),
    mape: RatioOutput.meta({ description: 'Mean over rows with actual ≠ 0 of |actual - forecast| / |actual|, 4 decimals; null when no row spent' }),
    rows: z.array(z.object({ ...PeriodGroupColumns, ...FvaFigureShape })),
    totals: z.object(FvaFigureShape),
  })
  .meta({
    id: 'ForecastVsActualReport',
    example: {
      report: 'forecast_vs_actual',
      snapshot: { id: 'fcs_8c1d2e3f4a5b6c7d', name: 'March mid-month', asOf: '2026-03-15', method: 'run_rate', createdAt: '2026-03-16T08:00:00.000Z' },
      currency: 'USD',
      groupBy: 'campaign',
      from: '2026-03',
      to: '2026-03',
      periodStart: '2026-03-01',
      periodEnd: '2026-03-31',
      actualThrough: '2026-03-31',
      final: true,
      mape: '0.0909',
      rows: [{ campaignId: 'cmp-spring-search', name: 'Spring search, brand', channel: 'paid_search', ...EXAMPLE_FVA }],
      totals: EXAMPLE_FVA,
    },
  });

const BfaFigureShape = {
  currency: z.string(),
  planned: MoneyOutput.meta({ description: 'The budget: the current plan of the month' }),
  forecast: MoneyOutput.nullable().meta({ description: 'The month’s forecast (see forecastSource); null when it has none' }),
  actual: MoneyOutput.meta({ description: 'Spend: final for a month that is over, to date for the month under way' }),
  error: MoneyOutput.nullable().meta({ description: 'actual - forecast; null without a forecast. Totals: over the months with one' }),
  errorPct: RatioOutput.meta({ description: 'error / forecast, 4 decimals' }),
};

const BudgetForecastActualReport = z
  .object({
    report: z.literal('budget_forecast_actual'),
    currency: z.string(),
    from: z.string(),
    to: z.string(),
    asOf: z.string().meta({ description: 'Today (UTC): actuals count spend through it' }),
    method: z.enum(FORECAST_METHODS).meta({ description: 'The method of the live forecast of the month under way, when it has no snapshot' }),
    mape: RatioOutput.meta({ description: 'Over the months that are over, have a forecast and spent: mean |actual - forecast| / |actual|' }),
    rows: z.array(
      z.object({
        month: z.string(),
        currency: BfaFigureShape.currency,
        planned: BfaFigureShape.planned,
        forecast: BfaFigureShape.forecast,
        forecastSource: z.enum(['snapshot', 'live']).nullable().meta({ description: 'snapshot: the month’s newest snapshot; live: computed now (month under way, no snapshot); null: none' }),
        snapshotId: z.string().nullable(),
        snapshotAsOf: z.string().nullable(),
        actual: BfaFigureShape.actual,
        final: z.boolean(),
        error: BfaFigureShape.error,
        errorPct: BfaFigureShape.errorPct,
      }),
    ),
    totals: z.object(BfaFigureShape),
  })
  .meta({
    id: 'BudgetForecastActualReport',
    example: {
      report: 'budget_forecast_actual',
      currency: 'USD',
      from: '2026-02',
      to: '2026-03',
      asOf: '2026-03-20',
      method: 'run_rate',
      mape: '0.0500',
      rows: [
        { month: '2026-02', currency: 'USD', planned: '2800.00', forecast: '2850.00', forecastSource: 'snapshot', snapshotId: 'fcs_0a1b2c3d4e5f6071', snapshotAsOf: '2026-02-14', actual: '3000.00', final: true, error: '150.00', errorPct: '0.0526' },
        { month: '2026-03', currency: 'USD', planned: '3100.00', forecast: '3720.00', forecastSource: 'live', snapshotId: null, snapshotAsOf: null, actual: '2400.00', final: false, error: '-1320.00', errorPct: '-0.3548' },
      ],
      totals: { currency: 'USD', planned: '5900.00', forecast: '6570.00', actual: '5400.00', error: '-1170.00', errorPct: '-0.1781' },
    },
  });

// ---------------------------------------------------------------------------
// ROI and attribution

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
  ...DayPeriodQuery,
  groupBy: z.enum(['campaign', 'channel', 'month']).default('campaign'),
  lookbackDays: z.coerce.number().int().min(1).max(3650).default(90).meta({ description: 'Lookback window in days, 1 to 3650' }),
  // A floor keeps ln 2 / half-life finite: a denormal half-life would make every weight NaN.
  halfLifeDays: z.coerce.number().min(0.0001).max(3650).default(7).meta({ description: 'time_decay half-life in days, a decimal from 0.0001 to 3650' }),
  format: ReportFormat,
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

/** How every report in days reads its period. */
const DAY_PERIOD_TEXT =
  'The period: `month` (YYYY-MM), or `from` and `to`, each a day (YYYY-MM-DD) or a month (a month `from` means its first day, a month `to` its last), at most three years; `month` with `from` or `to` is a 400. ';

const ROI_DESCRIPTION =
  DAY_PERIOD_TEXT +
  'Spend dated in [from, to] and conversions with occurredAt in [from, to] (whole UTC days), each converted to the base currency at its own date; ' +
  'refunds dated in the range are split as the conversion they refund and converted at their own date. `model` defaults to `linear`. ' +
  'Rows are sorted by their group; by campaign or channel, the last row (campaignId and channel null, name "(unattributed)") takes conversions no touchpoint explains, ' +
  'so totals.revenue is the revenue recorded in the range. By month, a row is the spend and revenue recorded in that month (a refund in its own month): models move revenue between campaigns, not months. ' +
  'Amounts rounded half-even to the minor unit and conversions to 4 decimals by largest remainder, so rows add up to totals as printed; ratios from the exact figures, null over zero. ' +
  'CSV: the JSON fields, totals last with TOTAL in the first column.';

const ATTRIBUTION_DESCRIPTION =
  DAY_PERIOD_TEXT +
  'The ROI report for several models side by side: one row per group (as in /v1/reports/roi, the union of every model’s rows), spend once, ' +
  'and under `models.<model>` that model’s revenue, conversions, roas, roi and cpa. CSV flattens them to columns `<model>.revenue`, `<model>.conversions`, ..., ' +
  'models in the order asked, totals last with TOTAL in the first column.';

const GROUP_COLUMNS = new Set(['campaignId', 'name', 'channel', 'month']);

function groupColumns(groupBy: 'campaign' | 'channel' | 'month'): string[] {
  return groupBy === 'campaign' ? ['campaignId', 'name', 'channel'] : [groupBy];
}

/**
 * A ROI or attribution row for CSV and XLSX: the unattributed row's group
 * columns, null in JSON, say "(unattributed)", as an empty cell would read
 * as a campaign or channel without a name.
 */
function namedGroup<T extends object>(row: T): T {
  const group = row as { campaignId?: string | null; channel?: string | null };
  if (group.campaignId !== null && group.channel !== null) return row;
  const out = { ...row } as Record<string, unknown>;
  if ('campaignId' in out) out.campaignId = UNATTRIBUTED_NAME;
  if ('channel' in out) out.channel = UNATTRIBUTED_NAME;
  return out as T;
}

// ---------------------------------------------------------------------------
// CSV and XLSX

/**
 * The XLSX cell kind of every report column, by its JSON name, in this one
 * place; attribution's `<model>.<field>` columns go by the field after the
 * dot, and the parameters above the table go by the same names (`asOf`,
 * `snapshot.asOf`, `mape`). `cpa` is money per conversion: a currency cell,
 * holding the 4 decimals the JSON prints, shown at the minor unit. `month`
 * (YYYY-MM) stays text: it names a group, not a day; so does a `from` or
 * `to` that is a month (a `date` cell is made only of a whole day, and
 * there is no date cell for a month that would not show as its first day).
 * `generatedAt` and `snapshot.createdAt` are instants, kept as ISO 8601 text
 * so that no spreadsheet shows them in its own zone. A name not here is text, and
 * test/http/reports-xlsx.test.ts fails when a column whose JSON values are
 * decimal strings falls to text, so a new amount cannot silently become one.
 */
const COLUMN_KINDS = new Map<string, XlsxColumnKind>([
  ...(['planned', 'committed', 'actual', 'remaining', 'available', 'expectedToDate', 'actualToDate', 'forecast', 'varianceVsPlan', 'error', 'spend', 'revenue', 'cpa'] as const).map((name) => [name, 'money'] as const),
  ...(['burnRate', 'pacing', 'variancePct', 'errorPct', 'roas', 'roi', 'mape'] as const).map((name) => [name, 'ratio'] as const),
  ['conversions', 'count'],
  ['daysElapsed', 'integer'],
  ['daysInPeriod', 'integer'],
  ...(['exhaustionDate', 'snapshotAsOf', 'periodStart', 'periodEnd', 'asOf', 'from', 'to', 'actualThrough'] as const).map((name) => [name, 'date'] as const),
  ['lookbackDays', 'integer'],
  ['final', 'boolean'],
  ...(['campaignId', 'name', 'channel', 'month', 'currency', 'status', 'forecastSource', 'snapshotId'] as const).map((name) => [name, 'text'] as const),
]);

export function columnKind(column: string): XlsxColumnKind {
  return COLUMN_KINDS.get(column.slice(column.lastIndexOf('.') + 1)) ?? 'text';
}

/**
 * The report's own fields but its rows and totals, as the sheet's parameters,
 * each typed by its name as a column of that name is: `snapshot.id`, `models` as `a,b`.
 */
function parametersOf(report: object): XlsxParameter[] {
  const out: XlsxParameter[] = [];
  const add = (label: string, value: unknown) => {
    if (Array.isArray(value)) out.push([label, value.join(','), 'text']);
    else if (value !== null && typeof value === 'object') for (const [key, inner] of Object.entries(value)) add(`${label}.${key}`, inner);
    else if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out.push([label, value, columnKind(label)]);
  };
  for (const [key, value] of Object.entries(report)) if (key !== 'rows' && key !== 'totals') add(key, value);
  return out;
}

type ReportQuery = z.ZodObject<{ format: typeof ReportFormat } & z.ZodRawShape>;

interface ReportRouteOptions<Q extends ReportQuery> {
  config: { role: 'viewer'; sessionReads: true };
  schema: Omit<FastifySchema, 'querystring' | 'response'> & {
    summary: string;
    description: string;
    operationId: string;
    querystring: Q;
    response: { 200: ReturnType<typeof jsonCsvOrXlsx> } & Record<number, unknown>;
  };
}

const FILE_FORMATS = [
  { format: 'csv', suffix: 'Csv', media: 'text/csv', what: 'CSV' },
  { format: 'xlsx', suffix: 'Xlsx', media: XLSX_MEDIA_TYPE, what: 'an XLSX workbook' },
] as const;

/**
 * Registers a report three times: `path` documented as JSON only, so that a
 * client generated from the document types its answer as the report and
 * not `Report | string`; and `path.csv` and `path.xlsx`, the same query but
 * `format`, documented as the file they answer. The plain path still
 * answers CSV or XLSX to `?format=` or Accept, as it always has.
 */
function reportRoute<Q extends ReportQuery>(
  app: FastifyInstance,
  path: string,
  { config, schema }: ReportRouteOptions<Q>,
  handler: (request: FastifyRequest<{ Querystring: z.output<Q> }>, reply: FastifyReply) => Promise<unknown>,
): void {
  const { 200: ok, ...errors } = schema.response;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const jsonOnly = { description: ok.description, content: { 'application/json': ok.content['application/json'] } };
  typed.get(path, { config, schema: { ...schema, response: { 200: jsonOnly, ...errors } } }, handler as never);
  for (const { format, suffix, media, what } of FILE_FORMATS) {
    typed.get(
      `${path}.${format}`,
      {
        config: { ...config, reportFormat: format },
        schema: {
          ...schema,
          summary: `${schema.summary}, as ${what}`,
          description: `${schema.description}\n\nThe same report as ${path} with the same query, as ${what} (a download named after its parameters).`,
          operationId: `${schema.operationId}${suffix}`,
          querystring: schema.querystring.omit({ format: true }),
          response: { 200: { description: `${ok.description}, as ${what}`, content: { [media]: ok.content[media] } }, ...errors },
        },
      },
      handler as never,
    );
  }
}

const routes: FastifyPluginAsyncZod = async (app) => {
  /**
   * The table of a report for CSV and XLSX; the file is `<name>.csv` or
   * `<name>.xlsx`, named from the report's parameters (reportFileName), as its
   * printed footer is.
   */
  const tableOf =
    (report: Parameters<typeof reportFileName>[0] & { currency: string }, columns: readonly string[], rows: readonly object[], totals: object) =>
    (): ReportTable => ({
      filename: reportFileName(report),
      title: report.report,
      currency: report.currency,
      parameters: parametersOf(report),
      columns: columns.map((name) => ({ name, kind: columnKind(name) })),
      titleColumns: Math.max(1, columns.findIndex((name) => !GROUP_COLUMNS.has(name))),
      caption: reportCaption(report),
      rows,
      totals,
      generatedAt: app.now(),
    });

  reportRoute(
    app,
    '/v1/reports/roi',
    {
      config: { role: 'viewer', sessionReads: true },
      schema: {
        tags: ['reports'],
        summary: 'ROI per campaign, channel or month under one attribution model',
        description: ROI_DESCRIPTION,
        operationId: 'getRoiReport',
        querystring: z.strictObject({
          ...RangeQuery,
          model: z.enum(ATTRIBUTION_MODELS).default('linear'),
        }),
        response: { 200: jsonCsvOrXlsx(RoiReport, 'The ROI report'), ...problems(422) },
      },
    },
    async (request, reply) => {
      const { format: _format, month: _month, ...query } = request.query;
      const report = await app.roiReports.roi({ ...query, ...periodFromQuery(request.query, 'day') });
      const columns = [...groupColumns(report.groupBy), 'currency', 'spend', 'revenue', 'conversions', 'roas', 'roi', 'cpa'];
      return sendReport(request, reply, report, tableOf(report, columns, report.rows.map(namedGroup), report.totals));
    },
  );

  reportRoute(
    app,
    '/v1/reports/attribution',
    {
      config: { role: 'viewer', sessionReads: true },
      schema: {
        tags: ['reports'],
        summary: 'Attribution models side by side: revenue, conversions and ratios per model',
        description: ATTRIBUTION_DESCRIPTION,
        operationId: 'getAttributionReport',
        querystring: z.strictObject({ ...RangeQuery, models: ModelList }),
        response: { 200: jsonCsvOrXlsx(AttributionReport, 'The attribution models side by side'), ...problems(422) },
      },
    },
    async (request, reply) => {
      const { format: _format, month: _month, ...query } = request.query;
      const report = await app.roiReports.attribution({ ...query, ...periodFromQuery(request.query, 'day') });
      return sendReport(request, reply, report, () => {
        const fields = ['revenue', 'conversions', 'roas', 'roi', 'cpa'] as const;
        const modelColumns = report.models.flatMap((model) => fields.map((field) => `${model}.${field}`));
        const columns = [...groupColumns(report.groupBy), 'currency', 'spend', ...modelColumns];
        const flatten = ({ models, ...rest }: { models: Record<string, Record<string, unknown> | undefined> } & Record<string, unknown>) => {
          const out: Record<string, unknown> = { ...rest };
          for (const model of report.models) for (const field of fields) out[`${model}.${field}`] = models[model]?.[field];
          return out;
        };
        const rows = report.rows.map((row) => flatten(namedGroup(row) as never));
        const totals = flatten(report.totals as never);
        return tableOf(report, columns, rows, totals)();
      });
    },
  );

  reportRoute(
    app,
    '/v1/reports/forecast',
    {
      config: { role: 'viewer', sessionReads: true },
      schema: {
        tags: ['reports'],
        summary: 'Spend forecast: where each campaign or channel lands at the end of the period',
        description:
          'For `month`, or `from`..`to` (months, taken as one period, at most 36; `month` with `from` or `to` is a 400). `asOf` defaults to today (UTC); after the period it counts as its last day (forecast = actual), before it nothing has elapsed (forecast = actual = 0). ' +
          'A row for every campaign (or channel) with a plan, an open commitment or spend in the period. Each campaign is forecast on its own daily spend; a channel’s forecast is the sum of its campaigns’ forecasts. ' +
          'Amounts in the base currency, rounded half-even once per campaign and month (the forecast: per campaign), rows and totals adding those printed amounts, so a channel row is the sum of its campaigns’ rows; CSV: the JSON fields, totals last with TOTAL.',
        operationId: 'getForecastReport',
        querystring: z.strictObject({
          ...MonthPeriodQuery,
          asOf: DateString.optional(),
          method: ForecastMethod.default('run_rate'),
          groupBy: z.enum(['campaign', 'channel']).default('campaign'),
          format: ReportFormat,
        }),
        response: { 200: jsonCsvOrXlsx(ForecastReport, 'The forecast report'), ...problems(422) },
      },
    },
    async (request, reply) => {
      const period = periodFromQuery(request.query);
      const asOf = request.query.asOf ?? app.now().toISOString().slice(0, 10);
      const report = await app.forecastReports.report({ period, asOf, method: request.query.method, groupBy: request.query.groupBy });
      return sendReport(request, reply, report, tableOf(report, [...groupColumns(report.groupBy), ...FORECAST_COLUMNS], report.rows, report.totals));
    },
  );

  reportRoute(
    app,
    '/v1/reports/forecast-vs-actual',
    {
      config: { role: 'viewer', sessionReads: true },
      schema: {
        tags: ['reports'],
        summary: 'A forecast snapshot set against the actual spend',
        description:
          'Per row the current plan, the snapshot’s forecast (frozen when it was taken), the actual (final once the period is over, to date while it runs), ' +
          '`error` = actual - forecast, `errorPct` = error / forecast, and the snapshot’s MAPE. A group that spent but is not in the snapshot has forecast 0. ' +
          'For a range of months side by side, see /v1/reports/budget-forecast-actual. CSV: the rows, totals last with TOTAL, and `mape` on the totals row.',
        operationId: 'getForecastVsActualReport',
        querystring: z.strictObject({ snapshot: z.string().min(1).max(64).meta({ description: 'The snapshot id, from POST /v1/forecasts', example: 'fcs_8c1d2e3f4a5b6c7d' }), format: ReportFormat }),
        response: { 200: jsonCsvOrXlsx(ForecastVsActualReport, 'The snapshot against the actuals'), ...problems(404, 422) },
      },
    },
    async (request, reply) => {
      const report = await app.forecastSnapshots.versusActual(request.query.snapshot);
      const columns = [...groupColumns(report.groupBy), 'currency', 'planned', 'forecast', 'actual', 'error', 'errorPct', 'mape'];
      return sendReport(request, reply, report, tableOf(report, columns, report.rows, { ...report.totals, mape: report.mape }));
    },
  );

  reportRoute(
    app,
    '/v1/reports/budget-forecast-actual',
    {
      config: { role: 'viewer', sessionReads: true },
      schema: {
        tags: ['reports'],
        summary: 'Budget, forecast and actual side by side, one row per month',
        description:
          'For `month`, or `from`..`to` (months, at most 36; `month` with `from` or `to` is a 400). A month’s forecast is its newest single-month snapshot (latest asOf, then latest taken); the month under way without one gets the live forecast by `method`; ' +
          'a month already over without a snapshot, or not yet begun, has none (null). Actuals: final for a month that is over, to date for the month under way. ' +
          'Totals: planned and actual of every month, forecast and error of the months with a forecast. CSV: the rows, totals last with TOTAL, `mape` on the totals row.',
        operationId: 'getBudgetForecastActualReport',
        querystring: z.strictObject({ ...MonthPeriodQuery, method: ForecastMethod.default('run_rate'), format: ReportFormat }),
        response: { 200: jsonCsvOrXlsx(BudgetForecastActualReport, 'Budget, forecast and actual per month'), ...problems(422) },
      },
    },
    async (request, reply) => {
      const report = await app.forecastSnapshots.budgetForecastActual(periodFromQuery(request.query), request.query.method);
      const columns = ['month', 'currency', 'planned', 'forecast', 'forecastSource', 'snapshotId', 'snapshotAsOf', 'actual', 'final', 'error', 'errorPct', 'mape'];
      return sendReport(request, reply, report, tableOf(report, columns, report.rows, { ...report.totals, mape: report.mape }));
    },
  );

  reportRoute(
    app,
    '/v1/reports/burn',
    {
      config: { role: 'viewer', sessionReads: true },
      schema: {
        tags: ['reports'],
        summary: 'Budget burn: planned, committed, actual, pacing',
        description:
          'For `month`, or `from`..`to` (months, at most 36; `month` with `from` or `to` is a 400). `asOf` defaults to today (UTC); after the period it counts as its last day. ' +
          'Amounts in the base currency, rounded half-even to its minor unit; rows add up to totals as printed.',
        operationId: 'getBurnReport',
        querystring: z.strictObject({
          ...MonthPeriodQuery,
          asOf: DateString.optional(),
          groupBy: z.enum(['campaign', 'channel']).default('campaign'),
          format: ReportFormat,
        }),
        response: { 200: jsonCsvOrXlsx(BurnReport, 'The burn report'), ...problems(422) },
      },
    },
    async (request, reply) => {
      const period = periodFromQuery(request.query);
      const asOf = request.query.asOf ?? app.now().toISOString().slice(0, 10);
      const report = await app.burnReports.report({ period, asOf, groupBy: request.query.groupBy });
      return sendReport(request, reply, report, tableOf(report, [...groupColumns(report.groupBy), ...FIGURE_COLUMNS], report.rows, report.totals));
    },
  );
};

export default routes;
