/** Signed orders not yet invoiced. `open` ones count as committed in burn. */
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { firstDayOfMonth } from '../../domain/periods.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, flagUnknownCampaigns, withRateWarnings, type BatchAnswer, type BatchCounts, type RateCoverageSource } from '../common/batch.js';
import type { CampaignService } from '../campaigns/service.js';
import type { PeriodService } from '../periods/service.js';
import { commitmentRepository, type CommitmentRepository, type CommitmentStatus } from './repository.js';

export type { CommitmentStatus };

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

export class CommitmentService {
  private readonly repository: CommitmentRepository;

  constructor(
    database: Database,
    private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly periods: PeriodService,
    private readonly rates: RateCoverageSource,
    private readonly now = () => new Date(),
  ) {
    this.repository = commitmentRepository(database);
  }

  /**
   * Writes the batch; warns of each open commitment no rate converts yet (at
   * its month's first day). A closed one is in no report, so it never warns.
   */
  async upsert(items: CommitmentInput[], pathOf: (i: number) => string): Promise<BatchAnswer> {
    const counts = await this.write(items, pathOf);
    const rateOf = (i: number) => {
      const item = items[i]!;
      return item.status === 'open' ? { currency: item.currency, date: firstDayOfMonth(item.month) } : null;
    };
    return withRateWarnings(counts, items.length, rateOf, await this.rates.coverage(), pathOf);
  }

  private async write(items: CommitmentInput[], pathOf: (i: number) => string): Promise<BatchCounts> {
    const errors = new FieldErrors();
    const known = await this.campaigns.existingIds(items.map((item) => item.campaignId));
    flagUnknownCampaigns(items, known, errors, pathOf);
    flagRepeats(items, (item) => item.id, errors, pathOf, 'id', (earlier) => `repeats the id of item ${earlier}`);
    errors.throwIfAny();
    const stamp = this.now().toISOString();
    return this.uow.write(async () => {
      const stored = await this.repository.lockMonths(items.map((item) => item.id));
      // A commitment is dated by its month; one stored in a closed month cannot move out of it either.
      await this.periods.refuseClosed(items, pathOf, 'month', (item, closed) => {
        const month = closed.ofMonth(item.month);
        if (month !== null) return month;
        const before = stored.get(item.id);
        const from = before === undefined ? null : closed.ofMonth(before);
        return from === null ? null : { month: from, message: `would move commitment ${item.id} out of ${from}, which is closed` };
      });
      // Counted inside the callback: it may run again (a retried deadlock), and must start from zero.
      const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
      for (const item of items) counts[await this.repository.set(item, stamp)]++;
      return counts;
    });
  }

  async list(filter: { campaignId?: string | undefined; month?: string | undefined; status?: CommitmentStatus | undefined; after: string | null; limit: number }): Promise<CommitmentView[]> {
    const rows = await this.repository.list({ ...filter, limit: filter.limit + 1 });
    return rows.map((row) => ({
      id: row.id,
      campaignId: row.campaignId,
      month: row.month,
      amount: formatAmount(row.amountMicros, minorUnits(row.currency)),
      currency: row.currency,
      status: row.status,
      updatedAt: row.updatedAt,
    }));
  }
}
