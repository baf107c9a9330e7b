/**
 * parseInstant reads the common UTC shapes digit by digit and leaves every
 * other text to the pattern: the two must give the same answer (the same
 * instant, or both null) for every text, well-formed or not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { END_INSTANT_MS, FIRST_INSTANT_MS, formatInstant, parseInstant, parseInstantByPattern } from '../src/domain/instants.js';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Timestamps built from components that may be out of range (month 13, 30 February, second 60, year 1899). */
const built = fc
  .record({
    year: fc.oneof(fc.integer({ min: 1890, max: 2404 }), fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1899, 1900, 2999, 3000)),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.constantFrom('', '.5', '.25', '.250', '.999', '.1234'),
    zone: fc.oneof(
      fc.constantFrom('Z', 'Z', 'Z', '+02:00', '-05:30', 'z', '', '+14:00', '-12:00', '+14:01', '-12:01', '-23:59', '+23:59', '+05:60'),
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 })).map(([sign, h, m]) => `${sign}${pad(h, 2)}:${pad(m, 2)}`),
    ),
  })
  .map(({ year, month, day, hour, minute, second, fraction, zone }) => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}${zone}`);

/** One character of a built timestamp replaced by another that timestamps are made of. */
const mutated = fc
  .tuple(built, fc.nat(), fc.constantFrom(...'0123456789-T:Z.+ x'))
  .map(([text, at, char]) => text.slice(0, at % text.length) + char + text.slice((at % text.length) + 1));

describe('parseInstant', () => {
  it('agrees with the pattern on every text', () => {
    fc.assert(
      fc.property(fc.oneof(built, mutated, fc.string({ minLength: 18, maxLength: 26 })), (text) => {
        expect(parseInstant(text)).toBe(parseInstantByPattern(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads the common shapes to the millisecond, leap days included', () => {
    expect(parseInstant('2026-03-01T10:15:00Z')).toBe(Date.UTC(2026, 2, 1, 10, 15, 0));
    expect(parseInstant('2026-03-01T10:15:00.250Z')).toBe(Date.UTC(2026, 2, 1, 10, 15, 0, 250));
    expect(parseInstant('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseInstant('2026-02-29T00:00:00Z')).toBeNull();
    expect(parseInstant('2100-02-29T00:00:00Z')).toBeNull();
    expect(parseInstant('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseInstant('2026-03-01T12:15:00+02:00')).toBe(Date.UTC(2026, 2, 1, 10, 15, 0));
  });
});

describe('the instants taken: offsets -12:00 to +14:00, years 1900 to 2999', () => {
  it('takes the widest offsets in use and refuses one minute past them', () => {
    // 10:00 at +14:00 is 20:00 the day before in UTC; 10:00 at -12:00 is 22:00 the same day.
    expect(parseInstant('2026-03-01T10:00:00+14:00')).toBe(Date.UTC(2026, 1, 28, 20, 0));
    expect(parseInstant('2026-03-01T10:00:00-12:00')).toBe(Date.UTC(2026, 2, 1, 22, 0));
    expect(parseInstant('2026-03-01T10:00:00+14:01')).toBeNull();
    expect(parseInstant('2026-03-01T10:00:00-12:01')).toBeNull();
    expect(parseInstant('2026-03-01T10:00:00-23:59')).toBeNull();
    expect(parseInstant('2026-03-01T10:00:00+05:60')).toBeNull();
  });

  it('refuses instants outside the years, as written and in UTC', () => {
    expect(parseInstant('9999-12-31T23:59:59.999-23:59')).toBeNull(); // once stored as +010000-01-01
    expect(parseInstant('9999-12-31T23:59:59.999Z')).toBeNull();
    expect(parseInstant('3000-01-01T00:00:00Z')).toBeNull();
    expect(parseInstant('1899-12-31T23:59:59Z')).toBeNull();
    expect(parseInstant('2999-12-31T23:59:59.999Z')).toBe(END_INSTANT_MS - 1);
    expect(parseInstant('1900-01-01T00:00:00Z')).toBe(FIRST_INSTANT_MS);
    // Written in 2999 but 3000-01-01T04:00Z in UTC; written in 1900 but 1899 in UTC.
    expect(parseInstant('2999-12-31T23:00:00-05:00')).toBeNull();
    expect(parseInstant('1900-01-01T00:30:00+01:00')).toBeNull();
  });

  it('property: whatever it takes prints back as a 4-digit year from 1900 to 2999', () => {
    fc.assert(
      fc.property(fc.oneof(built, mutated), (text) => {
        const instant = parseInstant(text);
        if (instant === null) return;
        const printed = formatInstant(instant);
        expect(printed).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(Number(printed.slice(0, 4))).toBeGreaterThanOrEqual(1900);
        expect(Number(printed.slice(0, 4))).toBeLessThanOrEqual(2999);
      }),
      { numRuns: 20_000 },
    );
  });
});
