/**
 * The fast path of POST /v1/touchpoints (src/features/touchpoints/fast-batch.ts)
 * must never disagree with the route's zod schema: whenever it accepts a
 * body, zod accepts it too and returns an equal value; when zod refuses, it
 * steps aside so that the errors are zod's. And it must be taken for
 * ordinary valid batches, or it buys nothing.
 */
import fc from 'fast-check';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { parseTouchpointBatchFast, touchpointValidatorCompiler } from '../src/features/touchpoints/fast-batch.js';
import { TouchpointBatch } from '../src/features/touchpoints/schemas.js';

const idChars = 'abcXYZ019._:-'.split('');
const validId = fc.oneof(fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 12 }), fc.constant('x'.repeat(128)));
const invalidId = fc.oneof(fc.constantFrom('', 'x'.repeat(129), 'has space', 'ünïcode', 'a/b', ' a', 'a\n'), fc.integer(), fc.constant(null), fc.constant({ id: 'a' }));

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const validInstant = fc.oneof(
  fc.date({ min: new Date(Date.UTC(1900, 0, 2)), max: new Date(Date.UTC(2200, 11, 30)), noInvalidDate: true }).map((d) => d.toISOString()),
  // Other accepted spellings: no seconds, no fraction, 1 or 2 fraction digits, an offset.
  fc
    .tuple(fc.integer({ min: 1990, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.constantFrom('', ':07', ':07.5', ':07.25'), fc.constantFrom('Z', '+02:00', '-05:30'))
    .map(([y, m, d, h, min, sec, zone]) => `${y}-${pad(m)}-${pad(d)}T${pad(h)}:${pad(min)}${sec}${zone}`),
);
const invalidInstant = fc.oneof(
  fc.constantFrom('2026-02-30T10:00:00Z', '2026-03-01T10:00:00', '2026-03-01 10:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T10:00:00.1234Z', '1899-12-31T10:00:00Z', '2026-03-01', '',
    // Offsets past -12:00..+14:00, and years past 2999 (as written or in UTC).
    '2026-03-01T10:00:00+14:01', '2026-03-01T10:00:00-12:30', '9999-12-31T23:59:59.999-23:59', '3000-01-01T00:00:00Z', '2999-12-31T23:00:00-05:00'),
  fc.integer(),
  fc.constant(null),
);

const validItem = fc.record({ id: validId, customerId: validId, campaignId: validId, occurredAt: validInstant });
type Field = 'id' | 'customerId' | 'campaignId' | 'occurredAt';
const invalidFor: Record<Field, fc.Arbitrary<unknown>> = { id: invalidId, customerId: invalidId, campaignId: invalidId, occurredAt: invalidInstant };

const invalidItem: fc.Arbitrary<unknown> = fc.oneof(
  fc.tuple(validItem, fc.constantFrom<Field>('id', 'customerId', 'campaignId', 'occurredAt')).chain(([item, field]) => invalidFor[field].map((bad) => ({ ...item, [field]: bad }))),
  fc.tuple(validItem, fc.constantFrom<Field>('id', 'customerId', 'campaignId', 'occurredAt')).map(([item, field]) => Object.fromEntries(Object.entries(item).filter(([key]) => key !== field))),
  fc.tuple(validItem, fc.constantFrom('customer_id', 'campaign', 'constructor', 'toString', 'amount')).map(([item, key]) => ({ ...item, [key]: 1 })),
  fc.constantFrom(null, 'touch', 42, [] as unknown[], [{ id: 'a' }]),
);

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function agreesWithZod(body: unknown): void {
  const fast = parseTouchpointBatchFast(body);
  const slow = TouchpointBatch.safeParse(body);
  if (fast !== null) {
    expect(slow.success, JSON.stringify(slow.error?.issues)).toBe(true);
    expect(fast).toStrictEqual(slow.data);
  }
}

describe('the touchpoint fast path agrees with the zod schema', () => {
  it('takes every valid batch, with the value zod gives (the same epoch milliseconds)', () => {
    fc.assert(
      fc.property(fc.array(validItem, { minLength: 1, maxLength: 30 }), (items) => {
        const body = asJson({ items });
        expect(parseTouchpointBatchFast(body)).not.toBeNull();
        agreesWithZod(body);
      }),
      { numRuns: 500 },
    );
  });

  it('steps aside for a batch with any bad item, wherever it is', () => {
    fc.assert(
      fc.property(fc.array(validItem, { maxLength: 10 }), invalidItem, fc.nat(), (items, bad, at) => {
        const all: unknown[] = [...items];
        all.splice(at % (items.length + 1), 0, bad);
        const body = asJson({ items: all });
        expect(TouchpointBatch.safeParse(body).success).toBe(false);
        expect(parseTouchpointBatchFast(body)).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  it('steps aside for bodies that are not {items: [1..100,000 touchpoints]}', () => {
    const item = { id: 't1', customerId: 'u1', campaignId: 'A', occurredAt: '2026-03-01T10:00:00Z' };
    const bodies: unknown[] = [
      null,
      [],
      {},
      { items: [] },
      { items: {} },
      { items: [item], extra: 1 },
      { items: Array.from({ length: 100_001 }, () => item) },
      JSON.parse('{"items":[{"id":"t1","customerId":"u1","campaignId":"A","occurredAt":"2026-03-01T10:00:00Z","__proto__":{"x":1}}]}'),
      JSON.parse('{"__proto__":[],"items":[{"id":"t1","customerId":"u1","campaignId":"A","occurredAt":"2026-03-01T10:00:00Z"}]}'),
    ];
    for (const body of bodies) {
      expect(parseTouchpointBatchFast(body)).toBeNull();
      agreesWithZod(body);
    }
    expect(parseTouchpointBatchFast({ items: Array.from({ length: 100_000 }, () => item) })).not.toBeNull();
  });

  it('the route validator answers exactly as the zod validator does, value or errors', () => {
    const route = { schema: TouchpointBatch, method: 'POST', url: '/v1/touchpoints', httpPart: 'body' } as const;
    const zodOnly = validatorCompiler(route);
    const routeValidator = touchpointValidatorCompiler(route);
    fc.assert(
      fc.property(fc.array(fc.oneof(validItem, invalidItem), { minLength: 0, maxLength: 8 }), (items) => {
        const body = asJson({ items });
        expect(routeValidator(body)).toStrictEqual(zodOnly(body));
      }),
      { numRuns: 500 },
    );
  });
});
