/**
 * The CSV import benchmark (issue 6): a Google Ads campaign report of
 * 1,000,000 rows (1,000 campaigns x 1,000 days, as the platform writes it:
 * title lines, quoted names with commas, thousands separators), imported by
 * the real CLI (`bin/spendbook.mjs import`) into the real service over
 * HTTP, both in their own processes, timed from the CLI's start to its
 * exit. It prints rows/s and the peak memory of the CLI and of the service.
 *
 * "Memory must not grow with the file": the same import is run first with a
 * file a tenth the size (100,000 rows, still two parts) on a fresh service,
 * and the peaks of both runs are printed side by side with their ratio. The
 * CLI streams the file, so its ratio stays near 1 (checked: under 1.5). The
 * service reads one part per request, but keeps every stored spend line in
 * memory for the reports, so its peak follows the data it holds, not the
 * file; it is checked against docs/performance.md's 1 GiB. Peaks are the kernel's
 * high-water marks: the service's maxRSS over IPC, the CLI's VmHWM read
 * from /proc while it runs.
 *
 * Correctness: the database holds exactly the rows and the bigint sum of the
 * micros written into the file, and a second import of the same file
 * changes nothing.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { mulberry32 } from '../fixtures/prng.js';
import { ADMIN_KEY, ask, fmtInt, fmtMiB, post, startServer, stopServer, table, type StartOptions } from './harness.js';
import type { ServerStats } from './server.js';

type Out = (text: string) => void;

export interface ImportBenchOptions {
  /** Rows of the large file (1,000,000); the small one has a tenth. */
  rows: number;
  campaigns: number;
  /** Data rows per request the CLI sends. */
  batchRows: number;
}

const NO_RATE_LIMIT: StartOptions = { env: { ...process.env, SPENDBOOK_RATE_LIMIT: '1000000' } };
const CLI = fileURLToPath(new URL('../bin/spendbook.mjs', import.meta.url));
const FIRST_DAY = Date.UTC(2023, 0, 1);
const TARGET_ROWS_PER_SECOND = 100_000;

const campaignName = (c: number) => `Campaign ${String(c).padStart(4, '0')}, search`;
const campaignRef = (c: number) => String(9_000_000_000 + c);

/** Writes the Google Ads report of `days` x `campaigns` rows to `path`; returns the bigint sum of its micros. */
async function writeReport(path: string, campaigns: number, days: number): Promise<bigint> {
  const random = mulberry32(6);
  const file = createWriteStream(path);
  const write = (text: string) => (file.write(text) ? Promise.resolve() : new Promise<void>((resolve) => file.once('drain', () => resolve())));
  await write('\uFEFFCampaign report\r\n"January 1, 2023 - September 26, 2025"\r\nDay,Campaign,Campaign ID,Campaign status,Currency code,Impr.,Clicks,Cost\r\n');
  let sum = 0n;
  for (let d = 0; d < days; d++) {
    const day = new Date(FIRST_DAY + d * 86_400_000).toISOString().slice(0, 10);
    let chunk = '';
    for (let c = 0; c < campaigns; c++) {
      const cents = Math.floor(random() * 400_000);
      sum += BigInt(cents) * 10_000n;
      const units = Math.floor(cents / 100);
      const cost = `${units.toLocaleString('en-US')}.${String(cents % 100).padStart(2, '0')}`;
      chunk += `${day},"${campaignName(c)}",${campaignRef(c)},Enabled,USD,${Math.floor(random() * 50_000)},${Math.floor(random() * 900)},${units >= 1000 ? `"${cost}"` : cost}\r\n`;
    }
    await write(chunk);
  }
  await write(`Total: Account,--,--,--,USD,--,--,--\r\n`);
  await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return sum;
}

interface CliRun {
  seconds: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  peakRssBytes: number;
}

/** Runs the CLI, sampling its VmHWM (the kernel's RSS high-water mark) every 20 ms. */
function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let peakRssBytes = 0;
    const sample = () => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) peakRssBytes = Math.max(peakRssBytes, Number(match[1]) * 1024);
      } catch {
        // exited between samples
      }
    };
    const timer = setInterval(sample, 20);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, exitCode: code ?? -1, stdout, stderr, peakRssBytes });
    });
  });
}

interface ImportRun {
  rows: number;
  fileBytes: number;
  first: CliRun;
  again: CliRun;
  service: ServerStats;
  dbRows: bigint;
  dbSum: bigint;
  expectedSum: bigint;
}

async function importOnce(dir: string, name: string, campaigns: number, days: number, batchRows: number): Promise<ImportRun> {
  const csv = join(dir, `${name}.csv`);
  const expectedSum = await writeReport(csv, campaigns, days);
  const dbPath = join(dir, `${name}.db`);
  const { child, port } = await startServer(dbPath, null, NO_RATE_LIMIT);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const items = Array.from({ length: campaigns }, (_, c) => ({
      id: `cmp-${c}`,
      name: campaignName(c),
      channel: 'paid_search',
      startDate: '2023-01-01',
      externalRefs: [{ source: 'google_ads', id: campaignRef(c) }],
    }));
    const created = await post(agent, port, '/v1/campaigns', Buffer.from(JSON.stringify({ items })));
    if (created.status !== 200) throw new Error(`POST /v1/campaigns answered ${created.status}: ${created.body.slice(0, 300)}`);
    const args = ['import', csv, '--format', 'google_ads', '--batch-rows', String(batchRows), '--url', `http://127.0.0.1:${port}`, '--key', ADMIN_KEY, '--json'];
    const first = await runCli(args);
    if (first.exitCode !== 0) throw new Error(`spendbook import exited ${first.exitCode}: ${first.stderr.slice(-800)}`);
    const again = await runCli(args);
    if (again.exitCode !== 0) throw new Error(`spendbook import (again) exited ${again.exitCode}: ${again.stderr.slice(-800)}`);
    const service = await ask<ServerStats>(child, 'stats');
    await stopServer(child);
    const db = new Database(dbPath, { readonly: true });
    const totals = db.prepare('select count(*) as n, coalesce(sum(amount_micros), 0) as s from spend').safeIntegers(true).get() as { n: bigint; s: bigint };
    db.close();
    return { rows: campaigns * days, fileBytes: statSync(csv).size, first, again, service, dbRows: totals.n, dbSum: totals.s, expectedSum };
  } catch (error) {
    await stopServer(child).catch(() => undefined);
    throw error;
  } finally {
    agent.destroy();
  }
}

