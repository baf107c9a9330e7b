/** FX: rate parsing, the newest rate on or before a date, exact conversion into the base currency. */
import { describe, expect, it } from 'vitest';
import { attosToDecimal, FxTable, MissingRates, parseRate, RateFormatError } from '../../src/domain/fx.js';
import { Decimal, parseAmount } from '../../src/domain/money.js';

const ONE = 10n ** 12n;

describe('parseRate', () => {
  it('reads a positive decimal into its canonical text and a value scaled by 1e12', () => {
    expect(parseRate('1.0842')).toEqual({ text: '1.0842', scaled: 1_084_200_000_000n });
    expect(parseRate('1')).toEqual({ text: '1', scaled: ONE });
    expect(parseRate('0.000000000001')).toEqual({ text: '0.000000000001', scaled: 1n });
    expect(parseRate('999999.999999999999')).toEqual({ text: '999999.999999999999', scaled: 999_999_999_999_999_999n });
    // Canonical: no leading zeros, no trailing fractional zeros.
    expect(parseRate('001.50').text).toBe('1.5');
    expect(parseRate('2.000').text).toBe('2');
    expect(parseRate(' 1.1 ').text).toBe('1.1');
  });

  it('reads JSON numbers', () => {
    expect(parseRate(1.0842)).toEqual({ text: '1.0842', scaled: 1_084_200_000_000n });
    expect(parseRate(150)).toEqual({ text: '150', scaled: 150n * ONE });
    // Below 1e-6 JavaScript prints a number with an exponent ("4e-8"); its 8 decimals are within 12.
    expect(parseRate(0.00000004)).toEqual({ text: '0.00000004', scaled: 40_000n });
    expect(parseRate(0.000000000001)).toEqual({ text: '0.000000000001', scaled: 1n });
  });

  it('refuses zero, negatives, exponents, and too many digits', () => {
    for (const bad of ['0', '0.000', '-1.1', '1e3', '1.5E-3', '1234567', '1.1234567890123', '', '.5', '1.', 'abc']) {
      expect(() => parseRate(bad), bad).toThrow(RateFormatError);
    }
    expect(() => parseRate(0)).toThrow(/greater than zero/);
    expect(() => parseRate(1e-13)).toThrow(RateFormatError);
  });
});

describe('FxTable.rateOn', () => {
  const table = new FxTable('USD', [
    // Given out of order on purpose: the table sorts them.
    { currency: 'EUR', date: '2026-03-10', rate: '1.10' },
    { currency: 'EUR', date: '2026-02-25', rate: '1.08' },
    { currency: 'GBP', date: '2026-03-01', rate: '1.27' },
    { currency: 'EUR', date: '2026-03-20', rate: '1.2' },
  ]);

  it('is 1 for the base currency, with no rate stored', () => {
    expect(table.rateOn('USD', '1999-01-01')).toBe(ONE);
  });

  it('uses the newest rate dated on or before the date', () => {
    expect(table.rateOn('EUR', '2026-02-25')).toBe(1_080_000_000_000n); // on the day
    expect(table.rateOn('EUR', '2026-03-01')).toBe(1_080_000_000_000n); // 02-25 is the newest before
    expect(table.rateOn('EUR', '2026-03-09')).toBe(1_080_000_000_000n);
    expect(table.rateOn('EUR', '2026-03-10')).toBe(1_100_000_000_000n);
    expect(table.rateOn('EUR', '2026-03-19')).toBe(1_100_000_000_000n);
    expect(table.rateOn('EUR', '2026-03-20')).toBe(1_200_000_000_000n);
    expect(table.rateOn('EUR', '2027-01-01')).toBe(1_200_000_000_000n);
    expect(table.rateOn('GBP', '2026-03-15')).toBe(1_270_000_000_000n);
  });

  it('has no rate before the first one, nor for a currency without rates', () => {
    expect(table.rateOn('EUR', '2026-02-24')).toBeNull();
    expect(table.rateOn('GBP', '2026-02-28')).toBeNull();
    expect(table.rateOn('JPY', '2026-03-15')).toBeNull();
  });

  it('finds the right rate among many (binary search against a linear scan)', () => {
    const quotes = Array.from({ length: 200 }, (_, i) => ({
      currency: 'EUR',
      date: new Date(Date.UTC(2025, 0, 1 + i * 3)).toISOString().slice(0, 10),
      rate: `1.${String(i).padStart(3, '0')}`,
    }));
    const big = new FxTable('USD', [...quotes].reverse());
    for (let day = 0; day < 640; day++) {
      const date = new Date(Date.UTC(2024, 11, 25 + day)).toISOString().slice(0, 10);
      const expected = quotes.filter((q) => q.date <= date).at(-1);
      expect(big.rateOn('EUR', date), date).toBe(expected ? parseRate(expected.rate).scaled : null);
    }
  });
});

