/**
 * The burn report: loads plan and open commitments for the period
 * (PeriodLines) and the spend per day (the in-memory SpendIndex), converts
 * each into the base currency at its rate (plans and commitments at the
 * first day of their month, spend at its date), groups them, and hands the
 * exact figures, bigint attos, to the pure calculator in domain/burn.
 *
 * Every write empties the report cache, so under a stream of writes each
 * burn request computes afresh: the whole path stays in integers and in
 * memory (a month of 1,000 campaigns is about 31,000 day sums) so that it
 * fits PRODUCT.md's p99 of 50 ms.
 */
import type { Sqlite } from '../../db.js';
import { computeBurn, type BurnFigures } from '../../domain/burn.js';
import { minorUnits } from '../../domain/currency.js';
import { MissingRates, rateFinder, type FxTable } from '../../domain/fx.js';
import { Decimal } from '../../domain/money.js';
import { elapsed, parseDay, type Period } from '../../domain/periods.js';
import { UnprocessableError } from '../../lib/errors.js';
import type { FxRateService } from '../fx-rates/service.js';
import type { SettingsService } from '../settings/service.js';
import type { SpendIndex } from '../spend/spend-index.js';
import { PeriodLines } from './period-lines.js';
import type { ReportCache } from './report-cache.js';

export type BurnGroupBy = 'campaign' | 'channel';

export interface BurnRequest {
  period: Period;
  asOf: string;
  groupBy: BurnGroupBy;
}

export type BurnRow = ({ campaignId: string; name: string; channel: string } | { channel: string }) & { currency: string } & BurnFigures;

export interface BurnReport {
  report: 'burn';
  currency: string;
  groupBy: BurnGroupBy;
  from: string;
  to: string;
  periodStart: string;
  periodEnd: string;
  asOf: string;
  rows: BurnRow[];
  totals: { currency: string } & BurnFigures;
}

interface Sums {
  planned: bigint;
  committed: bigint;
  actual: bigint;
}

/** Throws the 422 that names every (currency, date) without a rate. */
export function throwIfMissingRates(missing: MissingRates): void {
  if (missing.size === 0) return;
  const list = missing.list();
  // The words batches warn with: "no GBP rate on or before 2026-06-02".
  const shown = list.slice(0, 5).map((m) => `no ${m.currency} rate on or before ${m.date}`).join(', ');
  throw new UnprocessableError(
    'fx_rate_missing',
    `${shown}${list.length > 5 ? ` and ${list.length - 5} more` : ''}; add them with PUT /v1/fx-rates`,
    { missingRates: list },
  );
}

export class BurnReportService {
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
  report(request: BurnRequest): BurnReport {
    return this.cache.get(`burn ${request.period.fromMonth} ${request.period.toMonth} ${request.asOf} ${request.groupBy}`, () => this.compute(request));
  }

  private compute(request: BurnRequest): BurnReport {
    const { period, asOf, groupBy } = request;
    const settings = this.settings.get();
    const base = settings.baseCurrency;
    const { countThrough } = elapsed(period, asOf);
    const fx: FxTable = this.fx.table(period.end);
    const missing = new MissingRates();
    const sums = new Map<string, Sums>();
    const sumsOf = (campaignId: string) => {
      let entry = sums.get(campaignId);
      if (!entry) sums.set(campaignId, (entry = { planned: 0n, committed: 0n, actual: 0n }));
      return entry;
    };

    for (const [campaignId, attos] of this.lines.planned(period, fx, missing)) sumsOf(campaignId).planned += attos;
    for (const [campaignId, attos] of this.lines.committed(period, fx, missing)) sumsOf(campaignId).committed += attos;
    if (countThrough) {
      const actual = this.spend.current().sumPerCampaign(parseDay(period.start), parseDay(countThrough), rateFinder(fx, missing));
      for (const [campaignId, attos] of actual) sumsOf(campaignId).actual += attos;
    }
    throwIfMissingRates(missing);
    for (const campaignId of this.lines.spenders(period)) sumsOf(campaignId);

    const meta = this.lines.campaigns();
    const grouped = new Map<string, Sums>();
    for (const [campaignId, s] of sums) {
      const key = groupBy === 'campaign' ? campaignId : (meta.get(campaignId)?.channel ?? 'other');
      const g = grouped.get(key) ?? { planned: 0n, committed: 0n, actual: 0n };
      g.planned += s.planned;
      g.committed += s.committed;
      g.actual += s.actual;
      grouped.set(key, g);
    }
    const keys = [...grouped.keys()].sort();
    const result = computeBurn(
      keys.map((key) => {
        const g = grouped.get(key)!;
        return { key, planned: g.planned, committed: g.committed, actual: g.actual };
      }),
      { period, asOf, tolerance: new Decimal(settings.pacingTolerance), scale: minorUnits(base) },
    );
    const rows: BurnRow[] = result.rows.map(({ key, ...figures }) => {
      if (groupBy === 'channel') return { channel: key, currency: base, ...figures };
      const campaign = meta.get(key);
      return { campaignId: key, name: campaign?.name ?? key, channel: campaign?.channel ?? 'other', currency: base, ...figures };
    });
    return {
      report: 'burn',
      currency: base,
      groupBy,
      from: period.fromMonth,
      to: period.toMonth,
      periodStart: period.start,
      periodEnd: period.end,
      asOf,
      rows,
      totals: { currency: base, ...result.totals },
    };
  }
}
