/**
 * POST /v1/spend/import over the real HTTP stack with the sample exports in
 * fixtures/imports/ (their totals, to the cent, are in that folder's README
 * and in each file's own summary row where the platform writes one).
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { campaignItem, countRows, makeApp, problemOf, seedCampaigns, snapshot, type TestApp } from '../helper.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/imports/${name}`, import.meta.url), 'utf8');
const GOOGLE = fixture('google_ads-campaign-report.csv');
const GOOGLE_RESTATED = fixture('google_ads-campaign-report-restated.csv');
const META = fixture('meta-ads-manager.csv');
const LINKEDIN = fixture('linkedin-campaign-manager.csv');
const GENERIC = fixture('generic-invoices.csv');

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
  await seedCampaigns(t, [
    // Google Ads: two found by Campaign ID, the third by its name.
    campaignItem('brand-us', { name: 'Brand search US', externalRefs: [{ source: 'google_ads', id: '21458796301' }] }),
    campaignItem('generic-search', { name: 'Generic search', externalRefs: [{ source: 'google_ads', id: '21458796302' }] }),
    campaignItem('pmax-shoes', { name: 'Performance Max | Shoes' }),
    // Meta: by Campaign ID.
    campaignItem('fr-spring', { channel: 'paid_social', externalRefs: [{ source: 'meta', id: '120208812345' }] }),
    campaignItem('de-retargeting', { channel: 'paid_social', externalRefs: [{ source: 'meta', id: '120208812399' }] }),
    campaignItem('eu-prospecting', { channel: 'paid_social', externalRefs: [{ source: 'meta', id: '120208812401' }] }),
    // LinkedIn: one by Campaign ID, one by a name with quotes in it.
    campaignItem('abm-directors', { channel: 'paid_social', externalRefs: [{ source: 'linkedin', id: '198765432' }] }),
    campaignItem('webinar', { channel: 'paid_social', name: 'Webinar promo: "Budgets that close"' }),
    // Generic: by id.
    campaignItem('cmp-trade-show', { channel: 'events' }),
    campaignItem('cmp-partner-newsletter', { channel: 'partner' }),
  ]);
});
afterEach(() => t.close());

const importCsv = (format: string, body: string | Buffer, query = '', headers: Record<string, string> = {}) =>
  t.call({ method: 'POST', url: `/v1/spend/import?format=${format}${query}`, role: 'ops', headers: { 'content-type': 'text/csv', ...headers }, payload: body });

interface SpendLine { campaignId: string; date: string; amount: string; currency: string; source: string; reference: string | null; version: number }
async function spendLines(query = ''): Promise<SpendLine[]> {
  const res = await t.call({ method: 'GET', url: `/v1/spend?limit=10000${query}`, role: 'ops' });
  expect(res.statusCode).toBe(200);
  return res.json().items;
}

/** The exact sum of decimal amounts, in cents (every fixture amount has 2 decimals at most). */
function cents(amounts: string[]): bigint {
  return amounts.reduce((sum, a) => {
    const [whole, frac = ''] = a.replace('-', '').split('.');
    const value = BigInt(whole!) * 100n + BigInt((frac + '00').slice(0, 2));
    return sum + (a.startsWith('-') ? -value : value);
  }, 0n);
}

