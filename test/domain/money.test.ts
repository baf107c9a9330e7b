/**
 * The money module: exact parsing into micros, printing at a currency's minor
 * unit, half-even rounding, and largest-remainder allocation. Plus the JSON
 * body parser that keeps number literals exact on their way to parseAmount.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minorUnits } from '../../src/domain/currency.js';
import {
  allocateRounded,
  allocateUnits,
  ceilDiv,
  compareFractions,
  Decimal,
  divRoundHalfEven,
  floorDiv,
  formatFraction,
  formatUnits,
  fractionOf,
  decimalToMicros,
  formatAmount,
  formatDecimal,
  formatMicros,
  microsToDecimal,
  microsToString,
  MoneyFormatError,
  parseAmount,
  parseAmountExact,
  plainNumberText,
  roundHalfEven,
} from '../../src/domain/money.js';
import { InvalidJsonError, NumberLiteral, parseJsonExact } from '../../src/lib/json-body.js';

const d = (text: string) => new Decimal(text);

describe('parseAmount', () => {
  it('reads decimal strings into exact micros', () => {
    expect(parseAmount('1234.50')).toBe(1_234_500_000n);
    expect(parseAmount('0.000001')).toBe(1n);
    expect(parseAmount('7')).toBe(7_000_000n);
    expect(parseAmount('0')).toBe(0n);
    // 0.1 + 0.2 is not 0.3 in binary floats; in micros it is.
    expect(parseAmount('0.1') + parseAmount('0.2')).toBe(parseAmount('0.3'));
  });

  it('reads JSON numbers in plain notation', () => {
    expect(parseAmount(1234.5)).toBe(1_234_500_000n);
    expect(parseAmount(95.1)).toBe(95_100_000n);
    expect(parseAmount(0.000001)).toBe(1n);
    expect(parseAmount(-12.25)).toBe(-12_250_000n);
    expect(parseAmount(123456789.123456)).toBe(123_456_789_123_456n);
  });

  it('takes 12 integer digits and refuses 13', () => {
    expect(parseAmount('999999999999')).toBe(999_999_999_999_000_000n);
    expect(parseAmount('999999999999.999999')).toBe(999_999_999_999_999_999n);
    expect(parseAmount(999999999999)).toBe(999_999_999_999_000_000n);
    expect(() => parseAmount('1000000000000')).toThrow(/at most 12 integer digits/);
    expect(() => parseAmount('-1000000000000')).toThrow(/at most 12 integer digits/);
    expect(() => parseAmount(1000000000000)).toThrow(MoneyFormatError);
  });

  it('takes 6 decimal places and refuses 7', () => {
    expect(parseAmount('1.123456')).toBe(1_123_456n);
    expect(() => parseAmount('1.1234567')).toThrow(/at most 6 decimal places/);
    // Trailing zeros are digits too: the rule is about what was written.
    expect(() => parseAmount('1.1000000')).toThrow(/at most 6 decimal places/);
    expect(() => parseAmount(0.1234567)).toThrow(/at most 6 decimal places/);
    // A JSON number 0.0000001 prints as "1e-7" in JavaScript; the client wrote it in
    // plain notation, so the reason to refuse it is its 7 decimals, not an exponent.
    expect(() => parseAmount(0.0000001)).toThrow(/at most 6 decimal places/);
    expect(() => parseAmount(-0.0000005)).toThrow(/at most 6 decimal places/);
  });

  it('refuses exponents, in strings and in numbers whose shortest form has one', () => {
    for (const text of ['1e3', '1.5e3', '1E3', '1.5e+3', '15e-1']) {
      expect(() => parseAmount(text), text).toThrow(/plain notation/);
    }
  });

  it('judges a JSON number by its value, whatever notation JavaScript prints it in', () => {
    expect(plainNumberText(0.0000001)).toBe('0.0000001'); // String() gives '1e-7'
    expect(plainNumberText(1e21)).toBe('1000000000000000000000'); // String() gives '1e+21'
    expect(plainNumberText(-2.5e-7)).toBe('-0.00000025');
    expect(plainNumberText(1234.5)).toBe('1234.5');
    expect(() => parseAmount(1e21)).toThrow(/at most 12 integer digits/);
  });

  it('reads negative amounts (credits, refunds)', () => {
    expect(parseAmount('-0.5')).toBe(-500_000n);
    expect(parseAmount('-1234.567891')).toBe(-1_234_567_891n);
    expect(parseAmount('-0')).toBe(0n);
    expect(() => parseAmount('+5')).toThrow(MoneyFormatError);
    expect(() => parseAmount('--5')).toThrow(MoneyFormatError);
  });

  it('ignores leading zeros when counting integer digits', () => {
    expect(parseAmount('007.50')).toBe(7_500_000n);
    expect(parseAmount('0000000000000001')).toBe(1_000_000n); // 16 characters, 1 significant integer digit
    expect(parseAmount('000.000001')).toBe(1n);
  });

  it('trims surrounding whitespace of a string and refuses any inside it', () => {
    expect(parseAmount(' 12.50 ')).toBe(12_500_000n);
    expect(parseAmount('\t12.50\n')).toBe(12_500_000n);
    expect(() => parseAmount('1 000.00')).toThrow(MoneyFormatError);
    expect(() => parseAmount('- 5')).toThrow(MoneyFormatError);
  });

  it('refuses everything that is not a plain decimal', () => {
    for (const text of ['', ' ', '.5', '5.', '1,000.00', '1.000,00', '$5', '5 USD', 'NaN', 'Infinity', '0x10', '1..2', '١٢']) {
      expect(() => parseAmount(text), JSON.stringify(text)).toThrow(MoneyFormatError);
    }
    expect(() => parseAmount(Number.NaN)).toThrow(MoneyFormatError);
    expect(() => parseAmount(Number.POSITIVE_INFINITY)).toThrow(MoneyFormatError);
  });

  it('round-trips every valid micros value through its text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -999_999_999_999_999_999n, max: 999_999_999_999_999_999n }), (micros) => {
        expect(parseAmount(formatMicros(micros))).toBe(micros);
        expect(parseAmount(microsToString(micros))).toBe(micros);
        expect(decimalToMicros(microsToDecimal(micros))).toBe(micros);
      }),
      { numRuns: 500 },
    );
  });
});

/** parseAmount's outcome as a comparable value: the micros, or the error's class and message. */
function outcome(parse: (input: string | number) => bigint, input: string | number): bigint | string {
  try {
    return parse(input);
  } catch (error) {
    return `${(error as Error).constructor.name}: ${(error as Error).message}`;
  }
}

