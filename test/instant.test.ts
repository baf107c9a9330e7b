/**
 * parseInstant reads the common UTC shapes digit by digit and leaves every
 * other text to the pattern: the two must give the same answer (the same
 * instant, or both null) for every text, well-formed or not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInstant, parseInstantByPattern } from '../src/domain/instants.js';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Timestamps built from components that may be out of range (month 13, 30 February, second 60, year 1899). */
const built = fc
  .record({
    year: fc.integer({ min: 1890, max: 2404 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.constantFrom('', '.5', '.25', '.250', '.999', '.1234'),
    zone: fc.constantFrom('Z', 'Z', 'Z', '+02:00', '-05:30', 'z', ''),
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
