/** FX rates: base-currency units per one unit of a currency, per day. */
import type { Sqlite } from '../../db.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { FxTable, parseRate, RateCoverage, type RateQuote } from '../../domain/fx.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, type BatchCounts } from '../common/batch.js';
import type { SettingsService } from '../settings/service.js';
import type { PeriodService } from '../periods/service.js';
import type { ClosedMonths } from '../../domain/closed-months.js';
import { firstDayOfMonth } from '../../domain/periods.js';

export interface FxRateInput {
  date: string;
  currency: string;
  rate: string;
}

export class FxRateService {
  private readonly select;
  private readonly upsertStmt;

  private readonly rateBetweenStmt;
  private readonly firstRatesStmt;

  constructor(
    private readonly sqlite: Sqlite, private readonly uow: UnitOfWork,
    private readonly settings: SettingsService,
    private readonly periods: PeriodService,
    private readonly now = () => new Date(),
  ) {
    this.select = sqlite.prepare('select rate from fx_rates where currency = ? and date = ?').pluck();
    this.firstRatesStmt = sqlite.prepare('select currency, min(date) from fx_rates group by currency').raw(true);
    this.rateBetweenStmt = sqlite.prepare('select 1 from fx_rates where currency = ? and date > ? and date <= ? limit 1').pluck();
    this.upsertStmt = sqlite.prepare(
      `insert into fx_rates (currency, date, rate, updated_at) values (?, ?, ?, ?)
       on conflict (currency, date) do update set rate = excluded.rate, updated_at = excluded.updated_at`,
    );
  }

  upsert(items: FxRateInput[], pathOf: (i: number) => string): BatchCounts {
    const base = this.settings.get().baseCurrency;
    const errors = new FieldErrors();
    items.forEach((item, i) => {
      if (item.currency === base) errors.add(`${pathOf(i)}currency`, `is the base currency ${base}, whose rate is always 1`);
    });
    flagRepeats(items, (item) => `${item.currency} ${item.date}`, errors, pathOf, 'date', (earlier) => `repeats the rate of item ${earlier} (same currency and date)`);
    errors.throwIfAny();
    const stamp = this.now().toISOString();
    return this.uow.write(() => {
      this.periods.refuseClosed(items, pathOf, 'date', (item, closed) => this.closedMonthReached(item, closed));
      const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
      for (const item of items) {
        const before = this.select.get(item.currency, item.date) as string | undefined;
        if (before === item.rate) {
          counts.unchanged++;
          continue;
        }
        this.upsertStmt.run(item.currency, item.date, item.rate, stamp);
        if (before === undefined) counts.inserted++;
        else counts.updated++;
      }
      return counts;
    });
  }

  /**
   * The closed month a rate would change: the one it is dated in, or else
   * the first closed month after it when no stored rate of the currency lies
   * between the two (dated after it, on or before that month's first day):
   * then it would become the rate that month converts at. A month closed
   * later than that is shielded by the first one's own rates.
   */
  private closedMonthReached(item: FxRateInput, closed: ClosedMonths): string | { month: string; message: string } | null {
    const month = closed.ofDate(item.date);
    if (month !== null) return month;
    const next = closed.firstAfter(item.date);
    if (next === null || this.rateBetweenStmt.get(item.currency, item.date, firstDayOfMonth(next)) !== undefined) return null;
    return {
      month: next,
      message: `would become the ${item.currency} rate in force on ${firstDayOfMonth(next)}, which closed month ${next} converts at`,
    };
  }

  list(filter: { currency?: string | undefined; from?: string | undefined; to?: string | undefined; after: [string, string] | null; limit: number }): RateQuote[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.currency) (where.push('currency = ?'), params.push(filter.currency));
    if (filter.from) (where.push('date >= ?'), params.push(filter.from));
    if (filter.to) (where.push('date <= ?'), params.push(filter.to));
    if (filter.after) (where.push('(currency, date) > (?, ?)'), params.push(...filter.after));
    const sql = `select currency, date, rate from fx_rates ${where.length ? 'where ' + where.join(' and ') : ''} order by currency, date limit ?`;
    return this.sqlite.prepare(sql).all(...params, filter.limit + 1) as RateQuote[];
  }

  /** Which amounts the reports can convert as the rates stand: a batch's rate warnings. */
  coverage(): RateCoverage {
    return new RateCoverage(this.settings.get().baseCurrency, new Map(this.firstRatesStmt.all() as [string, string][]));
  }

  /** Every rate dated on or before `through`, as a lookup table. */
  table(through: string): FxTable {
    const quotes = this.sqlite.prepare('select currency, date, rate from fx_rates where date <= ?').all(through) as RateQuote[];
    return new FxTable(this.settings.get().baseCurrency, quotes);
  }
}

export { parseRate };
