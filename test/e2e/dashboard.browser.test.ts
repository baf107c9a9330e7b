/**
 * The dashboard as a person uses it: Debian's Chromium (playwright-core,
 * never a browser download) against a real server listening on 127.0.0.1
 * with the demo data. Sign in, read the figures, change the month and the
 * model, download a CSV, sign out; axe-core finds no serious or critical
 * violation; the page fits 1440 and 390 px wide with no horizontal scroll.
 *
 * Screenshots are taken every run into a temp dir; with
 * SPENDBOOK_SCREENSHOTS=1 they are written to docs/ (dashboard-1440.png,
 * dashboard-390.png, signin-390.png) for the README.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { Decimal } from '../../src/domain/money.js';
import { loadDemo } from '../../fixtures/demo/load.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'sb_e2e_admin_key_0123456789abcdef';
const AXE = readFileSync(fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8');
const SHOTS = process.env.SPENDBOOK_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/', import.meta.url)) : null;

let app: FastifyInstance;
let base: string;
let browser: Browser;
let viewerKey: string;
let scratch: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install the Debian package \`chromium\` (apt-get install chromium); these tests never download a browser`);
  }
  scratch = mkdtempSync(join(tmpdir(), 'spendbook-e2e-'));
  app = await buildApp(
    { port: 0, host: '127.0.0.1', db: { kind: 'sqlite', path: join(scratch, 'demo.db') }, adminKey: ADMIN, logLevel: 'silent' },
    { now: () => new Date('2026-03-20T12:00:00Z'), announceAdminKey: () => undefined },
  );
  expect((await loadDemo(app)).loaded).toBe(true);
  viewerKey = (await app.apiKeys.create('CMO', 'viewer')).key;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  base = `http://127.0.0.1:${address.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** axe-core in the page, through the devtools protocol (the page's CSP allows no script, rightly). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as { violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[] };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function fitsWidth(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  // Strings: this file is compiled without the DOM's types.
  return page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })');
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS ?? scratch, name);
  await page.screenshot({ path, fullPage: false });
  expect(statSync(path).size).toBeGreaterThan(10_000);
}

/** The API's answer with a bearer key, from outside the browser. */
async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${viewerKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const amountOf = (text: string) => new Decimal(text.trim().replace(/^[A-Z]{3} /, '').replace(/,/g, ''));

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

describe('the dashboard in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  const offHost: string[] = [];
  const cspErrors: string[] = [];

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('request', (request) => {
      if (!request.url().startsWith(base)) offHost.push(request.url());
    });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspErrors.push(message.text());
    });
  });
  afterAll(() => context?.close());

  it('signs in with a viewer key and shows the API’s figures', async () => {
    await page.goto(`${base}/?month=2026-03&asOf=2026-03-15`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Spendbook');
    expect(await seriousViolations(page)).toEqual([]);
    await signIn(page, viewerKey);
    // Back on the page that was asked for.
    expect(page.url()).toBe(`${base}/?month=2026-03&asOf=2026-03-15`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Marketing spend, March 2026');

    const burn = await api<{ totals: { actual: string; planned: string } }>('/v1/reports/burn?month=2026-03&asOf=2026-03-15&groupBy=channel');
    const shownActual = await page.locator('[data-k="burn.total.actual"]').textContent();
    expect(amountOf(shownActual!).equals(new Decimal(burn.totals.actual))).toBe(true);
    const shownPlan = await page.locator('[data-k="burn.total.planned"]').textContent();
    expect(amountOf(shownPlan!).equals(new Decimal(burn.totals.planned))).toBe(true);

    // The key is nowhere the page's script or the browser's storage could reach.
    const storage = await page.evaluate('({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length })');
    expect(storage).toEqual({ cookie: '', local: 0, session: 0 });
    expect(page.url()).not.toContain(viewerKey);
    expect(await page.content()).not.toContain(viewerKey);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'spendbook_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie!.value).not.toContain(viewerKey);
  });

  it('has no serious or critical accessibility violation, and fits 1440 px', async () => {
    expect(await seriousViolations(page)).toEqual([]);
    const { scrollWidth, innerWidth } = await fitsWidth(page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await shot(page, 'dashboard-1440.png');
  });

  it('changes the month and the model from the form, into a shareable URL', async () => {
    await page.getByLabel('Month', { exact: true }).fill('2026-02');
    await page.getByLabel('As of', { exact: true }).fill('2026-02-28');
    await page.getByLabel('Attribution model', { exact: true }).selectOption('first_touch');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForLoadState('load');
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ month: '2026-02', asOf: '2026-02-28', model: 'first_touch' });
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Marketing spend, February 2026');
    await expect(page.getByRole('table', { name: 'ROI by channel, First touch model' }).count()).resolves.toBe(1);

    const roi = await api<{ totals: { revenue: string } }>('/v1/reports/roi?from=2026-02-01&to=2026-02-28&groupBy=channel&model=first_touch');
    expect(amountOf((await page.locator('[data-k="roi.total.revenue"]').textContent())!).equals(new Decimal(roi.totals.revenue))).toBe(true);
  });

  it('downloads a panel’s CSV with the session, the report’s own file', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV of burn by channel' }).click()]);
    expect(download.suggestedFilename()).toBe('burn-channel-2026-02-asof-2026-02-28.csv');
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.split('\r\n')[0]).toBe('channel,currency,planned,committed,actual,remaining,available,daysElapsed,daysInPeriod,expectedToDate,burnRate,pacing,status,exhaustionDate');
    const total = text.split('\r\n').find((line) => line.startsWith('TOTAL,'))!;
    const burn = await api<{ totals: { planned: string } }>('/v1/reports/burn?month=2026-02&asOf=2026-02-28&groupBy=channel');
    expect(total.split(',')[2]).toBe(burn.totals.planned);
  });

  it('fits a 390 px phone without horizontal scrolling, and stays accessible there', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/?month=2026-03&asOf=2026-03-15`);
    const { scrollWidth, innerWidth } = await fitsWidth(page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'dashboard-390.png');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('signs out: the cookie goes and the page asks for a key again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState('load');
    expect(await page.getByLabel('API key').count()).toBe(1);
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${base}/?month=2026-03`);
    expect(await page.getByLabel('API key').count()).toBe(1);
  });

  it('loaded nothing from another host and broke no rule of its CSP', () => {
    expect(offHost).toEqual([]);
    expect(cspErrors).toEqual([]);
  });
});

describe('the sign-in page on a phone', () => {
  it('fits 390 px and tells a wrong key in words', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/`);
      await signIn(page, 'sb_wrong_key_000000000000000000000');
      await expect(page.getByRole('alert').textContent()).resolves.toContain('this key is not valid');
      const { scrollWidth, innerWidth } = await fitsWidth(page);
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      expect(await seriousViolations(page)).toEqual([]);
      await shot(page, 'signin-390.png');
    } finally {
      await context.close();
    }
  });
});
