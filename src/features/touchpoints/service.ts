/**
 * Touchpoints: a customer met a campaign at an instant. Keyed by the
 * client's id: re-sending changes nothing, other values for a known id
 * replace the stored ones.
 */
import type { Sqlite } from '../../db.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, flagUnknownCampaigns, type BatchCounts } from '../shared/batch.js';
import type { CampaignService } from '../campaigns/service.js';
import { formatInstant } from './schemas.js';

export interface TouchpointInput {
  id: string;
  customerId: string;
  campaignId: string;
  /** Epoch milliseconds. */
  occurredAt: number;
}

export interface TouchpointView {
  id: string;
  customerId: string;
  campaignId: string;
  occurredAt: string;
}

export interface TouchpointFilter {
  customerId?: string | undefined;
  campaignId?: string | undefined;
  /** [start, end) in epoch milliseconds. */
  start?: number | undefined;
  end?: number | undefined;
  after: string | null;
  limit: number;
}

interface TouchpointRow {
  id: string;
  customer_id: string;
  campaign_id: string;
  occurred_at: number;
}

/** Changes nothing (and counts no change) when the stored row already has these values. */
const UPSERT_SQL = `insert into touchpoints (id, customer_id, campaign_id, occurred_at) values (?, ?, ?, ?)
  on conflict (id) do update set customer_id = excluded.customer_id, campaign_id = excluded.campaign_id, occurred_at = excluded.occurred_at
  where touchpoints.customer_id is not excluded.customer_id or touchpoints.campaign_id is not excluded.campaign_id
     or touchpoints.occurred_at is not excluded.occurred_at`;

export class TouchpointService {
  private readonly upsertStmt;
  private readonly lastRowidStmt;
  private readonly insertedSinceStmt;

  constructor(private readonly sqlite: Sqlite, private readonly campaigns: CampaignService) {
    this.upsertStmt = sqlite.prepare(UPSERT_SQL);
    this.lastRowidStmt = sqlite.prepare('select coalesce(max(rowid), 0) from touchpoints').pluck();
    this.insertedSinceStmt = sqlite.prepare('select count(*) from touchpoints where rowid > ?').pluck();
  }

  ingest(items: TouchpointInput[], pathOf: (i: number) => string): BatchCounts {
    const errors = new FieldErrors();
    flagUnknownCampaigns(items, this.campaigns.existingIds(items.map((item) => item.campaignId)), errors, pathOf);
    flagRepeats(items, (item) => item.id, errors, pathOf, 'id', (earlier) => `repeats the id of item ${earlier}`);
    errors.throwIfAny();
    // One synchronous transaction. A new row gets a rowid above every earlier
    // one and an update keeps its rowid, so the rows above the highest rowid
    // before the batch are the inserted ones; `changes` counts inserts and updates.
    return this.sqlite.transaction(() => {
      const lastRowid = this.lastRowidStmt.get() as number;
      let changed = 0;
      for (const item of items) changed += this.upsertStmt.run(item.id, item.customerId, item.campaignId, item.occurredAt).changes;
      const inserted = this.insertedSinceStmt.get(lastRowid) as number;
      return { inserted, updated: changed - inserted, unchanged: items.length - changed };
    })();
  }

  list(filter: TouchpointFilter): TouchpointView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.customerId) (where.push('customer_id = ?'), params.push(filter.customerId));
    if (filter.campaignId) (where.push('campaign_id = ?'), params.push(filter.campaignId));
    if (filter.start !== undefined) (where.push('occurred_at >= ?'), params.push(filter.start));
    if (filter.end !== undefined) (where.push('occurred_at < ?'), params.push(filter.end));
    if (filter.after !== null) (where.push('id > ?'), params.push(filter.after));
    const sql = `select * from touchpoints ${where.length ? 'where ' + where.join(' and ') : ''} order by id limit ?`;
    const rows = this.sqlite.prepare(sql).all(...params, filter.limit + 1) as TouchpointRow[];
    return rows.map((row) => ({
      id: row.id,
      customerId: row.customer_id,
      campaignId: row.campaign_id,
      occurredAt: formatInstant(row.occurred_at),
    }));
  }
}
