/**
 * Planned spend per campaign and month. Every change of amount or currency
 * writes a revision, so `GET /v1/plans/history` shows what the plan was at
 * any time.
 */
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { firstDayOfMonth } from '../../domain/periods.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, flagUnknownCampaigns, withRateWarnings, type BatchAnswer, type BatchCounts, type RateCoverageSource } from '../common/batch.js';
import type { CampaignService } from '../campaigns/service.js';
import type { PeriodService } from '../periods/service.js';
import { planRepository, type PlanRepository } from './repository.js';

export interface PlanInput {
  campaignId: string;
  month: string;
  amount: bigint;
  currency: string;
}

export interface PlanView {
  campaignId: string;
  month: string;
  amount: string;
  currency: string;
  revision: number;
  updatedAt: string;
}

export interface PlanRevisionView {
  campaignId: string;
  month: string;
  revision: number;
  amount: string;
  currency: string;
  changedAt: string;
  changedBy: string | null;
}

export interface PlanFilter {
  campaignId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after: [string, string] | null;
  limit: number;
}

export class PlanService {
  private readonly repository: PlanRepository;

  constructor(
    database: Database,
    private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly periods: PeriodService,
    private readonly rates: RateCoverageSource,
    private readonly now = () => new Date(),
  ) {
    this.repository = planRepository(database);
  }

  /** Writes the batch; warns of each plan no rate converts yet (reports convert a plan at its month's first day). */
  async upsert(items: PlanInput[], actor: string | null, pathOf: (i: number) => string): Promise<BatchAnswer> {
    const counts = await this.write(items, actor, pathOf);
    const rateOf = (i: number) => ({ currency: items[i]!.currency, date: firstDayOfMonth(items[i]!.month) });
    return withRateWarnings(counts, items.length, rateOf, await this.rates.coverage(), pathOf);
  }

  private async write(items: PlanInput[], actor: string | null, pathOf: (i: number) => string): Promise<BatchCounts> {
    const errors = new FieldErrors();
    const known = await this.campaigns.existingIds(items.map((item) => item.campaignId));
    flagUnknownCampaigns(items, known, errors, pathOf);
    flagRepeats(items, (item) => `${item.campaignId} ${item.month}`, errors, pathOf, 'month', (earlier) => `repeats the plan of item ${earlier} (same campaignId and month)`);
    errors.throwIfAny();
    const stamp = this.now().toISOString();
    // The counts live inside the callback: it may run again (a retried deadlock), and must start from zero.
    return this.uow.write(async () => {
      await this.periods.refuseClosed(items, pathOf, 'month', (item, closed) => closed.ofMonth(item.month));
      const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
      for (const item of items) {
        const written = await this.repository.set(item, stamp);
        counts[written.outcome]++;
        if (written.revision !== null) await this.repository.addRevision(item, written.revision, stamp, actor);
      }
      return counts;
    });
  }

  async list(filter: PlanFilter): Promise<PlanView[]> {
    const rows = await this.repository.list({ ...filter, limit: filter.limit + 1 });
    return rows.map((row) => ({
      campaignId: row.campaignId,
      month: row.month,
      amount: formatAmount(row.amountMicros, minorUnits(row.currency)),
      currency: row.currency,
      revision: row.revision,
      updatedAt: row.updatedAt,
    }));
  }

  async history(filter: { campaignId?: string | undefined; month?: string | undefined; after: number | null; limit: number }): Promise<(PlanRevisionView & { id: number })[]> {
    const rows = await this.repository.history({ ...filter, limit: filter.limit + 1 });
    return rows.map((row) => ({
      id: row.id,
      campaignId: row.campaignId,
      month: row.month,
      revision: row.revision,
      amount: formatAmount(row.amountMicros, minorUnits(row.currency)),
      currency: row.currency,
      changedAt: row.changedAt,
      changedBy: row.changedBy,
    }));
  }
}
