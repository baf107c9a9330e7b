/**
 * `spendbook` against a real service: the server process (the compiled
 * dist/src/server.js, as `npm start` runs it) over a temp SQLite file, and
 * the CLI as a user runs it (`node bin/spendbook.mjs ...`, which runs dist/
 * too), each in its own process. stderr is a
 * pipe, not a terminal, so progress comes as one plain line per part.
 *
 * Small files with small --batch-rows make several parts, so that what a
 * large file does (the header re-sent with each part, firstLine, the check
 * pass, the combined summary) is shown on rows a person can add up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './build.js';
import { freePort } from '../bench/ports.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/spendbook.mjs');
const ADMIN_KEY = 'sb_cli_test_admin_key_0123456789';

const dir = mkdtempSync(join(tmpdir(), 'spendbook-cli-'));
let server: ChildProcess | null = null;
let url = '';


async function waitForHealth(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${output()}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the service did not answer /healthz within 30 s: ${output()}`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `spendbook ...args` in a child process, with the service's URL and key in the environment unless given. */
function spendbook(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', SPENDBOOK_URL: url, SPENDBOOK_API_KEY: ADMIN_KEY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

/** Spend lines of a source as `campaignId date amount currency reference`, in ingest order. */
async function spendOf(source: string): Promise<string[]> {
  const res = await api('GET', `/v1/spend?source=${source}&limit=1000`);
  expect(res.status).toBe(200);
  return res.json.items.map((s: any) => `${s.campaignId} ${s.date} ${s.amount} ${s.currency} ${s.reference ?? '-'}`);
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  await ensureBuilt();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  let output = '';
  server = spawn(process.execPath, ['dist/src/server.js'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SPENDBOOK_DB: join(dir, 'spendbook.db'), SPENDBOOK_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  await waitForHealth(url, server, () => output);
  const campaigns = await api('POST', '/v1/campaigns', {
    items: [
      { id: 'alpha', name: 'Alpha', channel: 'paid_search', startDate: '2026-01-01' },
      { id: 'beta', name: 'Beta', channel: 'paid_social', startDate: '2026-01-01' },
      { id: 'spring', name: 'Spring Search - Brand, US', channel: 'paid_search', startDate: '2026-01-01', externalRefs: [{ source: 'google_ads', id: '21458796301' }] },
    ],
  });
  expect(campaigns.status).toBe(200);
  const plans = await api('PUT', '/v1/plans', { items: [{ campaignId: 'alpha', month: '2026-03', amount: '1000.00', currency: 'USD' }] });
  expect(plans.status).toBe(200);
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

// Eight rows, lines 2-9; with --batch-rows 3 the parts are lines 2-4, 5-7 and 8-9.
// alpha: 0.10 + 0.20 + 100.01 + 12.34 = 112.65; beta: 5.00 + 7.77 + 0.03 + 19.99 = 32.79; together 145.44.
const GENERIC = [
  'date,campaignId,amount,currency,source,reference',
  '2026-03-01,alpha,0.10,USD,invoice,INV-1',
  '2026-03-01,beta,5.00,USD,invoice,INV-2',
  '2026-03-02,alpha,0.20,USD,invoice,"INV-3, part ""a"""',
  '2026-03-02,beta,7.77,USD,invoice,INV-4',
  '2026-03-03,alpha,100.01,USD,invoice,INV-5',
  '2026-03-03,beta,0.03,USD,invoice,INV-6',
  '2026-03-04,alpha,12.34,USD,invoice,INV-7',
  '2026-03-04,beta,19.99,USD,invoice,INV-8',
  '',
].join('\r\n');

describe('spendbook import', () => {
  it('imports a file of several parts: checked first, then written; the summary adds the parts up exactly', async () => {
    const path = file('spend.csv', GENERIC);
    const run = await spendbook(['import', path, '--format', 'generic', '--batch-rows', '3']);
    expect(run.stderr).not.toContain('\r');
    expect(run.code).toBe(0);
    // Not a terminal: a plain line per part, for the check pass, then for the import.
    const partLines = run.stderr.trim().split('\n').map((line) => line.replace(/, \d+ rows\/s$/, ''));
    expect(partLines).toEqual([
      'check part 1: lines 2-4, 3 rows, 3 inserted, 0 updated, 0 unchanged',
      'check part 2: lines 5-7, 3 rows, 3 inserted, 0 updated, 0 unchanged',
      'check part 3: lines 8-9, 2 rows, 2 inserted, 0 updated, 0 unchanged',
      'part 1: lines 2-4, 3 rows, 3 inserted, 0 updated, 0 unchanged',
      'part 2: lines 5-7, 3 rows, 3 inserted, 0 updated, 0 unchanged',
      'part 3: lines 8-9, 2 rows, 2 inserted, 0 updated, 0 unchanged',
    ]);
    const lines = run.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([`imported ${path} (generic, 3 parts, checked first)`, 'rows 8: 8 inserted, 0 updated, 0 unchanged, 0 skipped', 'total USD 145.44']);
    expect(lines.at(-1)).toMatch(/^elapsed \d+\.\d\d s \(checking \d+\.\d\d s\), \d+ rows\/s, peak memory \d+ MiB$/);

    expect(await spendOf('invoice')).toEqual([
      'alpha 2026-03-01 0.10 USD INV-1',
      'beta 2026-03-01 5.00 USD INV-2',
      'alpha 2026-03-02 0.20 USD INV-3, part "a"',
      'beta 2026-03-02 7.77 USD INV-4',
      'alpha 2026-03-03 100.01 USD INV-5',
      'beta 2026-03-03 0.03 USD INV-6',
      'alpha 2026-03-04 12.34 USD INV-7',
      'beta 2026-03-04 19.99 USD INV-8',
    ]);

    // The same file again changes nothing.
    const again = await spendbook(['import', path, '--format', 'generic', '--batch-rows', '3', '--json']);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({ format: 'generic', dryRun: false, checked: true, parts: 3, headerLine: 1, rows: 8, imported: 8, inserted: 0, updated: 0, unchanged: 8, skipped: 0, totals: [{ currency: 'USD', amount: '145.44' }] });
    expect(summary.peakMemoryMiB).toBeGreaterThan(0);
    expect((await spendOf('invoice')).length).toBe(8);
  });

  it('a bad amount in the second part: exit 1, the server’s message naming the file’s line, nothing written', async () => {
    const before = await spendOf('manual');
    // --batch-rows 4: part 1 is lines 2-5, part 2 lines 6-9; line 9's amount is bad.
    const rows = Array.from({ length: 8 }, (_, i) => `2026-03-${String(10 + i)},alpha,${i + 1}.00,USD,manual,M-${i + 1}`);
    rows[7] = '2026-03-17,alpha,12;50,USD,manual,M-8';
    const path = file('bad.csv', ['date,campaignId,amount,currency,source,reference', ...rows, ''].join('\n'));
    const run = await spendbook(['import', path, '--format', 'generic', '--batch-rows', '4']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    // The check of part 1 passed; part 2's answer names the line of the file, not of the part.
    expect(run.stderr).toMatch(/^check part 1: lines 2-5, 4 rows, 4 inserted, 0 updated, 0 unchanged, \d+ rows\/s\nerror: 400 Invalid request: line 9 amount: .+\n/);
    expect(run.stderr).toContain('\n  line/9/amount: column C (amount): "12;50" is not a plain decimal such as 1234.56 (no thousands separator)\n');
    expect(run.stderr).toMatch(/part 2 \(lines 6-9\) was refused by the check; nothing was written\n$/);
    expect(await spendOf('manual')).toEqual(before);

    // --no-check writes part 1 before part 2 is refused, and says so.
    const unchecked = await spendbook(['import', path, '--format', 'generic', '--batch-rows', '4', '--no-check']);
    expect(unchecked.code).toBe(1);
    expect(unchecked.stderr).toMatch(/^part 1: lines 2-5, 4 rows, 4 inserted/);
    expect(unchecked.stderr).toContain('  line/9/amount: ');
    expect(unchecked.stderr).toContain('parts 1-1 (lines 2-5) were written; part 2 (lines 6-9) was refused, and nothing from it on was written.');
    expect(await spendOf('manual')).toEqual(['alpha 2026-03-10 1.00 USD M-1', 'alpha 2026-03-11 2.00 USD M-2', 'alpha 2026-03-12 3.00 USD M-3', 'alpha 2026-03-13 4.00 USD M-4']);
  });

  it('--dry-run checks every part and writes nothing', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `2026-03-2${i},beta,1.0${i},EUR,dry,D-${i}`);
    const path = file('dry.csv', ['date,campaignId,amount,currency,source,reference', ...rows].join('\n'));
    const run = await spendbook(['import', path, '--format', 'generic', '--batch-rows', '2', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`dry run of ${path} (generic, 3 parts): nothing written\nrows 5: would insert 5, would update 0, 0 unchanged, would skip 0\nwould import EUR 5.10\n`);
    expect(run.stderr.trim().split('\n')).toHaveLength(3);
    expect(await spendOf('dry')).toEqual([]);
  });

  it('imports a Google Ads report as downloaded: title lines re-sent with each part, the summary row skipped', async () => {
    const text = [
      'Campaign report',
      '"March 1, 2026 - March 31, 2026"',
      'Day,Campaign,Campaign ID,Currency code,Cost',
      '2026-03-05,"Spring Search - Brand, US",21458796301,USD,"1,099.69"',
      '2026-03-06,"Spring Search - Brand, US",21458796301,USD,1000.00',
      '2026-03-07,"Spring Search - Brand, US",21458796301,USD,--',
      '2026-03-08,"Spring Search - Brand, US",21458796301,USD,0.31',
      'Total: Account,--,--,USD,"2,100.00"',
      '',
    ].join('\r\n');
    const path = file('google-ads.csv', text);
    // No --format: the header below the title lines says google_ads.
    const run = await spendbook(['import', path, '--batch-rows', '2', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split('\n').map((line) => line.replace(/, \d+ rows\/s$/, ''))).toEqual([
      'check part 1: lines 4-5, 2 rows, 2 inserted, 0 updated, 0 unchanged',
      'check part 2: lines 6-7, 2 rows, 2 inserted, 0 updated, 0 unchanged',
      'check part 3: lines 8-8, 1 rows, 0 inserted, 0 updated, 0 unchanged, 1 skipped',
      'part 1: lines 4-5, 2 rows, 2 inserted, 0 updated, 0 unchanged',
      'part 2: lines 6-7, 2 rows, 2 inserted, 0 updated, 0 unchanged',
      'part 3: lines 8-8, 1 rows, 0 inserted, 0 updated, 0 unchanged, 1 skipped',
    ]);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({
      format: 'google_ads',
      source: 'google_ads',
      parts: 3,
      headerLine: 3,
      rows: 5,
      inserted: 4,
      skipped: 1,
      skippedRows: [{ line: 8, reason: 'summary row (Total: Account)' }],
      createdCampaigns: [],
      // 1099.69 + 1000.00 + 0 + 0.31
      totals: [{ currency: 'USD', amount: '2100.00' }],
    });
    expect(await spendOf('google_ads')).toEqual([
      'spring 2026-03-05 1099.69 USD -',
      'spring 2026-03-06 1000.00 USD -',
      'spring 2026-03-07 0.00 USD -',
      'spring 2026-03-08 0.31 USD -',
    ]);
  });

  it('--unmatched create: a campaign unknown in several parts is created once', async () => {
    const text = ['Campaign report', 'Day,Campaign,Currency code,Cost', '2026-02-01,Winter Promo,USD,1.00', '2026-02-02,Winter Promo,USD,2.00', '2026-02-03,Winter Promo,USD,3.00', ''].join('\n');
    const path = file('new-campaign.csv', text);
    const run = await spendbook(['import', path, '--format', 'google_ads', '--batch-rows', '2', '--unmatched', 'create', '--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.createdCampaigns).toHaveLength(1);
    expect(summary.createdCampaigns[0].name).toBe('Winter Promo');
    expect(summary).toMatchObject({ rows: 3, inserted: 3, totals: [{ currency: 'USD', amount: '6.00' }] });
  });

  it('a wrong key: exit 1 with the 401 message', async () => {
    const run = await spendbook(['import', file('k.csv', GENERIC), '--format', 'generic'], { SPENDBOOK_API_KEY: 'sb_not_a_key_0123456789abcdef' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: 401 Unauthorized: .+\n/);
    expect(run.stderr).toContain('nothing was written');
  });

  it('an unreachable service: exit 1 naming the URL', async () => {
    const port = await freePort();
    const run = await spendbook(['import', file('u.csv', GENERIC), '--format', 'generic', '--url', `http://127.0.0.1:${port}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: cannot reach the service at http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it('usage errors exit 2', async () => {
    const run = await spendbook(['import', 'x.csv', '--format', 'tiktok']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('spendbook: --format tiktok is not one of google_ads, meta, linkedin, generic\nRun spendbook --help for usage.\n');
  });
});

describe('spendbook report', () => {
  it('burn --csv prints the CSV as the service sends it, TOTAL last', async () => {
    const run = await spendbook(['report', 'burn', '--month', '2026-03', '--as-of', '2026-03-31', '--csv']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^campaignId,name,channel,currency,planned,committed,actual,/);
    expect(lines.at(-1)).toMatch(/^TOTAL,/);
    // alpha's March spend: the import (112.65) and the --no-check part (1+2+3+4): 122.65 of a 1000.00 plan.
    expect(lines.find((l) => l.startsWith('alpha,'))).toMatch(/^alpha,Alpha,paid_search,USD,1000\.00,0\.00,122\.65,/);
  });

  it('burn as JSON, pretty printed, with parameters mapped from --kebab-case', async () => {
    const run = await spendbook(['report', 'burn', '--from', '2026-03', '--to', '2026-03', '--as-of', '2026-03-31', '--group-by', 'channel']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\{\n {2}"report": "burn",\n/);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ groupBy: 'channel', asOf: '2026-03-31', from: '2026-03', to: '2026-03' });
    // 122.65 (alpha) + 32.79 (beta) + 2100.00 (spring)
    expect(report.totals.actual).toBe('2255.44');
  });

  it('--xlsx --out writes the workbook', async () => {
    const out = join(dir, 'burn.xlsx');
    const run = await spendbook(['report', 'burn', '--month', '2026-03', '--as-of', '2026-03-31', '--xlsx', '--out', out]);
    expect(run.code).toBe(0);
    expect(readFileSync(out).subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('a bad parameter: exit 1 with the service’s field errors', async () => {
    const run = await spendbook(['report', 'burn', '--month', '2026-13']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: 400 .+\n {2}month: /);
  });

  it('an unreachable service: exit 1 naming the URL', async () => {
    const port = await freePort();
    const run = await spendbook(['report', 'burn', '--month', '2026-03'], { SPENDBOOK_URL: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: cannot reach the service at http://127.0.0.1:${port}: connection refused (ECONNREFUSED); is it running? Set --url or SPENDBOOK_URL\n`);
  });
});
