/**
 * Touchpoints: a customer met a campaign at an instant. Keyed by the
 * client's id: re-sending changes nothing, other values for a known id
 * replace the stored ones.
 */
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, flagUnknownCampaigns, type BatchCounts } from '../common/batch.js';
import type { CampaignService } from '../campaigns/service.js';
import type { PeriodService } from '../periods/service.js';
import { formatInstant } from '../../domain/instants.js';
import type { TouchIndex } from './touch-index.js';
import { touchpointRepository, type TouchpointInput, type TouchpointRepository } from './repository.js';

export type { TouchpointInput } from './repository.js';

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

export class TouchpointService {
  private readonly repository: TouchpointRepository;

  constructor(
    database: Database,
    private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly periods: PeriodService,
    private readonly index: TouchIndex,
  ) {
    this.repository = touchpointRepository(database);
  }

  async ingest(items: TouchpointInput[], pathOf: (i: number) => string): Promise<BatchCounts> {
    const errors = new FieldErrors();
    flagUnknownCampaigns(items, await this.campaigns.existingIds(items.map((item) => item.campaignId)), errors, pathOf);
    flagRepeats(items, (item) => item.id, errors, pathOf, 'id', (earlier) => `repeats the id of item ${earlier}`);
    errors.throwIfAny();
    // One transaction: the repository's upsert hands back the counts and the changed rows with their slots, which
    // go to the touch index once the write has committed (the write may run again on PostgreSQL: nothing outside
    // the database changes inside it).
    // Attribution of a closed month reads touchpoints before it (the lookback), so a touchpoint dated before the
    // end of the latest closed month is refused, and a trigger (migration 0006) refuses changing a stored one.
    const { counts, changed } = await this.uow.write(async () => {
      await this.periods.refuseClosed(items, pathOf, 'occurredAt', (item, closed) => {
        const month = closed.historyClosedAt(item.occurredAt);
        if (month === null || closed.ofInstant(item.occurredAt) !== null) return month;
        return { month, message: `is before the end of ${month}, which is closed: its attribution reads the touchpoints before it` };
      });
      const { counts, changed, insertedSlots } = await this.repository.upsert(items);
      const changes = counts.inserted + counts.updated;
      if (changes > 0) await this.uow.record('ingest', 'touchpoint', null, null, { ...counts, insertedRowids: insertedSlots });
      return { counts, changed };
    });
    this.index.applied(changed);
    return counts;
  }

  async list(filter: TouchpointFilter): Promise<TouchpointView[]> {
    const rows = await this.repository.list({ ...filter, limit: filter.limit + 1 });
    return rows.map((row) => ({
      id: row.id,
      customerId: row.customerId,
      campaignId: row.campaignId,
      occurredAt: formatInstant(row.occurredAt),
    }));
  }
}
