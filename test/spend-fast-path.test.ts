/**
 * The fast path of POST /v1/spend (src/features/spend/fast-batch.ts) must
 * never disagree with the route's zod schema: whenever it accepts a body,
 * zod accepts it too and returns an equal value (same bigint micros); when
 * zod refuses, the fast path steps aside, so the errors are zod's, word for
 * word. And it must actually be taken for ordinary valid batches, or it
 * buys nothing.
 */
import fc from 'fast-check';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CURRENCY_CODES } from '../src/domain/currency.js';
import { parseSpendBatchFast, spendValidatorCompiler } from '../src/features/spend/fast-batch.js';
import { SpendBatch } from '../src/features/spend/schemas.js';
import type { FastifyInstance } from 'fastify';
import { campaignItem, countRows, errorPaths, makeApp, problemOf, seedCampaigns, type TestApp } from './helper.js';

/** The app's SQLite connection: these checks read the spend table directly (SQLite only). */
function sqliteOf(app: FastifyInstance) {
  const database = app.database;
  if (database.dialect !== 'sqlite') throw new Error('this check reads the SQLite file directly');
  return database.sqlite;
}

// ------------------------------------------------------------ generators

const idChars = 'abcXYZ019._:-'.split('');
const validId = fc.oneof(
  fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 12 }),
  fc.constant('x'.repeat(128)),
);
const invalidId = fc.oneof(
  fc.constantFrom('', 'x'.repeat(129), 'has space', 'ünïcode', 'a/b', ' a', 'a\n'),
  fc.integer(),
  fc.constant(null),
  fc.constant({ id: 'a' }),
);

const sourceChars = 'abz09_'.split('');
const validSource = fc.oneof(
  fc.constantFrom('google_ads', 'meta', 'linkedin', 'invoice', 'manual'),
  fc.tuple(fc.constantFrom('a', 'q', 'z'), fc.string({ unit: fc.constantFrom(...sourceChars), maxLength: 31 })).map(([a, b]) => a + b),
);
const invalidSource = fc.oneof(fc.constantFrom('', 'Meta', '_x', '9ads', 'a'.repeat(33), 'google-ads', 'x y'), fc.integer(), fc.constant(null));

const validDate = fc
  .date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2200, 11, 31)), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const invalidDate = fc.oneof(
  fc.constantFrom('2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '1899-12-31', '2024-1-1', ' 2024-01-01', '2024-01-01T00:00:00Z', '20240101', ''),
  fc.integer(),
  fc.constant(null),
);

const validCurrency = fc.constantFrom(...CURRENCY_CODES);
const invalidCurrency = fc.oneof(fc.constantFrom('usd', 'US', 'USDD', 'XAU', 'XTS', 'ABC', ''), fc.integer({ min: 1, max: 999 }), fc.constant(null));

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });
const validAmountText = fc
  .tuple(fc.boolean(), digits(1, 12), fc.option(digits(1, 6), { nil: undefined }))
  .map(([negative, int, frac]) => `${negative ? '-' : ''}${int}${frac === undefined ? '' : '.' + frac}`);
const validAmount = fc.oneof(
  validAmountText,
  validAmountText.map((text) => ` ${text} `),
  // A JSON number: at most 15 significant digits, as the body parser leaves it.
  fc.tuple(fc.integer({ min: -999_999_999, max: 999_999_999 }), fc.integer({ min: 0, max: 999_999 })).map(([int, frac]) => Number(`${int}.${String(frac).padStart(6, '0')}`)),
  fc.integer({ min: -999_999_999_999, max: 999_999_999_999 }),
);
const invalidAmount = fc.oneof(
  fc.constantFrom('1.1234567', '1234567890123', '1e3', '1E-2', '', ' ', '12,50', '+1', '1.', '.5', '--1', 'NaN', 'Infinity', '0x10', '١٢'),
  fc.constantFrom(1e21, 1.5e-7, 0.1234567, 1234567890123),
  fc.boolean(),
  fc.constant(null),
  fc.constant([1]),
);

