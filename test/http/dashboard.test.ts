/**
 * The dashboard through app.inject: sign-in, the session cookie and its
 * limits, CSRF, that a session reads reports but never writes, the page's
 * CSP and SVG, and that every figure on the page is the API's figure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { Decimal } from '../../src/domain/money.js';
import { groupThousands, multiple, percent, timesHundred } from '../../src/features/dashboard/format.js';
import { fiscalYearOf, paceExtremes } from '../../src/features/dashboard/service.js';
import { IDLE_MS, MAX_SESSION_MS } from '../../src/features/dashboard/sessions.js';
import { loadDemo } from '../../fixtures/demo/load.js';
import { ADMIN_KEY, makeApp, problemOf, snapshot, type TestApp } from '../helper.js';

const FORM = 'application/x-www-form-urlencoded';
/** inject's default Host is localhost:80, so this is the dashboard's own origin. */
const ORIGIN = 'http://localhost:80';

function sessionCookie(res: LightMyRequestResponse): string {
  const header = [res.headers['set-cookie']].flat().find((c) => c?.startsWith('spendbook_session='));
  if (!header) throw new Error(`no session cookie: ${res.statusCode} ${res.body.slice(0, 200)}`);
  return header.split(';')[0]!;
}

async function signIn(t: TestApp, key: string, next = '/'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/dashboard/sign-in',
    headers: { origin: ORIGIN, 'content-type': FORM },
    payload: new URLSearchParams({ key, next }).toString(),
  });
  expect(res.statusCode).toBe(303);
  return sessionCookie(res);
}

/** Every `data-k` cell of a page: key -> its text, entities decoded. */
function figures(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/data-k="([^"]+)"[^>]*>([\s\S]*?)<\/(?:td|span)>/g)) {
    const text = m[2]!.replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').trim();
    out.set(m[1]!.replace(/&amp;/g, '&'), text);
  }
  return out;
}

/** The page's text back to the API's decimal: `USD 1,234.50` -> 1234.50, `20.12%` -> 0.2012, `2.5×` -> 2.5; a dash is null. */
function parseFigure(text: string, kind: 'money' | 'percent' | 'multiple' | 'count'): Decimal | null {
  if (text === '—') return null;
  const bare = text.replace(/^[A-Z]{3} /, '').replace(/,/g, '').replace(/[%×]$/, '').replace(/ \(so far\)$/, '').replace(/[%×]$/, '');
  if (!/^-?\d+(\.\d+)?$/.test(bare)) throw new Error(`not a figure: ${text}`);
  const value = new Decimal(bare);
  return kind === 'percent' ? value.div(100) : value;
}

function expectSame(page: Map<string, string>, key: string, api: string | null, kind: 'money' | 'percent' | 'multiple' | 'count' = 'money'): void {
  const text = page.get(key);
  if (text === undefined) throw new Error(`the page has no figure ${key}`);
  const shown = parseFigure(text, kind);
  if (api === null) expect(shown, key).toBeNull();
  else expect(shown?.equals(new Decimal(api)), `${key}: page ${text}, API ${api}`).toBe(true);
}

