/** FX rates: base-currency units per one unit of a currency, per day. */
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { FxTable, parseRate, RateCoverage, type RateQuote } from '../../domain/fx.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, type BatchCounts } from '../common/batch.js';
import type { SettingsService } from '../settings/service.js';
import type { PeriodService } from '../periods/service.js';
import type { ClosedMonths } from '../../domain/closed-months.js';
import { firstDayOfMonth } from '../../domain/periods.js';
import { fxRateRepository, type FxRateFilter, type FxRateRepository } from './repository.js';

export interface FxRateInput {
  date: string;
  currency: string;
  rate: string;
}

export class FxRateService {
  private readonly repository: FxRateRepository;

  constructor(
    database: Database,
    private readonly uow: UnitOfWork,
    private readonly settings: SettingsService,
    private readonly periods: PeriodService,
    private readonly now = () => new Date(),
  ) {
    this.repository = fxRateRepository(database);
  }

  async upsert(items: FxRateInput[], pathOf: (i: number) => string): Promise<BatchCounts> {
    const stamp = this.now().toISOString();
    return this.uow.write(async () => {
      // Read in the write, locked against a base-currency change until it commits (see SettingsService.update).
      const base = (await this.settings.forWrite()).baseCurrency;
      const errors = new FieldErrors();
      items.forEach((item, i) => {
        if (item.currency === base) errors.add(`${pathOf(i)}currency`, `is the base currency ${base}, whose rate is always 1`);
      });
      flagRepeats(items, (item) => `${item.currency} ${item.date}`, errors, pathOf, 'date', (earlier) => `repeats the rate of item ${earlier} (same currency and date)`);
      errors.throwIfAny();
      await this.periods.refuseClosed(items, pathOf, 'date', (item, closed) => this.closedMonthReached(item, closed));
      const { inserted, updated } = await this.repository.upsert(items, stamp);
      return { inserted, updated, unchanged: items.length - inserted - updated };
    });
  }

  /**
   * The closed month a rate would change: the one it is dated in, or else
   * the first closed month after it when no stored rate of the currency lies
   * between the two (dated after it, on or before that month's first day):
   * then it would become the rate that month converts at. A month closed
   * later than that is shielded by the first one's own rates.
   */
  private closedMonthReached(item: FxRateInput, closed: ClosedMonths): string | null | Promise<{ month: string; message: string } | null> {
    const month = closed.ofDate(item.date);
    if (month !== null) return month;
    const next = closed.firstAfter(item.date);
    if (next === null) return null;
    return this.repository.rateBetween(item.currency, item.date, firstDayOfMonth(next)).then((shielded) =>
      shielded ? null : { month: next, message: `would become the ${item.currency} rate in force on ${firstDayOfMonth(next)}, which closed month ${next} converts at` },
    );
  }

  list(filter: FxRateFilter): Promise<RateQuote[]> {
    return this.repository.list(filter);
  }

  /** Which amounts the reports can convert as the rates stand: a batch's rate warnings. */
  async coverage(): Promise<RateCoverage> {
    const base = (await this.settings.get()).baseCurrency;
    return new RateCoverage(base, await this.repository.firstRateDates());
  }

  /** Every rate dated on or before `through`, as a lookup table. */
  async table(through: string): Promise<FxTable> {
    const base = (await this.settings.get()).baseCurrency;
    return new FxTable(base, await this.repository.through(through));
  }
}

export { parseRate };
