/** The fx_rates table. */
import type { RateQuote } from '../../domain/fx.js';
import type { Database } from '../../store/database.js';

export interface FxRateFilter {
  currency?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after: [string, string] | null;
  limit: number;
}

export interface FxRateRepository {
  /**
   * Inserts or changes these rates (distinct (currency, date) pairs) stamped
   * `at`, leaving an equal stored rate untouched, and counts what it did.
   */
  upsert(quotes: readonly RateQuote[], at: string): Promise<{ inserted: number; updated: number }>;
  /** True if a rate of `currency` is dated after `after` and on or before `through`. */
  rateBetween(currency: string, after: string, through: string): Promise<boolean>;
  /** Each currency's earliest rate date. */
  firstRateDates(): Promise<Map<string, string>>;
  /** Rates by currency and date, at most `limit` + 1. */
  list(filter: FxRateFilter): Promise<RateQuote[]>;
  /** Every rate dated on or before `through`. */
  through(through: string): Promise<RateQuote[]>;
}

export function fxRateRepository(database: Database): FxRateRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const select = sqlite.prepare('select rate from fx_rates where currency = ? and date = ?').pluck();
    const upsert = sqlite.prepare(
      `insert into fx_rates (currency, date, rate, updated_at) values (?, ?, ?, ?)
       on conflict (currency, date) do update set rate = excluded.rate, updated_at = excluded.updated_at`,
    );
    const firstRates = sqlite.prepare('select currency, min(date) from fx_rates group by currency').raw(true);
    const rateBetween = sqlite.prepare('select 1 from fx_rates where currency = ? and date > ? and date <= ? limit 1').pluck();
    const through = sqlite.prepare('select currency, date, rate from fx_rates where date <= ? order by currency, date');
    return {
      // The write transaction holds the whole database: read, then write, and the count is exact.
      upsert: async (quotes, at) => {
        let inserted = 0;
        let updated = 0;
        for (const quote of quotes) {
          const before = select.get(quote.currency, quote.date) as string | undefined;
          if (before === quote.rate) continue;
          upsert.run(quote.currency, quote.date, quote.rate, at);
          if (before === undefined) inserted++;
          else updated++;
        }
        return { inserted, updated };
      },
      rateBetween: async (currency, after, until) => rateBetween.get(currency, after, until) !== undefined,
      firstRateDates: async () => new Map(firstRates.all() as [string, string][]),
      list: async (filter) => {
        const { where, params } = listFilter(filter, () => '?');
        return sqlite.prepare(`select currency, date, rate from fx_rates ${where} order by currency, date limit ?`).all(...params, filter.limit + 1) as RateQuote[];
      },
      through: async (until) => through.all(until) as RateQuote[],
    };
  }
  const { pg } = database;
  return {
    // One statement decides insert, change or nothing per row, so concurrent
    // batches cannot both count the same rate as inserted: a changed row
    // comes back with xmax = 0 if it was inserted; an equal one not at all.
    // In key order, so that two batches lock their common rows in one order.
    upsert: async (quotes, at) => {
      const sorted = [...quotes].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
      const { rows } = await pg.query<{ inserted: boolean }>(
        `insert into fx_rates (currency, date, rate, updated_at)
         select t.currency, t.date, t.rate, $4::text from unnest($1::text[], $2::text[], $3::text[]) as t(currency, date, rate)
         on conflict (currency, date) do update set rate = excluded.rate, updated_at = excluded.updated_at
           where fx_rates.rate <> excluded.rate
         returning (xmax = 0) as inserted`,
        [sorted.map((q) => q.currency), sorted.map((q) => q.date), sorted.map((q) => q.rate), at],
      );
      const inserted = rows.filter((row) => row.inserted).length;
      return { inserted, updated: rows.length - inserted };
    },
    rateBetween: async (currency, after, until) =>
      ((await pg.query('select 1 from fx_rates where currency = $1 and date > $2 and date <= $3 limit 1', [currency, after, until])).rowCount ?? 0) > 0,
    firstRateDates: async () =>
      new Map((await pg.queryArrays<[string, string]>('select currency, min(date) from fx_rates group by currency')).map(([c, d]) => [c, d] as const)),
    list: async (filter) => {
      let n = 0;
      const { where, params } = listFilter(filter, () => `$${++n}`);
      return (await pg.query<RateQuote>(`select currency, date, rate from fx_rates ${where} order by currency, date limit $${++n}`, [...params, filter.limit + 1]))
        .rows;
    },
    through: async (until) => (await pg.query<RateQuote>('select currency, date, rate from fx_rates where date <= $1 order by currency, date', [until])).rows,
  };
}

/** The where clause of `list`, with the dialect's placeholders. */
function listFilter(filter: FxRateFilter, next: () => string): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.currency) (where.push(`currency = ${next()}`), params.push(filter.currency));
  if (filter.from) (where.push(`date >= ${next()}`), params.push(filter.from));
  if (filter.to) (where.push(`date <= ${next()}`), params.push(filter.to));
  if (filter.after) {
    const [a, b] = [next(), next()];
    where.push(`(currency, date) > (${a}, ${b})`);
    params.push(...filter.after);
  }
  return { where: where.length ? 'where ' + where.join(' and ') : '', params };
}
