/**
 * What the period reports (burn, forecast, forecast versus actual, budget
 * versus forecast versus actual) read: the plan and the open commitments of
 * a range of months, each converted into the base currency at the first day
 * of its month, and the spend through a day, converted at its own date,
 * all as exact base-currency attos per (campaign, month) cell, the grain
 * grouping.ts rounds at; the campaigns that spent in the period (from the
 * in-memory SpendIndex); and the campaigns' names and channels (the
 * SQL is in repository.ts).
 */
import type { DailySpend } from '../../domain/daily-spend.js';
import { MissingRates, rateFinder, type FxTable } from '../../domain/fx.js';
import { UNKNOWN_CHANNEL } from '../../domain/grouping.js';
import { firstDayOfMonth, lastDayOfMonth, parseDay, type Period } from '../../domain/periods.js';
import type { SpendIndex } from '../spend/spend-index.js';
import type { CampaignMeta, MoneyLine, ReportRepository } from './repository.js';

export type { CampaignMeta };

/** A (campaign, month) cell of a period report, exact base-currency attos. */
export interface PeriodCell {
  campaignId: string;
  month: string;
  planned: bigint;
  committed: bigint;
  /** Spend dated in the month, through the day the report counts to. */
  actual: bigint;
}

/** Per campaign, per month: attos. */
type PerCell = Map<string, Map<string, bigint>>;

function addTo(sums: PerCell, campaignId: string, month: string, attos: bigint): void {
  let months = sums.get(campaignId);
  if (months === undefined) sums.set(campaignId, (months = new Map()));
  months.set(month, (months.get(month) ?? 0n) + attos);
}

export class PeriodLines {
  constructor(private readonly repository: ReportRepository, private readonly spend: SpendIndex) {}

  /**
   * A cell for every (campaign, month) with a plan, an open commitment or
   * spend through `countThrough` (null: none counted), and a zero cell in the
   * first month for a campaign that spends in the period only after it (it
   * still gets its row). Sorted by campaign, then month: rounding gives ties
   * to the earlier cell, so the order is part of the result. Missing rates
   * are noted in `missing`. `spend`: the spend mirror's store, when the
   * caller reads it too (the same data for both), else read here.
   */
  async cells(period: Period, countThrough: string | null, fx: FxTable, missing: MissingRates, spend?: DailySpend): Promise<PeriodCell[]> {
    // The three reads at once: on PostgreSQL each is a round trip (the mirror's, its version check).
    const [plans, commitments, store] = await Promise.all([
      this.repository.plans(period.fromMonth, period.toMonth),
      this.repository.openCommitments(period.fromMonth, period.toMonth),
      // One read of the mirror for the whole report: every month's sums, and the spenders, from the same data.
      spend ?? this.spend.current(),
    ]);
    spend = store;
    const planned = this.sum(plans, fx, missing);
    const committed = this.sum(commitments, fx, missing);
    const actual: PerCell = new Map();
    if (countThrough !== null) {
      const rateOf = rateFinder(fx, missing);
      const last = parseDay(countThrough);
      for (const month of period.months) {
        const first = parseDay(firstDayOfMonth(month));
        if (first > last) break;
        const sums = spend.sumPerCampaign(first, Math.min(last, parseDay(lastDayOfMonth(month))), rateOf);
        for (const [campaignId, attos] of sums) addTo(actual, campaignId, month, attos);
      }
    }
    const keys = new Map<string, Set<string>>();
    for (const sums of [planned, committed, actual]) {
      for (const [campaignId, months] of sums) {
        let set = keys.get(campaignId);
        if (set === undefined) keys.set(campaignId, (set = new Set()));
        for (const month of months.keys()) set.add(month);
      }
    }
    for (const campaignId of spend.campaignsIn(parseDay(period.start), parseDay(period.end))) if (!keys.has(campaignId)) keys.set(campaignId, new Set([period.fromMonth]));
    const cells: PeriodCell[] = [];
    for (const campaignId of [...keys.keys()].sort()) {
      for (const month of [...keys.get(campaignId)!].sort()) {
        cells.push({
          campaignId,
          month,
          planned: planned.get(campaignId)?.get(month) ?? 0n,
          committed: committed.get(campaignId)?.get(month) ?? 0n,
          actual: actual.get(campaignId)?.get(month) ?? 0n,
        });
      }
    }
    return cells;
  }

  async campaigns(): Promise<Map<string, CampaignMeta>> {
    return new Map((await this.repository.campaigns()).map((c) => [c.id, c]));
  }

  private sum(lines: MoneyLine[], fx: FxTable, missing: MissingRates): PerCell {
    const sums: PerCell = new Map();
    for (const line of lines) {
      const attos = fx.toBaseAttos(line.micros, line.currency, firstDayOfMonth(line.month), missing);
      addTo(sums, line.campaignId, line.month, attos ?? 0n);
    }
    return sums;
  }
}

/** The columns that name a period report's row: the campaign as it is now, or the channel. */
export type GroupColumns = { campaignId: string; name: string; channel: string } | { channel: string };

export function groupColumns(key: string, groupBy: 'campaign' | 'channel', meta: Map<string, CampaignMeta>): GroupColumns {
  if (groupBy === 'channel') return { channel: key };
  const campaign = meta.get(key);
  return { campaignId: key, name: campaign?.name ?? key, channel: campaign?.channel ?? UNKNOWN_CHANNEL };
}
