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
import type { Sqlite } from '../../db.js';
import type { DataVersionSource } from '../../store/unit-of-work.js';
import { DailySpend } from '../../domain/daily-spend.js';
import { formatDay, parseDay } from '../../domain/periods.js';
import { readInRowidRanges, TableMirror } from '../common/table-mirror.js';

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
  private readonly dayStmt;

  constructor(sqlite: Sqlite, versions: DataVersionSource) {
    super(sqlite, versions);
    // The day's lines, summed in bigint (SQLite's sum() stops at 2^63).
    this.dayStmt = sqlite.prepare('select campaign_id, currency, amount_micros from spend where date = ?').raw(true).safeIntegers(true);
  }

  /** A committed batch all of whose lines were inserted. */
  inserted(lines: SpendLines): void {
    if (lines.length === 0) return;
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

  protected load(): DailySpend {
    this.pending = [];
    this.pendingLines = 0;
    this.restatedDays.clear();
    const store = new DailySpend();
    const days = new Map<string, number>();
    readInRowidRanges(this.sqlite, 'spend', ['t.date', 't.campaign_id', 't.currency', 't.amount_micros'], ([date, campaignId, currency, micros]) => {
      let day = days.get(date!);
      if (day === undefined) days.set(date!, (day = parseDay(date!)));
      store.add(day, campaignId!, currency!, BigInt(micros!));
    });
    return store;
  }

  protected override prepare(store: DailySpend): void {
    this.addPending(store);
    for (const day of this.restatedDays) store.replaceDay(day, this.dayStmt.all(formatDay(day)) as [string, string, bigint][]);
    this.restatedDays.clear();
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