const validReference = fc.oneof(fc.constant(null), fc.string({ minLength: 1, maxLength: 40 }), fc.constant('r'.repeat(256)));
const invalidReference = fc.oneof(fc.constantFrom('', 'r'.repeat(257)), fc.integer(), fc.constant({}), fc.constant([]));

const validRef = fc.record({ source: validSource, id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant('9'.repeat(256))) });
const invalidRef = fc.oneof(
  fc.record({ source: invalidSource, id: fc.string({ minLength: 1 }) }),
  fc.record({ source: validSource, id: fc.constantFrom('', 'i'.repeat(257)) }),
  fc.record({ source: validSource }),
  fc.record({ source: validSource, id: fc.string({ minLength: 1 }), extra: fc.constant(1) }),
  fc.constantFrom(null, 'meta:1', [] as unknown[]),
);

/** A valid spend line: every field valid, optional ones present or not, campaignId or externalRef. */
const validItem = fc
  .record(
    {
      campaignId: validId,
      externalRef: validRef,
      date: validDate,
      amount: validAmount,
      currency: validCurrency,
      source: validSource,
      reference: validReference,
    },
    { requiredKeys: ['date', 'amount', 'currency', 'source'] },
  )
  .filter((item) => item.campaignId !== undefined || item.externalRef !== undefined);

type Field = 'campaignId' | 'externalRef' | 'date' | 'amount' | 'currency' | 'source' | 'reference';
const invalidFor: Record<Field, fc.Arbitrary<unknown>> = {
  campaignId: invalidId,
  externalRef: invalidRef,
  date: invalidDate,
  amount: invalidAmount,
  currency: invalidCurrency,
  source: invalidSource,
  reference: invalidReference,
};

/** A line with something wrong: a bad field, a missing one, an unknown one, or not an object at all. */
const invalidItem: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .tuple(validItem, fc.constantFrom<Field>('campaignId', 'externalRef', 'date', 'amount', 'currency', 'source', 'reference'))
    .chain(([item, field]) => invalidFor[field].map((bad) => ({ ...item, [field]: bad }))),
  fc
    .tuple(validItem, fc.constantFrom('date', 'amount', 'currency', 'source'))
    .map(([item, field]) => Object.fromEntries(Object.entries(item).filter(([key]) => key !== field))),
  validItem.map(({ campaignId: _c, externalRef: _e, ...rest }) => rest),
  fc.tuple(validItem, fc.constantFrom('amountMicros', 'campaign_id', 'Date', 'id', 'constructor', 'toString')).map(([item, key]) => ({ ...item, [key]: 1 })),
  fc.constantFrom(null, 'line', 42, [] as unknown[], [{ campaignId: 'a' }]),
);

/** A body as the JSON body parser hands it over: always through JSON text. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** The property: the fast path accepts only what zod accepts, and then returns zod's value. */
function agreesWithZod(body: unknown): void {
  const fast = parseSpendBatchFast(body);
  const slow = SpendBatch.safeParse(body);
  if (fast !== null) {
    expect(slow.success, JSON.stringify(slow.error?.issues)).toBe(true);
    expect(fast).toStrictEqual(slow.data);
  }
}

// ------------------------------------------------------------ agreement