describe('figures as printed', () => {
  it('group thousands and move the point without touching a digit', () => {
    expect(groupThousands('-1234567.50')).toBe('-1,234,567.50');
    expect(groupThousands('999.00')).toBe('999.00');
    expect(timesHundred('0.0050')).toBe('0.50'); // 0.005 = 0.5 %
    expect(percent('1.2000')).toBe('120.00%');
    expect(percent('-0.0833')).toBe('-8.33%');
    expect(percent('12.3456')).toBe('1,234.56%');
    expect(multiple('2.5000')).toBe('2.50×');
    expect(multiple('0.1234')).toBe('0.1234×');
  });

  it('parse back to the API value, for any 4-decimal ratio and any 2-decimal amount', () => {
    const ratio = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 12n })).map(([neg, n]) => `${neg && n > 0n ? '-' : ''}${n / 10000n}.${String(n % 10000n).padStart(4, '0')}`);
    fc.assert(
      fc.property(ratio, (r) => {
        expect(parseFigure(percent(r), 'percent')!.equals(new Decimal(r))).toBe(true);
        expect(parseFigure(multiple(r), 'multiple')!.equals(new Decimal(r))).toBe(true);
      }),
    );
    const amount = fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }).map((n) => `${n < 0n ? '-' : ''}${(n < 0n ? -n : n) / 100n}.${String((n < 0n ? -n : n) % 100n).padStart(2, '0')}`);
    fc.assert(
      fc.property(amount, (a) => {
        expect(parseFigure(`USD ${groupThousands(a)}`, 'money')!.equals(new Decimal(a))).toBe(true);
      }),
    );
  });

  it('find the fiscal year around a month', () => {
    expect(fiscalYearOf('2026-03', 1)).toEqual({ from: '2026-01', to: '2026-12' });
    expect(fiscalYearOf('2026-03', 4)).toEqual({ from: '2025-04', to: '2026-03' }); // March is the last month of a year from April
    expect(fiscalYearOf('2026-04', 4)).toEqual({ from: '2026-04', to: '2027-03' });
  });

  it('sort the campaigns most off pace, leaving out those on track or without a plan', () => {
    const row = (campaignId: string, pacing: string | null, status: string) => ({ campaignId, name: campaignId, channel: 'x', pacing, status }) as never;
    const { over, under } = paceExtremes([row('a', '1.2000', 'overpacing'), row('b', '1.9000', 'over_budget'), row('c', '0.5000', 'underpacing'), row('d', '0.8000', 'underpacing'), row('e', '1.0000', 'on_track'), row('f', null, 'unplanned')]);
    expect(over.map((r) => r.campaignId)).toEqual(['b', 'a']);
    expect(under.map((r) => r.campaignId)).toEqual(['c', 'd']);
  });
});

