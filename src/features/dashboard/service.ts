/**
 * The dashboard's figures: the reports the API serves, asked of the same
 * report services with the parameters the API's own defaults would give, so
 * that every figure on the page is the API's figure. The page adds no
 * arithmetic of its own but two things the reports do not print: the
 * campaigns sorted by pacing, and the unattributed share of revenue.
 *
 * The reports are cached by the report cache; a warm page costs lookups.
 */
import type { FastifyInstance } from 'fastify';
import { ATTRIBUTION_MODELS, DEFAULT_HALF_LIFE_DAYS, type AttributionModel } from '../../domain/attribution/index.js';
import { FORECAST_METHODS, type ForecastMethod } from '../../domain/forecast.js';
import { Decimal } from '../../domain/money.js';
import { addMonths, firstDayOfMonth, lastDayOfMonth, periodOfMonths } from '../../domain/periods.js';
import { AppError } from '../../lib/errors.js';
import type { BudgetForecastActualReport } from '../forecasts/service.js';
import type { BurnReport, BurnRow } from '../reports/burn-service.js';
import type { ForecastReport } from '../reports/forecast-service.js';
import type { AttributionReport, RoiReport } from '../reports/roi-service.js';
import { UNATTRIBUTED_NAME } from '../reports/roi-service.js';

/** The ROI routes' defaults (GET /v1/reports/roi without lookbackDays or halfLifeDays). */
export const LOOKBACK_DAYS = 90;
export const HALF_LIFE_DAYS = DEFAULT_HALF_LIFE_DAYS;
/** The method of the live forecast in budget versus forecast versus actual: the API's default. */
export const BFA_METHOD: ForecastMethod = 'run_rate';
/** How many campaigns the over- and under-pace lists show, and how many snapshots the accuracy panel reads. */
export const PACE_LIST_LENGTH = 5;
export const SNAPSHOT_LIMIT = 10;

export interface DashboardQuery {
  month: string;
  asOf: string;
  model: AttributionModel;
}

export type CampaignBurnRow = Extract<BurnRow, { campaignId: string }>;

export interface SnapshotAccuracy {
  id: string;
  name: string;
  asOf: string;
  method: ForecastMethod;
  from: string;
  to: string;
  /** The snapshot's MAPE, as GET /v1/reports/forecast-vs-actual prints it; null when nothing spent. */
  mape: string | null;
  final: boolean;
  /** Why there is no comparison (the base currency changed since), or null. */
  problem: string | null;
}

export interface DashboardData {
  query: DashboardQuery;
  currency: string;
  fiscalYear: { from: string; to: string; startMonth: number };
  budgetForecastActual: BudgetForecastActualReport;
  burnByChannel: BurnReport;
  burnByCampaign: BurnReport;
  overPace: CampaignBurnRow[];
  underPace: CampaignBurnRow[];
  forecasts: ForecastReport[];
  roi: RoiReport;
  attribution: AttributionReport;
  /** Revenue no touchpoint explains under the chosen model, and its share of all revenue (4 decimals, half-even); share null without revenue. */
  unattributed: { revenue: string; share: string | null };
  snapshots: SnapshotAccuracy[];
}

/** The fiscal year that holds `month`, for a year starting in `startMonth` (1-12). */
export function fiscalYearOf(month: string, startMonth: number): { from: string; to: string } {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const from = `${m >= startMonth ? year : year - 1}-${String(startMonth).padStart(2, '0')}`;
  return { from, to: addMonths(from, 11) };
}

/** The unattributed row's revenue over the total, 4 decimals half-even (Decimal's rounding). */
export function unattributedShare(report: RoiReport): { revenue: string; share: string | null } {
  const row = report.rows.find((r) => 'name' in r && r.name === UNATTRIBUTED_NAME && r.campaignId === null) ?? report.rows.find((r) => 'channel' in r && r.channel === null);
  const revenue = row?.revenue ?? '0';
  const total = new Decimal(report.totals.revenue);
  return { revenue, share: total.isZero() ? null : new Decimal(revenue).div(total).toFixed(4) };
}

const pacingOf = (row: BurnRow) => (row.pacing === null ? null : new Decimal(row.pacing));

/** Campaigns ahead of plan (overpacing or over budget), most ahead first; and behind it, most behind first. */
export function paceExtremes(rows: BurnRow[], length = PACE_LIST_LENGTH): { over: CampaignBurnRow[]; under: CampaignBurnRow[] } {
  const campaigns = rows.filter((row): row is CampaignBurnRow => 'campaignId' in row && pacingOf(row) !== null);
  const byPacing = (a: CampaignBurnRow, b: CampaignBurnRow) => pacingOf(a)!.comparedTo(pacingOf(b)!) || a.campaignId.localeCompare(b.campaignId);
  const over = campaigns.filter((r) => r.status === 'overpacing' || r.status === 'over_budget').sort((a, b) => byPacing(b, a));
  const under = campaigns.filter((r) => r.status === 'underpacing').sort(byPacing);
  return { over: over.slice(0, length), under: under.slice(0, length) };
}

