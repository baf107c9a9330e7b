/**
 * Actual spend. A line's natural key is (source, campaign, date, reference):
 * re-sending it changes nothing, and a restated amount replaces the old one,
 * because ad platforms restate yesterday. Two lines of one batch with the
 * same natural key are refused rather than one silently winning.
 */
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { FieldErrors } from '../../lib/errors.js';
import { withRateWarnings, type BatchAnswer, type BatchCounts, type RateCoverageSource } from '../common/batch.js';
import { refKey, type CampaignService, type ExternalRef } from '../campaigns/service.js';
import type { PeriodService } from '../periods/service.js';
import type { SpendIndex } from './spend-index.js';
import { spendRepository, type SpendInput, type SpendRepository } from './repository.js';

export type { SpendInput } from './repository.js';
export { SPEND_UPSERT_CHUNK, SPEND_UPSERT_SQL, spendUpsertSql } from './repository.js';

export interface IngestOptions {
  /** Runs first, in the write's transaction (creating campaigns the lines need). */
  prepare?: () => Promise<unknown>;
  /** Check and count, then roll back: nothing is written. */
  dryRun?: boolean;
  /** How errors name line i that another repeats (default `item i`; the CSV import says `line N`). */
  itemName?: (i: number) => string;
}

/** Carries a dry run's answer out of the transaction it rolls back. */
class Rollback<T> {
  constructor(readonly value: T) {}
}

