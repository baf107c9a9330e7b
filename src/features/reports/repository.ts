/**
 * What the reports read from the database itself: the campaigns' names and
 * channels, and the plan and open commitment lines of a range of months.
 * Spend, touches and revenue come from the in-memory mirrors instead.
 * Amounts are exact micros (bigint) in the line's own currency; the reports
 * key lines into maps and sort what they print, so no order is promised.
 */
import type { Database } from '../../store/database.js';

export interface CampaignMeta {
  id: string;
  name: string;
  channel: string;
}

/** A plan or commitment line: micros in its own currency. */
export interface MoneyLine {
  campaignId: string;
  month: string;
  currency: string;
  micros: bigint;
}

export interface ReportRepository {
  /** Every campaign's id, name and channel. */
  campaigns(): Promise<CampaignMeta[]>;
  /** The plan lines of the months `fromMonth`..`toMonth` (YYYY-MM, inclusive). */
  plans(fromMonth: string, toMonth: string): Promise<MoneyLine[]>;
  /**
   * The open commitments of those months, one line each: summed by the
   * caller in bigint, since SQLite's integer sum() stops at 2^63 micros,
   * which twelve commitments of the largest amount an input takes pass (and
   * its total() is a float).
   */
  openCommitments(fromMonth: string, toMonth: string): Promise<MoneyLine[]>;
}

export function reportRepository(database: Database): ReportRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const campaigns = sqlite.prepare('select id, name, channel from campaigns');
    const plans = sqlite
      .prepare('select campaign_id as campaignId, month, currency, amount_micros as micros from plans where month between ? and ?')
      .safeIntegers(true);
    const commitments = sqlite
      .prepare(
        `select campaign_id as campaignId, month, currency, amount_micros as micros from commitments
         where status = 'open' and month between ? and ?`,
      )
      .safeIntegers(true);
    return {
      campaigns: async () => campaigns.all() as CampaignMeta[],
      plans: async (fromMonth, toMonth) => plans.all(fromMonth, toMonth) as MoneyLine[],
      openCommitments: async (fromMonth, toMonth) => commitments.all(fromMonth, toMonth) as MoneyLine[],
    };
  }
  const { pg } = database;
  // int8 arrives as bigint; BigInt() also takes the text a driver set up otherwise would give, never a float.
  const lines = async (sql: string, params: unknown[]): Promise<MoneyLine[]> =>
    (await pg.query<{ campaignId: string; month: string; currency: string; micros: bigint | string }>(sql, params)).rows.map((row) => ({
      campaignId: row.campaignId,
      month: row.month,
      currency: row.currency,
      micros: BigInt(row.micros),
    }));
  return {
    campaigns: async () => (await pg.query<CampaignMeta>('select id, name, channel from campaigns')).rows,
    plans: (fromMonth, toMonth) =>
      lines('select campaign_id as "campaignId", month, currency, amount_micros as micros from plans where month between $1 and $2', [fromMonth, toMonth]),
    openCommitments: (fromMonth, toMonth) =>
      lines(
        `select campaign_id as "campaignId", month, currency, amount_micros as micros from commitments
         where status = 'open' and month between $1 and $2`,
        [fromMonth, toMonth],
      ),
  };
}