describe('the dashboard over the demo data', () => {
  let t: TestApp;
  let cookie: string;
  beforeAll(async () => {
    t = await makeApp({ now: new Date('2026-03-20T12:00:00Z') });
    expect((await loadDemo(t.app)).loaded).toBe(true);
    cookie = await signIn(t, t.keys.viewer);
  });
  afterAll(() => t.close());

  const page = (url: string, headers: Record<string, string> = { cookie }) => t.app.inject({ method: 'GET', url, headers });

  it('without a session shows the sign-in form with a field labelled "API key", under a CSP with no inline script or style', async () => {
    const res = await page('/?month=2026-02', {});
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<label for="key">API key<\/label>\s*<input id="key" name="key" type="password"/);
    expect(res.body).toContain('name="next" value="/?month=2026-02"');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("script-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });

  it('signs in with a key in a POSTed form: a 303 to the page asked for, and an HttpOnly SameSite=Strict cookie that does not hold the key', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: { origin: ORIGIN, 'content-type': FORM },
      payload: new URLSearchParams({ key: t.keys.viewer, next: '/?month=2026-02&model=first_touch' }).toString(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/?month=2026-02&model=first_touch');
    const header = String(res.headers['set-cookie']);
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);
    expect(header).toMatch(`Max-Age=${IDLE_MS / 1000}`);
    expect(header).not.toMatch(/Secure/); // plain HTTP here; over HTTPS the cookie is Secure
    expect(header).not.toContain(t.keys.viewer);
    expect(header).not.toContain(t.keys.viewer.slice(3, 20));
    expect(res.body).not.toContain(t.keys.viewer);
  });

  it('refuses a wrong key (401) and an empty one (400) on the form, in words', async () => {
    const post = (key: string) =>
      t.app.inject({ method: 'POST', url: '/dashboard/sign-in', headers: { origin: ORIGIN, 'content-type': FORM }, payload: new URLSearchParams({ key }).toString() });
    const wrong = await post('sb_not_a_key_at_all_0000000000000');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('API key: this key is not valid, or has been revoked.');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const empty = await post('');
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('API key: enter your API key.');
  });

  it('refuses sign-in and sign-out POSTs from another origin, or from nowhere it can tell (CSRF)', async () => {
    const body = new URLSearchParams({ key: t.keys.viewer }).toString();
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'http://localhost:8080' }, {}, { 'sec-fetch-site': 'cross-site' }]) {
      const res = await t.app.inject({ method: 'POST', url: '/dashboard/sign-in', headers: { ...headers, 'content-type': FORM }, payload: body });
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.headers['set-cookie']).toBeUndefined();
      const out = await t.app.inject({ method: 'POST', url: '/dashboard/sign-out', headers: { ...headers, cookie } });
      expect(out.statusCode).toBe(403);
    }
    // A browser that sends no Origin still says where the form came from.
    const same = await t.app.inject({ method: 'POST', url: '/dashboard/sign-in', headers: { 'sec-fetch-site': 'same-origin', 'content-type': FORM }, payload: body });
    expect(same.statusCode).toBe(303);
  });

  it('never lets a session write through /v1, even an admin key’s, nor read anything but reports', async () => {
    const admin = await signIn(t, ADMIN_KEY);
    const before = await snapshot(t.app);
    const writes = [
      { method: 'POST', url: '/v1/campaigns', payload: { items: [{ id: 'x1', name: 'X', channel: 'social', startDate: '2026-03-01' }] } },
      { method: 'PUT', url: '/v1/plans', payload: { items: [{ campaignId: 'search-brand-us', month: '2026-04', amount: '1.00', currency: 'USD' }] } },
      { method: 'POST', url: '/v1/forecasts', payload: { name: 'by cookie', month: '2026-03', method: 'run_rate' } },
      { method: 'POST', url: '/v1/api-keys', payload: { name: 'by cookie', role: 'admin' } },
      { method: 'PUT', url: '/v1/settings', payload: { fiscalYearStartMonth: 4 } },
    ] as const;
    for (const write of writes) problemOf(await t.app.inject({ ...write, headers: { cookie: admin } }), 401, 'unauthorized');
    // Reads outside /v1/reports need a key too.
    for (const url of ['/v1/campaigns', '/v1/api-keys', '/v1/audit']) problemOf(await t.app.inject({ method: 'GET', url, headers: { cookie: admin } }), 401);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('serves every CSV and XLSX link on the page to the session, as the report’s file', async () => {
    const res = await page('/?month=2026-03&asOf=2026-03-15');
    const links = [...res.body.matchAll(/href="(\/v1\/reports\/[^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    // CSV and XLSX of: budget-forecast-actual, burn by channel and by campaign, forecast by 3 methods, ROI, attribution, the demo's 3 forecasts of March.
    expect(links.length).toBe(2 * (1 + 2 + 3 + 2 + 3));
    for (const link of links) {
      const answer = await page(link);
      expect(answer.statusCode, link).toBe(200);
      if (link.endsWith('format=csv')) expect(answer.headers['content-type']).toMatch(/^text\/csv/);
      else expect(answer.headers['content-type']).toMatch(/spreadsheetml/);
      expect(answer.headers['content-disposition']).toMatch(/^attachment; filename=/);
    }
    // Without the cookie they need a key, as before.
    problemOf(await page(links[0]!, {}), 401);
  });

  it('shows the API’s figures: every panel, for the month, asOf and model in the URL', async () => {
    const q = 'month=2026-03&asOf=2026-03-15';
    const res = await page(`/?${q}&model=time_decay`);
    expect(res.statusCode).toBe(200);
    const p = figures(res.body);
    const api = async <T>(url: string) => (await t.call({ method: 'GET', url, role: 'viewer' })).json() as T;
    type Row = Record<string, string | null> & { channel?: string | null };

    const bfa = await api<{ rows: Row[]; totals: Row; mape: string | null }>('/v1/reports/budget-forecast-actual?from=2026-01&to=2026-12');
    for (const row of bfa.rows) for (const f of ['planned', 'forecast', 'actual']) expectSame(p, `bfa.${row.month}.${f}`, row[f]!);
    for (const row of bfa.rows) expectSame(p, `bfa.${row.month}.errorPct`, row.errorPct!, 'percent');
    for (const f of ['planned', 'forecast', 'actual']) expectSame(p, `bfa.total.${f}`, bfa.totals[f]!);
    expectSame(p, 'bfa.mape', bfa.mape, 'percent');

    const burn = await api<{ rows: Row[]; totals: Row }>(`/v1/reports/burn?${q}&groupBy=channel`);
    expect(burn.rows.length).toBeGreaterThan(2);
    for (const [key, row] of [...burn.rows.map((r) => [`burn.channel.${r.channel}`, r] as const), ['burn.total', burn.totals] as const]) {
      for (const f of ['planned', 'actual', 'expectedToDate']) expectSame(p, `${key}.${f}`, row[f]!);
      expectSame(p, `${key}.pacing`, row.pacing!, 'percent');
      expect(res.body).toContain(`data-k="${key}.status" data-status="${row.status}"`);
    }
    const byCampaign = await api<{ rows: (Row & { campaignId: string })[] }>(`/v1/reports/burn?${q}`);
    const { over, under } = paceExtremes(byCampaign.rows as never);
    expect(over.length + under.length).toBeGreaterThan(0);
    for (const row of over) expectSame(p, `pace.over.${row.campaignId}.pacing`, row.pacing, 'percent');
    for (const row of under) expectSame(p, `pace.under.${row.campaignId}.pacing`, row.pacing, 'percent');

    for (const method of ['run_rate', 'trailing_7d', 'linear_trend']) {
      const f = await api<{ totals: Row }>(`/v1/reports/forecast?${q}&method=${method}&groupBy=channel`);
      for (const field of ['planned', 'actualToDate', 'forecast', 'varianceVsPlan']) expectSame(p, `forecast.${method}.${field}`, f.totals[field]!);
      expectSame(p, `forecast.${method}.variancePct`, f.totals.variancePct!, 'percent');
    }

    const roi = await api<{ rows: Row[]; totals: Row }>('/v1/reports/roi?from=2026-03-01&to=2026-03-31&groupBy=channel&model=time_decay');
    for (const [key, row] of [...roi.rows.map((r) => [`roi.${r.channel ?? 'unattributed'}`, r] as const), ['roi.total', roi.totals] as const]) {
      expectSame(p, `${key}.spend`, row.spend!);
      expectSame(p, `${key}.revenue`, row.revenue!);
      expectSame(p, `${key}.conversions`, row.conversions!, 'count');
      expectSame(p, `${key}.roas`, row.roas!, 'multiple');
      expectSame(p, `${key}.roi`, row.roi!, 'percent');
    }
    // The unattributed share: its revenue over the total, 4 decimals half-even.
    const unattributed = roi.rows.find((r) => r.channel === null)!;
    expectSame(p, 'roi.unattributedShare', new Decimal(unattributed.revenue!).div(roi.totals.revenue!).toFixed(4), 'percent');

    const attr = await api<{ models: string[]; rows: (Row & { models: Record<string, Row> })[]; totals: { models: Record<string, Row> } }>('/v1/reports/attribution?from=2026-03-01&to=2026-03-31&groupBy=channel');
    expect(attr.models).toHaveLength(6);
    for (const row of attr.rows) for (const m of attr.models) expectSame(p, `attr.${row.channel ?? 'unattributed'}.${m}.revenue`, row.models[m]!.revenue!);
    for (const m of attr.models) expectSame(p, `attr.total.${m}.revenue`, attr.totals.models[m]!.revenue!);

    const snapshots = await api<{ items: { id: string }[] }>('/v1/forecasts?month=2026-03');
    expect(snapshots.items.length).toBe(3); // the demo saved three forecasts of March
    for (const s of snapshots.items) {
      const fva = await api<{ mape: string | null }>(`/v1/reports/forecast-vs-actual?snapshot=${s.id}`);
      expectSame(p, `mape.${s.id}`, fva.mape, 'percent');
    }
  });

  it('defaults to this month and today, and carries the settings in its form', async () => {
    const res = await page('/');
    expect(res.body).toContain('<h1>Marketing spend, March 2026</h1>');
    expect(res.body).toContain('name="month" type="month" value="2026-03"');
    expect(res.body).toContain('name="asOf" type="date" value="2026-03-20"');
    expect(res.body).toContain('<option value="linear" selected>');
  });

  it('draws charts as inline SVG with a title and description, no style attribute or element, and ids unique on the page', async () => {
    const res = await page('/?month=2026-03&asOf=2026-03-15');
    const svgs = [...res.body.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs).toHaveLength(5);
    for (const svg of svgs) {
      expect(svg).toMatch(/^<svg[^>]* role="img" aria-labelledby="([\w-]+)-title \1-desc"/);
      expect(svg).toMatch(/<title id="[\w-]+-title">[^<]{10,}<\/title><desc id="[\w-]+-desc">[^<]{20,}<\/desc>/);
    }
    expect(res.body).not.toMatch(/\sstyle="/);
    expect(res.body).not.toMatch(/<style|<script/);
    const ids = [...res.body.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    // The stylesheet is Spendbook's own.
    expect([...res.body.matchAll(/(?:href|src)="(https?:[^"]*)"/g)]).toEqual([]);
    const css = await page('/dashboard/assets/dashboard.css', {});
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('says which setting is wrong, in a 400 page, never a 500', async () => {
    for (const [query, words] of [
      ['month=2026-13', 'Month (month): must be a month YYYY-MM'],
      ['asOf=yesterday', 'As of (asOf): must be a date YYYY-MM-DD'],
      ['model=best', 'Attribution model (model): must be one of'],
      ['colour=red', 'colour: not a setting of this page'],
    ]) {
      const res = await page(`/?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain(words);
    }
  });

  it('signs out: the cookie is cleared and the page asks for a key again', async () => {
    const mine = await signIn(t, t.keys.finance);
    const res = await t.app.inject({ method: 'POST', url: '/dashboard/sign-out', headers: { origin: ORIGIN, cookie: mine } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(String(res.headers['set-cookie'])).toMatch(/^spendbook_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/);
  });

  it('ignores a cookie whose signature or contents were changed', async () => {
    const [name, value] = cookie.split('=') as [string, string];
    const forged = value.replace(/^key_[0-9a-f]+/, 'key_0000000000000000');
    for (const bad of [`${name}=${forged}`, `${name}=${value.slice(0, -4)}AAAA`, `${name}=key_1.1.1`]) {
      expect((await page('/', { cookie: bad })).body).toContain('<label for="key">API key</label>');
      problemOf(await page('/v1/reports/burn?month=2026-03', { cookie: bad }), 401);
    }
  });
});

describe('a session’s lifetime', () => {
  it('ends after 30 minutes unused, after 12 hours however used, and at once when its key is revoked', async () => {
    let now = new Date('2026-03-20T09:00:00Z').getTime();
    const app = await buildApp(
      { port: 0, host: '127.0.0.1', db: { kind: 'sqlite', path: ':memory:' }, adminKey: ADMIN_KEY, logLevel: 'silent' },
      { now: () => new Date(now), announceAdminKey: () => undefined },
    );
    try {
      const viewer = await app.apiKeys.create('cmo', 'viewer');
      const t = { app } as TestApp;
      const signedIn = (res: LightMyRequestResponse) => res.statusCode === 200 && res.body.includes('Signed in as cmo');
      const get = (cookie: string) => app.inject({ method: 'GET', url: '/', headers: { cookie } });

      let cookie = await signIn(t, viewer.key);
      now += IDLE_MS - 1000; // 29:59 later: still good, and renewed
      let res = await get(cookie);
      expect(signedIn(res)).toBe(true);
      cookie = sessionCookie(res);
      now += IDLE_MS - 1000; // another 29:59: good, counted from the renewal
      expect(signedIn(await get(cookie))).toBe(true);
      now += IDLE_MS + 1000; // then idle a little over 30 minutes from the last use: over
      expect(signedIn(await get(cookie))).toBe(false);

      // Busy all the time, the session still ends 12 hours after sign-in.
      const signInAt = now;
      cookie = await signIn(t, viewer.key);
      while (now - signInAt < MAX_SESSION_MS - IDLE_MS) {
        now += IDLE_MS - 60_000;
        res = await get(cookie);
        expect(signedIn(res)).toBe(true);
        cookie = sessionCookie(res);
      }
      now = signInAt + MAX_SESSION_MS + 1000;
      expect(signedIn(await get(cookie))).toBe(false);

      // Revoked: the next request, page or download, is refused.
      cookie = await signIn(t, viewer.key);
      expect(signedIn(await get(cookie))).toBe(true);
      await app.apiKeys.revoke(viewer.id);
      expect(signedIn(await get(cookie))).toBe(false);
      problemOf(await app.inject({ method: 'GET', url: '/v1/reports/burn?month=2026-03', headers: { cookie } }), 401);
    } finally {
      await app.close();
    }
  });

  it('is accepted by another instance over the same database (the signing secret is stored there)', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'spendbook-dash-'));
    try {
      const dbPath = join(dir, 'db.sqlite');
      const one = await makeApp({ dbPath });
      const two = await makeApp({ dbPath });
      try {
        const cookie = await signIn(one, ADMIN_KEY);
        const res = await two.app.inject({ method: 'GET', url: '/v1/reports/burn?month=2026-03', headers: { cookie } });
        expect(res.statusCode).toBe(200);
      } finally {
        await one.close();
        await two.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
