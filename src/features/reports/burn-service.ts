/**
 * The burn report: loads plan, open commitments and spend per (campaign,
 * month) cell (PeriodLines), each converted into the base currency at its
 * rate (plans and commitments at the first day of their month, spend at its
 * date), and hands the exact cells, bigint attos, to the pure calculator in
 * domain/burn, which rounds them once and groups them (domain/grouping).
 *
 * Every write empties the report cache, so under a stream of writes each
 * burn request computes afresh: the whole path stays in integers and in
 * memory (a month of 1,000 campaigns is about 31,000 day sums) so that it
 * fits docs/reports.md's p99 of 50 ms.
 */
import { computeBurn, type BurnFigures } from '../../domain/burn.js';
import { minorUnits } from '../../domain/currency.js';
import { MissingRates } from '../../domain/fx.js';
import { rowKeyOf } from '../../domain/grouping.js';
import { Decimal } from '../../domain/money.js';
import { elapsed, type Period } from '../../domain/periods.js';
import { UnprocessableError } from '../../lib/errors.js';
import type { Database } from '../../store/database.js';
import type { FxRateService } from '../fx-rates/service.js';
import type { SettingsService } from '../settings/service.js';
import type { SpendIndex } from '../spend/spend-index.js';
import { groupColumns, PeriodLines } from './period-lines.js';
import type { ReportCache } from './report-cache.js';
import { reportRepository } from './repository.js';
import { reportRow } from './report-row.js';

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
    database: Database,
    private readonly settings: SettingsService,
    private readonly fx: FxRateService,
    spend: SpendIndex,
    private readonly cache: ReportCache,
  ) {
    this.lines = new PeriodLines(reportRepository(database), spend);
  }

  /** The report, from the cache while the database is unchanged (see ReportCache). */
  async report(request: BurnRequest): Promise<BurnReport> {
    return this.cache.get(`burn ${request.period.fromMonth} ${request.period.toMonth} ${request.asOf} ${request.groupBy}`, () => this.compute(request));
  }

  private async compute(request: BurnRequest): Promise<BurnReport> {
    const { period, asOf, groupBy } = request;
    // The reads that do not depend on each other at once: on PostgreSQL each is a round trip, and readers wait for this compute.
    const [settings, fx, meta] = await Promise.all([
      this.settings.get(),
      this.fx.table(period.end),
      this.lines.campaigns(),
    ]);
    const base = settings.baseCurrency;
    const { countThrough } = elapsed(period, asOf);
    const missing = new MissingRates();
    const cells = await this.lines.cells(period, countThrough, fx, missing);
    throwIfMissingRates(missing);

    const result = computeBurn(cells, {
      period,
      asOf,
      tolerance: new Decimal(settings.pacingTolerance),
      scale: minorUnits(base),
      rowKey: rowKeyOf(groupBy, (campaignId) => meta.get(campaignId)?.channel),
    });
    const rows: BurnRow[] = result.rows.map((row) => reportRow(groupColumns(row.key!, groupBy, meta), base, row));
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
