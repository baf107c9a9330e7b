/**
 * Sums of stored amounts past 2^63 micros: twelve open commitments of the
 * largest amount an input takes (999,999,999,999.999999) add up to about
 * 1.2e19 micros, more than SQLite's integer sum() holds (2^63 - 1, about
 * 9.22e18). Every report of that month still answers, with the exact total.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { divRoundHalfEven, formatMicros, formatUnits } from '../../src/domain/money.js';
import { campaignItem, makeApp, seedCampaigns, type TestApp } from '../helper.js';

const MAX = '999999999999.999999';

describe('twelve open commitments of 999,999,999,999.999999 in one month', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp();
    await seedCampaigns(t, [campaignItem('a'), campaignItem('b')]);
    const items = Array.from({ length: 12 }, (_, i) => ({ id: `io-${i}`, campaignId: 'a', month: '2026-03', amount: MAX, currency: 'USD' }));
    expect((await t.call({ method: 'POST', url: '/v1/commitments', role: 'ops', payload: { items } })).statusCode).toBe(200);
    // SQLite grouped them per campaign, month and currency: all twelve are campaign a's.
    const plans = [{ campaignId: 'b', month: '2026-03', amount: MAX, currency: 'USD' }];
    expect((await t.call({ method: 'PUT', url: '/v1/plans', role: 'ops', payload: { items: plans } })).statusCode).toBe(200);
  });
  afterAll(() => t.close());

  const get = (url: string) => t.call({ method: 'GET', url, role: 'viewer' });

  it('burn gives the exact total, rounded once to cents', async () => {
    const res = await get('/v1/reports/burn?month=2026-03&asOf=2026-03-15');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    // 12 x 999,999,999,999.999999 = 11,999,999,999,999.999988, which is 12,000,000,000,000.00 to the cent.
    expect(body.totals.committed).toBe('12000000000000.00');
    expect(body.rows.map((r: { campaignId: string; committed: string; planned: string }) => [r.campaignId, r.committed, r.planned])).toEqual([
      ['a', '12000000000000.00', '0.00'],
      ['b', '0.00', '1000000000000.00'],
    ]);
    // 11,999,999,999,999.999988 + 999,999,999,999.999999 = 12,999,999,999,999.999987 -> 13,000,000,000,000.00
    expect(body.totals.planned).toBe('1000000000000.00');
  });

  it.each([
    '/v1/reports/burn?month=2026-03&groupBy=channel',
    '/v1/reports/forecast?month=2026-03&asOf=2026-03-15',
    '/v1/reports/budget-forecast-actual?month=2026-03',
    '/v1/reports/roi?from=2026-03-01&to=2026-03-31',
    '/v1/reports/attribution?from=2026-03-01&to=2026-03-31',
    '/v1/reports/burn?month=2026-03&format=csv',
    '/v1/reports/burn?month=2026-03&format=xlsx',
  ])('%s answers 200', async (url) => {
    const res = await get(url);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  });
});

describe('property: report totals are the exact bigint sums of the inputs, however large', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp();
    await seedCampaigns(t, ['a', 'b', 'c'].map((id) => campaignItem(id)));
  });
  afterAll(() => t.close());

  /** Micros as the API's decimal text (six decimals: exactly what was meant). */
  const text = (micros: bigint) => formatMicros(micros, 6);
  /** A stored total as burn prints it: rounded half-even to cents, once. */
  const cents = (micros: bigint) => formatUnits(divRoundHalfEven(micros, 10_000n), 2);

  const MAX_MICROS = 999_999_999_999_999_999n;
  const huge = fc.bigInt({ min: MAX_MICROS - 10n ** 15n, max: MAX_MICROS });
  const campaign = fc.constantFrom('a', 'b', 'c');
  // Mostly campaign a and open: ten of them in one campaign pass 2^63 micros, where SQLite's sum() stopped.
  const mostlyA = fc.oneof({ arbitrary: fc.constant('a'), weight: 6 }, { arbitrary: campaign, weight: 1 });
  const mostlyOpen = fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.boolean(), weight: 1 });
  let run = 0;

  it('burn: planned, committed and actual equal the sums of plans, open commitments and spend', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ campaignId: mostlyA, micros: huge, open: mostlyOpen }), { minLength: 1, maxLength: 16 }),
        fc.uniqueArray(fc.record({ campaignId: campaign, micros: huge }), { maxLength: 3, selector: (p) => p.campaignId }),
        fc.array(fc.record({ campaignId: campaign, day: fc.integer({ min: 1, max: 28 }), micros: huge, credit: fc.boolean() }), { maxLength: 14 }),
        async (commitments, plans, spend) => {
          // A month of its own for each run: 2030-01, 2030-02, ...
          const n = run++;
          const month = `${2030 + Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`;
          const send = async (method: 'POST' | 'PUT', url: string, items: unknown[]) => {
            if (items.length === 0) return;
            const res = await t.call({ method, url, role: 'ops', payload: { items } });
            expect(res.statusCode, res.body).toBe(200);
          };
          await send('POST', '/v1/commitments', commitments.map((c, i) => ({ id: `${month}-${i}`, campaignId: c.campaignId, month, amount: text(c.micros), currency: 'USD', status: c.open ? 'open' : 'closed' })));
          await send('PUT', '/v1/plans', plans.map((p) => ({ campaignId: p.campaignId, month, amount: text(p.micros), currency: 'USD' })));
          const signed = spend.map((s) => (s.credit ? -s.micros : s.micros));
          await send('POST', '/v1/spend', spend.map((s, i) => ({ campaignId: s.campaignId, date: `${month}-${String(s.day).padStart(2, '0')}`, amount: text(signed[i]!), currency: 'USD', source: 'prop', reference: `r${i}` })));

          const res = await t.call({ method: 'GET', url: `/v1/reports/burn?month=${month}&asOf=2099-01-01`, role: 'viewer' });
          expect(res.statusCode, res.body).toBe(200);
          const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
          expect(res.json().totals).toMatchObject({
            planned: cents(sum(plans.map((p) => p.micros))),
            committed: cents(sum(commitments.filter((c) => c.open).map((c) => c.micros))),
            actual: cents(sum(signed)),
          });
        },
      ),
      { numRuns: 25 },
    );
  });
});
