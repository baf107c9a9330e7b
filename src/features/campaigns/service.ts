/**
 * Campaigns: client-chosen ids, a channel, dates, tags and the ad-platform
 * ids (`externalRefs`) by which imported spend finds its campaign. An
 * upsert replaces the whole record; an external ref belongs to one
 * campaign only.
 */
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { FieldErrors, NotFoundError } from '../../lib/errors.js';
import type { Channel } from '../common/schemas.js';
import type { BatchCounts } from '../common/batch.js';
import { campaignRepository, type CampaignRepository, type CampaignRow } from './repository.js';

export interface ExternalRef {
  source: string;
  id: string;
}

export interface CampaignInput {
  id: string;
  name: string;
  channel: Channel;
  startDate: string;
  endDate?: string | null | undefined;
  tags?: string[] | undefined;
  externalRefs?: ExternalRef[] | undefined;
}

export interface Campaign {
  id: string;
  name: string;
  channel: Channel;
  startDate: string;
  endDate: string | null;
  tags: string[];
  externalRefs: ExternalRef[];
  createdAt: string;
  updatedAt: string;
}

export interface CampaignFilter {
  channel?: Channel | undefined;
  tag?: string | undefined;
  after?: string | null;
  limit: number;
}

const refKey = (ref: ExternalRef) => `${ref.source}\u0000${ref.id}`;

function normalise(input: CampaignInput) {
  const tags = [...new Set(input.tags ?? [])].sort();
  const refs = [...new Map((input.externalRefs ?? []).map((r) => [refKey(r), r])).values()].sort((a, b) =>
    refKey(a) < refKey(b) ? -1 : refKey(a) > refKey(b) ? 1 : 0,
  );
  return { ...input, endDate: input.endDate ?? null, tags, externalRefs: refs };
}

export class CampaignService {
  private readonly repository: CampaignRepository;

  constructor(database: Database, private readonly uow: UnitOfWork, private readonly now: () => Date = () => new Date()) {
    this.repository = campaignRepository(database);
  }

  async get(id: string): Promise<Campaign> {
    const found = await this.list({ limit: 1, after: null, ids: [id] });
    if (found.length === 0) throw new NotFoundError(`no campaign ${id}`);
    return found[0]!;
  }