describe('conversion into the base currency', () => {
  const table = new FxTable('USD', [
    { currency: 'EUR', date: '2026-03-01', rate: '1.0842' },
    { currency: 'JPY', date: '2026-03-01', rate: '0.006712' },
  ]);

  it('multiplies exactly, with no rounding', () => {
    const missing = new MissingRates();
    // 1000.00 EUR x 1.0842 = 1084.20 USD.
    expect(attosToDecimal(table.toBaseAttos(parseAmount('1000.00'), 'EUR', '2026-03-05', missing)!).toString()).toBe('1084.2');
    // 10.01 EUR x 1.0842 = 10.852842 USD: every digit kept.
    expect(attosToDecimal(table.toBaseAttos(parseAmount('10.01'), 'EUR', '2026-03-05', missing)!).toString()).toBe('10.852842');
    // 0.000001 EUR x 1.0842 = 0.0000010842 USD.
    expect(attosToDecimal(table.toBaseAttos(1n, 'EUR', '2026-03-05', missing)!).toString()).toBe('0.0000010842');
    // 12345 JPY x 0.006712 = 82.85964 USD.
    expect(attosToDecimal(table.toBaseAttos(parseAmount('12345'), 'JPY', '2026-03-31', missing)!).toString()).toBe('82.85964');
    // The base currency converts to itself.
    expect(attosToDecimal(table.toBaseAttos(parseAmount('-12.34'), 'USD', '2020-01-01', missing)!).toString()).toBe('-12.34');
    expect(missing.size).toBe(0);
  });

  it('adds up exactly in attos where floats would drift', () => {
    // Ten lines of 0.10 EUR at 1.0842 = 1.0842 USD exactly.
    const missing = new MissingRates();
    let sum = 0n;
    for (let i = 0; i < 10; i++) sum += table.toBaseAttos(parseAmount('0.10'), 'EUR', '2026-03-02', missing)!;
    expect(attosToDecimal(sum).equals(new Decimal('1.0842'))).toBe(true);
  });

  it('notes every missing (currency, date) once, sorted, and converts nothing for them', () => {
    const missing = new MissingRates();
    expect(table.toBaseAttos(parseAmount('5'), 'GBP', '2026-03-07', missing)).toBeNull();
    expect(table.toBaseAttos(parseAmount('5'), 'GBP', '2026-03-03', missing)).toBeNull();
    expect(table.toBaseAttos(parseAmount('6'), 'GBP', '2026-03-03', missing)).toBeNull();
    expect(table.toBaseAttos(parseAmount('5'), 'EUR', '2026-02-28', missing)).toBeNull(); // before EUR's first rate
    expect(missing.size).toBe(3);
    expect(missing.list()).toEqual([
      { currency: 'EUR', date: '2026-02-28' },
      { currency: 'GBP', date: '2026-03-03' },
      { currency: 'GBP', date: '2026-03-07' },
    ]);
  });
});
