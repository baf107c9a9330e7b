/**
 * The forecast report and the actuals that forecasts are set against. Reads
 * the plan and actuals per (campaign, month) cell (PeriodLines) and each
 * campaign's spend per day (the in-memory SpendIndex), converted into the
 * base currency (plans at the first day of their month, spend at its own
 * date), and hands the exact figures to the pure calculator in
 * domain/forecast, which forecasts each campaign, rounds once and groups
 * (domain/grouping): a channel's forecast is the sum of its campaigns'.
 */
import { minorUnits } from '../../domain/currency.js';
import { computeForecast, type ForecastFigures, type ForecastMethod } from '../../domain/forecast.js';
import { MissingRates, rateFinder } from '../../domain/fx.js';
import { rowKeyOf } from '../../domain/grouping.js';
import { elapsed, parseDay, type Period } from '../../domain/periods.js';
import type { Database } from '../../store/database.js';
import type { FxRateService } from '../fx-rates/service.js';
import type { SettingsService } from '../settings/service.js';
import type { SpendIndex } from '../spend/spend-index.js';
import { throwIfMissingRates } from './burn-service.js';
import { groupColumns, PeriodLines, type CampaignMeta, type GroupColumns, type PeriodCell } from './period-lines.js';
import type { ReportCache } from './report-cache.js';
import { reportRepository } from './repository.js';
import { reportRow } from './report-row.js';

export type PeriodGroupBy = 'campaign' | 'channel';

export interface ForecastRequest {
  period: Period;
  asOf: string;
  method: ForecastMethod;
  groupBy: PeriodGroupBy;
}

export { groupColumns, type GroupColumns };

export type ForecastRow = GroupColumns & { currency: string } & ForecastFigures;

export interface ForecastReport {
  report: 'forecast';
  currency: string;
  groupBy: PeriodGroupBy;
  method: ForecastMethod;
  from: string;
  to: string;
  periodStart: string;
  periodEnd: string;
  asOf: string;
  rows: ForecastRow[];
  totals: { currency: string } & ForecastFigures;
}

/** A period's exact figures per campaign: the plan and spend per (campaign, month) cell, and the spend of each day through `asOf`, in the base currency. */
export interface PeriodActuals {
  currency: string;
  /** Plan, open commitments and spend through asOf per (campaign, month), sorted; every campaign of the report has one. */
  cells: PeriodCell[];
  /** Spend per day of the period through asOf, per campaign, in base attos (index 0 = the period's first day). */
  daily: Map<string, bigint[]>;
  daysElapsed: number;
  meta: Map<string, CampaignMeta>;
}

export class ForecastReportService {
  private readonly lines;

  constructor(
    database: Database,
    private readonly settings: SettingsService,
    private readonly fx: FxRateService,
    private readonly spend: SpendIndex,
    private readonly cache: ReportCache,
  ) {
    this.lines = new PeriodLines(reportRepository(database), spend);
  }

  /** The report, from the cache while the database is unchanged (see ReportCache). */
  async report(request: ForecastRequest): Promise<ForecastReport> {
    const { period, asOf, method, groupBy } = request;
    return this.cache.get(`forecast ${period.fromMonth} ${period.toMonth} ${asOf} ${method} ${groupBy}`, () => this.compute(request));
  }

  private async compute(request: ForecastRequest): Promise<ForecastReport> {
    const { period, asOf, method, groupBy } = request;
    const actuals = await this.actuals(period, asOf);
    const planned = new Map<string, Map<string, bigint>>();
    for (const cell of actuals.cells) {
      let months = planned.get(cell.campaignId);
      if (months === undefined) planned.set(cell.campaignId, (months = new Map()));
      if (cell.planned !== 0n) months.set(cell.month, cell.planned);
    }
    const result = computeForecast(
      [...planned].map(([campaignId, months]) => ({ campaignId, planned: months, dailySpend: actuals.daily.get(campaignId) ?? [] })),
      { period, asOf, method, scale: minorUnits(actuals.currency), rowKey: rowKeyOf(groupBy, (id) => actuals.meta.get(id)?.channel) },
    );
    const currency = actuals.currency;
    return {
      report: 'forecast',
      currency,
      groupBy,
      method,
      from: period.fromMonth,
      to: period.toMonth,
      periodStart: period.start,
      periodEnd: period.end,
      asOf,
      rows: result.rows.map((row) => reportRow(groupColumns(row.key!, groupBy, actuals.meta), currency, row)),
      totals: { currency, ...result.totals },
    };
  }

  /**
   * A cell for every campaign with a plan, an open commitment or spend in
   * the period, as in burn, and its spend per day; 422 naming every missing
   * FX rate.
   */
  async actuals(period: Period, asOf: string): Promise<PeriodActuals> {
    const base = (await this.settings.get()).baseCurrency;
    const { daysElapsed, countThrough } = elapsed(period, asOf);
    const fx = await this.fx.table(period.end);
    const missing = new MissingRates();
    const meta = await this.lines.campaigns();
    // One store for the cells and the days, so that a campaign's days add up to its actual.
    const spend = await this.spend.current();
    const cells = await this.lines.cells(period, countThrough, fx, missing, spend);
    const dailyAttos = new Map<string, bigint[]>();
    if (daysElapsed > 0) {
      const first = parseDay(period.start);
      const rateOf = rateFinder(fx, missing);
      spend.forEach(first, first + daysElapsed - 1, (day, campaignId, currency, micros) => {
        const rate = rateOf(currency, day);
        if (rate === null) return;
        let days = dailyAttos.get(campaignId);
        if (days === undefined) dailyAttos.set(campaignId, (days = new Array<bigint>(daysElapsed).fill(0n)));
        days[day - first]! += micros * rate;
      });
    }
    throwIfMissingRates(missing);
    return { currency: base, cells, daily: dailyAttos, daysElapsed, meta };
  }
}