/** The numbers a --json summary of the CLI holds that this bench reads. */
function summaryOf(run: CliRun): { inserted: number; unchanged: number } {
  const json = JSON.parse(run.stdout) as { inserted?: number; unchanged?: number };
  return { inserted: json.inserted ?? -1, unchanged: json.unchanged ?? -1 };
}

export async function runImportBench(dir: string, options: ImportBenchOptions, out: Out): Promise<boolean> {
  const days = Math.max(1, Math.round(options.rows / options.campaigns));
  const smallDays = Math.max(1, Math.round(days / 10));
  out(
    `Spendbook CSV import benchmark: a Google Ads campaign report of ${fmtInt(options.campaigns * days)} rows (${fmtInt(options.campaigns)} campaigns x ${fmtInt(days)} days), ` +
      `imported with \`spendbook import --format google_ads\` (parts of ${fmtInt(options.batchRows)} rows, checked then written), and one a tenth the size for memory`,
  );
  out(`small file (${fmtInt(options.campaigns * smallDays)} rows) ...`);
  const small = await importOnce(dir, 'import-small', options.campaigns, smallDays, options.batchRows);
  out(`large file (${fmtInt(options.campaigns * days)} rows) ...`);
  const large = await importOnce(dir, 'import-large', options.campaigns, days, options.batchRows);

  const rate = (run: ImportRun, cli: CliRun) => `${fmtInt(Math.round(run.rows / cli.seconds))} rows/s (${cli.seconds.toFixed(1)} s)`;
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  out('');
  out(
    table([
      ['file', `${fmtInt(small.rows)} rows, ${fmtMiB(small.fileBytes)}  |  ${fmtInt(large.rows)} rows, ${fmtMiB(large.fileBytes)}`],
      ['import, check pass + write pass', `${rate(small, small.first)}  |  ${rate(large, large.first)}`],
      ['the same file again (all unchanged)', `${rate(small, small.again)}  |  ${rate(large, large.again)}`],
      ['CLI peak RSS (VmHWM)', `${fmtMiB(small.first.peakRssBytes)}  |  ${fmtMiB(large.first.peakRssBytes)}  (ratio ${ratio(large.first.peakRssBytes, small.first.peakRssBytes)})`],
      ['service peak RSS (maxRSS)', `${fmtMiB(small.service.maxRssBytes)}  |  ${fmtMiB(large.service.maxRssBytes)}  (ratio ${ratio(large.service.maxRssBytes, small.service.maxRssBytes)})`],
      ['service peak heap used (sampled)', `${fmtMiB(small.service.peakHeapUsedBytes)}  |  ${fmtMiB(large.service.peakHeapUsedBytes)}`],
    ]),
  );
  const largeRate = large.rows / large.first.seconds;
  // The CLI streams the file: its peak must not follow the file's size. The service holds one part
  // per request, but it also keeps every stored spend line in memory for the reports (SpendIndex), so
  // its peak grows with the data stored, whatever the file; it is held to docs/performance.md's 1 GiB.
  const flat = large.first.peakRssBytes < 1.5 * small.first.peakRssBytes;
  const serviceOk = large.service.maxRssBytes < 1024 ** 3;
  out(
    `\n1,000,000-row import: ${fmtInt(Math.round(largeRate))} rows/s end to end (${largeRate >= TARGET_ROWS_PER_SECOND ? 'at least' : 'below'} the ${fmtInt(TARGET_ROWS_PER_SECOND)} rows/s of the JSON ingest target); ` +
      `CLI memory ${flat ? 'flat' : 'GROWS'}: 10 times the rows, peak RSS x ${ratio(large.first.peakRssBytes, small.first.peakRssBytes)}; ` +
      `service peak ${fmtMiB(large.service.maxRssBytes)} holding ${fmtInt(large.rows)} spend lines (x ${ratio(large.service.maxRssBytes, small.service.maxRssBytes)}: it keeps the stored spend in memory for the reports)`,
  );
  const checks: [string, boolean][] = [];
  for (const [label, run] of [['small', small], ['large', large]] as const) {
    const first = summaryOf(run.first);
    const again = summaryOf(run.again);
    checks.push(
      [`${label}: db rows ${fmtInt(run.dbRows)} = file rows ${fmtInt(run.rows)}`, run.dbRows === BigInt(run.rows)],
      [`${label}: db SUM(amount_micros) ${run.dbSum} = the file's ${run.expectedSum}`, run.dbSum === run.expectedSum],
      [`${label}: first import inserted ${fmtInt(first.inserted)}, again unchanged ${fmtInt(again.unchanged)}`, first.inserted === run.rows && again.unchanged === run.rows],
    );
  }
  checks.push([`CLI peak memory flat: under 1.5 x the small file's for 10 x the rows`, flat]);
  checks.push([`service peak RSS under 1 GiB`, serviceOk]);
  out('\ncorrectness:');
  for (const [text, ok] of checks) out(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  return checks.every(([, ok]) => ok);
}
