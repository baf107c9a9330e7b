/**
 * Exact money. An amount lives as a bigint of micros (1e-6 of a currency
 * unit), like Google Ads' `cost_micros`: it sums exactly in SQLite INTEGER
 * columns and in JavaScript bigint. Values that are not whole micros
 * (converted, prorated, attributed amounts) are `Decimal`s from decimal.js
 * built from strings, and are rounded once, at the edge, to the currency's
 * ISO 4217 minor unit with half-even rounding.
 */
import { Decimal as DecimalJs } from 'decimal.js';

/** decimal.js with enough precision that no intermediate result is rounded in practice, and half-even rounding. */
export const Decimal = DecimalJs.clone({ precision: 80, rounding: DecimalJs.ROUND_HALF_EVEN, toExpNeg: -100, toExpPos: 100 });
export type Decimal = DecimalJs;

export const MICROS_PER_UNIT = 1_000_000n;
export const MAX_INTEGER_DIGITS = 12;
export const MAX_FRACTION_DIGITS = 6;

export class MoneyFormatError extends Error {}

const PLAIN_DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal string or a JSON number into micros.
 * Plain notation only (no exponent, no thousands separators), at most 12
 * integer and 6 fractional digits. A JSON number is accepted only when its
 * shortest round-trip form is such a plain decimal; the JSON body parser
 * makes sure that form is the literal the client sent (see plugins/json-body).
 */
export function parseAmount(input: string | number): bigint {
  return smallAmountMicros(input) ?? parseAmountExact(input);
}

const POWERS_OF_TEN = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
/** "-" + 9 integer digits + "." + 6 fractional digits. */
const MAX_SMALL_AMOUNT_LENGTH = 17;

/**
 * parseAmount's fast path, for the common amount: a plain decimal string
 * (no sign but "-", no spaces) of at most 9 integer and 6 fractional digits,
 * or a JSON number under 1e9 in absolute value that is a whole number of
 * micros. Either is below 10^15 micros, under 2^53, where Number arithmetic
 * on integers is exact, so the micros are computed as a Number and turned
 * into a bigint once; about a tenth of the cost of the regex, the string
 * slicing and the two bigints of parseAmountExact. Anything else gives
 * undefined, and parseAmountExact judges it. The result is always what
 * parseAmountExact gives (test/domain/money.test.ts checks it on generated
 * amounts):
 *
 * - a string it accepts matches PLAIN_DECIMAL with nothing to trim, and its
 *   digit counts are within the limits;
 * - for a number n, m = round(n * 1e6) with m / 1e6 === n means the decimal
 *   m * 10^-6 (at most 15 significant digits) reads back as n. The shortest
 *   round-trip form String(n) has at most as many significant digits, and
 *   two different decimals of at most 15 significant digits never read back
 *   as the same double, so String(n) is that decimal: plain notation (from
 *   0.000001 up), at most 6 decimals, at most 9 integer digits.
 */
function smallAmountMicros(input: string | number): bigint | undefined {
  if (typeof input === 'number') {
    if (!(Math.abs(input) < 1e9)) return undefined;
    const micros = Math.round(input * 1e6);
    return micros / 1e6 === input ? BigInt(micros) : undefined;
  }
  const length = input.length;
  if (length === 0 || length > MAX_SMALL_AMOUNT_LENGTH) return undefined;
  const negative = input.charCodeAt(0) === 45; // "-"
  let i = negative ? 1 : 0;
  const intStart = i;
  let units = 0;
  for (; i < length; i++) {
    const digit = input.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    units = units * 10 + digit;
  }
  const intDigits = i - intStart;
  if (intDigits === 0 || intDigits > 9) return undefined;
  let micros = units * 1_000_000;
  if (i < length) {
    if (input.charCodeAt(i) !== 46) return undefined; // "."
    const fracStart = ++i;
    let fraction = 0;
    for (; i < length; i++) {
      const digit = input.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return undefined;
      fraction = fraction * 10 + digit;
    }
    const fracDigits = i - fracStart;
    if (fracDigits === 0 || fracDigits > MAX_FRACTION_DIGITS) return undefined;
    micros += fraction * POWERS_OF_TEN[MAX_FRACTION_DIGITS - fracDigits]!;
  }
  return BigInt(negative ? -micros : micros);
}

/**
 * parseAmount on bigints alone, for every input: the definition that
 * smallAmountMicros takes a shortcut to, and the one that words the errors.
 */
