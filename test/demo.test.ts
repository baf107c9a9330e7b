/**
 * The demo data set (fixtures/demo) as a new user meets it: loaded into an
 * empty database, its March burn report and its quarter's ROI report are
 * checked against sums computed here, independently of the report code,
 * from the JSON files themselves.
 */
import { readFileSync } from 'node:fs';
import { Decimal as DecimalJs } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo, renderBatch } from '../fixtures/demo/generate.js';
import { DEMO_FILES, type DemoResource } from '../fixtures/demo/files.js';
import { applyDemo, loadDemo } from '../fixtures/demo/load.js';
import { makeApp, type TestApp } from './helper.js';

// Plenty of digits: amounts have 2 decimals and rates 4, so every product and sum here is exact.
const Decimal = DecimalJs.clone({ precision: 50 });

interface SpendLine {
  date: string;
  amount: string;
  currency: string;
}
interface FxLine {
  date: string;
  currency: string;
  rate: string;
}
interface PlanLine {
  campaignId: string;
  month: string;
  amount: string;
  currency: string;
}
interface TouchpointLine {
  customerId: string;
  campaignId: string;
  occurredAt: string;
}
interface RevenueLine {
  id: string;
  customerId: string;
  occurredAt: string;
  amount: string;
  currency: string;
  refundOf?: string;
}

function itemsOf<T>(resource: DemoResource): T[] {
  const text = readFileSync(new URL(`../fixtures/demo/${DEMO_FILES[resource]}`, import.meta.url), 'utf8');
  return (JSON.parse(text) as { items: T[] }).items;
}

const spendLines = itemsOf<SpendLine>('spend');
const fxLines = itemsOf<FxLine>('fxRates');
const planLines = itemsOf<PlanLine>('plans');
const touchLines = itemsOf<TouchpointLine>('touchpoints');
const revenueLines = itemsOf<RevenueLine>('revenue');

/** The UTC day of an ISO 8601 instant, whatever offset it was written with. */
const utcDay = (instant: string) => new Date(instant).toISOString().slice(0, 10);

/** USD per unit of `currency` on `date`: the newest rate dated on or before it (USD is the base: 1). */
function rateOn(currency: string, date: string): DecimalJs {
  if (currency === 'USD') return new Decimal(1);
  const candidates = fxLines.filter((r) => r.currency === currency && r.date <= date).sort((a, b) => (a.date < b.date ? -1 : 1));
  const newest = candidates.at(-1);
  if (!newest) throw new Error(`no ${currency} rate on or before ${date}`);
  return new Decimal(newest.rate);
}

/** Exact sum in USD, printed half-even to cents as the report prints it. */
function usd(lines: { amount: string; currency: string; on: string }[]): string {
  const total = lines.reduce((sum, line) => sum.plus(new Decimal(line.amount).times(rateOn(line.currency, line.on))), new Decimal(0));
  return total.toFixed(2, Decimal.ROUND_HALF_EVEN);
}

const MONEY_COLUMNS = ['planned', 'committed', 'actual', 'remaining', 'available', 'expectedToDate'] as const;

type BurnRow = Record<string, string | number | null>;
interface BurnReport {
  rows: BurnRow[];
  totals: BurnRow;
}

