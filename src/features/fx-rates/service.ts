/** FX rates: base-currency units per one unit of a currency, per day. */
import type { Sqlite } from '../../db.js';
import { FxTable, parseRate, type RateQuote } from '../../domain/fx.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, type BatchCounts } from '../shared/batch.js';
import type { SettingsService } from '../settings/service.js';

export interface FxRateInput {
  date: string;
  currency: string;
  rate: string;
}

export class FxRateService {
  private readonly select;
  private readonly upsertStmt;

  constructor(private readonly sqlite: Sqlite, private readonly settings: SettingsService, private readonly now = () => new Date()) {
    this.select = sqlite.prepare('select rate from fx_rates where currency = ? and date = ?').pluck();
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
    return this.sqlite.transaction(() => {
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
    })();
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

  /** Every rate dated on or before `through`, as a lookup table. */
  table(through: string): FxTable {
    const quotes = this.sqlite.prepare('select currency, date, rate from fx_rates where date <= ?').all(through) as RateQuote[];
    return new FxTable(this.settings.get().baseCurrency, quotes);
  }
}

export { parseRate };