describe('parseAmount takes a Number shortcut for common amounts, always to the bigint answer', () => {
  const digitString = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });
  // Around the shortcut's limits (9 integer and 6 fractional digits, 17 characters) and past them, with what must fall back.
  const amountText = fc
    .tuple(
      fc.constantFrom('', '', '', '-', '+', ' ', '--'),
      digitString(0, 14),
      fc.option(fc.tuple(fc.constantFrom('.', '.', ',', '..'), digitString(0, 8)), { nil: undefined }),
      fc.constantFrom('', '', '', ' ', '\n', 'e3', 'x', '\u00a0'),
    )
    .map(([sign, int, frac, tail]) => `${sign}${int}${frac === undefined ? '' : frac[0] + frac[1]}${tail}`);
  // A double with at most 6 decimals, as a client writes one, near the 1e9 limit or not; and any double at all.
  const amountNumber = fc.oneof(
    fc.tuple(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), fc.integer({ min: 0, max: 9_999_999 }), fc.integer({ min: 1, max: 7 })).map(
      ([int, frac, places]) => Number(`${int}.${String(frac).padStart(7, '0').slice(0, places)}`),
    ),
    fc.integer({ min: -1_000_000_000_000_000, max: 1_000_000_000_000_000 }).map((micros) => micros / 1e6),
    fc.double(),
    fc.double({ min: -1e9, max: 1e9 }),
    fc.constantFrom(0, -0, 1e-6, -1e-6, 5e-7, 999_999_999.999999, -999_999_999.999999, 1e9, -1e9, 1e9 - 1e-6, 0.1 + 0.2, 1e-7, 123456789.1234565),
  );

  it('gives what the bigint path gives, micros or the same error, for any text', () => {
    fc.assert(
      fc.property(amountText, (text) => {
        expect(outcome(parseAmount, text)).toEqual(outcome(parseAmountExact, text));
      }),
      { numRuns: 5000 },
    );
  });

  it('gives what the bigint path gives for any JSON number', () => {
    fc.assert(
      fc.property(amountNumber, (value) => {
        expect(outcome(parseAmount, value)).toEqual(outcome(parseAmountExact, value));
      }),
      { numRuns: 5000 },
    );
  });

  it('at its edges: 9 integer digits and 6 decimals in; 10, 7 or spaces go the bigint way, still exact', () => {
    expect(parseAmount('999999999.999999')).toBe(999_999_999_999_999n);
    expect(parseAmount('-999999999.999999')).toBe(-999_999_999_999_999n);
    expect(parseAmount('9999999999.999999')).toBe(9_999_999_999_999_999n); // 10^16 micros: past 2^53
    expect(parseAmount(999_999_999.999999)).toBe(999_999_999_999_999n);
    expect(parseAmount(9_999_999_999.99999)).toBe(9_999_999_999_999_990n);
    expect(parseAmount('-0')).toBe(0n);
    expect(parseAmount(-0)).toBe(0n);
    expect(() => parseAmount(0.1 + 0.2)).toThrow(/at most 6 decimal places/); // 0.30000000000000004
    expect(() => parseAmount(5e-7)).toThrow(/at most 6 decimal places/);
  });
});