/** `fn`'s answer, computed in a transaction that is then rolled back. */
async function rolledBack<T>(uow: UnitOfWork, fn: () => Promise<T>): Promise<T> {
  try {
    await uow.write(async () => {
      throw new Rollback(await fn());
    });
  } catch (error) {
    if (error instanceof Rollback) return error.value as T;
    throw error;
  }
  throw new Error('a dry run was not rolled back');
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

/**
 * The natural keys (source, campaign, date, reference) of a batch's lines,
 * to find a line that repeats an earlier one. Lines are looked up by date,
 * then by campaign: strings the line already holds, with their hashes
 * already computed by the validator's lookups, so a line with a (date,
 * campaign) of its own, the common case, costs two lookups and no new
 * string. Only when a (date, campaign) comes back, for another source or
 * reference, are its lines keyed by source and reference as well.
 */
class NaturalKeys {
  /** date -> campaign -> the one line so far, or (source, reference) -> the latest line with it. */
  private readonly byDate = new Map<string, Map<string, number | Map<string, number>>>();

  /** Records line i (whose campaign is campaignId); returns the latest earlier line with the same natural key, if any. */
  add(items: SpendInput[], i: number, campaignId: string): number | undefined {
    const date = items[i]!.date;
    let byCampaign = this.byDate.get(date);
    if (byCampaign === undefined) this.byDate.set(date, (byCampaign = new Map()));
    const lines = byCampaign.get(campaignId);
    if (lines === undefined) {
      byCampaign.set(campaignId, i);
      return undefined;
    }
    let byRest: Map<string, number>;
    if (typeof lines === 'number') {
      byRest = new Map([[restOfKey(items[lines]!), lines]]);
      byCampaign.set(campaignId, byRest);
    } else {
      byRest = lines;
    }
    const key = restOfKey(items[i]!);
    const earlier = byRest.get(key);
    byRest.set(key, i);
    return earlier;
  }
}

/** Source and reference, as one string: a source has no NUL (Source's pattern), so no two pairs give the same string. */
function restOfKey(item: SpendInput): string {
  return `${item.source}\u0000${item.reference ?? ''}`;
}

export class SpendService {
  private readonly repository: SpendRepository;

  constructor(
    database: Database,
    private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly periods: PeriodService,
    private readonly index?: SpendIndex,
    /** The FX rates, for the warnings on lines no rate converts yet (none without it). */
    private readonly rates?: RateCoverageSource,
  ) {
    this.repository = spendRepository(database);
  }

  /**
   * Resolves each line's campaign, checks the batch, then writes it in one
   * transaction. With `prepare` (the CSV import creating the campaigns it
   * was asked to), prepare, check and write are one transaction. With
   * `dryRun` the lines are checked the same way (closed months included)
   * and counted by reading, not written, in a transaction that is rolled
   * back (undoing what `prepare` made): a dry run writes nothing, not even
   * pages it would throw away.
   *
   * Either way the answer warns of each line no rate converts yet (at its
   * date): accepted, but a report that includes it answers 422.
   */
  async ingest(items: SpendInput[], pathOf: (i: number) => string, options: IngestOptions = {}): Promise<BatchAnswer> {
    const counts = await this.ingestCounts(items, pathOf, options);
    return this.rates ? withRateWarnings(counts, items.length, (i) => items[i]!, await this.rates.coverage(), pathOf) : counts;
  }

  private async ingestCounts(items: SpendInput[], pathOf: (i: number) => string, options: IngestOptions): Promise<BatchCounts> {
    const checkAndWrite = async () => {
      await options.prepare?.();
      const campaignIds = await this.checkBatch(items, pathOf, options.itemName);
      const counts = options.dryRun ? await this.count(items, campaignIds, pathOf) : await this.write(items, campaignIds, pathOf);
      return { counts, campaignIds };
    };
    if (options.dryRun) return (await rolledBack(this.uow, checkAndWrite)).counts;
    const ticket = this.index?.writeTicket() ?? 0;
    const { counts, campaignIds } = options.prepare ? await this.uow.write(checkAndWrite) : await checkAndWrite();
    if (counts.inserted === items.length) {
      this.index?.inserted({
        length: items.length,
        date: (i) => items[i]!.date,
        campaignId: (i) => campaignIds[i]!,
        micros: (i) => items[i]!.amount,
        currency: (i) => items[i]!.currency,
      }, ticket);
    } else if (counts.updated > 0 || counts.inserted > 0) {
      this.index?.restated(new Set(items.map((item) => item.date)));
    }
    return counts;
  }

  /**
   * Every line's campaign id, or a ValidationError naming every line whose
   * campaign is unknown or whose natural key repeats an earlier line's.
   */
  private async checkBatch(items: SpendInput[], pathOf: (i: number) => string, itemName: (i: number) => string = (i) => `item ${i}`): Promise<string[]> {
    const errors = new FieldErrors();
    const refs: ExternalRef[] = [];
    for (const item of items) if (item.externalRef) refs.push(item.externalRef);
    const refOwners = refs.length ? await this.campaigns.resolveExternalRefs(refs) : new Map<string, string>();
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
    // Whether each campaign named by id exists, asked once per distinct id.
    const named = new Set<string>();
    for (let i = 0; i < items.length; i++) if (!items[i]!.externalRef) named.add(campaignIds[i]!);
    const known = await this.campaigns.existingIds(named);
    const seen = new NaturalKeys();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const campaignId = campaignIds[i]!;
      if (!item.externalRef && !known.has(campaignId)) errors.add(`${pathOf(i)}campaignId`, `no campaign ${campaignId}; create it first`);
      const earlier = seen.add(items, i, campaignId);
      if (earlier !== undefined) {
        errors.add(
          `${pathOf(i)}reference`,
          `repeats ${itemName(earlier)}: same source, campaign, date and reference; give the lines distinct references or add them up`,
        );
      }
    }
    errors.throwIfAny();
    return campaignIds;
  }

  /**
   * One transaction: all the lines or none, counted by the repository
   * (inserted, restated, unchanged).
   */
  private async write(items: SpendInput[], campaignIds: string[], pathOf: (i: number) => string): Promise<BatchCounts> {
    return this.uow.write(async () => {
      await this.periods.refuseClosed(items, pathOf, 'date', (item, closed) => closed.ofDate(item.date));
      const { counts, insertedIds } = await this.repository.upsert(items, campaignIds);
      // A batch that changed nothing is not an event (and leaves the report cache warm).
      if (counts.inserted + counts.updated > 0) await this.uow.record('ingest', 'spend', null, null, { ...counts, insertedIds });
      return counts;
    });
  }

  /**
   * What write() would count, by reading: a line with no stored row is
   * inserted, one whose amount or currency differs is restated (updated),
   * the rest unchanged. A batch's lines have distinct natural keys
   * (checkBatch), so no line's answer depends on another's.
   */
  private async count(items: SpendInput[], campaignIds: string[], pathOf: (i: number) => string): Promise<BatchCounts> {
    await this.periods.refuseClosed(items, pathOf, 'date', (item, closed) => closed.ofDate(item.date));
    return this.repository.count(items, campaignIds);
  }

  async list(filter: SpendFilter): Promise<SpendView[]> {
    const rows = await this.repository.list({ ...filter, limit: filter.limit + 1 });
    return rows.map((row) => ({
      id: row.id,
      campaignId: row.campaignId,
      date: row.date,
      amount: formatAmount(row.amountMicros, minorUnits(row.currency)),
      currency: row.currency,
      source: row.source,
      reference: row.reference === '' ? null : row.reference,
      version: row.version,
    }));
  }
}
