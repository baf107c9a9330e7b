/**
 * Actual spend. A line's natural key is (source, campaign, date, reference):
 * re-sending it changes nothing, and a restated amount replaces the old one,
 * because ad platforms restate yesterday. Two lines of one batch with the
 * same natural key are refused rather than one silently winning.
 */
import type { Sqlite } from '../../db.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { FieldErrors } from '../../lib/errors.js';
import { withRateWarnings, type BatchAnswer, type BatchCounts, type RateCoverageSource } from '../common/batch.js';
import { refKey, type CampaignService, type ExternalRef } from '../campaigns/service.js';
import type { PeriodService } from '../periods/service.js';
import type { SpendIndex } from './spend-index.js';

export interface SpendInput {
  campaignId?: string | undefined;
  externalRef?: ExternalRef | undefined;
  date: string;
  amount: bigint;
  currency: string;
  source: string;
  reference?: string | null | undefined;
}

export interface IngestOptions {
  /** Runs first, in the write's transaction (creating campaigns the lines need). */
  prepare?: () => void;
  /** Check and count, then roll back: nothing is written. */
  dryRun?: boolean;
  /** How errors name line i that another repeats (default `item i`; the CSV import says `line N`). */
  itemName?: (i: number) => string;
}

const ROLLBACK = Symbol('dry run');