describe('formatMicros and formatAmount', () => {
  it('prints micros at a given scale, exactly', () => {
    expect(formatMicros(1_234_500_000n, 2)).toBe('1234.50');
    expect(formatMicros(1_500_000_000n, 0)).toBe('1500');
    expect(formatMicros(5n)).toBe('0.000005');
    expect(formatMicros(-500_000n, 2)).toBe('-0.50');
    expect(formatMicros(-1n)).toBe('-0.000001');
    expect(formatMicros(1_000_000n, 8)).toBe('1.00000000');
    // Refuses to hide digits rather than round silently.
    expect(() => formatMicros(1_234_567_891n, 2)).toThrow(RangeError);
  });

  it('prints the shortest exact text for echoing input back', () => {
    expect(microsToString(12_500_000n)).toBe('12.5');
    expect(microsToString(3_000_000n)).toBe('3');
    expect(microsToString(0n)).toBe('0');
    expect(microsToString(-1n)).toBe('-0.000001');
  });

  it('prints JPY with 0, USD with 2 and KWD with 3 minor digits', () => {
    expect(minorUnits('JPY')).toBe(0);
    expect(minorUnits('USD')).toBe(2);
    expect(minorUnits('KWD')).toBe(3);
    expect(formatAmount(parseAmount('1500'), minorUnits('JPY'))).toBe('1500');
    expect(formatAmount(parseAmount('1234.5'), minorUnits('USD'))).toBe('1234.50');
    expect(formatAmount(parseAmount('7'), minorUnits('USD'))).toBe('7.00');
    expect(formatAmount(parseAmount('1.5'), minorUnits('KWD'))).toBe('1.500');
    expect(formatAmount(parseAmount('-0.5'), minorUnits('USD'))).toBe('-0.50');
    expect(formatAmount(0n, minorUnits('KWD'))).toBe('0.000');
  });

  it('keeps digits finer than the minor unit rather than hide them', () => {
    expect(formatAmount(parseAmount('1500.5'), minorUnits('JPY'))).toBe('1500.5');
    expect(formatAmount(parseAmount('12.345'), minorUnits('USD'))).toBe('12.345');
    expect(formatAmount(parseAmount('12.345678'), minorUnits('USD'))).toBe('12.345678');
    expect(formatAmount(parseAmount('1.2345'), minorUnits('KWD'))).toBe('1.2345');
    expect(formatAmount(parseAmount('0.000001'), minorUnits('JPY'))).toBe('0.000001');
  });

  it('never loses or invents value when printing at any minor unit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }), fc.constantFrom(0, 2, 3, 4), (micros, digits) => {
        const text = formatAmount(micros, digits);
        expect(parseAmount(text)).toBe(micros);
        expect(text.split('.')[1]?.length ?? 0).toBeGreaterThanOrEqual(digits);
      }),
      { numRuns: 500 },
    );
  });
});

