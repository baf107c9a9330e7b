/**
 * One figure, one value (issue 14 item 11), on random data through the HTTP
 * app: amounts are rounded once per (campaign, month) cell and every coarser
 * row adds printed cells, so
 *
 * - a channel row equals the sum of its campaigns' rows, in every amount
 *   column of burn, forecast (every method), ROI (every model) and
 *   attribution; rows add up to totals; totals do not depend on groupBy;
 * - budget-forecast-actual's month equals burn's report of that month;
 * - ROI's spend of a month, per campaign, equals burn's actual of that month.
 *
 * Amounts have micros and EUR rates many decimals, so cells have remainders
 * to round. Runs are few and small: each builds a fresh app.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignItem, makeApp, seedCampaigns, type TestApp } from '../helper.js';

type Row = Record<string, string | number | null | Record<string, Record<string, string | null>>>;
interface Report {
  rows: Row[];
  totals: Row;
}

const CAMPAIGNS = [
  { id: 'c1', channel: 'paid_search' },
  { id: 'c2', channel: 'paid_search' },
  { id: 'c3', channel: 'paid_search' },
  { id: 'c4', channel: 'paid_social' },
  { id: 'c5', channel: 'paid_social' },
  { id: 'c6', channel: 'email' },
];
const MONTHS = ['2026-01', '2026-02', '2026-03'];
const MODELS = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'data_driven'];

/** Printed amounts as whole minor units (every amount here has 2 decimals, conversions 4). */
const units = (text: unknown) => BigInt(String(text).replace('.', ''));

const amountArb = fc.bigInt({ min: 1n, max: 5_000_000_000n }).map((micros) => (Number(micros) / 1e6).toFixed(6));
const dayArb = fc.integer({ min: 0, max: 89 }).map((d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10));
const campaignArb = fc.constantFrom(...CAMPAIGNS.map((c) => c.id));

const dataArb = fc.record({
  plans: fc.uniqueArray(fc.record({ campaignId: campaignArb, month: fc.constantFrom(...MONTHS), amount: amountArb, currency: fc.constantFrom('USD', 'EUR') }), {
    maxLength: 10,
    selector: (p) => `${p.campaignId} ${p.month}`,
  }),
  spend: fc.uniqueArray(fc.record({ campaignId: campaignArb, date: dayArb, amount: amountArb, currency: fc.constantFrom('USD', 'EUR'), source: fc.constant('manual') }), {
    minLength: 1,
    maxLength: 40,
    selector: (s) => `${s.campaignId} ${s.date}`,
  }),
  touches: fc.array(fc.record({ customer: fc.integer({ min: 1, max: 8 }), campaignId: campaignArb, day: dayArb, hour: fc.integer({ min: 0, max: 23 }) }), { maxLength: 30 }),
  revenue: fc.array(fc.record({ customer: fc.integer({ min: 1, max: 10 }), day: dayArb, amount: amountArb, currency: fc.constantFrom('USD', 'EUR') }), { minLength: 1, maxLength: 20 }),
});

type Data = typeof dataArb extends fc.Arbitrary<infer T> ? T : never;

async function appWith(data: Data): Promise<TestApp> {
  // The clock after the quarter: every month is final for budget-forecast-actual.
  const t = await makeApp({ now: new Date('2026-04-10T12:00:00Z') });
  await seedCampaigns(t, CAMPAIGNS.map((c) => campaignItem(c.id, { channel: c.channel })));
  const send = async (method: 'POST' | 'PUT', url: string, items: unknown[], role: 'ops' | 'finance') => {
    if (items.length === 0) return;
    const res = await t.call({ method, url, role, payload: { items } });
    expect(res.statusCode, res.body).toBe(200);
  };
  await send('PUT', '/v1/fx-rates', [
    { date: '2025-12-31', currency: 'EUR', rate: '1.0842317' },
    { date: '2026-02-11', currency: 'EUR', rate: '0.987654321' },
  ], 'finance');
  await send('PUT', '/v1/plans', data.plans, 'finance');
  await send('POST', '/v1/spend', data.spend, 'ops');
  await send('POST', '/v1/touchpoints', data.touches.map((x, i) => ({ id: `t${i}`, customerId: `u${x.customer}`, campaignId: x.campaignId, occurredAt: `${x.day}T${String(x.hour).padStart(2, '0')}:00:00Z` })), 'ops');
  await send('POST', '/v1/revenue', data.revenue.map((x, i) => ({ id: `r${i}`, customerId: `u${x.customer}`, occurredAt: `${x.day}T12:30:00Z`, amount: x.amount, currency: x.currency })), 'ops');
  return t;
}

