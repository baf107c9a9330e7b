/**
 * Planned spend per campaign and month. Every change of amount or currency
 * writes a revision, so `GET /v1/plans/history` shows what the plan was at
 * any time.
 */
import type { Sqlite } from '../../db.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { firstDayOfMonth } from '../../domain/periods.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, flagUnknownCampaigns, withRateWarnings, type BatchAnswer, type BatchCounts, type RateCoverageSource } from '../common/batch.js';
import type { CampaignService } from '../campaigns/service.js';
import type { PeriodService } from '../periods/service.js';

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

interface PlanRow {
  campaign_id: string;
  month: string;
  amount_micros: bigint;
  currency: string;
  revision: bigint;
  updated_at: string;
}

export class PlanService {
  private readonly select;
  private readonly insert;
  private readonly update;
  private readonly insertRevision;

  constructor(
    private readonly sqlite: Sqlite, private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly periods: PeriodService,
    private readonly rates: RateCoverageSource,
    private readonly now = () => new Date(),
  ) {
    this.select = sqlite.prepare('select * from plans where campaign_id = ? and month = ?').safeIntegers(true);
    this.insert = sqlite.prepare(
      'insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values (?, ?, ?, ?, 1, ?)',
    );
    this.update = sqlite.prepare(
      'update plans set amount_micros = ?, currency = ?, revision = ?, updated_at = ? where campaign_id = ? and month = ?',
    );
    this.insertRevision = sqlite.prepare(
      'insert into plan_revisions (campaign_id, month, revision, amount_micros, currency, changed_at, changed_by) values (?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Writes the batch; warns of each plan no rate converts yet (reports convert a plan at its month's first day). */
  upsert(items: PlanInput[], actor: string | null, pathOf: (i: number) => string): BatchAnswer {
    const counts = this.write(items, actor, pathOf);
    const rateOf = (i: number) => ({ currency: items[i]!.currency, date: firstDayOfMonth(items[i]!.month) });
    return withRateWarnings(counts, items.length, rateOf, this.rates.coverage(), pathOf);
  }

  private write(items: PlanInput[], actor: string | null, pathOf: (i: number) => string): BatchCounts {
    const errors = new FieldErrors();
    const known = this.campaigns.existingIds(items.map((item) => item.campaignId));
    flagUnknownCampaigns(items, known, errors, pathOf);
    flagRepeats(items, (item) => `${item.campaignId} ${item.month}`, errors, pathOf, 'month', (earlier) => `repeats the plan of item ${earlier} (same campaignId and month)`);
    errors.throwIfAny();
    const stamp = this.now().toISOString();
    return this.uow.write(() => {
      this.periods.refuseClosed(items, pathOf, 'month', (item, closed) => closed.ofMonth(item.month));
      const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
      for (const item of items) {
        const before = this.select.get(item.campaignId, item.month) as PlanRow | undefined;
        let revision = 1;
        if (!before) {
          this.insert.run(item.campaignId, item.month, item.amount, item.currency, stamp);
          counts.inserted++;
        } else if (before.amount_micros === item.amount && before.currency === item.currency) {
          counts.unchanged++;
          continue;
        } else {
          revision = Number(before.revision) + 1;
          this.update.run(item.amount, item.currency, revision, stamp, item.campaignId, item.month);
          counts.updated++;
        }
        this.insertRevision.run(item.campaignId, item.month, revision, item.amount, item.currency, stamp, actor);
      }
      return counts;
    });
  }

  list(filter: PlanFilter): PlanView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.campaignId) (where.push('campaign_id = ?'), params.push(filter.campaignId));
    if (filter.from) (where.push('month >= ?'), params.push(filter.from));
    if (filter.to) (where.push('month <= ?'), params.push(filter.to));
    if (filter.after) (where.push('(campaign_id, month) > (?, ?)'), params.push(...filter.after));
    const sql = `select * from plans ${where.length ? 'where ' + where.join(' and ') : ''} order by campaign_id, month limit ?`;
    const rows = this.sqlite.prepare(sql).safeIntegers(true).all(...params, filter.limit + 1) as PlanRow[];
    return rows.map((row) => ({
      campaignId: row.campaign_id,
      month: row.month,
      amount: formatAmount(row.amount_micros, minorUnits(row.currency)),
      currency: row.currency,
      revision: Number(row.revision),
      updatedAt: row.updated_at,
    }));
  }

  history(filter: { campaignId?: string | undefined; month?: string | undefined; after: number | null; limit: number }): (PlanRevisionView & { id: number })[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.campaignId) (where.push('campaign_id = ?'), params.push(filter.campaignId));
    if (filter.month) (where.push('month = ?'), params.push(filter.month));
    if (filter.after !== null) (where.push('id > ?'), params.push(filter.after));
    const sql = `select * from plan_revisions ${where.length ? 'where ' + where.join(' and ') : ''} order by id limit ?`;
    const rows = this.sqlite.prepare(sql).safeIntegers(true).all(...params, filter.limit + 1) as {
      id: bigint;
      campaign_id: string;
      month: string;
      revision: bigint;
      amount_micros: bigint;
      currency: string;
      changed_at: string;
      changed_by: string | null;
    }[];
    return rows.map((row) => ({
      id: Number(row.id),
      campaignId: row.campaign_id,
      month: row.month,
      revision: Number(row.revision),
      amount: formatAmount(row.amount_micros, minorUnits(row.currency)),
      currency: row.currency,
      changedAt: row.changed_at,
      changedBy: row.changed_by,
    }));
  }
}
