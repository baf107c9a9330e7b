/**
 * What the period reports (burn, forecast) read besides spend: the plan and
 * the open commitments of a range of months, each converted into the base
 * currency at the first day of its month, summed per campaign as exact
 * base-currency attos; the campaigns that spent in the period (from the
 * in-memory SpendIndex); and the campaigns' names and channels.
 */
import type { Sqlite } from '../../db.js';
import { MissingRates, type FxTable } from '../../domain/fx.js';
import { firstDayOfMonth, parseDay, type Period } from '../../domain/periods.js';
import type { SpendIndex } from '../spend/spend-index.js';

export interface CampaignMeta {
  id: string;
  name: string;
  channel: string;
}

type Line = { campaignId: string; month: string; currency: string; micros: bigint };

export class PeriodLines {
  private readonly campaignsStmt;
  private readonly plansStmt;
  private readonly commitmentsStmt;

  constructor(sqlite: Sqlite, private readonly spend: SpendIndex) {
    this.campaignsStmt = sqlite.prepare('select id, name, channel from campaigns');
    this.plansStmt = sqlite
      .prepare('select campaign_id as campaignId, month, currency, amount_micros as micros from plans where month between ? and ?')
      .safeIntegers(true);
    // Each open commitment, summed in bigint below: SQLite's integer sum() stops at 2^63 micros,
    // which twelve commitments of the largest amount an input takes pass (and total() is a float).
    this.commitmentsStmt = sqlite
      .prepare(
        `select campaign_id as campaignId, month, currency, amount_micros as micros from commitments
         where status = 'open' and month between ? and ?`,
      )
      .safeIntegers(true);
  }

  /** Current plan per campaign, in base attos. */
  planned(period: Period, fx: FxTable, missing: MissingRates): Map<string, bigint> {
    return this.sum(this.plansStmt.all(period.fromMonth, period.toMonth) as Line[], fx, missing);
  }

  /** Open commitments per campaign, in base attos. */
  committed(period: Period, fx: FxTable, missing: MissingRates): Map<string, bigint> {
    return this.sum(this.commitmentsStmt.all(period.fromMonth, period.toMonth) as Line[], fx, missing);
  }

  /** Campaigns with any spend dated in the period (also after `asOf`: they still get their row). */
  spenders(period: Period): Set<string> {
    return this.spend.current().campaignsIn(parseDay(period.start), parseDay(period.end));
  }

  campaigns(): Map<string, CampaignMeta> {
    return new Map((this.campaignsStmt.all() as CampaignMeta[]).map((c) => [c.id, c]));
  }

  private sum(lines: Line[], fx: FxTable, missing: MissingRates): Map<string, bigint> {
    const sums = new Map<string, bigint>();
    for (const line of lines) {
      const attos = fx.toBaseAttos(line.micros, line.currency, firstDayOfMonth(line.month), missing);
      sums.set(line.campaignId, (sums.get(line.campaignId) ?? 0n) + (attos ?? 0n));
    }
    return sums;
  }
}
