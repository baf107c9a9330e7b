import { count, eq } from 'drizzle-orm';
import type { Db } from '../../db.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { closedMonths, fxRates, settings } from '../../../db/schema.js';
import { ConflictError } from '../../lib/errors.js';

export interface Settings {
  baseCurrency: string;
  fiscalYearStartMonth: number;
  /** Decimal string, such as "0.10". */
  pacingTolerance: string;
}

export const DEFAULT_SETTINGS: Settings = { baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.10' };

export class SettingsService {
  /** The settings as read at data version `version` (another process may change them: see get). */
  private cached: { settings: Settings; version: number } | null = null;

  constructor(private readonly db: Db, private readonly uow: UnitOfWork) {
    this.uow.write((tx) =>
      tx
        .insert(settings)
        .values({ id: 1, ...DEFAULT_SETTINGS, updatedAt: new Date().toISOString() })
        .onConflictDoNothing()
        .run(),
    );
  }

  /** The settings now: read again whenever the data version moved, so a change by another process shows at once. */
  get(): Settings {
    // Inside a transaction the row may hold a change that can still roll back: read it, keep nothing.
    if (this.uow.inTransaction()) return this.read();
    const version = this.uow.version();
    if (this.cached?.version !== version) this.cached = { settings: this.read(), version };
    return this.cached.settings;
  }

  private read(): Settings {
    const row = this.db.select().from(settings).where(eq(settings.id, 1)).get()!;
    return { baseCurrency: row.baseCurrency, fiscalYearStartMonth: row.fiscalYearStartMonth, pacingTolerance: row.pacingTolerance };
  }

  /**
   * Changes the given settings. The base currency cannot change while FX
   * rates exist: they are quoted in the old base, and reports would
   * silently mix units.
   */
  update(change: Partial<Settings>): Settings {
    const next = this.uow.write((tx) => {
      const current = this.get();
      const merged = { ...current, ...change };
      if (merged.baseCurrency !== current.baseCurrency) {
        const closed = tx.select({ month: closedMonths.month }).from(closedMonths).orderBy(closedMonths.month).all().map((row) => row.month);
        if (closed.length > 0) {
          throw new ConflictError(
            'base_currency_months_closed',
            `${closed.length === 1 ? `month ${closed[0]} is` : `months ${closed.join(', ')} are`} closed, and its reports are in ${current.baseCurrency}; the base currency can only change while no month is closed`,
            { months: closed },
          );
        }
        const rates = tx.select({ n: count() }).from(fxRates).get()?.n ?? 0;
        if (rates > 0) {
          throw new ConflictError(
            'base_currency_has_rates',
            `FX rates quoted in ${current.baseCurrency} exist (${rates}); the base currency can only change while there are none`,
          );
        }
      }
      tx.update(settings)
        .set({ ...merged, updatedAt: new Date().toISOString() })
        .where(eq(settings.id, 1))
        .run();
      return merged;
    });
    return next;
  }
}