describe('the spend fast path agrees with the zod schema', () => {
  it('takes every valid batch, with the value zod gives (exact bigint micros)', () => {
    fc.assert(
      fc.property(fc.array(validItem, { minLength: 1, maxLength: 30 }), (items) => {
        const body = asJson({ items });
        const fast = parseSpendBatchFast(body);
        expect(fast).not.toBeNull();
        agreesWithZod(body);
      }),
      { numRuns: 500 },
    );
  });

  it('steps aside for a batch with any bad line, wherever it is', () => {
    fc.assert(
      fc.property(fc.array(validItem, { maxLength: 10 }), invalidItem, fc.nat(), (items, bad, at) => {
        const all: unknown[] = [...items];
        all.splice(at % (items.length + 1), 0, bad);
        const body = asJson({ items: all });
        expect(SpendBatch.safeParse(body).success).toBe(false);
        expect(parseSpendBatchFast(body)).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees on any mix of valid and invalid lines', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 4, arbitrary: validItem }, { weight: 1, arbitrary: invalidItem }), { minLength: 1, maxLength: 20 }), (items) =>
        agreesWithZod(asJson({ items })),
      ),
      { numRuns: 1000 },
    );
  });

  it('steps aside for bodies that are not {items: [1..100,000 lines]}', () => {
    const line = { campaignId: 'a', date: '2026-03-14', amount: '1', currency: 'USD', source: 'manual' };
    const bodies: unknown[] = [
      null,
      [],
      'items',
      {},
      { items: [] },
      { items: {} },
      { items: 'a' },
      { items: [line], extra: 1 },
      { items: Array.from({ length: 100_001 }, () => line) },
      JSON.parse(`{"items":[{"campaignId":"a","date":"2026-03-14","amount":"1","currency":"USD","source":"manual","__proto__":{"x":1}}]}`),
      JSON.parse(`{"__proto__":[],"items":[{"campaignId":"a","date":"2026-03-14","amount":"1","currency":"USD","source":"manual"}]}`),
    ];
    for (const body of bodies) {
      expect(parseSpendBatchFast(body)).toBeNull();
      agreesWithZod(body);
    }
    expect(parseSpendBatchFast({ items: Array.from({ length: 100_000 }, () => line) })).not.toBeNull();
  });

  it('the route validator answers exactly as the zod validator does, value or errors', () => {
    const route = { schema: SpendBatch, method: 'POST', url: '/v1/spend', httpPart: 'body' } as const;
    const zodOnly = validatorCompiler(route);
    const routeValidator = spendValidatorCompiler(route);
    fc.assert(
      fc.property(fc.array(fc.oneof(validItem, invalidItem), { minLength: 0, maxLength: 8 }), (items) => {
        const body = asJson({ items });
        const mine = routeValidator(body) as { value?: unknown; error?: unknown };
        const theirs = zodOnly(body) as { value?: unknown; error?: unknown };
        expect(mine.value).toStrictEqual(theirs.value);
        expect(JSON.stringify(mine.error)).toBe(JSON.stringify(theirs.error));
      }),
      { numRuns: 500 },
    );
  });
});

// ------------------------------------------------------------ through HTTP

describe('POST /v1/spend with the fast path', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeApp();
    await seedCampaigns(t, [campaignItem('a', { externalRefs: [{ source: 'meta', id: '120208812345678901' }] })]);
  });
  afterEach(() => t.close());
  const post = (payload: unknown) =>
    t.call({ method: 'POST', url: '/v1/spend', role: 'ops', payload: payload as string, headers: { 'content-type': 'application/json' } });

  it('ingests exact amounts, strings and numbers, and external refs', async () => {
    const res = await post(
      '{"items":[' +
        '{"campaignId":"a","date":"2026-03-01","amount":"123456789012.123456","currency":"USD","source":"google_ads"},' +
        '{"campaignId":"a","date":"2026-03-02","amount":0.1,"currency":"USD","source":"google_ads","reference":null},' +
        '{"externalRef":{"source":"meta","id":"120208812345678901"},"date":"2026-03-01","amount":95.1,"currency":"EUR","source":"meta"}]}',
    );
    expect(res.statusCode, res.body).toBe(200);
    // The EUR line has no EUR rate on or before its date: accepted, with a warning that names it.
    expect(res.json()).toEqual({
      inserted: 3,
      updated: 0,
      unchanged: 0,
      warnings: [{ path: 'items/2/currency', message: 'no EUR rate on or before 2026-03-01; reports that include this line answer 422 until one is added' }],
      warningCount: 1,
    });
    const sum = sqliteOf(t.app).prepare('select sum(amount_micros) from spend').pluck().safeIntegers(true).get();
    expect(sum).toBe(123456789012123456n + 100000n + 95100000n);
  });

  it('still names every bad line with zod’s paths and messages, and writes nothing', async () => {
    const good = { campaignId: 'a', date: '2026-03-14', amount: '1.00', currency: 'USD', source: 'google_ads' };
    const res = await post({ items: [good, { ...good, amount: '1.1234567' }, good, { ...good, currency: 'usd', colour: 'red' }] });
    expect(errorPaths(res).sort()).toEqual(['items/1/amount', 'items/3/colour', 'items/3/currency']);
    expect(problemOf(res, 400).errors).toContainEqual({ path: 'items/1/amount', message: 'must have at most 6 decimal places' });
    expect(await countRows(t.app, 'spend')).toBe(0);
  });

  it('refuses an unknown campaign and a repeated natural key with the item path', async () => {
    const good = { campaignId: 'a', date: '2026-03-14', amount: '1.00', currency: 'USD', source: 'google_ads' };
    const res = await post({ items: [good, { ...good, campaignId: 'nope' }, { ...good }] });
    expect(errorPaths(res).sort()).toEqual(['items/1/campaignId', 'items/2/reference']);
    expect(await countRows(t.app, 'spend')).toBe(0);
  });
});