describe('roundHalfEven', () => {
  it('rounds ties to the even digit', () => {
    expect(roundHalfEven(d('0.125'), 2).toString()).toBe('0.12');
    expect(roundHalfEven(d('0.135'), 2).toString()).toBe('0.14');
    expect(roundHalfEven(d('0.145'), 2).toString()).toBe('0.14');
    expect(roundHalfEven(d('2.5'), 0).toString()).toBe('2');
    expect(roundHalfEven(d('3.5'), 0).toString()).toBe('4');
  });

  it('rounds non-ties to the nearest', () => {
    expect(roundHalfEven(d('0.1251'), 2).toString()).toBe('0.13');
    expect(roundHalfEven(d('0.1249999'), 2).toString()).toBe('0.12');
    expect(roundHalfEven(d('1.0005'), 3).toString()).toBe('1'); // tie, 0 is even
    expect(roundHalfEven(d('1.0015'), 3).toString()).toBe('1.002');
  });

  it('is symmetric for negatives', () => {
    expect(roundHalfEven(d('-0.125'), 2).toString()).toBe('-0.12');
    expect(roundHalfEven(d('-0.135'), 2).toString()).toBe('-0.14');
    expect(roundHalfEven(d('-0.1251'), 2).toString()).toBe('-0.13');
    expect(roundHalfEven(d('-2.5'), 0).toString()).toBe('-2');
  });

  it('prints with exactly the scale asked for', () => {
    expect(formatDecimal(d('0.125'), 2)).toBe('0.12');
    expect(formatDecimal(d('3'), 2)).toBe('3.00');
    expect(formatDecimal(d('0.58064516'), 4)).toBe('0.5806');
    expect(formatDecimal(d('1.00005'), 4)).toBe('1.0000');
  });

  it('never prints a negative zero', () => {
    // decimal.js alone gives '-0.0000' for -0.00001: a ratio of a tiny credit.
    expect(formatDecimal(d('-0.00001'), 4)).toBe('0.0000');
    expect(formatDecimal(d('-0.004'), 2)).toBe('0.00');
    expect(formatDecimal(d('-0.4'), 0)).toBe('0');
    expect(formatDecimal(d('-0.005'), 2)).toBe('0.00'); // tie to even 0
    expect(formatDecimal(d('-0.006'), 2)).toBe('-0.01');
    expect(formatDecimal(d('-10.5'), 0)).toBe('-10');
  });
});