/** Every table the demo writes, as text: equal snapshots mean nothing changed (compared on one store, so any fixed row order does). */
async function storedData(t: TestApp): Promise<string> {
  const tables = ['campaigns', 'campaign_external_refs', 'plans', 'plan_revisions', 'commitments', 'fx_rates', 'spend', 'touchpoints', 'revenue', 'forecast_snapshots', 'closed_months', 'period_events'];
  const database = t.app.database;
  const rows: unknown[] = [];
  for (const table of tables) {
    rows.push(
      database.dialect === 'sqlite'
        ? database.sqlite.prepare(`select * from "${table}" order by rowid`).safeIntegers(true).all()
        : (await database.pg.query(`select * from "${table}" r order by r::text`)).rows,
    );
  }
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

describe('demo data set', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await makeApp();
    const result = await loadDemo(t.app);
    if (!result.loaded) throw new Error(`demo not loaded: ${result.reason}`);
  });
  afterAll(() => t.close());

  const burn = async (query: string): Promise<BurnReport> => {
    const res = await t.call({ method: 'GET', url: `/v1/reports/burn?${query}`, role: 'viewer' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as BurnReport;
  };

  const listAll = async (path: string): Promise<unknown[]> => {
    const res = await t.call({ method: 'GET', url: `${path}?limit=10000` });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: unknown[]; nextCursor: string | null };
    expect(page.nextCursor).toBeNull();
    return page.items;
  };

  it('is what generate.ts writes: the committed JSON files are up to date and deterministic', () => {
    const data = buildDemo();
    for (const resource of Object.keys(DEMO_FILES) as DemoResource[]) {
      const onDisk = readFileSync(new URL(`../fixtures/demo/${DEMO_FILES[resource]}`, import.meta.url), 'utf8');
      expect(renderBatch(data[resource]), `${DEMO_FILES[resource]} differs from generate.ts output`).toBe(onDisk);
    }
  });

  it('stores every item of every file, once', async () => {
    expect(await listAll('/v1/campaigns')).toHaveLength(itemsOf('campaigns').length);
    expect(await listAll('/v1/plans')).toHaveLength(planLines.length);
    expect(await listAll('/v1/commitments')).toHaveLength(itemsOf('commitments').length);
    expect(await listAll('/v1/fx-rates')).toHaveLength(fxLines.length);
    expect(await listAll('/v1/spend')).toHaveLength(spendLines.length);
    expect(await listAll('/v1/touchpoints')).toHaveLength(touchLines.length);
    expect(await listAll('/v1/revenue')).toHaveLength(revenueLines.length);
    // The size the README promises: a quarter of about twenty campaigns, 2,000 customers, fifteen refunds.
    expect(itemsOf('campaigns')).toHaveLength(20);
    expect(new Set([...touchLines, ...revenueLines].map((line) => line.customerId)).size).toBe(2000);
    expect(revenueLines.filter((r) => r.refundOf)).toHaveLength(15);
  });

  describe('ROI over the quarter', () => {
    const QUARTER = 'from=2026-01-01&to=2026-03-31';
    type RoiRow = Record<string, string | null>;
    const roi = async (query: string): Promise<{ rows: RoiRow[]; totals: RoiRow }> => {
      const res = await t.call({ method: 'GET', url: `/v1/reports/roi?${QUARTER}&${query}`, role: 'viewer' });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { rows: RoiRow[]; totals: RoiRow };
    };

    it('revenue totals equal the revenue file converted at each event’s own UTC day; spend the spend file', async () => {
      const report = await roi('model=linear');
      // Every event lies in the quarter, so the report counts all of it; EUR ones convert at the newest rate on or before their day.
      expect(revenueLines.every((r) => utcDay(r.occurredAt) >= '2026-01-01' && utcDay(r.occurredAt) <= '2026-03-31')).toBe(true);
      expect(revenueLines.some((r) => r.currency === 'EUR' && r.refundOf)).toBe(true);
      const expected = usd(revenueLines.map((r) => ({ ...r, on: utcDay(r.occurredAt) })));
      expect(new Decimal(expected).gt(0)).toBe(true);
      expect(report.totals.revenue).toBe(expected);
      expect(report.totals.spend).toBe(usd(spendLines.map((s) => ({ ...s, on: s.date }))));
      // A refund changes revenue, not conversions.
      expect(report.totals.conversions).toBe(`${revenueLines.filter((r) => !r.refundOf).length}.0000`);
      for (const column of ['spend', 'revenue', 'conversions']) {
        const places = column === 'conversions' ? 4 : 2;
        const sum = report.rows.reduce((acc, row) => acc.plus(String(row[column])), new Decimal(0));
        expect(sum.toFixed(places), column).toBe(report.totals[column]);
      }
    });

    it('puts the purchases no touch explains in a non-empty (unattributed) row', async () => {
      const report = await roi('model=linear');
      const unattributed = report.rows.at(-1)!;
      expect(unattributed).toMatchObject({ campaignId: null, name: '(unattributed)', spend: '0.00' });
      // A purchase at T is explained by its customer's touches in (T - 90 days, T]; a refund goes where its purchase went.
      const LOOKBACK_MS = 90 * 86_400_000;
      const touchTimes = new Map<string, number[]>();
      for (const touch of touchLines) touchTimes.set(touch.customerId, [...(touchTimes.get(touch.customerId) ?? []), Date.parse(touch.occurredAt)]);
      const purchases = new Map(revenueLines.filter((r) => !r.refundOf).map((r) => [r.id, r]));
      const unexplained = revenueLines.filter((r) => {
        const at = Date.parse(purchases.get(r.refundOf ?? r.id)!.occurredAt);
        return !(touchTimes.get(r.customerId) ?? []).some((t) => t > at - LOOKBACK_MS && t <= at);
      });
      expect(unexplained.filter((r) => !r.refundOf).length).toBeGreaterThan(0);
      expect(unattributed.conversions).toBe(`${unexplained.filter((r) => !r.refundOf).length}.0000`);
      expect(unattributed.revenue).toBe(usd(unexplained.map((r) => ({ ...r, on: utcDay(r.occurredAt) }))));
    });

    it('tells the models apart: search closes journeys, social and display open them', async () => {
      const res = await t.call({ method: 'GET', url: `/v1/reports/attribution?${QUARTER}&models=first_touch,last_touch&groupBy=channel`, role: 'viewer' });
      expect(res.statusCode, res.body).toBe(200);
      type Figures = { revenue: string };
      const report = res.json() as { rows: { channel: string | null; models: Record<'first_touch' | 'last_touch', Figures> }[] };
      const revenue = (channel: string, model: 'first_touch' | 'last_touch') =>
        new Decimal(report.rows.find((row) => row.channel === channel)!.models[model].revenue);
      expect(revenue('paid_search', 'last_touch').gt(revenue('paid_search', 'first_touch').times(3))).toBe(true);
      expect(revenue('paid_social', 'first_touch').gt(revenue('paid_social', 'last_touch').times(3))).toBe(true);
      expect(revenue('display', 'first_touch').gt(revenue('display', 'last_touch'))).toBe(true);
    });
  });

  it.each(['2026-03-15', '2026-03-31'])('March burn as of %s: actual and planned equal the files converted at the FX rates', async (asOf) => {
    const report = await burn(`month=2026-03&asOf=${asOf}`);
    // Spend converts at the newest rate on or before its date.
    const marchSpend = spendLines.filter((s) => s.date >= '2026-03-01' && s.date <= asOf);
    expect(marchSpend.some((s) => s.currency === 'EUR')).toBe(true);
    expect(report.totals.actual).toBe(usd(marchSpend.map((s) => ({ ...s, on: s.date }))));
    // A plan converts at the rate of the first day of its month: 2026-03-01 is a Sunday, so Friday's rate.
    const marchPlans = planLines.filter((p) => p.month === '2026-03');
    expect(report.totals.planned).toBe(usd(marchPlans.map((p) => ({ ...p, on: '2026-03-01' }))));
  });

  it.each(['campaign', 'channel'])('rows add up to the totals as printed (groupBy=%s)', async (groupBy) => {
    for (const asOf of ['2026-03-15', '2026-03-31']) {
      const report = await burn(`month=2026-03&asOf=${asOf}&groupBy=${groupBy}`);
      expect(report.rows.length).toBeGreaterThan(1);
      for (const column of MONEY_COLUMNS) {
        const sum = report.rows.reduce((acc, row) => acc.plus(String(row[column])), new Decimal(0));
        expect(sum.toFixed(2), `${column} as of ${asOf}`).toBe(report.totals[column]);
      }
    }
  });

  it('tells the story the README tells, as of 2026-03-15', async () => {
    const report = await burn('month=2026-03&asOf=2026-03-15');
    const status = Object.fromEntries(report.rows.map((row) => [row.campaignId, row.status]));
    expect(status).toMatchObject({
      'search-nonbrand-us': 'overpacing',
      'li-abm-enterprise': 'underpacing',
      'event-berlin-summit': 'over_budget',
      'partner-podcast-pilot': 'unplanned',
      'yt-product-explainer': 'on_track',
      'search-brand-us': 'on_track',
    });
    expect(Object.values(status).filter((s) => s === 'on_track')).toHaveLength(16);
    // The paused campaign: nothing after 11 March.
    const spend = (await t.call({ method: 'GET', url: '/v1/spend?campaignId=yt-product-explainer&from=2026-03-01&limit=100' })).json() as {
      items: { date: string }[];
    };
    expect(spend.items.map((s) => s.date).at(-1)).toBe('2026-03-11');
  });

  it('answers the March burn report in CSV with the totals row last', async () => {
    const res = await t.call({ method: 'GET', url: '/v1/reports/burn?month=2026-03&asOf=2026-03-15&format=csv', role: 'viewer' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trim().split(/\r\n/);
    expect(lines[0]!.startsWith('campaignId,name,channel,currency,planned,')).toBe(true);
    expect(lines).toHaveLength(1 + 20 + 1);
    expect(lines.at(-1)!.startsWith('TOTAL,')).toBe(true);
  });

  it('loads only into an empty database, and loading again changes nothing', async () => {
    const before = await storedData(t);
    const again = await loadDemo(t.app);
    expect(again.loaded).toBe(false);
    expect(await storedData(t)).toBe(before);
    // Written again through the services, the demo is refused whole: January and February are closed.
    await expect(applyDemo(t.app)).rejects.toThrow(/months? 2026-01.* closed/);
    expect(await storedData(t)).toBe(before);
  });

  it('writes every item only once: applied twice before any month is closed, the second time changes nothing', async () => {
    const fresh = await makeApp();
    try {
      await applyDemo(fresh.app);
      const before = await storedData(fresh);
      const counts = await applyDemo(fresh.app);
      for (const [resource, c] of Object.entries(counts)) {
        expect(c, resource).toEqual({ inserted: 0, updated: 0, unchanged: itemsOf(resource as DemoResource).length });
      }
      expect(await storedData(fresh)).toBe(before);
    } finally {
      await fresh.close();
    }
  });
});