describe('POST /v1/spend/import: the platforms’ files as downloaded', () => {
  it('google_ads: title lines, thousands separators, -- for no cost, summary rows; totals to the cent', async () => {
    const res = await importCsv('google_ads', GOOGLE);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ format: 'google_ads', source: 'google_ads', dryRun: false, headerLine: 3, rows: 23, imported: 21, inserted: 21, updated: 0, unchanged: 0, skipped: 2, createdCampaigns: [] });
    expect(body.skippedRows).toEqual([
      { line: 25, reason: 'summary row (Total: Account)' },
      { line: 26, reason: 'summary row (Total: Campaigns)' },
    ]);
    // The report's own "Total: Account" row says 30,515.91.
    expect(body.totals).toEqual([{ currency: 'USD', amount: '30515.91' }]);
    const lines = await spendLines();
    expect(lines).toHaveLength(21);
    expect(cents(lines.map((l) => l.amount))).toBe(3_051_591n);
    // Line 4: 2026-03-01, "Spring Search - Brand, US" (quoted comma), "2,099.69".
    expect(lines[0]).toMatchObject({ campaignId: 'brand-us', date: '2026-03-01', amount: '2099.69', currency: 'USD', source: 'google_ads', reference: null });
    // Matched by name, and "--" as 0.00 on 2026-03-04.
    const pmax = lines.filter((l) => l.campaignId === 'pmax-shoes');
    expect(pmax).toHaveLength(7);
    expect(pmax.find((l) => l.date === '2026-03-04')?.amount).toBe('0.00');
  });

  it('meta: the currency in the header, the summary row skipped', async () => {
    const res = await importCsv('meta', META);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ headerLine: 1, rows: 16, imported: 15, inserted: 15, skipped: 1, skippedRows: [{ line: 2, reason: 'summary row (no campaign name)' }] });
    // The summary row says 6833.82 spent.
    expect(res.json().totals).toEqual([{ currency: 'EUR', amount: '6833.82' }]);
    const lines = await spendLines('&source=meta');
    expect(new Set(lines.map((l) => l.currency))).toEqual(new Set(['EUR']));
    expect(cents(lines.map((l) => l.amount))).toBe(683_382n);
    expect(lines.find((l) => l.campaignId === 'fr-spring' && l.date === '2026-03-01')?.amount).toBe('873.66');
  });

  it('linkedin: report lines above the header, M/D/YYYY dates, a name with quotes', async () => {
    const res = await importCsv('linkedin', LINKEDIN);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ headerLine: 8, rows: 10, imported: 10, inserted: 10, skipped: 0, totals: [{ currency: 'USD', amount: '11885.12' }] });
    const lines = await spendLines('&source=linkedin');
    expect(lines.map((l) => l.date)).toContain('2026-03-05');
    expect(lines.filter((l) => l.campaignId === 'webinar')).toHaveLength(5);
    expect(cents(lines.map((l) => l.amount))).toBe(1_188_512n);
  });

  it('generic: invoices with references, a quoted comma, a credit note, sources per row', async () => {
    const res = await importCsv('generic', GENERIC);
    expect(res.statusCode, res.body).toBe(200);
    // USD 12500.00 + 1840.50 + 320.00; EUR 2999.99 - 150.00.
    expect(res.json()).toMatchObject({ source: null, imported: 5, inserted: 5, totals: [{ currency: 'EUR', amount: '2849.99' }, { currency: 'USD', amount: '14660.50' }] });
    const lines = await spendLines();
    expect(lines.map((l) => [l.source, l.reference, l.amount])).toEqual([
      ['invoice', 'INV-2026-0412', '12500.00'],
      ['invoice', 'INV-2026-0413', '1840.50'],
      ['invoice', 'PO 7781, line 2', '2999.99'],
      ['invoice', 'CREDIT-7781', '-150.00'],
      ['manual', null, '320.00'],
    ]);
  });

  it('the same file twice changes nothing; a restated file replaces the amounts it restates', async () => {
    expect((await importCsv('google_ads', GOOGLE)).json().inserted).toBe(21);
    const before = await snapshot(t.app);
    const again = (await importCsv('google_ads', GOOGLE)).json();
    expect(again).toMatchObject({ imported: 21, inserted: 0, updated: 0, unchanged: 21 });
    expect(await snapshot(t.app)).toBe(before);

    // Google restated 2026-03-06 (Generic: -5.00) and 2026-03-07 (two campaigns: +12.34 each).
    const restated = (await importCsv('google_ads', GOOGLE_RESTATED)).json();
    expect(restated).toMatchObject({ imported: 21, inserted: 0, updated: 3, unchanged: 18, totals: [{ currency: 'USD', amount: '30535.59' }] });
    const lines = await spendLines();
    expect(lines).toHaveLength(21);
    // 30515.91 - 5.00 + 2 x 12.34: never double counted.
    expect(cents(lines.map((l) => l.amount))).toBe(3_053_559n);
    expect(lines.filter((l) => l.version === 2).map((l) => `${l.campaignId} ${l.date}`).sort()).toEqual([
      'brand-us 2026-03-07',
      'generic-search 2026-03-06',
      'pmax-shoes 2026-03-07',
    ]);
  });

  it('reads LF or CRLF, with or without a byte order mark, alike', async () => {
    const plain = GOOGLE.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
    expect((await importCsv('google_ads', plain)).json()).toMatchObject({ inserted: 21, totals: [{ currency: 'USD', amount: '30515.91' }] });
    expect((await importCsv('google_ads', Buffer.from(GOOGLE, 'utf8'))).json()).toMatchObject({ unchanged: 21 });
  });

  it('dryRun=true counts exactly and writes nothing', async () => {
    const before = await snapshot(t.app);
    const res = await importCsv('google_ads', GOOGLE, '&dryRun=true');
    expect(res.json()).toMatchObject({ dryRun: true, imported: 21, inserted: 21, updated: 0, unchanged: 0 });
    expect(await snapshot(t.app)).toBe(before);
    expect(await countRows(t.app, 'spend')).toBe(0);
    // Counted by reading: the restated file's dry run says what the real import then does.
    await importCsv('google_ads', GOOGLE);
    const stored = await snapshot(t.app);
    expect((await importCsv('google_ads', GOOGLE_RESTATED, '&dryRun=true')).json()).toMatchObject({ dryRun: true, inserted: 0, updated: 3, unchanged: 18 });
    expect(await snapshot(t.app)).toBe(stored);
    expect((await importCsv('google_ads', GOOGLE_RESTATED)).json()).toMatchObject({ dryRun: false, inserted: 0, updated: 3, unchanged: 18 });
  });
});