  /** Campaigns by id order; fetches limit+1 so the caller can tell if there is more. */
  async list(filter: CampaignFilter & { ids?: string[] }): Promise<Campaign[]> {
    const rows = await this.repository.list(filter);
    const refs = await this.repository.refsOf(rows.map((r) => r.id));
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      channel: row.channel as Channel,
      startDate: row.startDate,
      endDate: row.endDate,
      tags: JSON.parse(row.tags) as string[],
      externalRefs: refs.get(row.id) ?? [],
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    }));
  }

  /** Upserts campaigns, all or nothing. `pathOf(i)` names item i in errors. */
  async upsert(inputs: CampaignInput[], pathOf: (index: number) => string): Promise<BatchCounts> {
    const items = inputs.map(normalise);
    const errors = new FieldErrors();
    const seenIds = new Map<string, number>();
    const seenRefs = new Map<string, number>();
    items.forEach((item, i) => {
      if (item.endDate !== null && item.endDate < item.startDate) errors.add(`${pathOf(i)}endDate`, 'must not be before startDate');
      const earlier = seenIds.get(item.id);
      if (earlier !== undefined) errors.add(`${pathOf(i)}id`, `repeats the id of item ${earlier}`);
      seenIds.set(item.id, i);
      item.externalRefs.forEach((ref, r) => {
        const owner = seenRefs.get(refKey(ref));
        if (owner !== undefined && owner !== i) {
          errors.add(`${pathOf(i)}externalRefs/${r}`, `${ref.source} id ${ref.id} is also given to item ${owner}`);
        }
        seenRefs.set(refKey(ref), i);
      });
    });
    const allRefs = items.flatMap((item, i) => item.externalRefs.map((ref, r) => ({ ref, i, r })));
    const stamp = this.now().toISOString();

    return this.uow.write(async () => {
      // The errors found so far are kept apart: the callback may run again (PostgreSQL retries a deadlock).
      const found = new FieldErrors();
      for (const error of errors.list) found.add(error.path, error.message);
      await this.repository.lockForUpsert();
      // Refs already owned by a campaign outside this batch's ids.
      const owners = await this.repository.refOwners(allRefs.map(({ ref }) => ref));
      for (const { ref, i, r } of allRefs) {
        const owner = owners.get(refKey(ref));
        const item = items[i]!;
        // Another campaign owns it, and that campaign is not handing it over in this batch.
        if (owner && owner !== item.id && !(seenIds.has(owner) && !items[seenIds.get(owner)!]!.externalRefs.some((x) => refKey(x) === refKey(ref)))) {
          found.add(`${pathOf(i)}externalRefs/${r}`, `${ref.source} id ${ref.id} already belongs to campaign ${owner}`);
        }
      }
      found.throwIfAny();

      const existing = new Map<string, Campaign>();
      const ids = items.map((item) => item.id);
      for (let k = 0; k < ids.length; k += 500) {
        const chunk = ids.slice(k, k + 500);
        for (const c of await this.list({ limit: chunk.length, after: null, ids: chunk })) existing.set(c.id, c);
      }
      const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
      const inserts: CampaignRow[] = [];
      const refsChanged: boolean[] = [];
      // Changed campaigns first, in batch order, each releasing its old refs if they change; then the new ones.
      for (const item of items) {
        const before = existing.get(item.id);
        const tags = JSON.stringify(item.tags);
        const refsDiffer = !before || JSON.stringify(before.externalRefs) !== JSON.stringify(item.externalRefs);
        refsChanged.push(refsDiffer);
        if (!before) {
          inserts.push({ id: item.id, name: item.name, channel: item.channel, startDate: item.startDate, endDate: item.endDate, tags, createdAt: stamp, updatedAt: stamp });
          counts.inserted++;
          continue;
        }
        const same =
          before.name === item.name &&
          before.channel === item.channel &&
          before.startDate === item.startDate &&
          before.endDate === item.endDate &&
          JSON.stringify(before.tags) === tags &&
          !refsDiffer;
        if (same) {
          counts.unchanged++;
          continue;
        }
        await this.repository.update({ id: item.id, name: item.name, channel: item.channel, startDate: item.startDate, endDate: item.endDate, tags, updatedAt: stamp });
        // Its refs are replaced only when they changed (written back below only then).
        if (refsDiffer) for (const ref of before.externalRefs) await this.repository.deleteRef(ref);
        counts.updated++;
      }
      await this.repository.insert(inserts);
      // Refs go in after every campaign released its old ones, so a ref may move between campaigns of one batch.
      const newRefs: { source: string; id: string; campaignId: string }[] = [];
      for (let i = 0; i < items.length; i++) {
        if (!refsChanged[i]) continue;
        const item = items[i]!;
        for (const ref of item.externalRefs) {
          const owner = owners.get(refKey(ref));
          // Only a ref some campaign held before the batch can be in the table; this campaign's own old ones went above.
          if (owner !== undefined && owner !== item.id) await this.repository.deleteRef(ref);
          newRefs.push({ ...ref, campaignId: item.id });
        }
      }
      await this.repository.insertRefs(newRefs);
      return counts;
    });
  }

  /** Maps external refs to campaign ids (missing ones are absent), keyed by `refKey`. */
  resolveExternalRefs(refs: ExternalRef[]): Promise<Map<string, string>> {
    return this.repository.refOwners(refs);
  }

  /** The ids of the campaigns with each of these names (exact match), for imports that name campaigns. */
  idsByName(names: Iterable<string>): Promise<Map<string, string[]>> {
    return this.repository.idsByName([...new Set(names)]);
  }

  /** Which of these ids exist. */
  existingIds(ids: Iterable<string>): Promise<Set<string>> {
    return this.repository.existingIds([...new Set(ids)]);
  }
}

export { refKey };
