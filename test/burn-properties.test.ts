/**
 * Properties of spend ingestion and the burn report, for any batch of spend
 * lines sent through POST /v1/spend:
 *
 * - totals.actual is the sum of what was ingested (dated up to asOf),
 *   converted at the newest rate on or before each line's date, computed
 *   here independently with decimal.js and rounded half-even to cents;
 * - the printed rows add up exactly to the printed totals, in every amount column;
 * - ingesting the same batch twice changes nothing;
 * - a restated batch replaces the amounts it restates, and only those.
 *
 * Each run starts from a fresh in-memory database. Runs are bounded so the
 * file finishes in a few seconds.
 */
import { Decimal as DecimalJs } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeApp, type TestApp } from './helper.js';

/** The test's own decimal, independent of the service's money module. */
const Dec = DecimalJs.clone({ precision: 100, rounding: DecimalJs.ROUND_HALF_EVEN });
type Dec = DecimalJs;

const CAMPAIGNS = [
  { id: 'p1', channel: 'paid_search' },
  { id: 'p2', channel: 'paid_search' },
  { id: 'p3', channel: 'paid_social' },
  { id: 'p4', channel: 'email' },
] as const;
/** EUR per USD base: one rate before the month, two inside it. */
const EUR_RATES = [
  { date: '2026-02-27', currency: 'EUR', rate: '1.0842' },
  { date: '2026-03-11', currency: 'EUR', rate: '1.1' },
  { date: '2026-03-25', currency: 'EUR', rate: '0.987654321' },
];
const AMOUNT_COLUMNS = ['planned', 'committed', 'actual', 'remaining', 'available', 'expectedToDate'] as const;

/** The newest EUR rate dated on or before `date` (always one for March). */
function rateOn(currency: string, date: string): Dec {
  if (currency === 'USD') return new Dec(1);
  const quote = EUR_RATES.filter((r) => r.date <= date).at(-1);
  if (!quote) throw new Error(`test data has no rate for ${date}`);
  return new Dec(quote.rate);
}

// ---------------------------------------------------------- generators

/**
 * An amount as the client writes it: up to 10 integer digits and 6
 * decimals, sometimes negative (a credit), sometimes with trailing zeros.
 * `literal` is the JSON text: a quoted string or a bare number; bare numbers
 * of more than 15 significant digits test that the body parser keeps them exact.
 */
const amountArb = fc
  .tuple(
    fc.oneof(
      fc.bigInt({ min: 0n, max: 100_000_000n }).map((cents) => cents * 10_000n), // whole cents up to 1,000,000.00
      fc.bigInt({ min: 0n, max: 10n ** 16n - 1n }), // any micros up to 9,999,999,999.999999
      fc.bigInt({ min: -(10n ** 9n), max: 0n }), // credits
    ),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([micros, padded, bare]) => {
    const negative = micros < 0n;
    const abs = negative ? -micros : micros;
    let fraction = (abs % 1_000_000n).toString().padStart(6, '0');
    if (!padded) fraction = fraction.replace(/0+$/, '');
    const text = `${negative ? '-' : ''}${abs / 1_000_000n}${fraction ? '.' + fraction : ''}`;
    return { text, literal: bare ? text : JSON.stringify(text) };
  });

const dayArb = fc.integer({ min: 1, max: 31 }).map((d) => `2026-03-${String(d).padStart(2, '0')}`);

interface SpendLine {
  campaignId: string;
  date: string;
  currency: 'USD' | 'EUR';
  source: string;
  reference: string | null;
  amount: { text: string; literal: string };
}

const spendLineArb: fc.Arbitrary<SpendLine> = fc.record({
  campaignId: fc.constantFrom(...CAMPAIGNS.map((c) => c.id)),
  date: dayArb,
  currency: fc.constantFrom('USD' as const, 'EUR' as const),
  source: fc.constantFrom('google_ads', 'meta', 'manual'),
  reference: fc.constantFrom(null, 'inv-1', 'inv-2'),
  amount: amountArb,
});

/** Lines with distinct natural keys (source, campaign, date, reference): a batch may not repeat one. */
const batchArb = fc.uniqueArray(spendLineArb, {
  minLength: 1,
  maxLength: 60,
  selector: (l) => `${l.source}|${l.campaignId}|${l.date}|${l.reference}`,
});