// ------------------------------------------------------------ the write path's counts

describe('spend ingest counts, across its multi-row upserts', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeApp();
    await seedCampaigns(t, [campaignItem('a'), campaignItem('b')]);
  });
  afterEach(() => t.close());

  /** A line per (campaign, day); the amount in cents decides whether a re-send restates it. */
  const lineOf = (campaign: 'a' | 'b', day: number, cents: number) => ({
    campaignId: campaign,
    date: new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10),
    amount: BigInt(cents) * 10_000n,
    currency: 'USD',
    source: 'google_ads',
  });

  it('count inserted, updated and unchanged lines as a simple model does, batch after batch', async () => {
    const batch = fc.uniqueArray(fc.record({ campaign: fc.constantFrom<'a' | 'b'>('a', 'b'), day: fc.nat(60), cents: fc.nat(3) }), {
      selector: (line) => `${line.campaign}/${line.day}`,
      minLength: 1,
      maxLength: 120,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 4 }), async (batches) => {
        sqliteOf(t.app).exec('delete from spend');
        const stored = new Map<string, { cents: number; version: number }>();
        for (const lines of batches) {
          const expected = { inserted: 0, updated: 0, unchanged: 0 };
          for (const { campaign, day, cents } of lines) {
            const key = `${campaign}/${day}`;
            const before = stored.get(key);
            if (!before) (expected.inserted++, stored.set(key, { cents, version: 1 }));
            else if (before.cents !== cents) (expected.updated++, stored.set(key, { cents, version: before.version + 1 }));
            else expected.unchanged++;
          }
          const counts = await t.app.spend.ingest(lines.map(({ campaign, day, cents }) => lineOf(campaign, day, cents)), (i) => `items/${i}/`);
          expect(counts).toEqual(expected);
        }
        const rows = sqliteOf(t.app).prepare('select campaign_id, date, amount_micros, version from spend').safeIntegers(true).all() as {
          campaign_id: string;
          date: string;
          amount_micros: bigint;
          version: bigint;
        }[];
        expect(rows.length).toBe(stored.size);
        for (const row of rows) {
          const day = Math.round((Date.parse(row.date) - Date.UTC(2026, 0, 1)) / 86_400_000);
          const model = stored.get(`${row.campaign_id}/${day}`)!;
          expect([row.amount_micros, row.version]).toEqual([BigInt(model.cents) * 10_000n, BigInt(model.version)]);
        }
      }),
      { numRuns: 60 },
    );
  });
});
