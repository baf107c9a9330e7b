/** Signed orders not yet invoiced. `open` ones count as committed in burn. */
import type { Sqlite } from '../../db.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { firstDayOfMonth } from '../../domain/periods.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, flagUnknownCampaigns, withRateWarnings, type BatchAnswer, type BatchCounts, type RateCoverageSource } from '../common/batch.js';
import type { CampaignService } from '../campaigns/service.js';
import type { PeriodService } from '../periods/service.js';

export type CommitmentStatus = 'open' | 'closed';

export interface CommitmentInput {
  id: string;
  campaignId: string;
  month: string;
  amount: bigint;
  currency: string;
  status: CommitmentStatus;
}

export interface CommitmentView {
  id: string;
  campaignId: string;
  month: string;
  amount: string;
  currency: string;
  status: CommitmentStatus;
  updatedAt: string;
}

interface CommitmentRow {
  id: string;
  campaign_id: string;
  month: string;
  amount_micros: bigint;
  currency: string;
  status: CommitmentStatus;
  updated_at: string;
}

export class CommitmentService {
  private readonly select;
  private readonly upsertStmt;

  constructor(
    private readonly sqlite: Sqlite, private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly periods: PeriodService,
    private readonly rates: RateCoverageSource,
    private readonly now = () => new Date(),
  ) {
    this.select = sqlite.prepare('select * from commitments where id = ?').safeIntegers(true);
    this.upsertStmt = sqlite.prepare(
      `insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (id) do update set campaign_id = excluded.campaign_id, month = excluded.month, amount_micros = excluded.amount_micros,
         currency = excluded.currency, status = excluded.status, updated_at = excluded.updated_at`,
    );
  }

  /**
   * Writes the batch; warns of each open commitment no rate converts yet (at
   * its month's first day). A closed one is in no report, so it never warns.
   */
  upsert(items: CommitmentInput[], pathOf: (i: number) => string): BatchAnswer {
    const counts = this.write(items, pathOf);
    const rateOf = (i: number) => {
      const item = items[i]!;
      return item.status === 'open' ? { currency: item.currency, date: firstDayOfMonth(item.month) } : null;
    };
    return withRateWarnings(counts, items.length, rateOf, this.rates.coverage(), pathOf);
  }

  private write(items: CommitmentInput[], pathOf: (i: number) => string): BatchCounts {
    const errors = new FieldErrors();
    const known = this.campaigns.existingIds(items.map((item) => item.campaignId));
    flagUnknownCampaigns(items, known, errors, pathOf);
    flagRepeats(items, (item) => item.id, errors, pathOf, 'id', (earlier) => `repeats the id of item ${earlier}`);
    errors.throwIfAny();
    const stamp = this.now().toISOString();
    return this.uow.write(() => {
      // A commitment is dated by its month; one stored in a closed month cannot move out of it either.
      this.periods.refuseClosed(items, pathOf, 'month', (item, closed) => {
        const month = closed.ofMonth(item.month);
        if (month !== null) return month;
        const before = (this.select.get(item.id) as CommitmentRow | undefined)?.month;
        const from = before === undefined ? null : closed.ofMonth(before);
        return from === null ? null : { month: from, message: `would move commitment ${item.id} out of ${from}, which is closed` };
      });
      const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
      for (const item of items) {
        const before = this.select.get(item.id) as CommitmentRow | undefined;
        if (
          before &&
          before.campaign_id === item.campaignId &&
          before.month === item.month &&
          before.amount_micros === item.amount &&
          before.currency === item.currency &&
          before.status === item.status
        ) {
          counts.unchanged++;
          continue;
        }
        this.upsertStmt.run(item.id, item.campaignId, item.month, item.amount, item.currency, item.status, stamp);
        if (before) counts.updated++;
        else counts.inserted++;
      }
      return counts;
    });
  }

  list(filter: { campaignId?: string | undefined; month?: string | undefined; status?: CommitmentStatus | undefined; after: string | null; limit: number }): CommitmentView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.campaignId) (where.push('campaign_id = ?'), params.push(filter.campaignId));
    if (filter.month) (where.push('month = ?'), params.push(filter.month));
    if (filter.status) (where.push('status = ?'), params.push(filter.status));
    if (filter.after) (where.push('id > ?'), params.push(filter.after));
    const sql = `select * from commitments ${where.length ? 'where ' + where.join(' and ') : ''} order by id limit ?`;
    const rows = this.sqlite.prepare(sql).safeIntegers(true).all(...params, filter.limit + 1) as CommitmentRow[];
    return rows.map((row) => ({
      id: row.id,
      campaignId: row.campaign_id,
      month: row.month,
      amount: formatAmount(row.amount_micros, minorUnits(row.currency)),
      currency: row.currency,
      status: row.status,
      updatedAt: row.updated_at,
    }));
  }
}