const planArb = fc.record({
  campaignId: fc.constantFrom(...CAMPAIGNS.map((c) => c.id)),
  currency: fc.constantFrom('USD', 'EUR'),
  amount: fc.bigInt({ min: 0n, max: 10n ** 13n }).map((micros) => new Dec(micros.toString()).div(1e6).toFixed()),
});
const plansArb = fc.uniqueArray(planArb, { maxLength: 4, selector: (p) => p.campaignId });
const commitmentsArb = fc.array(
  fc.record({
    campaignId: fc.constantFrom(...CAMPAIGNS.map((c) => c.id)),
    currency: fc.constantFrom('USD', 'EUR'),
    status: fc.constantFrom('open', 'closed'),
    amount: fc.bigInt({ min: 0n, max: 10n ** 12n }).map((micros) => new Dec(micros.toString()).div(1e6).toFixed()),
  }),
  { maxLength: 4 },
);

/** asOf from before the month to after it. */
const asOfArb = fc.integer({ min: -3, max: 35 }).map((offset) => new Date(Date.UTC(2026, 2, 1 + offset)).toISOString().slice(0, 10));

// ------------------------------------------------------------- helpers

/** The JSON body, written by hand so that bare number literals reach the server as written. */
function spendBody(lines: SpendLine[]): string {
  const items = lines.map(
    (l) =>
      `{"campaignId":"${l.campaignId}","date":"${l.date}","amount":${l.amount.literal},"currency":"${l.currency}",` +
      `"source":"${l.source}"${l.reference === null ? '' : `,"reference":"${l.reference}"`}}`,
  );
  return `{"items":[${items.join(',')}]}`;
}