export function parseAmountExact(input: string | number): bigint {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new MoneyFormatError('must be a finite decimal amount');
    text = plainNumberText(input);
  } else {
    text = input.trim();
  }
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) {
    throw new MoneyFormatError(
      `must be a decimal amount in plain notation such as "1234.50" (got ${JSON.stringify(String(input).slice(0, 40))})`,
    );
  }
  const [, sign, intPart, fracPart = ''] = match as unknown as [string, string | undefined, string, string | undefined];
  const intDigits = intPart.replace(/^0+(?=\d)/, '');
  if (intDigits.length > MAX_INTEGER_DIGITS) {
    throw new MoneyFormatError(`must have at most ${MAX_INTEGER_DIGITS} integer digits`);
  }
  if (fracPart.length > MAX_FRACTION_DIGITS) {
    throw new MoneyFormatError(`must have at most ${MAX_FRACTION_DIGITS} decimal places`);
  }
  const micros = BigInt(intDigits) * MICROS_PER_UNIT + BigInt(fracPart.padEnd(MAX_FRACTION_DIGITS, '0'));
  return sign ? -micros : micros;
}

/**
 * A JSON number's exact value in plain notation. `String(n)` switches to an
 * exponent below 1e-6 and from 1e21 ("1e-7"), a form the client never sent
 * (the JSON body parser turns exponent literals into strings), so the digit
 * rules, not the notation rule, must judge such a number.
 */
export function plainNumberText(value: number): string {
  const shortest = String(value);
  return /e/i.test(shortest) ? new Decimal(shortest).toFixed() : shortest;
}

/** Micros as a plain decimal string with `scale` fractional digits (default all six). Exact: scale must not drop non-zero digits. */
export function formatMicros(micros: bigint, scale = MAX_FRACTION_DIGITS): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const units = abs / MICROS_PER_UNIT;
  const frac = (abs % MICROS_PER_UNIT).toString().padStart(MAX_FRACTION_DIGITS, '0');
  let fracOut = frac.slice(0, scale);
  if (scale > MAX_FRACTION_DIGITS) fracOut = frac.padEnd(scale, '0');
  if (/[1-9]/.test(frac.slice(scale))) throw new RangeError(`formatMicros would drop digits of ${micros}`);
  return `${negative ? '-' : ''}${units}${scale > 0 ? '.' + fracOut : ''}`;
}

/** Micros as the shortest exact decimal string ("12.5", "3"): for echoing stored input back. */
export function microsToString(micros: bigint): string {
  const full = formatMicros(micros);
  return full.replace(/\.?0+$/, '');
}

export function microsToDecimal(micros: bigint): Decimal {
  return new Decimal(micros.toString()).div(1_000_000);
}

/** Exact micros of a decimal that has at most 6 fractional digits. */
export function decimalToMicros(value: Decimal): bigint {
  const scaled = value.times(1_000_000);
  if (!scaled.isInteger()) throw new RangeError(`${value.toString()} is not a whole number of micros`);
  return BigInt(scaled.toFixed(0));
}

/** Rounds half-even to `scale` decimal places. */
export function roundHalfEven(value: Decimal, scale: number): Decimal {
  return value.toDecimalPlaces(scale, Decimal.ROUND_HALF_EVEN);
}

/** A decimal printed with exactly `scale` fractional digits, half-even; never "-0.00". */
export function formatDecimal(value: Decimal, scale: number): string {
  const text = value.toFixed(scale, Decimal.ROUND_HALF_EVEN);
  // decimal.js keeps the sign of a negative value that rounds to zero ("-0.0000").
  return /^-[0.]+$/.test(text) ? text.slice(1) : text;
}

/**
 * Largest-remainder rounding: rounds each part to `scale` places so that the
 * printed parts add up exactly to the printed (half-even rounded) total of
 * the exact parts. Parts are floored to the unit, and the units still owed
 * go to the parts with the largest remainders (ties to the earlier part), so
 * the result is deterministic.
 */
export function allocateRounded(parts: readonly Decimal[], scale: number): { parts: Decimal[]; total: Decimal } {
  const unit = new Decimal(1).div(new Decimal(10).pow(scale));
  const exactTotal = parts.reduce((sum, p) => sum.plus(p), new Decimal(0));
  const total = roundHalfEven(exactTotal, scale);
  const floors = parts.map((p) => p.toDecimalPlaces(scale, Decimal.ROUND_FLOOR));
  const floorSum = floors.reduce((sum, p) => sum.plus(p), new Decimal(0));
  let owed = total.minus(floorSum).div(unit).toNumber();
  const order = parts
    .map((p, index) => ({ index, remainder: p.minus(floors[index]!) }))
    .filter((entry) => !entry.remainder.isZero())
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.index - b.index);
  const out = floors.slice();
  for (const entry of order) {
    if (owed <= 0) break;
    out[entry.index] = out[entry.index]!.plus(unit);
    owed -= 1;
  }
  return { parts: out, total };
}

