import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { ConflictError } from '../../lib/errors.js';
import { settingsRepository, type SettingsRepository } from './repository.js';

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
  private readonly repository: SettingsRepository;

  constructor(database: Database, private readonly uow: UnitOfWork) {
    this.repository = settingsRepository(database);
  }

  /** Creates the settings row with the defaults on a new database (the app calls it once at start). */
  async ensure(): Promise<void> {
    await this.uow.write(() => this.repository.ensure(DEFAULT_SETTINGS, new Date().toISOString()));
  }

  /** The settings now: read again whenever the data version moved, so a change by another process shows at once. */
  async get(): Promise<Settings> {
    // Inside a transaction the row may hold a change that can still roll back: read it, keep nothing.
    if (this.uow.inTransaction()) return this.repository.read();
    const version = await this.uow.version();
    if (this.cached?.version !== version) this.cached = { settings: await this.repository.read(), version };
    return this.cached.settings;
  }

  /**
   * The settings, for a write that depends on them (an FX rate batch checks
   * the base currency): on PostgreSQL the row stays locked against a change
   * until that write ends. Call it inside the write.
   */
  async forWrite(): Promise<Settings> {
    return this.repository.readLocked('share');
  }

  /**
   * Changes the given settings. The base currency cannot change while FX
   * rates exist: they are quoted in the old base, and reports would
   * silently mix units. On PostgreSQL the row is locked first, so the
   * checks hold until the change commits: an FX rate batch (which locks it
   * FOR SHARE) and a month close (held back by the FOR SHARE read of the
   * closed months) wait for it, or it for them.
   */
  async update(change: Partial<Settings>): Promise<Settings> {
    return this.uow.write(async () => {
      const current = await this.repository.readLocked('update');
      const merged = { ...current, ...change };
      if (merged.baseCurrency !== current.baseCurrency) {
        const closed = await this.repository.closedMonths();
        if (closed.length > 0) {
          throw new ConflictError(
            'base_currency_months_closed',
            `${closed.length === 1 ? `month ${closed[0]} is` : `months ${closed.join(', ')} are`} closed, and its reports are in ${current.baseCurrency}; the base currency can only change while no month is closed`,
            { months: closed },
          );
        }
        const rates = await this.repository.rateCount();
        if (rates > 0) {
          throw new ConflictError(
            'base_currency_has_rates',
            `FX rates quoted in ${current.baseCurrency} exist (${rates}); the base currency can only change while there are none`,
          );
        }
      }
      await this.repository.write(merged, new Date().toISOString());
      return merged;
    });
  }
}