async function postSpend(t: TestApp, lines: SpendLine[]) {
  const response = await t.call({
    method: 'POST',
    url: '/v1/spend',
    headers: { 'content-type': 'application/json' },
    payload: spendBody(lines),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { inserted: number; updated: number; unchanged: number };
}

type Plan = { campaignId: string; currency: string; amount: string };
type Commitment = { campaignId: string; currency: string; status: string; amount: string };

async function freshApp(plans: Plan[], commitments: Commitment[]): Promise<TestApp> {
  const t = await makeApp();
  const put = async (method: 'POST' | 'PUT', url: string, items: unknown[]) => {
    if (items.length === 0) return;
    const response = await t.call({ method, url, payload: { items } });
    expect(response.statusCode, response.body).toBe(200);
  };
  await put('POST', '/v1/campaigns', CAMPAIGNS.map((c) => ({ ...c, name: `Campaign ${c.id}`, startDate: '2026-01-01' })));
  await put('PUT', '/v1/fx-rates', EUR_RATES);
  await put('PUT', '/v1/plans', plans.map((p) => ({ ...p, month: '2026-03' })));
  await put('POST', '/v1/commitments', commitments.map((c, i) => ({ ...c, id: `io-${i}`, month: '2026-03' })));
  return t;
}

interface Report {
  rows: (Record<(typeof AMOUNT_COLUMNS)[number], string> & { campaignId?: string; channel: string })[];
  totals: Record<(typeof AMOUNT_COLUMNS)[number], string>;
}

async function burn(t: TestApp, asOf: string, groupBy: 'campaign' | 'channel'): Promise<{ report: Report; body: string }> {
  const response = await t.call({ method: 'GET', url: `/v1/reports/burn?month=2026-03&asOf=${asOf}&groupBy=${groupBy}`, role: 'viewer' });
  expect(response.statusCode, response.body).toBe(200);
  return { report: response.json() as Report, body: response.body };
}

/** Exact base-currency spend of the lines dated up to asOf, per campaign. */
function exactActual(lines: SpendLine[], asOf: string): Map<string, Dec> {
  const sums = new Map<string, Dec>();
  for (const line of lines) {
    if (line.date > asOf) continue;
    const base = new Dec(line.amount.text).times(rateOn(line.currency, line.date));
    sums.set(line.campaignId, (sums.get(line.campaignId) ?? new Dec(0)).plus(base));
  }
  return sums;
}

const cents = (value: Dec) => value.toDecimalPlaces(2, DecimalJs.ROUND_HALF_EVEN).toFixed(2);
const sumOf = (values: Iterable<Dec>) => [...values].reduce((a, b) => a.plus(b), new Dec(0));

const RUNS = { numRuns: 25, endOnFailure: true } as const;

// ---------------------------------------------------------- properties

describe('burn report properties over any batch of spend lines', () => {
  it('totals.actual is the sum of what was ingested, and the printed rows add up to the printed totals', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, plansArb, commitmentsArb, asOfArb, fc.constantFrom('campaign' as const, 'channel' as const), async (lines, plans, commitments, asOf, groupBy) => {
        const t = await freshApp(plans, commitments);
        try {
          const counts = await postSpend(t, lines);
          expect(counts).toEqual({ inserted: lines.length, updated: 0, unchanged: 0 });
          const { report } = await burn(t, asOf, groupBy);

          // The sum of what was ingested, dated on or before asOf.
          const exact = exactActual(lines, asOf);
          expect(report.totals.actual).toBe(cents(sumOf(exact.values())));
          // Plans at 03-01 (EUR 1.0842), open commitments likewise.
          const planRate = (currency: string) => rateOn(currency, '2026-03-01');
          expect(report.totals.planned).toBe(cents(sumOf(plans.map((p) => new Dec(p.amount).times(planRate(p.currency))))));
          const open = commitments.filter((c) => c.status === 'open');
          expect(report.totals.committed).toBe(cents(sumOf(open.map((c) => new Dec(c.amount).times(planRate(c.currency))))));

          // Printed rows add up exactly to the printed totals, column by column.
          for (const column of AMOUNT_COLUMNS) {
            const printed = sumOf(report.rows.map((r) => new Dec(r[column])));
            expect(printed.toFixed(2), column).toBe(report.totals[column]);
          }
          // And each printed row is within a cent of its exact figure.
          if (groupBy === 'campaign') {
            for (const row of report.rows) {
              const rowExact = exact.get(row.campaignId!) ?? new Dec(0);
              expect(new Dec(row.actual).minus(rowExact).abs().lessThan('0.01'), `${row.campaignId} ${row.actual} vs ${rowExact}`).toBe(true);
            }
          }
        } finally {
          await t.close();
        }
      }),
      RUNS,
    );
  });

  it('ingesting the same batch twice changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, plansArb, asOfArb, async (lines, plans, asOf) => {
        const t = await freshApp(plans, []);
        try {
          await postSpend(t, lines);
          const before = await burn(t, asOf, 'campaign');
          const beforeCsv = await t.call({ method: 'GET', url: `/v1/reports/burn?month=2026-03&asOf=${asOf}&format=csv`, role: 'viewer' });

          const again = await postSpend(t, lines);
          expect(again).toEqual({ inserted: 0, updated: 0, unchanged: lines.length });
          const after = await burn(t, asOf, 'campaign');
          expect(after.body).toBe(before.body);
          const afterCsv = await t.call({ method: 'GET', url: `/v1/reports/burn?month=2026-03&asOf=${asOf}&format=csv`, role: 'viewer' });
          expect(afterCsv.body).toBe(beforeCsv.body);
          // Nor did the stored lines change: still one version each.
          const list = await t.call({ method: 'GET', url: '/v1/spend?limit=10000' });
          const items = (list.json() as { items: { version: number }[] }).items;
          expect(items).toHaveLength(lines.length);
          expect(items.every((i) => i.version === 1)).toBe(true);
        } finally {
          await t.close();
        }
      }),
      RUNS,
    );
  });

  it('a restated batch replaces the amounts it restates, and only those', async () => {
    const restatementArb = batchArb.chain((lines) =>
      fc.tuple(
        fc.constant(lines),
        fc.array(fc.option(amountArb, { freq: 2 }), { minLength: lines.length, maxLength: lines.length }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(restatementArb, async ([lines, restated]) => {
        const t = await freshApp([], []);
        try {
          await postSpend(t, lines);
          const second = lines.map((line, i) => (restated[i] ? { ...line, amount: restated[i]! } : line));
          const changed = second.filter((line, i) => !new Dec(line.amount.text).equals(lines[i]!.amount.text)).length;
          const counts = await postSpend(t, second);
          expect(counts).toEqual({ inserted: 0, updated: changed, unchanged: lines.length - changed });
          // The report is the one of the second batch alone: nothing double counted.
          const { report } = await burn(t, '2026-03-31', 'campaign');
          expect(report.totals.actual).toBe(cents(sumOf(exactActual(second, '2026-03-31').values())));
        } finally {
          await t.close();
        }
      }),
      RUNS,
    );
  });
});