/**
 * A stored amount for display: at least the currency's minor digits
 * ("1234.50" USD, "1500" JPY), more when the amount has finer digits
 * ("12.345678"), so that nothing stored is hidden by rounding.
 */
export function formatAmount(micros: bigint, minorDigits: number): string {
  let scale = Math.min(minorDigits, MAX_FRACTION_DIGITS);
  while (scale < MAX_FRACTION_DIGITS && micros % 10n ** BigInt(MAX_FRACTION_DIGITS - scale) !== 0n) scale++;
  return formatMicros(micros, scale);
}

// ---------------------------------------------------------------------------
// Exact integer arithmetic for hot report paths: amounts as bigint counts of
// a fixed unit (attos, or a finer common unit), ratios as bigint fractions.
// Same rounding rules as the Decimal helpers above, with no intermediate
// rounding at all.

/** A ratio of two integers; `den` may be negative but never zero where a value is expected. */
export interface Fraction {
  num: bigint;
  den: bigint;
}

const BIGINT_POWERS_OF_TEN = Array.from({ length: 19 }, (_, i) => 10n ** BigInt(i));

/** The floor of n / d, for d > 0 (bigint `/` truncates toward zero). */
export function floorDiv(n: bigint, d: bigint): bigint {
  if (n >= 0n) return n / d;
  const q = n / d;
  return q * d === n ? q : q - 1n;
}

/** The ceiling of n / d, for d > 0. */
export function ceilDiv(n: bigint, d: bigint): bigint {
  return -floorDiv(-n, d);
}

/** n / d rounded half-even to an integer (d non-zero, either sign). */
export function divRoundHalfEven(n: bigint, d: bigint): bigint {
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = floorDiv(n, d);
  const twiceRemainder = (n - q * d) * 2n;
  return twiceRemainder > d || (twiceRemainder === d && q % 2n !== 0n) ? q + 1n : q;
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareFractions(a: Fraction, b: Fraction): number {
  // With both denominators made positive, a/b < c/d exactly when a x d < c x b.
  const [an, ad] = a.den < 0n ? [-a.num, -a.den] : [a.num, a.den];
  const [bn, bd] = b.den < 0n ? [-b.num, -b.den] : [b.num, b.den];
  const left = an * bd;
  const right = bn * ad;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A Decimal (finite, so a terminating decimal) as an exact fraction. */
export function fractionOf(value: Decimal | string): Fraction {
  const [num, den] = new Decimal(value).toFraction() as [Decimal, Decimal];
  return { num: BigInt(num.toFixed(0)), den: BigInt(den.toFixed(0)) };
}

/** A whole number of 10^-scale units as a plain decimal: formatUnits(-1234n, 2) is "-12.34"; zero has no sign. */
export function formatUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? '.' + digits.slice(digits.length - scale) : ''}`;
}

/** num / den printed half-even with `decimals` fractional digits, or null over zero; never "-0.0000". */
export function formatFraction(num: bigint, den: bigint, decimals: number): string | null {
  if (den === 0n) return null;
  return formatUnits(divRoundHalfEven(num * (BIGINT_POWERS_OF_TEN[decimals] ?? 10n ** BigInt(decimals)), den), decimals);
}

/**
 * allocateRounded over integers: each part is an exact count of a fine unit,
 * `unit` fine units make one printed unit. Returns the printed parts and
 * total as whole printed units: the total is the exact total rounded
 * half-even, each part is floored and the units still owed go to the parts
 * with the largest remainders (ties to the earlier part).
 */
export function allocateUnits(parts: readonly bigint[], unit: bigint): { parts: bigint[]; total: bigint } {
  let exactTotal = 0n;
  let floorSum = 0n;
  const out = new Array<bigint>(parts.length);
  const remainders: { index: number; remainder: bigint }[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const floor = floorDiv(part, unit);
    exactTotal += part;
    floorSum += floor;
    out[i] = floor;
    const remainder = part - floor * unit;
    if (remainder !== 0n) remainders.push({ index: i, remainder });
  }
  const total = divRoundHalfEven(exactTotal, unit);
  let owed = total - floorSum;
  if (owed > 0n) {
    remainders.sort((a, b) => (a.remainder > b.remainder ? -1 : a.remainder < b.remainder ? 1 : a.index - b.index));
    for (const entry of remainders) {
      if (owed <= 0n) break;
      out[entry.index]! += 1n;
      owed -= 1n;
    }
  }
  return { parts: out, total };
}

/** numerator / denominator printed half-even with four decimals, or null over zero (never Infinity or NaN). */
export function ratio(numerator: Decimal, denominator: Decimal): string | null {
  return denominator.isZero() ? null : formatDecimal(numerator.div(denominator), 4);
}
