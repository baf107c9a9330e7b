/**
 * Conversion into the base currency. A rate is base-currency units per one
 * unit of the currency, an exact decimal with at most 6 integer and 12
 * fractional digits, held as a bigint scaled by 1e12. An amount in micros
 * times a scaled rate is the converted amount in 1e-18 units ("attos"):
 * exact, and cheap to add up in bigint.
 */
import { Decimal, plainNumberText } from './money.js';
import { formatDay } from './periods.js';

export const RATE_DECIMALS = 12;
const RATE_ONE = 10n ** BigInt(RATE_DECIMALS);
/** Base-currency attos (1e-18) in one unit: the exact grain of converted amounts (micros x a 12-decimal rate). */
export const ATTOS_PER_UNIT = 10n ** 18n;

/** One printed minor unit (10^-scale of a unit), in attos. */
export function attosPerMinorUnit(scale: number): bigint {
  return ATTOS_PER_UNIT / 10n ** BigInt(scale);
}

export class RateFormatError extends Error {}

const RATE = /^(\d{1,6})(?:\.(\d{1,12}))?$/;

/** Parses a positive rate (string or number) into its canonical text and scaled value. */
export function parseRate(input: string | number): { text: string; scaled: bigint } {
  const source = typeof input === 'number' ? plainNumberText(input) : input.trim();
  const match = RATE.exec(source);
  if (!match) {
    throw new RateFormatError('must be a positive decimal in plain notation with at most 6 integer and 12 fractional digits');
  }
  const scaled = BigInt(match[1]!) * RATE_ONE + BigInt((match[2] ?? '').padEnd(RATE_DECIMALS, '0'));
  if (scaled === 0n) throw new RateFormatError('must be greater than zero');
  const frac = (match[2] ?? '').replace(/0+$/, '');
  return { text: `${BigInt(match[1]!)}${frac ? '.' + frac : ''}`, scaled };
}

export interface RateQuote {
  currency: string;
  date: string;
  rate: string;
}

/** Missing (currency, date) pairs, deduplicated and sorted, for a 422. */
export class MissingRates {
  private readonly pairs = new Set<string>();
  add(currency: string, date: string): void {
    this.pairs.add(`${currency} ${date}`);
  }
  get size(): number {
    return this.pairs.size;
  }
  list(): { currency: string; date: string }[] {
    return [...this.pairs].sort().map((pair) => {
      const [currency, date] = pair.split(' ') as [string, string];
      return { currency, date };
    });
  }
}

/** The newest rate dated on or before a day, per currency. */
export class FxTable {
  private readonly byCurrency = new Map<string, { dates: string[]; scaled: bigint[] }>();

  constructor(readonly baseCurrency: string, quotes: Iterable<RateQuote>) {
    const sorted = [...quotes].sort((a, b) => (a.currency + a.date < b.currency + b.date ? -1 : 1));
    for (const quote of sorted) {
      const entry = this.byCurrency.get(quote.currency) ?? { dates: [], scaled: [] };
      entry.dates.push(quote.date);
      entry.scaled.push(parseRate(quote.rate).scaled);
      this.byCurrency.set(quote.currency, entry);
    }
  }

  /** The scaled rate in force on `date`, or null when there is none. */
  rateOn(currency: string, date: string): bigint | null {
    if (currency === this.baseCurrency) return RATE_ONE;
    const entry = this.byCurrency.get(currency);
    if (!entry) return null;
    let lo = 0;
    let hi = entry.dates.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entry.dates[mid]! <= date) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? null : entry.scaled[found]!;
  }

  /** Micros of `currency` on `date` in base-currency attos, or null (and noted) when no rate exists. */
  toBaseAttos(micros: bigint, currency: string, date: string, missing: MissingRates): bigint | null {
    const rate = this.rateOn(currency, date);
    if (rate === null) {
      missing.add(currency, date);
      return null;
    }
    return micros * rate;
  }
}

/**
 * Which amounts the reports can convert: one in the base currency always,
 * one in another currency from the date of that currency's earliest rate on
 * (a report converts at the newest rate on or before the amount's date).
 */
export class RateCoverage {
  constructor(
    readonly baseCurrency: string,
    /** Each currency's earliest rate date. */
    private readonly firstRateDates: ReadonlyMap<string, string>,
  ) {}

  converts(currency: string, date: string): boolean {
    if (currency === this.baseCurrency) return true;
    const first = this.firstRateDates.get(currency);
    return first !== undefined && first <= date;
  }
}

export function attosToDecimal(attos: bigint): Decimal {
  return new Decimal(attos.toString()).div(ATTOS_PER_UNIT.toString());
}

/**
 * The scaled rate of a currency on a day (days since the epoch), each
 * (currency, day) looked up once per report: a year of conversions falls on
 * 365 days. A missing rate is noted in `missing` and comes back null.
 */
export function rateFinder(fx: FxTable, missing: MissingRates): (currency: string, day: number) => bigint | null {
  const byCurrency = new Map<string, Map<number, bigint | null>>();
  return (currency, day) => {
    let days = byCurrency.get(currency);
    if (days === undefined) byCurrency.set(currency, (days = new Map()));
    let rate = days.get(day);
    if (rate === undefined) {
      const date = formatDay(day);
      rate = fx.rateOn(currency, date);
      if (rate === null) missing.add(currency, date);
      days.set(day, rate);
    }
    return rate;
  };
}
