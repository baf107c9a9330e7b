import { count, eq } from 'drizzle-orm';
import type { Db } from '../../db.js';
import type { AuditLog } from '../audit/service.js';
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
  private cached: Settings | null = null;

  constructor(private readonly db: Db, private readonly audit: AuditLog) {
    this.db
      .insert(settings)
      .values({ id: 1, ...DEFAULT_SETTINGS, updatedAt: new Date().toISOString() })
      .onConflictDoNothing()
      .run();
  }

  get(): Settings {
    if (!this.cached) {
      const row = this.db.select().from(settings).where(eq(settings.id, 1)).get()!;
      this.cached = {
        baseCurrency: row.baseCurrency,
        fiscalYearStartMonth: row.fiscalYearStartMonth,
        pacingTolerance: row.pacingTolerance,
      };
    }
    return this.cached;
  }

  /**
   * Changes the given settings. The base currency cannot change while FX
   * rates exist: they are quoted in the old base, and reports would
   * silently mix units.
   */
  update(change: Partial<Settings>): Settings {
    const next = this.audit.transaction(() => this.db.transaction((tx) => {
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
    }));
    this.cached = next;
    return next;
  }
}
