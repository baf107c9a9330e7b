/**
 * Actual spend. A line's natural key is (source, campaign, date, reference):
 * re-sending it changes nothing, and a restated amount replaces the old one,
 * because ad platforms restate yesterday. Two lines of one batch with the
 * same natural key are refused rather than one silently winning.
 */
import type { Sqlite } from '../../db.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { FieldErrors } from '../../lib/errors.js';
import type { BatchCounts } from '../shared/batch.js';
import { refKey, type CampaignService, type ExternalRef } from '../campaigns/service.js';

export interface SpendInput {
  campaignId?: string | undefined;
  externalRef?: ExternalRef | undefined;
  date: string;
  amount: bigint;
  currency: string;
  source: string;
  reference?: string | null | undefined;
}

export interface SpendView {
  id: number;
  campaignId: string;
  date: string;
  amount: string;
  currency: string;
  source: string;
  reference: string | null;
  version: number;
}

export interface SpendFilter {
  campaignId?: string | undefined;
  source?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after: number | null;
  limit: number;
}

interface SpendRow {
  id: bigint;
  source: string;
  campaign_id: string;
  date: string;
  reference: string;
  amount_micros: bigint;
  currency: string;
  version: bigint;
}

/** The spend upsert: RETURNING version is 1 for an insert, more for a restatement, and no row when nothing changed. */
export const SPEND_UPSERT_SQL = `insert into spend (source, campaign_id, date, reference, amount_micros, currency, version)
  values (?, ?, ?, ?, ?, ?, 1)
  on conflict (source, campaign_id, date, reference) do update
    set amount_micros = excluded.amount_micros, currency = excluded.currency, version = spend.version + 1
    where spend.amount_micros is not excluded.amount_micros or spend.currency is not excluded.currency
  returning version`;

export class SpendService {
  private readonly upsertStmt;

  constructor(private readonly sqlite: Sqlite, private readonly campaigns: CampaignService) {
    this.upsertStmt = sqlite.prepare(SPEND_UPSERT_SQL).pluck();
  }

  /** Resolves each line's campaign, checks the batch, then writes it in one transaction. */
  ingest(items: SpendInput[], pathOf: (i: number) => string): BatchCounts {
    const errors = new FieldErrors();
    const refs = items.flatMap((item) => (item.externalRef ? [item.externalRef] : []));
    const refOwners = refs.length ? this.campaigns.resolveExternalRefs(refs) : new Map<string, string>();
    const campaignIds: string[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.externalRef) {
        const owner = refOwners.get(refKey(item.externalRef));
        if (owner === undefined) {
          errors.add(`${pathOf(i)}externalRef`, `no campaign has the ${item.externalRef.source} id ${item.externalRef.id}`);
        } else if (item.campaignId !== undefined && item.campaignId !== owner) {
          errors.add(`${pathOf(i)}campaignId`, `is ${item.campaignId} but externalRef belongs to campaign ${owner}`);
        }
        campaignIds[i] = owner ?? '';
      } else {
        campaignIds[i] = item.campaignId!;
      }
    }
    const known = this.campaigns.existingIds(campaignIds.filter((id, i) => id && !items[i]!.externalRef));
    const seen = new Map<string, number>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const campaignId = campaignIds[i]!;
      if (!item.externalRef && !known.has(campaignId)) errors.add(`${pathOf(i)}campaignId`, `no campaign ${campaignId}; create it first`);
      const key = `${item.source}\u0000${campaignId}\u0000${item.date}\u0000${item.reference ?? ''}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        errors.add(
          `${pathOf(i)}reference`,
          `repeats item ${earlier}: same source, campaign, date and reference; give the lines distinct references or add them up`,
        );
      }
      seen.set(key, i);
    }
    errors.throwIfAny();

    const stmt = this.upsertStmt;
    return this.sqlite.transaction(() => {
      const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        const version = stmt.get(item.source, campaignIds[i], item.date, item.reference ?? '', item.amount, item.currency) as
          | number
          | undefined;
        if (version === undefined) counts.unchanged++;
        else if (version === 1) counts.inserted++;
        else counts.updated++;
      }
      return counts;
    })();
  }

  list(filter: SpendFilter): SpendView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.campaignId) (where.push('campaign_id = ?'), params.push(filter.campaignId));
    if (filter.source) (where.push('source = ?'), params.push(filter.source));
    if (filter.from) (where.push('date >= ?'), params.push(filter.from));
    if (filter.to) (where.push('date <= ?'), params.push(filter.to));
    if (filter.after !== null) (where.push('id > ?'), params.push(filter.after));
    const sql = `select * from spend ${where.length ? 'where ' + where.join(' and ') : ''} order by id limit ?`;
    const rows = this.sqlite.prepare(sql).safeIntegers(true).all(...params, filter.limit + 1) as SpendRow[];
    return rows.map((row) => ({
      id: Number(row.id),
      campaignId: row.campaign_id,
      date: row.date,
      amount: formatAmount(row.amount_micros, minorUnits(row.currency)),
      currency: row.currency,
      source: row.source,
      reference: row.reference === '' ? null : row.reference,
      version: Number(row.version),
    }));
  }
}