describe('campaigns the file names and Spendbook does not know', () => {
  const withUnknown = GOOGLE.replaceAll('Performance Max | Shoes', 'Display - Remarketing');

  it('are refused by line (default), and nothing is written', async () => {
    const before = await snapshot(t.app);
    const problem = problemOf(await importCsv('google_ads', withUnknown), 400, 'validation_failed');
    // Its 7 rows: lines 6, 9, ..., 24 (every third data row).
    expect(problem.errors!.map((e) => e.path)).toEqual([6, 9, 12, 15, 18, 21, 24].map((n) => `line/${n}/Campaign`));
    expect(problem.errors![0]!.message).toContain('no campaign matches "Display - Remarketing" (google_ads campaign id 21458796355)');
    expect(problem.detail).toMatch(/^line 6 Campaign: no campaign matches/);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('unmatched=skip imports the rest and lists each skipped row', async () => {
    const res = (await importCsv('google_ads', withUnknown, '&unmatched=skip')).json();
    expect(res).toMatchObject({ imported: 14, inserted: 14, skipped: 9 });
    expect(res.skippedRows.filter((s: { reason: string }) => s.reason.startsWith('no campaign')).map((s: { line: number }) => s.line)).toEqual([6, 9, 12, 15, 18, 21, 24]);
    expect(await countRows(t.app, 'spend')).toBe(14);
  });

  it('unmatched=create makes the campaign (with its platform id), and the next import finds it', async () => {
    const res = (await importCsv('google_ads', withUnknown, '&unmatched=create')).json();
    expect(res).toMatchObject({ inserted: 21, createdCampaigns: [{ id: 'google_ads-21458796355', name: 'Display - Remarketing' }] });
    const campaign = (await t.call({ method: 'GET', url: '/v1/campaigns/google_ads-21458796355' })).json();
    expect(campaign).toMatchObject({ channel: 'paid_search', startDate: '2026-03-01', externalRefs: [{ source: 'google_ads', id: '21458796355' }] });
    expect((await importCsv('google_ads', withUnknown)).json()).toMatchObject({ unchanged: 21, createdCampaigns: [] });
  });

  it('a name two campaigns share is ambiguous, not a guess', async () => {
    await seedCampaigns(t, [campaignItem('pmax-shoes-2', { name: 'Performance Max | Shoes' })]);
    const problem = problemOf(await importCsv('google_ads', GOOGLE), 400);
    expect(problem.errors![0]).toEqual({ path: 'line/6/Campaign', message: expect.stringContaining('2 campaigns are named "Performance Max | Shoes" (pmax-shoes, pmax-shoes-2)') });
  });
});

describe('broken files: a line-numbered error, nothing written', () => {
  async function refused(format: string, body: string, query = '') {
    const before = await snapshot(t.app);
    const problem = problemOf(await importCsv(format, body, query), 400, 'validation_failed');
    expect(await snapshot(t.app)).toBe(before);
    return problem.errors!;
  }

  it('a wrong header names the header line and the missing column', async () => {
    const errors = await refused('google_ads', GOOGLE.replace(',Cost,', ',Costs,'));
    expect(errors).toEqual([{ path: 'line/3', message: expect.stringMatching(/^the header lacks cost: a google_ads file has a header with the columns Day, Campaign, Cost, Currency code/) }]);
  });

  it('a file of another format is refused at its header', async () => {
    const errors = await refused('meta', LINKEDIN);
    expect(errors[0]!.path).toBe('line/8');
    expect(errors[0]!.message).toContain('the header lacks reporting starts, Amount spent (CUR)');
  });

  it('a bad number names its line and column', async () => {
    const errors = await refused('google_ads', GOOGLE.replace('"2,099.69"', '"2,09.69"'));
    expect(errors).toEqual([{ path: 'line/4/Cost', message: 'column H (Cost): "2,09.69" is not an amount such as 1234.56 or 1,234.56 (-- for none)' }]);
  });

  it('a ragged row names its line', async () => {
    const lines = GOOGLE.split('\r\n');
    lines[9] = lines[9]!.replace(/,[^,]*$/, '');
    const errors = await refused('google_ads', lines.join('\r\n'));
    expect(errors).toEqual([{ path: 'line/10', message: 'has 8 fields where the header (line 3) has 9: a ragged row' }]);
  });

  it('an unclosed quote, a bad date, an unknown currency: each named', async () => {
    expect((await refused('generic', GENERIC.replace('"PO 7781, line 2"', '"PO 7781, line 2')))[0]).toEqual({
      path: 'line/4',
      message: 'field 6 opens a quote that is never closed: the file is not valid CSV',
    });
    const bad = GENERIC.replace('2026-03-02', '2026-02-30').replace('1840.50,USD', '1840.50,XXX').replace('12500.00', '"12,500.00"');
    expect(await refused('generic', bad)).toEqual([
      { path: 'line/2/amount', message: 'column C (amount): "12,500.00" is not a plain decimal such as 1234.56 (no thousands separator)' },
      { path: 'line/3/currency', message: 'column D (currency): "XXX" is not an ISO 4217 currency code such as USD' },
      { path: 'line/6/date', message: 'column A (date): "2026-02-30" is not a date YYYY-MM-DD' },
    ]);
  });

  it('a NUL character in a campaign name is refused, naming its line, on both stores (PostgreSQL cannot hold one)', async () => {
    for (const unmatched of ['skip', 'create', 'reject']) {
      const errors = await refused('google_ads', GOOGLE.replace('Spring Search - Generic', '\u0000Spring Search - Generic'), `&unmatched=${unmatched}`);
      expect(errors).toEqual([{ path: 'line/5', message: 'field 2 holds a NUL character (U+0000), which no spend export contains: the file is not valid CSV' }]);
    }
  });

  it('a Meta row spanning several days is refused, not spread', async () => {
    const errors = await refused('meta', META.replace('"2026-03-01","2026-03-01","FR', '"2026-03-01","2026-03-02","FR'));
    expect(errors).toEqual([{ path: 'line/3/Reporting ends', message: expect.stringContaining('is not the row\'s start day 2026-03-01: export with a daily breakdown') }]);
  });

  it('two rows for the same campaign and day name both lines', async () => {
    const lines = GOOGLE.split('\r\n');
    const errors = await refused('google_ads', [...lines.slice(0, 5), lines[3], ...lines.slice(5)].join('\r\n'));
    expect(errors).toEqual([{ path: 'line/6/Day', message: 'repeats line 4: same source, campaign, date and reference; give the lines distinct references or add them up' }]);
  });

  it('an empty file, a file that is not UTF-8', async () => {
    expect(await refused('generic', '')).toEqual([{ path: 'line/1', message: expect.stringContaining('no header on its first line') }]);
    const latin1 = Buffer.from('date,campaignId,amount,currency\n2026-03-01,caf\xe9,1.00,EUR\n', 'latin1');
    const problem = problemOf(await importCsv('generic', latin1), 400);
    expect(problem.errors).toEqual([{ path: 'body', message: 'the file is not UTF-8: save or export it as CSV UTF-8' }]);
  });

  it('firstLine renumbers the rows of a part of a larger file', async () => {
    const errors = await refused('google_ads', GOOGLE.replace('"2,099.69"', 'x'), '&firstLine=1004');
    expect(errors[0]!.path).toBe('line/1004/Cost');
  });
});

describe('unmatched=create: what an import creates passes the checks of POST /v1/campaigns', () => {
  const generic = (rows: string[]) => `date,campaignId,externalId,campaign,amount,currency\n${rows.join('\n')}\n`;

  async function refusedCreate(body: string) {
    const before = await snapshot(t.app);
    const problem = problemOf(await importCsv('generic', body, '&unmatched=create'), 400, 'validation_failed');
    expect(await snapshot(t.app)).toBe(before);
    return problem;
  }

  it('a campaignId no route could read is refused at its line and column, not stored', async () => {
    const problem = await refusedCreate(
      generic([
        '2026-03-01,cmp-trade-show,,,1.00,USD',
        '2026-03-01,"=HYPERLINK(""http://x"",""y"")",,,1.00,USD',
        `2026-03-02,cmp-\u202Eevil,,,1.00,USD`,
        `2026-03-03,${'x'.repeat(5000)},,,1.00,USD`,
      ]),
    );
    expect(problem.errors!.map((e) => e.path)).toEqual(['line/3/campaignId', 'line/4/campaignId', 'line/5/campaignId']);
    // The same words POST /v1/campaigns uses for an id.
    expect(problem.errors![0]!.message).toContain('must be 1 to 128 characters of A-Z a-z 0-9 . _ : -');
    expect(problem.detail).toMatch(/^line 3 campaignId: the campaign id "=HYPERLINK/);
  });

  it('a name over 256 characters is refused, not cut (so importing the file twice cannot diverge)', async () => {
    const long = 'N'.repeat(257);
    const errors = (await refusedCreate(generic(['2026-03-01,,,Short name,1.00,USD', `2026-03-01,,,${long},2.00,USD`]))).errors!;
    expect(errors).toEqual([{ path: 'line/3/campaign', message: expect.stringContaining('name') }]);
    // 256 characters is allowed, the same bound as the API's, and the second import matches it.
    const exact = 'N'.repeat(256);
    const first = (await importCsv('generic', generic([`2026-03-01,,,${exact},2.00,USD`]), '&unmatched=create')).json();
    expect(first.createdCampaigns).toHaveLength(1);
    expect(first.createdCampaigns[0].name).toBe(exact);
    const again = (await importCsv('generic', generic([`2026-03-01,,,${exact},2.00,USD`]), '&unmatched=create')).json();
    expect(again).toMatchObject({ unchanged: 1, createdCampaigns: [] });
  });

  it('a platform id that cannot be part of an id is refused at the Campaign ID column', async () => {
    const report = 'Day,Campaign,Campaign ID,Currency code,Cost\n2026-03-01,Odd,12 34,USD,1.00\n';
    const before = await snapshot(t.app);
    const problem = problemOf(await importCsv('google_ads', report, '&unmatched=create'), 400);
    expect(problem.errors).toEqual([{ path: 'line/2/Campaign ID', message: expect.stringContaining('the campaign id "google_ads-12 34": must be 1 to 128') }]);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('ids from names are readable, never longer than 128, and made unique with -2, -3', async () => {
    const rows = ['Ünïcode only: 日本', '日本', 'Ελλάδα', 'A b'.repeat(80)].map((name, i) => `2026-03-0${i + 1},,,"${name}",1.00,USD`);
    const res = (await importCsv('generic', generic(rows), '&unmatched=create')).json();
    const ids = res.createdCampaigns.map((c: { id: string }) => c.id);
    expect(ids.slice(0, 3)).toEqual(['generic-n-code-only:', 'generic-campaign', 'generic-campaign-2']);
    expect(ids[3]).toMatch(/^generic-A-bA-b/);
    for (const id of ids) {
      expect(id.length).toBeLessThanOrEqual(128);
      expect((await t.call({ method: 'GET', url: `/v1/campaigns/${encodeURIComponent(id)}` })).statusCode).toBe(200);
    }
  });
});

describe('unmatched=create at scale', () => {
  it('300 names that share one derived id get -2 ... -300, each id probed in the database at most once', async () => {
    // 300 Japanese names all slug to `generic-campaign`. The suffix search resumes where the last one
    // stopped, and asks the database about a candidate id only once.
    const rows = Array.from({ length: 300 }, (_, i) => `2026-03-01,,,キャンペーン${String.fromCharCode(0x4e00 + i)},1.00,USD`);
    const spy = vi.spyOn(t.app.campaigns, 'existingIds');
    try {
      const res = await importCsv('generic', `date,campaignId,externalId,campaign,amount,currency\n${rows.join('\n')}\n`, '&unmatched=create');
      const ids = res.json().createdCampaigns.map((c: { id: string }) => c.id);
      expect(new Set(ids).size).toBe(300);
      expect(ids.at(-1)).toBe('generic-campaign-300');
      const probed = spy.mock.calls.reduce((sum, [given]) => sum + [...given].length, 0);
      // The 300 bases in one call, one probe for each suffixed id (-2 .. -300), then the spend
      // ingest's own check of the 300 campaigns its lines name: 300 + 299 + 300.
      expect(probed).toBe(899);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a huge line is refused as it streams in', () => {
  it('a 60 MiB line: 400 naming line 2 after reading a few chunks of it, not the whole body; nothing written', async () => {
    const total = 60 * 1024 * 1024;
    // Short fields, so that the line's bound is the one reached.
    const chunk = Buffer.from('xxxxxxx,'.repeat(8 * 1024));
    let pulled = 0;
    let answered = false;
    // A client sending its body a chunk at a time, as a socket does.
    const body = new Readable({
      read() {
        if (pulled === 0) {
          pulled = 1;
          this.push('date,campaignId,amount,currency\n2026-03-01,cmp-trade-show,1.00,');
          return;
        }
        setImmediate(() => {
          if (answered || pulled >= total) return void this.push(null);
          pulled += chunk.length;
          this.push(chunk);
        });
      },
    });
    const before = await snapshot(t.app);
    const res = await t.call({ method: 'POST', url: '/v1/spend/import?format=generic', role: 'ops', headers: { 'content-type': 'text/csv' }, payload: body });
    const pulledAtAnswer = pulled;
    answered = true;
    const problem = problemOf(res, 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'line/2', message: expect.stringContaining('the line is longer than 64 KiB') }]);
    // The answer came once the line passed 64 KiB: after 2 chunks of 64 KiB and a few in flight, far from 60 MiB.
    expect(pulledAtAnswer).toBeLessThan(1024 * 1024);
    expect(await snapshot(t.app)).toBe(before);
    expect((await t.call({ method: 'GET', url: '/healthz', role: null })).statusCode).toBe(200);
  });

  it('a field over 16 KiB in a line under 64 KiB is refused too, naming the line', async () => {
    const res = await importCsv('generic', `date,campaignId,amount,currency,reference\n2026-03-01,cmp-trade-show,1.00,USD,R1\n2026-03-02,cmp-trade-show,1.00,USD,${'r'.repeat(17 * 1024)}\n`);
    expect(problemOf(res, 400).errors).toEqual([{ path: 'line/3', message: expect.stringMatching(/^field 5 is longer than 16 KiB/) }]);
    expect(await countRows(t.app, 'spend')).toBe(0);
  });
});

describe('the rest of the contract', () => {
  it('a closed month refuses the whole file with 409, naming the lines', async () => {
    // February is over by the test's clock (2026-03-15): the same report, a month earlier.
    expect((await t.call({ method: 'POST', url: '/v1/periods/2026-02/close', role: 'finance', payload: { reason: 'February closed' } })).statusCode).toBe(200);
    const before = await snapshot(t.app);
    const problem = problemOf(await importCsv('google_ads', GOOGLE.replaceAll('2026-03-0', '2026-02-0')), 409, 'period_closed');
    expect(problem.errors![0]!.path).toBe('line/4/Day');
    expect(await snapshot(t.app)).toBe(before);
  });

  it('query and media type are checked', async () => {
    expect(problemOf(await importCsv('tiktok', GOOGLE), 400).errors![0]!.path).toBe('format');
    expect(problemOf(await importCsv('google_ads', GOOGLE, '&unmatched=ignore'), 400).errors![0]!.path).toBe('unmatched');
    expect(problemOf(await importCsv('google_ads', GOOGLE, '&firstLine=0'), 400).errors![0]!.path).toBe('firstLine');
    const pdf = await t.call({ method: 'POST', url: '/v1/spend/import?format=generic', role: 'ops', headers: { 'content-type': 'application/pdf' }, payload: 'x' });
    expect(pdf.statusCode).toBe(415);
    // CSV stays refused by the JSON routes.
    const csvToJson = await t.call({ method: 'POST', url: '/v1/spend', role: 'ops', headers: { 'content-type': 'text/csv' }, payload: GENERIC });
    expect(csvToJson.statusCode).toBe(415);
    expect(await countRows(t.app, 'spend')).toBe(0);
  });

  it('a file of more than 100,000 rows is 413, with the way out', async () => {
    const rows = Array.from({ length: 100_001 }, (_, i) => `2026-03-01,cmp-trade-show,1.00,USD,invoice,R${i}`);
    const res = await importCsv('generic', `date,campaignId,amount,currency,source,reference\n${rows.join('\n')}\n`);
    expect(problemOf(res, 413).detail).toContain('use the CLI (spendbook import)');
    expect(await countRows(t.app, 'spend')).toBe(0);
  });

  it('only ops and above import; the import is audited as one event', async () => {
    expect((await t.call({ method: 'POST', url: '/v1/spend/import?format=generic', role: 'viewer', headers: { 'content-type': 'text/csv' }, payload: GENERIC })).statusCode).toBe(403);
    await importCsv('generic', GENERIC);
    const audit = (await t.call({ method: 'GET', url: '/v1/audit?entity=spend' })).json();
    expect(audit.items.map((e: { action: string }) => e.action)).toEqual(['ingest']);
  });

  it('Idempotency-Key replays the first answer, and refuses another file under the same key', async () => {
    const first = await importCsv('generic', GENERIC, '', { 'idempotency-key': 'import-1' });
    const replay = await importCsv('generic', GENERIC, '', { 'idempotency-key': 'import-1' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const other = await importCsv('generic', GENERIC.replace('12500.00', '12600.00'), '', { 'idempotency-key': 'import-1' });
    expect(problemOf(other, 409, 'idempotency_key_reused').status).toBe(409);
  });
});
