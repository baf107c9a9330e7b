/**
 * The set of closed months, asked the questions every write path asks:
 * is this date, month or instant in a closed month, and which closed month
 * comes first after a date. Months are whole UTC months, as everywhere.
 */
import { firstDayOfMonth } from './periods.js';

/** [start, end) of a month in epoch milliseconds UTC. */
export function monthBoundsMs(month: string): { startMs: number; endMs: number } {
  const year = Number(month.slice(0, 4));
  const index = Number(month.slice(5, 7)) - 1;
  return { startMs: Date.UTC(year, index, 1), endMs: Date.UTC(year, index + 1, 1) };
}

export class ClosedMonths {
  /** Sorted, oldest first. */
  readonly months: readonly string[];
  private readonly set: ReadonlySet<string>;
  private readonly bounds: readonly { month: string; startMs: number; endMs: number }[];

  constructor(months: Iterable<string>) {
    this.months = [...new Set(months)].sort();
    this.set = new Set(this.months);
    this.bounds = this.months.map((month) => ({ month, ...monthBoundsMs(month) }));
  }

  get size(): number {
    return this.months.length;
  }

  /** The month itself if it is closed, else null. */
  ofMonth(month: string): string | null {
    return this.set.has(month) ? month : null;
  }

  /** The closed month a `YYYY-MM-DD` date falls in, or null. */
  ofDate(date: string): string | null {
    return this.ofMonth(date.slice(0, 7));
  }

  /** The closed month an instant (epoch ms) falls in, or null. */
  ofInstant(epochMs: number): string | null {
    for (const b of this.bounds) if (epochMs >= b.startMs && epochMs < b.endMs) return b.month;
    return null;
  }

  /**
   * For an instant before the end of the latest closed month: the closed
   * month it is in, or else that latest month (whose attribution may read
   * it: a conversion's lookback reaches back before its month). Null for an
   * instant after every closed month.
   */
  historyClosedAt(epochMs: number): string | null {
    const latest = this.bounds[this.bounds.length - 1];
    if (latest === undefined || epochMs >= latest.endMs) return null;
    return this.ofInstant(epochMs) ?? latest.month;
  }

  /** The first closed month that starts after `date`, or null. */
  firstAfter(date: string): string | null {
    return this.months.find((month) => firstDayOfMonth(month) > date) ?? null;
  }
}

