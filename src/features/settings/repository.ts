/** The settings row (id = 1), and the counts a base-currency change checks. */
import { count, eq } from 'drizzle-orm';
import { closedMonths, fxRates, settings } from '../../../db/schema.js';
import type { Database } from '../../store/database.js';
import type { Settings } from './service.js';

export interface SettingsRepository {
  /** Creates the row with `defaults` if it is missing. */
  ensure(defaults: Settings, at: string): Promise<void>;
  read(): Promise<Settings>;
  /**
   * Reads the row and, on PostgreSQL, locks it until the write ends:
   * `update` locks it against any other writer, `share` only against a
   * change of the settings (an FX rate batch takes it so that the base
   * currency it checked cannot change before it commits). SQLite's write
   * transaction holds the whole database: there it is a plain read.
   */
  readLocked(mode: 'update' | 'share'): Promise<Settings>;
  write(next: Settings, at: string): Promise<void>;
  /** The closed months; on PostgreSQL locked FOR SHARE, so a concurrent close (which locks closed_months EXCLUSIVE) waits for the write. */
  closedMonths(): Promise<string[]>;
  rateCount(): Promise<number>;
}

export function settingsRepository(database: Database): SettingsRepository {
  if (database.dialect === 'sqlite') {
    const { db } = database;
    const read = async () => {
      const row = db.select().from(settings).where(eq(settings.id, 1)).get()!;
      return { baseCurrency: row.baseCurrency, fiscalYearStartMonth: row.fiscalYearStartMonth, pacingTolerance: row.pacingTolerance };
    };
    return {
      ensure: async (defaults, at) => void db.insert(settings).values({ id: 1, ...defaults, updatedAt: at }).onConflictDoNothing().run(),
      read,
      readLocked: () => read(),
      write: async (next, at) => void db.update(settings).set({ ...next, updatedAt: at }).where(eq(settings.id, 1)).run(),
      closedMonths: async () => db.select({ month: closedMonths.month }).from(closedMonths).orderBy(closedMonths.month).all().map((row) => row.month),
      rateCount: async () => db.select({ n: count() }).from(fxRates).get()?.n ?? 0,
    };
  }
  const { pg } = database;
  const read = async (lock: string) => {
    const { rows } = await pg.query<{ base_currency: string; fiscal_year_start_month: number; pacing_tolerance: string }>(
      `select base_currency, fiscal_year_start_month, pacing_tolerance from settings where id = 1${lock}`,
    );
    const row = rows[0]!;
    return { baseCurrency: row.base_currency, fiscalYearStartMonth: row.fiscal_year_start_month, pacingTolerance: row.pacing_tolerance };
  };
  return {
    ensure: async (defaults, at) =>
      void (await pg.query(
        'insert into settings (id, base_currency, fiscal_year_start_month, pacing_tolerance, updated_at) values (1, $1, $2, $3, $4) on conflict (id) do nothing',
        [defaults.baseCurrency, defaults.fiscalYearStartMonth, defaults.pacingTolerance, at],
      )),
    read: () => read(''),
    readLocked: (mode) => read(mode === 'update' ? ' for update' : ' for share'),
    write: async (next, at) =>
      void (await pg.query('update settings set base_currency = $1, fiscal_year_start_month = $2, pacing_tolerance = $3, updated_at = $4 where id = 1', [
        next.baseCurrency,
        next.fiscalYearStartMonth,
        next.pacingTolerance,
        at,
      ])),
    closedMonths: async () => (await pg.query<{ month: string }>('select month from closed_months order by month for share')).rows.map((row) => row.month),
    rateCount: async () => Number((await pg.query<{ n: bigint }>('select count(*) as n from fx_rates')).rows[0]!.n),
  };
}
