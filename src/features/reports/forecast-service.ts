/**
 * The forecast report and the actuals that forecasts are set against. Reads
 * the plan (PeriodLines) and the spend per day (the in-memory SpendIndex),
 * converts each into the base currency (plans at the first day of their
 * month, spend at its own date), groups them by campaign or channel, and
 * hands the exact figures to the pure calculator in domain/forecast.
 *
 * A channel's forecast is the method applied to the channel's summed daily
 * spend, as if the channel were one campaign: for run_rate and trailing_7d
 * that is the sum of its campaigns' forecasts; for linear_trend it can be
 * less (max(actual, trend) per campaign adds up to at least the channel's).
 */
import type { Sqlite } from '../../db.js';
import { minorUnits } from '../../domain/currency.js';
import { computeForecast, type ForecastFigures, type ForecastMethod } from '../../domain/forecast.js';
import { attosToDecimal, MissingRates, rateFinder } from '../../domain/fx.js';
import { Decimal } from '../../domain/money.js';
import { elapsed, parseDay, type Period } from '../../domain/periods.js';
import type { FxRateService } from '../fx-rates/service.js';
import type { SettingsService } from '../settings/service.js';
import type { SpendIndex } from '../spend/spend-index.js';
import { throwIfMissingRates } from './burn-service.js';
import { PeriodLines, type CampaignMeta } from './period-lines.js';
import type { ReportCache } from './report-cache.js';

export type PeriodGroupBy = 'campaign' | 'channel';

export interface ForecastRequest {
  period: Period;
  asOf: string;
  method: ForecastMethod;
  groupBy: PeriodGroupBy;
}

export type GroupColumns = { campaignId: string; name: string; channel: string } | { channel: string };

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

/** A period's exact figures per group: the plan and the spend of each day through `asOf`, in the base currency. */
export interface PeriodActuals {
  currency: string;
  /** Sorted group keys: campaign ids or channels. */
  keys: string[];
  planned: Map<string, Decimal>;
  /** Spend per day of the period through asOf, in base attos (index 0 = the period's first day). */
  daily: Map<string, bigint[]>;
  daysElapsed: number;
  meta: Map<string, CampaignMeta>;
}

export class ForecastReportService {
  private readonly lines;

  constructor(
    sqlite: Sqlite,
    private readonly settings: SettingsService,
    private readonly fx: FxRateService,
    private readonly spend: SpendIndex,
    private readonly cache: ReportCache,
  ) {
    this.lines = new PeriodLines(sqlite, spend);
  }

  /** The report, from the cache while the database is unchanged (see ReportCache). */
  report(request: ForecastRequest): ForecastReport {
    const { period, asOf, method, groupBy } = request;
    return this.cache.get(`forecast ${period.fromMonth} ${period.toMonth} ${asOf} ${method} ${groupBy}`, () => this.compute(request));
  }

  private compute(request: ForecastRequest): ForecastReport {
    const { period, asOf, method, groupBy } = request;
    const actuals = this.actuals(period, asOf, groupBy);
    const result = computeForecast(
      actuals.keys.map((key) => ({ key, planned: actuals.planned.get(key) ?? new Decimal(0), dailySpend: actuals.daily.get(key) ?? [] })),
      { period, asOf, method, scale: minorUnits(actuals.currency) },
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
      rows: result.rows.map(({ key, ...figures }) => ({ ...groupColumns(key, groupBy, actuals.meta), currency, ...figures })),
      totals: { currency, ...result.totals },
    };
  }

  /**
   * A row for every campaign (or channel) with a plan, an open commitment or
   * spend in the period, as in burn; 422 naming every missing FX rate.
   */
  actuals(period: Period, asOf: string, groupBy: PeriodGroupBy): PeriodActuals {
    const base = this.settings.get().baseCurrency;
    const { daysElapsed } = elapsed(period, asOf);
    const fx = this.fx.table(period.end);
    const missing = new MissingRates();
    const meta = this.lines.campaigns();
    const keyOf = (campaignId: string) => (groupBy === 'campaign' ? campaignId : (meta.get(campaignId)?.channel ?? 'other'));

    const planned = new Map<string, bigint>();
    const dailyAttos = new Map<string, bigint[]>();
    const present = new Set<string>();
    for (const [campaignId, attos] of this.lines.planned(period, fx, missing)) {
      const key = keyOf(campaignId);
      planned.set(key, (planned.get(key) ?? 0n) + attos);
      present.add(key);
    }
    for (const campaignId of this.lines.committed(period, fx, missing).keys()) present.add(keyOf(campaignId));
    for (const campaignId of this.lines.spenders(period)) present.add(keyOf(campaignId));

    if (daysElapsed > 0) {
      const first = parseDay(period.start);
      const rateOf = rateFinder(fx, missing);
      this.spend.current().forEach(first, first + daysElapsed - 1, (day, campaignId, currency, micros) => {
        const rate = rateOf(currency, day);
        if (rate === null) return;
        const key = keyOf(campaignId);
        let days = dailyAttos.get(key);
        if (days === undefined) dailyAttos.set(key, (days = new Array<bigint>(daysElapsed).fill(0n)));
        days[day - first]! += micros * rate;
      });
    }
    throwIfMissingRates(missing);

    return {
      currency: base,
      keys: [...present].sort(),
      planned: new Map([...planned].map(([key, attos]) => [key, attosToDecimal(attos)])),
      daily: dailyAttos,
      daysElapsed,
      meta,
    };
  }
}

export function groupColumns(key: string, groupBy: PeriodGroupBy, meta: Map<string, CampaignMeta>): GroupColumns {
  if (groupBy === 'channel') return { channel: key };
  const campaign = meta.get(key);
  return { campaignId: key, name: campaign?.name ?? key, channel: campaign?.channel ?? 'other' };
}