/** `fn`'s answer, computed in a transaction that is then rolled back. */
function rolledBack<T>(uow: UnitOfWork, fn: () => T): T {
  let result: T | undefined;
  try {
    uow.write(() => {
      result = fn();
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result as T;
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

/**
 * The spend upsert of `lines` lines. A restated amount (or currency)
 * replaces the stored one and bumps its version; an identical line changes
 * nothing, so `changes` counts the lines inserted or restated. There is no
 * RETURNING clause: it made each line cost about 1.7 times as much, and the
 * counts come cheaper from the changes and the ids (see write()).
 */
export function spendUpsertSql(lines: number): string {
  return `insert into spend (source, campaign_id, date, reference, amount_micros, currency, version)
  values ${Array.from({ length: lines }, () => '(?, ?, ?, ?, ?, ?, 1)').join(', ')}
  on conflict (date, campaign_id, source, reference) do update
    set amount_micros = excluded.amount_micros, currency = excluded.currency, version = spend.version + 1
    where spend.amount_micros is not excluded.amount_micros or spend.currency is not excluded.currency`;
}

/** The upsert of one line. */
export const SPEND_UPSERT_SQL = spendUpsertSql(1);

/**
 * Lines per multi-row upsert: one call into SQLite per 32 lines instead of
 * one per line saves about a tenth of the write time; longer statements
 * gain nothing more (measured with the bench's raw inserts).
 */
export const SPEND_UPSERT_CHUNK = 32;
const PARAMS_PER_LINE = 6;

/** The highest id so far: every line inserted after it gets a higher one (SQLite gives a new row max(rowid) + 1). */
const LAST_ID_SQL = 'select coalesce(max(id), 0) from spend';
/** Lines inserted since `LAST_ID_SQL` answered: an update keeps its row's id. */
const INSERTED_SINCE_SQL = 'select count(*) from spend where id > ?';

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
  private readonly upsertStmt;
  private readonly upsertChunkStmt;
  private readonly lastIdStmt;
  private readonly insertedSinceStmt;
  private readonly storedStmt;

  constructor(
    private readonly sqlite: Sqlite, private readonly uow: UnitOfWork,
    private readonly campaigns: CampaignService,
    private readonly periods: PeriodService,
    private readonly index?: SpendIndex,
    /** The FX rates, for the warnings on lines no rate converts yet (none without it). */
    private readonly rates?: RateCoverageSource,
  ) {
    this.upsertStmt = sqlite.prepare(SPEND_UPSERT_SQL);
    this.upsertChunkStmt = sqlite.prepare(spendUpsertSql(SPEND_UPSERT_CHUNK));
    this.lastIdStmt = sqlite.prepare(LAST_ID_SQL).pluck().safeIntegers(true);
    this.insertedSinceStmt = sqlite.prepare(INSERTED_SINCE_SQL).pluck();
    this.storedStmt = sqlite
      .prepare('select amount_micros, currency from spend where date = ? and campaign_id = ? and source = ? and reference = ?')
      .safeIntegers(true);
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
  ingest(items: SpendInput[], pathOf: (i: number) => string, options: IngestOptions = {}): BatchAnswer {
    const counts = this.ingestCounts(items, pathOf, options);
    return this.rates ? withRateWarnings(counts, items.length, (i) => items[i]!, this.rates.coverage(), pathOf) : counts;
  }

  private ingestCounts(items: SpendInput[], pathOf: (i: number) => string, options: IngestOptions): BatchCounts {
    let campaignIds: string[] = [];
    const checkAndWrite = () => {
      options.prepare?.();
      campaignIds = this.checkBatch(items, pathOf, options.itemName);
      return options.dryRun ? this.count(items, campaignIds, pathOf) : this.write(items, campaignIds, pathOf);
    };
    if (options.dryRun) return rolledBack(this.uow, checkAndWrite);
    const counts = options.prepare ? this.uow.write(checkAndWrite) : checkAndWrite();
    if (counts.inserted === items.length) {
      this.index?.inserted({
        length: items.length,
        date: (i) => items[i]!.date,
        campaignId: (i) => campaignIds[i]!,
        micros: (i) => items[i]!.amount,
        currency: (i) => items[i]!.currency,
      });
    } else if (counts.updated > 0 || counts.inserted > 0) {
      this.index?.restated(new Set(items.map((item) => item.date)));
    }
    return counts;
  }

  /**
   * Every line's campaign id, or a ValidationError naming every line whose
   * campaign is unknown or whose natural key repeats an earlier line's.
   */
  private checkBatch(items: SpendInput[], pathOf: (i: number) => string, itemName: (i: number) => string = (i) => `item ${i}`): string[] {
    const errors = new FieldErrors();
    const refs: ExternalRef[] = [];
    for (const item of items) if (item.externalRef) refs.push(item.externalRef);
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
    // Whether each campaign named by id exists, asked once per distinct id.
    const named = new Set<string>();
    for (let i = 0; i < items.length; i++) if (!items[i]!.externalRef) named.add(campaignIds[i]!);
    const known = this.campaigns.existingIds(named);
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
   * One synchronous transaction: all the lines or none. inserted = the rows
   * with an id above the highest before the batch; updated = the other
   * changed rows; unchanged = the rest.
   */
  private write(items: SpendInput[], campaignIds: string[], pathOf: (i: number) => string): BatchCounts {
    const { upsertStmt, upsertChunkStmt } = this;
    return this.uow.write(() => {
      this.periods.refuseClosed(items, pathOf, 'date', (item, closed) => closed.ofDate(item.date));
      const lastId = this.lastIdStmt.get() as bigint;
      let changed = 0;
      const params: unknown[] = new Array(SPEND_UPSERT_CHUNK * PARAMS_PER_LINE);
      let i = 0;
      for (; i + SPEND_UPSERT_CHUNK <= items.length; i += SPEND_UPSERT_CHUNK) {
        for (let j = 0; j < SPEND_UPSERT_CHUNK; j++) {
          const item = items[i + j]!;
          const at = j * PARAMS_PER_LINE;
          params[at] = item.source;
          params[at + 1] = campaignIds[i + j];
          params[at + 2] = item.date;
          params[at + 3] = item.reference ?? '';
          params[at + 4] = item.amount;
          params[at + 5] = item.currency;
        }
        changed += upsertChunkStmt.run(params).changes;
      }
      for (; i < items.length; i++) {
        const item = items[i]!;
        changed += upsertStmt.run(item.source, campaignIds[i], item.date, item.reference ?? '', item.amount, item.currency).changes;
      }
      const inserted = this.insertedSinceStmt.get(lastId) as number;
      const counts = { inserted, updated: changed - inserted, unchanged: items.length - changed };
      // New rows take the ids above the highest: the inserted ones are lastId + 1 .. lastId + inserted.
      // A batch that changed nothing is not an event (and leaves the report cache warm).
      if (changed > 0) this.uow.record('ingest', 'spend', null, null, { ...counts, insertedIds: inserted ? [Number(lastId) + 1, Number(lastId) + inserted] : null });
      return counts;
    });
  }

  /**
   * What write() would count, by reading: a line with no stored row is
   * inserted, one whose amount or currency differs is restated (updated),
   * the rest unchanged. A batch's lines have distinct natural keys
   * (checkBatch), so no line's answer depends on another's.
   */
  private count(items: SpendInput[], campaignIds: string[], pathOf: (i: number) => string): BatchCounts {
    this.periods.refuseClosed(items, pathOf, 'date', (item, closed) => closed.ofDate(item.date));
    let inserted = 0;
    let updated = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const stored = this.storedStmt.get(item.date, campaignIds[i], item.source, item.reference ?? '') as { amount_micros: bigint; currency: string } | undefined;
      if (stored === undefined) inserted++;
      else if (stored.amount_micros !== item.amount || stored.currency !== item.currency) updated++;
    }
    return { inserted, updated, unchanged: items.length - inserted - updated };
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