describe('allocateRounded (largest remainder)', () => {
  const strings = (parts: Decimal[]) => parts.map((p) => p.toFixed(2));

  it('splits 100.00 in three thirds as 33.34 + 33.33 + 33.33', () => {
    const third = d('100').div(3); // 33.333...
    const { parts, total } = allocateRounded([third, third, third], 2);
    // Floors 33.33 x 3 = 99.99; total rounds to 100.00; the one cent owed goes
    // to the largest remainder, all equal, so to the first part.
    expect(strings(parts)).toEqual(['33.34', '33.33', '33.33']);
    expect(total.toFixed(2)).toBe('100.00');
  });

  it('gives the owed cents to the largest remainders', () => {
    // Exact 1.005 + 2.009 + 3.004 = 6.018 -> 6.02. Floors 1.00 + 2.00 + 3.00 = 6.00,
    // so 2 cents owed: to 2.009 (remainder .009) and then 1.005 (.005), not 3.004 (.004).
    const { parts, total } = allocateRounded([d('1.005'), d('2.009'), d('3.004')], 2);
    expect(strings(parts)).toEqual(['1.01', '2.01', '3.00']);
    expect(total.toFixed(2)).toBe('6.02');
  });

  it('rounds the total half-even, so a tie can leave a part below its own rounding', () => {
    // Three parts of 0.005: total exact 0.015 -> 0.02 (half-even: 1 is odd, up to 2).
    // Floors are 0.00; 2 cents owed, remainders tie, earlier parts first.
    const { parts, total } = allocateRounded([d('0.005'), d('0.005'), d('0.005')], 2);
    expect(strings(parts)).toEqual(['0.01', '0.01', '0.00']);
    expect(total.toFixed(2)).toBe('0.02');
    // Two parts of 0.0125: total 0.025 -> 0.02 (2 is even). Floors 0.01 + 0.01, nothing owed.
    const two = allocateRounded([d('0.0125'), d('0.0125')], 2);
    expect(strings(two.parts)).toEqual(['0.01', '0.01']);
    expect(two.total.toFixed(2)).toBe('0.02');
  });

  it('handles negative parts (floor goes down, the remainder is still positive)', () => {
    // -0.333 floors to -0.34 (remainder 0.007); 1.001 floors to 1.00 (remainder 0.001).
    // Exact total 0.668 -> 0.67; floors -0.34 + 1.00 = 0.66; 1 cent owed, to -0.333.
    const { parts, total } = allocateRounded([d('-0.333'), d('1.001')], 2);
    expect(strings(parts)).toEqual(['-0.33', '1.00']);
    expect(total.toFixed(2)).toBe('0.67');
  });

  it('leaves exact parts alone, and works at 0 and 3 digits', () => {
    expect(strings(allocateRounded([d('1.50'), d('2.25')], 2).parts)).toEqual(['1.50', '2.25']);
    // JPY: 1000 / 3 = 333.33 x 3 -> 334 + 333 + 333.
    const yen = allocateRounded([d('1000').div(3), d('1000').div(3), d('1000').div(3)], 0);
    expect(yen.parts.map((p) => p.toFixed(0))).toEqual(['334', '333', '333']);
    // KWD: 1 / 7 = 0.142857.. x 7: floors 0.142 x 7 = 0.994, total 1.000, 6 mils owed to the first six.
    const kwd = allocateRounded(Array.from({ length: 7 }, () => d('1').div(7)), 3);
    expect(kwd.parts.map((p) => p.toFixed(3))).toEqual(['0.143', '0.143', '0.143', '0.143', '0.143', '0.143', '0.142']);
    expect(kwd.total.toFixed(3)).toBe('1.000');
  });

  it('of nothing is nothing', () => {
    const { parts, total } = allocateRounded([], 2);
    expect(parts).toEqual([]);
    expect(total.toFixed(2)).toBe('0.00');
  });

  it('property: rounded parts sum exactly to the rounded total, each within one unit of its exact value', () => {
    // Exact decimals with up to 8 places (finer than any minor unit), either sign, sometimes
    // divided by 3 or 7 to get non-terminating values like a proration gives.
    const exactDecimal = fc
      .tuple(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), fc.constantFrom(1, 3, 7, 31))
      .map(([units, divisor]) => new Decimal(units.toString()).div(1e8).div(divisor));
    fc.assert(
      fc.property(fc.array(exactDecimal, { maxLength: 40 }), fc.constantFrom(0, 2, 3), (exact, scale) => {
        const { parts, total } = allocateRounded(exact, scale);
        const unit = new Decimal(1).div(new Decimal(10).pow(scale));
        const exactTotal = exact.reduce((a, b) => a.plus(b), new Decimal(0));
        expect(total.equals(roundHalfEven(exactTotal, scale))).toBe(true);
        expect(parts.reduce((a, b) => a.plus(b), new Decimal(0)).equals(total)).toBe(true);
        parts.forEach((part, i) => {
          expect(part.decimalPlaces()).toBeLessThanOrEqual(scale);
          expect(part.minus(exact[i]!).abs().lessThan(unit)).toBe(true);
        });
      }),
      { numRuns: 400 },
    );
  });
});