export class DashboardService {
  constructor(private readonly app: FastifyInstance) {}

  /** One report after the other: the ROI and attribution reports share one loaded range (ReportCache.latest). */
  async gather(query: DashboardQuery): Promise<DashboardData> {
    const app = this.app;
    const settings = await app.settings.get();
    const fiscalYear = fiscalYearOf(query.month, settings.fiscalYearStartMonth);
    const period = periodOfMonths(query.month, query.month);
    const budgetForecastActual = await app.forecastSnapshots.budgetForecastActual(periodOfMonths(fiscalYear.from, fiscalYear.to), BFA_METHOD);
    const burnByChannel = await app.burnReports.report({ period, asOf: query.asOf, groupBy: 'channel' });
    const burnByCampaign = await app.burnReports.report({ period, asOf: query.asOf, groupBy: 'campaign' });
    const forecasts: ForecastReport[] = [];
    for (const method of FORECAST_METHODS) forecasts.push(await app.forecastReports.report({ period, asOf: query.asOf, method, groupBy: 'channel' }));
    const range = roiRange(query.month);
    const roi = await app.roiReports.roi({ ...range, groupBy: 'channel', lookbackDays: LOOKBACK_DAYS, halfLifeDays: HALF_LIFE_DAYS, model: query.model });
    const attribution = await app.roiReports.attribution({ ...range, groupBy: 'channel', lookbackDays: LOOKBACK_DAYS, halfLifeDays: HALF_LIFE_DAYS, models: [...ATTRIBUTION_MODELS] });
    const { over, under } = paceExtremes(burnByCampaign.rows);
    const listed = (await app.forecastSnapshots.list({ month: query.month, after: null, limit: SNAPSHOT_LIMIT })).slice(0, SNAPSHOT_LIMIT);
    const snapshots: SnapshotAccuracy[] = [];
    for (const s of listed) {
      const base = { id: s.id, name: s.name, asOf: s.asOf, method: s.method, from: s.from, to: s.to };
      try {
        const report = await app.forecastSnapshots.versusActual(s.id);
        snapshots.push({ ...base, mape: report.mape, final: report.final, problem: null });
      } catch (error) {
        // A snapshot in another base currency cannot be compared; say so on its row rather than lose the page.
        if (error instanceof AppError && error.status < 500) snapshots.push({ ...base, mape: null, final: false, problem: error.message });
        else throw error;
      }
    }
    return {
      query,
      currency: burnByChannel.currency,
      fiscalYear: { ...fiscalYear, startMonth: settings.fiscalYearStartMonth },
      budgetForecastActual,
      burnByChannel,
      burnByCampaign,
      overPace: over,
      underPace: under,
      forecasts,
      roi,
      attribution,
      unattributed: unattributedShare(roi),
      snapshots,
    };
  }
}

/** ROI covers the whole month: days after asOf have no spend or revenue yet. */
export function roiRange(month: string): { from: string; to: string } {
  return { from: firstDayOfMonth(month), to: lastDayOfMonth(month) };
}

/** The /v1/reports URLs behind each panel; `format` is csv or xlsx. */
export function reportLinks(query: DashboardQuery, fiscalYear: { from: string; to: string }) {
  const range = roiRange(query.month);
  const q = (path: string, params: Record<string, string>) => (format: 'csv' | 'xlsx') =>
    `/v1/reports/${path}?${new URLSearchParams({ ...params, format }).toString()}`;
  return {
    budgetForecastActual: q('budget-forecast-actual', { from: fiscalYear.from, to: fiscalYear.to, method: BFA_METHOD }),
    burnByChannel: q('burn', { month: query.month, asOf: query.asOf, groupBy: 'channel' }),
    burnByCampaign: q('burn', { month: query.month, asOf: query.asOf, groupBy: 'campaign' }),
    forecast: (method: ForecastMethod) => q('forecast', { month: query.month, asOf: query.asOf, method, groupBy: 'channel' }),
    roi: q('roi', { ...range, groupBy: 'channel', model: query.model }),
    attribution: q('attribution', { ...range, groupBy: 'channel' }),
    forecastVsActual: (snapshot: string) => q('forecast-vs-actual', { snapshot }),
  };
}