async function get(t: TestApp, url: string): Promise<Report & Row> {
  const res = await t.call({ method: 'GET', url, role: 'viewer' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Report & Row;
}

const channelOf = (campaignId: string) => CAMPAIGNS.find((c) => c.id === campaignId)!.channel;

/**
 * By channel against by campaign: each channel row's column is the sum of its campaigns' rows
 * (the unattributed row stays itself), and the totals agree. `figures` reads a row's columns.
 */
function expectChannelsAddUp(byCampaign: Report, byChannel: Report, columns: string[], figures: (row: Row) => Row = (row) => row) {
  const sums = new Map<string | null, Map<string, bigint>>();
  for (const row of byCampaign.rows) {
    const key = row.campaignId === null ? null : channelOf(String(row.campaignId));
    const sum = sums.get(key) ?? new Map<string, bigint>();
    for (const column of columns) sum.set(column, (sum.get(column) ?? 0n) + units(figures(row)[column]));
    sums.set(key, sum);
  }
  expect(byChannel.rows.map((row) => row.channel).sort()).toEqual([...sums.keys()].sort());
  for (const row of byChannel.rows) {
    for (const column of columns) expect(units(figures(row)[column]), `${String(row.channel)} ${column}`).toBe(sums.get(row.channel as string | null)!.get(column));
  }
  for (const column of columns) {
    expect(figures(byChannel.totals)[column], `totals ${column}`).toBe(figures(byCampaign.totals)[column]);
    expect(byCampaign.rows.reduce((acc, row) => acc + units(figures(row)[column]), 0n), `rows ${column}`).toBe(units(figures(byCampaign.totals)[column]));
  }
}

const RUNS = { numRuns: 6 } as const;

describe('one figure, one value, on random data', () => {
  it('burn and forecast: a channel row is the sum of its campaigns’ rows; totals do not depend on groupBy', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, fc.constantFrom('2026-02-20', '2026-03-31', '2026-04-10'), async (data, asOf) => {
        const t = await appWith(data);
        try {
          const burn = (groupBy: string) => get(t, `/v1/reports/burn?from=2026-01&to=2026-03&asOf=${asOf}&groupBy=${groupBy}`);
          expectChannelsAddUp(await burn('campaign'), await burn('channel'), ['planned', 'committed', 'actual', 'remaining', 'available', 'expectedToDate']);
          for (const method of ['run_rate', 'trailing_7d', 'linear_trend']) {
            const forecast = (groupBy: string) => get(t, `/v1/reports/forecast?month=2026-03&asOf=${asOf === '2026-02-20' ? '2026-03-09' : asOf}&method=${method}&groupBy=${groupBy}`);
            expectChannelsAddUp(await forecast('campaign'), await forecast('channel'), ['planned', 'actualToDate', 'forecast', 'varianceVsPlan']);
          }
        } finally {
          await t.close();
        }
      }),
      RUNS,
    );
  });

  it('ROI and attribution, every model: a channel row is the sum of its campaigns’ rows; totals are the same by campaign, channel and month', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, async (data) => {
        const t = await appWith(data);
        try {
          const range = 'from=2026-01-01&to=2026-03-31';
          const byMonth = await get(t, `/v1/reports/roi?${range}&groupBy=month`);
          for (const model of MODELS) {
            const roi = (groupBy: string) => get(t, `/v1/reports/roi?${range}&model=${model}&groupBy=${groupBy}`);
            const byCampaign = await roi('campaign');
            expectChannelsAddUp(byCampaign, await roi('channel'), ['spend', 'revenue', 'conversions']);
            for (const column of ['spend', 'revenue', 'conversions']) expect(byCampaign.totals[column], `${model} ${column}`).toBe(byMonth.totals[column]);
          }
          const attribution = (groupBy: string) => get(t, `/v1/reports/attribution?${range}&groupBy=${groupBy}`);
          const [campaigns, channels] = [await attribution('campaign'), await attribution('channel')];
          expectChannelsAddUp(campaigns, channels, ['spend']);
          for (const model of MODELS) expectChannelsAddUp(campaigns, channels, ['revenue', 'conversions'], (row) => (row.models as Record<string, Row>)[model]!);
        } finally {
          await t.close();
        }
      }),
      RUNS,
    );
  });

  it('a month prints the same in budget-forecast-actual, burn and ROI', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, async (data) => {
        const t = await appWith(data);
        try {
          const bfa = await get(t, '/v1/reports/budget-forecast-actual?from=2026-01&to=2026-03');
          for (const [i, month] of MONTHS.entries()) {
            const burn = await get(t, `/v1/reports/burn?month=${month}&asOf=2026-04-10`);
            const row = bfa.rows[i]!;
            expect(row.month).toBe(month);
            expect([row.planned, row.actual], month).toEqual([burn.totals.planned, burn.totals.actual]);
            // Per campaign: ROI's spend over the month is burn's actual of the month.
            const last = new Date(Date.UTC(2026, i + 1, 0)).toISOString().slice(0, 10);
            const roi = await get(t, `/v1/reports/roi?from=${month}-01&to=${last}&model=linear`);
            const roiSpend = new Map(roi.rows.filter((r) => r.campaignId !== null).map((r) => [r.campaignId, r.spend]));
            for (const b of burn.rows) if (b.actual !== '0.00' || roiSpend.has(b.campaignId)) expect(roiSpend.get(b.campaignId), `${month} ${String(b.campaignId)}`).toBe(b.actual);
            const monthly = await get(t, `/v1/reports/roi?from=${month}-01&to=${last}&groupBy=month`);
            expect(monthly.totals.spend).toBe(burn.totals.actual);
          }
          const rows = bfa.rows;
          for (const column of ['planned', 'actual']) expect(rows.reduce((acc, r) => acc + units(r[column]), 0n)).toBe(units(bfa.totals[column]));
        } finally {
          await t.close();
        }
      }),
      RUNS,
    );
  });
});