describe('exact integer helpers (the burn report computes in these)', () => {
  it('floors and ceils toward the right side for either sign', () => {
    expect([floorDiv(7n, 2n), floorDiv(-7n, 2n), floorDiv(-8n, 2n), floorDiv(0n, 5n)]).toEqual([3n, -4n, -4n, 0n]);
    expect([ceilDiv(7n, 2n), ceilDiv(-7n, 2n), ceilDiv(8n, 2n)]).toEqual([4n, -3n, 4n]);
  });

  it('rounds half-even: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, -3.5 -> -4, 2.6 -> 3', () => {
    expect([5n, 7n, -5n, -7n, 26n].map((n) => divRoundHalfEven(n, n === 26n ? 10n : 2n))).toEqual([2n, 4n, -2n, -4n, 3n]);
    expect(divRoundHalfEven(5n, -2n)).toBe(-2n); // -2.5
  });

  it('compares fractions whatever the signs of their denominators', () => {
    expect(compareFractions({ num: 1n, den: 3n }, { num: 1n, den: 2n })).toBe(-1);
    expect(compareFractions({ num: -1n, den: -3n }, { num: 1n, den: 3n })).toBe(0);
    expect(compareFractions({ num: 1n, den: -3n }, { num: 0n, den: 1n })).toBe(-1);
    expect(compareFractions({ num: 11n, den: 10n }, { num: -11n, den: -10n })).toBe(0);
  });

  it('prints whole units at a scale, with no negative zero', () => {
    expect([formatUnits(-1234n, 2), formatUnits(5n, 2), formatUnits(-5n, 3), formatUnits(0n, 2), formatUnits(1500n, 0)]).toEqual([
      '-12.34',
      '0.05',
      '-0.005',
      '0.00',
      '1500',
    ]);
    // -0.00004 rounds to 0 at four decimals: printed "0.0000", not "-0.0000".
    expect(formatFraction(-4n, 100_000n, 4)).toBe('0.0000');
  });

  it('turns a decimal into its exact fraction', () => {
    expect(fractionOf('0.10')).toEqual({ num: 1n, den: 10n });
    expect(fractionOf('1.1000000001')).toEqual({ num: 11000000001n, den: 10000000000n });
  });

  it('property: allocateUnits prints exactly what allocateRounded prints', () => {
    // Parts as integer counts of 1/(1e8 x divisor) of a unit, either sign, against the Decimal form of the same values.
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), { maxLength: 40 }),
        fc.constantFrom(1n, 3n, 7n, 31n),
        fc.constantFrom(0, 2, 3),
        (counts, divisor, scale) => {
          const fine = 10n ** 8n * divisor;
          // One printed unit (10^-scale) is fine / 10^scale counts.
          const integer = allocateUnits(counts, fine / 10n ** BigInt(scale));
          const decimal = allocateRounded(
            counts.map((c) => new Decimal(c.toString()).div(fine.toString())),
            scale,
          );
          expect(integer.parts.map((p) => formatUnits(p, scale))).toEqual(decimal.parts.map((p) => formatDecimal(p, scale)));
          expect(formatUnits(integer.total, scale)).toBe(formatDecimal(decimal.total, scale));
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('parseJsonExact (number literals stay exact)', () => {
  const lit = (text: string) => new NumberLiteral(text);

  it('keeps an 18-significant-digit literal as its exact digits, which parseAmount reads exactly', () => {
    const body = parseJsonExact('{"amount": 123456789012.123456}') as { amount: unknown };
    // A double would have made it 123456789012.12346.
    expect(body.amount).toEqual(lit('123456789012.123456'));
    expect(parseAmount((body.amount as NumberLiteral).text)).toBe(123_456_789_012_123_456n);
    expect(String(Number('123456789012.123456'))).not.toBe('123456789012.123456');
  });

  it('keeps negative and small long literals exact too', () => {
    const body = parseJsonExact('{"items":[{"amount":-999999999999.999999},{"amount":0.1234567890123456}]}') as {
      items: { amount: unknown }[];
    };
    expect(body.items[0]!.amount).toEqual(lit('-999999999999.999999'));
    expect(body.items[1]!.amount).toEqual(lit('0.1234567890123456'));
    expect(() => parseAmount((body.items[1]!.amount as NumberLiteral).text)).toThrow(/at most 6 decimal places/);
  });

  it('does not turn 1.5e3 into 1500: it reaches the money parser as its literal and is refused', () => {
    const body = parseJsonExact('{"amount": 1.5e3, "other": 2E-2}') as { amount: unknown; other: unknown };
    expect(body.amount).toEqual(lit('1.5e3'));
    expect(body.other).toEqual(lit('2E-2'));
    expect(body.amount).toBeInstanceOf(NumberLiteral); // a number still: a string field refuses it
    expect(() => parseAmount((body.amount as NumberLiteral).text)).toThrow(/plain notation/);
  });

  it('leaves short numbers as numbers and strings untouched, digits or not', () => {
    const text =
      '{"amount": 1234.5, "n": 15, "ref": "1234567890123456789", "sci": "1.5e3", "q": "say \\"12345678901234567\\"", "z": 0}';
    expect(parseJsonExact(text)).toEqual({
      amount: 1234.5,
      n: 15,
      ref: '1234567890123456789',
      sci: '1.5e3',
      q: 'say "12345678901234567"',
      z: 0,
    });
  });

  it('returns a body without numbers as parsed, however deep, and still rewrites a long literal beside strings', () => {
    expect(parseJsonExact('{"ref":"12345678901234567890","at":"2026-03-01T10:15:00Z"}')).toEqual({ ref: '12345678901234567890', at: '2026-03-01T10:15:00Z' });
    const deep = '['.repeat(100_000) + '"x"' + ']'.repeat(100_000);
    let depth = 0;
    for (let value = parseJsonExact(deep); Array.isArray(value); value = value[0]) depth++;
    expect(depth).toBe(100_000);
    // One number deep inside strings: found, and its literal kept exact.
    expect(parseJsonExact('{"a":["x",{"b":"y","c":[12345678901234567]}]}')).toEqual({ a: ['x', { b: 'y', c: [lit('12345678901234567')] }] });
  });

  it('keeps a 15-significant-digit number a number whose text is exact', () => {
    const body = parseJsonExact('{"amount": 123456789.123456}') as { amount: unknown };
    expect(body.amount).toBe(123456789.123456);
    expect(parseAmount(body.amount as number)).toBe(123_456_789_123_456n);
  });

  it('rewrites a long or exponent literal wherever JSON lets a value or a key stand', () => {
    // One literal to rewrite per body: each must be found on its own.
    expect(parseJsonExact('12345678901234567')).toEqual(lit('12345678901234567'));
    expect(parseJsonExact(' \n\t-1.5E+3 ')).toEqual(lit('-1.5E+3'));
    expect(parseJsonExact('[1,1e2]')).toEqual([1, lit('1e2')]);
    expect(parseJsonExact('[1, 1234567890123456 ]')).toEqual([1, lit('1234567890123456')]); // 16 digits, no dot
    expect(parseJsonExact('[1234567890123456]')).toEqual([lit('1234567890123456')]);
    expect(parseJsonExact('[\r\n-0.1234567890123456]')).toEqual([lit('-0.1234567890123456')]);
    expect(parseJsonExact('{"a":\t2e-2}')).toEqual({ a: lit('2e-2') });
    expect(parseJsonExact('{"b" :  123456789012345.6}')).toEqual({ b: lit('123456789012345.6') });
    expect(parseJsonExact('{"items":[{"amount":1E5},{"amount":0.000001}]}')).toEqual({ items: [{ amount: lit('1E5') }, { amount: 0.000001 }] });
    // Not valid JSON as sent, and the rewrite does not make it so: a number cannot be a key, and the error is the one for the text as sent.
    expect(() => parseJsonExact('{12345678901234567: 1, "b": 2}')).toThrow(/the body is not valid JSON: .*position 1\b/);
  });

  it('leaves a literal of at most 15 significant digits a number, however many zeros it has', () => {
    expect(parseJsonExact('[0.000000000000001, 100000000000000, -0.0000000000000000001]')).toEqual([0.000000000000001, 100000000000000, -1e-19]);
    expect(parseJsonExact('{"a":123456789012345,"b":-12345678901234.5}')).toEqual({ a: 123456789012345, b: -12345678901234.5 });
  });

  it('property: the quick scan never lets a literal that needs the rewrite through', () => {
    // Any text, valid JSON or not, from JSON's own pieces: parseJsonExact must answer exactly as
    // when the rewrite is applied to every body, the value or the error word for word; the scans
    // only save time.
    const TOKEN = /"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
    const needsRewrite = (literal: string) =>
      /[eE]/.test(literal) || literal.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length > 15;
    const alwaysRewritten = (text: string): unknown => {
      if (text.trim() === '') return 'the request body is empty; send a JSON document';
      // Invalid JSON is refused as sent; in valid JSON, rewritten literals come back as NumberLiterals.
      try {
        JSON.parse(text);
      } catch (error) {
        return `the body is not valid JSON: ${(error as Error).message}`;
      }
      const marker = '\\u0001rewritten:';
      const mark = JSON.parse(`"${marker}"`) as string;
      const rewritten = text.replace(TOKEN, (token, literal?: string) => (literal !== undefined && needsRewrite(literal) ? `"${marker}${literal}"` : token));
      return JSON.parse(rewritten, (_key, value: unknown) => (typeof value === 'string' && value.startsWith(mark) ? new NumberLiteral(value.slice(mark.length)) : value));
    };
    const viaParser = (text: string): unknown => {
      try {
        return parseJsonExact(text);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidJsonError);
        return (error as InvalidJsonError).message;
      }
    };
    const digitString = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });
    const literal = fc
      .tuple(fc.constantFrom('', '-'), fc.oneof(digitString(1, 20), digitString(14, 17)), fc.option(fc.oneof(digitString(1, 20), digitString(1, 3)), { nil: undefined }), fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digitString(1, 3)), { nil: undefined }))
      .map(([sign, int, frac, exp]) => `${sign}${int}${frac === undefined ? '' : '.' + frac}${exp === undefined ? '' : exp.join('')}`);
    const piece = fc.oneof(
      { weight: 6, arbitrary: literal },
      { weight: 6, arbitrary: fc.constantFrom('{', '}', '[', ']', ':', ',', ' ', '\n', '\t', '\r', '"') },
      { weight: 3, arbitrary: fc.constantFrom('"k"', '"amount"', '"12345678901234567"', '"1e5"', '"a:1e5"', '"\\""', 'true', 'null', '.', 'e', '-', '\u00a0') },
    );
    const text = fc.array(piece, { maxLength: 14 }).map((pieces) => pieces.join(''));
    // Mostly valid documents too: values and keys with whitespace around, long and short literals.
    const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        literal,
        fc.constantFrom('"s"', '"2024-01-01"', 'null'),
        fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(' ,\n')}]`),
        fc.array(fc.tuple(fc.constantFrom('"a"', '"b"', '"c"'), tie('value')), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v]) => `${k}:\t${v}`).join(',')}}`),
      ),
    })).value;
    fc.assert(
      fc.property(fc.oneof(text, value, value.map((v) => ` ${v}\n`)), (body) => {
        expect(viaParser(body)).toEqual(alwaysRewritten(body));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses an empty or malformed body with a 400 error', () => {
    expect(() => parseJsonExact('')).toThrow(InvalidJsonError);
    expect(() => parseJsonExact('{"amount": }')).toThrow(InvalidJsonError);
    expect(() => parseJsonExact('{"amount": 1.5e3')).toThrow(InvalidJsonError);
    const error = (() => {
      try {
        parseJsonExact('not json');
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(InvalidJsonError);
    expect((error as InvalidJsonError).status).toBe(400);
    expect((error as InvalidJsonError).code).toBe('invalid_json');
  });
});
