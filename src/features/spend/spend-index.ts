/**
 * Spend summed per (day, campaign, currency), in memory, for the ROI
 * reports: a DailySpend kept equal to the spend table (see TableMirror for
 * how).
 *
 * A batch whose every line was new (the usual daily import) moves the sums
 * by its amounts; the lines are kept aside and added in when the sums are
 * next read, or once writes pause, so that the ingest does not pay for it.
 * A batch that restated lines replaced amounts this process never saw, so
 * the days it touched are read again from the table instead.
 */
import type { Database } from '../../store/database.js';
import type { DataVersionSource } from '../../store/unit-of-work.js';
import { DailySpend } from '../../domain/daily-spend.js';
import { formatDay, parseDay } from '../../domain/periods.js';
import { TableMirror } from '../common/table-mirror.js';
import { spendRepository, type SpendDayLine, type SpendRepository } from './repository.js';

/** A batch's lines as the write saw them: date, campaign id, micros, currency. */
export interface SpendLines {
  length: number;
  date(i: number): string;
  campaignId(i: number): string;
  micros(i: number): bigint;
  currency(i: number): string;
}

/** Lines kept aside before they are added in even while writes go on: bounds the memory they hold. */
const MAX_PENDING_LINES = 100_000;

export class SpendIndex extends TableMirror<DailySpend> {
  private pending: SpendLines[] = [];
  private pendingLines = 0;
  /** Days to read again from the table. */
  private readonly restatedDays = new Set<number>();
  private readonly repository: SpendRepository;

  constructor(database: Database, versions: DataVersionSource) {
    super(versions);
    this.repository = spendRepository(database);
  }

  /**
   * A committed batch all of whose lines were inserted; `ticket` is
   * writeTicket()'s, taken before the write began. If the mirror read rows
   * since (a load or catch-up that may hold the batch already), its days are
   * read again instead of its lines added.
   */
  inserted(lines: SpendLines, ticket: number): void {
    if (lines.length === 0) return;
    if (this.readOverlapped(ticket)) {
      const dates = new Set<string>();
      for (let i = 0; i < lines.length; i++) dates.add(lines.date(i));
      this.restated(dates);
      return;
    }
    this.apply((store) => {
      this.pending.push(lines);
      this.pendingLines += lines.length;
      if (this.pendingLines > MAX_PENDING_LINES) this.addPending(store);
    });
  }

  /** A committed batch that restated lines dated on `dates`. */
  restated(dates: Iterable<string>): void {
    this.apply(() => {
      for (const date of dates) this.restatedDays.add(parseDay(date));
    });
  }

  protected async load(): Promise<DailySpend> {
    this.pending = [];
    this.pendingLines = 0;
    this.restatedDays.clear();
    const store = new DailySpend();
    const days = new Map<string, number>();
    await this.repository.readAll((date, campaignId, currency, micros) => {
      let day = days.get(date);
      if (day === undefined) days.set(date, (day = parseDay(date)));
      store.add(day, campaignId, currency, micros);
    });
    return store;
  }

  protected override toParts(store: DailySpend): Uint8Array[] {
    return store.toParts();
  }

  protected override fromParts(parts: readonly Uint8Array[]): DailySpend {
    const store = DailySpend.fromParts(parts);
    this.pending = [];
    this.pendingLines = 0;
    this.restatedDays.clear();
    return store;
  }

  /**
   * Adds the pending lines, and reads the restated days again. A day read
   * replaces the sums it held, so it is used only if no commit came in while
   * it was read (the version is the mirror's before and after the read, and
   * no write of this process was heard): a line committed meanwhile could
   * otherwise be both in the day read and added again from `pending`. If
   * one did, the mirror loads again instead.
   */
  protected override async prepare(store: DailySpend): Promise<boolean> {
    this.addPending(store);
    if (this.restatedDays.size === 0) return true;
    const heard = this.heard();
    const version = await this.versions.version();
    if (!this.unchangedSince(store, version, heard)) return false;
    const days = [...this.restatedDays];
    const lines = await this.repository.linesOfDays(days.map(formatDay));
    if ((await this.versions.version()) !== version || !this.unchangedSince(store, version, heard)) return false;
    this.replaceDays(store, days, lines);
    return true;
  }

  protected override changeCursor(): Promise<bigint | null> {
    return this.repository.changeCursor();
  }

  /**
   * Adds the pending lines (committed before the cells are read), then reads
   * again every (day, campaign) cell with a line changed since the cursor
   * and replaces those cells' sums: like a restated day, replacing cannot
   * count a line twice, and a cell is a few lines where its day is every
   * campaign's (see the repository's cellsChangedSince).
   */
  protected override async catchUp(store: DailySpend, cursor: bigint): Promise<void> {
    this.addPending(store);
    const lines = await this.repository.cellsChangedSince(cursor);
    if (lines.length === 0) return;
    // Per day, the campaigns read again, and their lines.
    const changed = new Map<string, { campaigns: Set<string>; lines: [string, string, bigint][] }>();
    for (const [date, campaignId, currency, micros] of lines) {
      let day = changed.get(date);
      if (day === undefined) changed.set(date, (day = { campaigns: new Set(), lines: [] }));
      day.campaigns.add(campaignId);
      day.lines.push([campaignId, currency, micros]);
    }
    for (const [date, { campaigns, lines: fresh }] of changed) {
      const day = parseDay(date);
      // The day's other campaigns keep their sums; the changed ones get the sums of the lines read.
      const kept: [string, string, bigint][] = [];
      store.forEach(day, day, (_day, campaignId, currency, micros) => {
        if (!campaigns.has(campaignId)) kept.push([campaignId, currency, micros]);
      });
      store.replaceDay(day, [...kept, ...fresh]);
    }
  }

  /** Replaces the sums of `days` by their `lines` (every line dated on those days). */
  private replaceDays(store: DailySpend, days: readonly number[], lines: readonly SpendDayLine[]): void {
    const byDay = new Map<number, [string, string, bigint][]>(days.map((day) => [day, []]));
    for (const [date, campaignId, currency, micros] of lines) byDay.get(parseDay(date))!.push([campaignId, currency, micros]);
    for (const [day, dayLines] of byDay) {
      store.replaceDay(day, dayLines);
      this.restatedDays.delete(day);
    }
  }

  private addPending(store: DailySpend): void {
    const days = new Map<string, number>();
    for (const lines of this.pending) {
      for (let i = 0; i < lines.length; i++) {
        const date = lines.date(i);
        let day = days.get(date);
        if (day === undefined) days.set(date, (day = parseDay(date)));
        store.add(day, lines.campaignId(i), lines.currency(i), lines.micros(i));
      }
    }
    this.pending = [];
    this.pendingLines = 0;
  }
}
