/**
 * The CLI's pure parts, without a server: the splitter that cuts an import
 * file into parts, the argument mappings, the progress renderers and the
 * exact summing of the parts' answers. The splitter is checked against the
 * server's own reader (parseImport): every part, parsed as the server parses
 * it with the part's firstLine, gives the rows of the whole file with the
 * lines of the whole file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormats, parseImport, type ImportFormat } from '../src/features/spend/import/formats.js';
import { ApiError, connectionMessage, problemLines } from '../src/cli/http.js';
import { detectFileFormat, importQuery, parseImportArgs } from '../src/cli/import.js';
import { REPORT_NAMES } from '../src/cli/usage.js';
import { resolveConnection, runCli } from '../src/cli/main.js';
import { ImportProgress, renderBar, renderPartLine, REDRAW_INTERVAL_MS } from '../src/cli/progress.js';
import { camelCase, parseReportArgs } from '../src/cli/report.js';
import { PartSplitter, readParts, SplitError, type Part, type SplitOptions } from '../src/cli/split.js';
import { formatSummary, ImportTally, SKIPPED_ROWS_SHOWN, sumTotals, summaryOf, WARNINGS_SHOWN, type ImportAnswer } from '../src/cli/summary.js';

/** The parts of `text` pushed in chunks of `chunkSize` bytes (the whole at once by default). */
function split(text: string | Buffer, options: Partial<SplitOptions> & { chunkSize?: number } = {}): Part[] {
  const { chunkSize, ...rest } = options;
  const splitter = new PartSplitter({ format: 'generic', batchRows: 2, ...rest });
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const size = chunkSize ?? Math.max(1, bytes.length);
  const parts: Part[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(...splitter.push(bytes.subarray(at, at + size)));
  parts.push(...splitter.end());
  return parts;
}

const bodies = (parts: Part[]) => parts.map((p) => p.body.toString('utf8'));
const shape = (parts: Part[]) => parts.map(({ index, firstLine, lastLine, rows, endOffset, firstLineParam }) => ({ index, firstLine, lastLine, rows, endOffset, firstLineParam }));

/** What the server reads: each part parsed with its firstLine, rows and errors with their lines. */
function serverView(format: ImportFormat, parts: Part[]) {
  return parts.flatMap((part) => {
    const parsed = parseImport(format, part.body.toString('utf8'), part.firstLineParam ?? undefined);
    return [...parsed.rows.map((r) => `${r.line}:${r.campaign || r.campaignId || r.platformId}:${r.amount}`), ...parsed.errors.map((e) => `${e.path}!`)];
  });
}
function wholeView(format: ImportFormat, text: string) {
  const parsed = parseImport(format, text);
  return [...parsed.rows.map((r) => `${r.line}:${r.campaign || r.campaignId || r.platformId}:${r.amount}`), ...parsed.errors.map((e) => `${e.path}!`)];
}

const HEADER = 'date,campaignId,amount,currency\n';
const row = (i: number) => `2026-03-${String(1 + (i % 28)).padStart(2, '0')},c${i},${i}.25,USD\n`;

describe('PartSplitter', () => {
  it('cuts data rows into parts of exactly batchRows, each with the header and its first line', () => {
    const text = HEADER + [1, 2, 3, 4, 5].map(row).join('');
    const parts = split(text, { batchRows: 2 });
    expect(bodies(parts)).toEqual([HEADER + row(1) + row(2), HEADER + row(3) + row(4), HEADER + row(5)]);
    // Line 1 is the header: rows 1-5 are lines 2-6.
    const rowBytes = Buffer.byteLength(row(1));
    const headerBytes = Buffer.byteLength(HEADER);
    expect(shape(parts)).toEqual([
      { index: 1, firstLine: 2, lastLine: 3, rows: 2, endOffset: headerBytes + 2 * rowBytes, firstLineParam: 2 },
      { index: 2, firstLine: 4, lastLine: 5, rows: 2, endOffset: headerBytes + 4 * rowBytes, firstLineParam: 4 },
      { index: 3, firstLine: 6, lastLine: 6, rows: 1, endOffset: Buffer.byteLength(text), firstLineParam: 6 },
    ]);
  });

  it('makes one part of a file that fits one, and no empty part after a last full one', () => {
    expect(shape(split(HEADER + row(1) + row(2), { batchRows: 2 }))).toEqual([
      { index: 1, firstLine: 2, lastLine: 3, rows: 2, endOffset: Buffer.byteLength(HEADER + row(1) + row(2)), firstLineParam: 2 },
    ]);
    expect(split(HEADER + row(1) + row(2), { batchRows: 50_000 })).toHaveLength(1);
    // Blank lines at the end ride along and do not make a part of their own.
    expect(split(HEADER + row(1) + row(2) + '\n\n', { batchRows: 2 })).toHaveLength(1);
  });

  it('never cuts inside a quoted field holding line breaks, and counts its lines', () => {
    const text = 'date,campaign,amount,currency\n' + '2026-03-01,"Spring\nsearch, ""brand""",1.00,USD\n' + '2026-03-02,B,2.00,USD\n' + '2026-03-03,"C\r\nD\rE",3.00,USD\n' + '2026-03-04,F,4.00,USD\n';
    const parts = split(text, { batchRows: 1 });
    expect(shape(parts).map(({ firstLine, lastLine, rows }) => [firstLine, lastLine, rows])).toEqual([
      [2, 3, 1],
      [4, 4, 1],
      [5, 7, 1],
      [8, 8, 1],
    ]);
    expect(parts[0]!.body.toString()).toBe('date,campaign,amount,currency\n2026-03-01,"Spring\nsearch, ""brand""",1.00,USD\n');
    expect(serverView('generic', parts)).toEqual(wholeView('generic', text));
    expect(serverView('generic', parts)).toEqual(['2:Spring\nsearch, "brand":1000000', '4:B:2000000', '5:C\r\nD\rE:3000000', '8:F:4000000']);
  });

  it('keeps CRLF, lone CR and a byte order mark as they are; the BOM only in the prefix', () => {
    const crlf = '\uFEFFdate,campaignId,amount,currency\r\n2026-03-01,a,1,USD\r\n2026-03-02,b,2,USD\r\n2026-03-03,c,3,USD';
    const parts = split(crlf, { batchRows: 2 });
    expect(bodies(parts)).toEqual([
      '\uFEFFdate,campaignId,amount,currency\r\n2026-03-01,a,1,USD\r\n2026-03-02,b,2,USD\r\n',
      '\uFEFFdate,campaignId,amount,currency\r\n2026-03-03,c,3,USD',
    ]);
    expect(shape(parts).map((p) => [p.firstLine, p.lastLine])).toEqual([[2, 3], [4, 4]]);
    expect(serverView('generic', parts)).toEqual(wholeView('generic', crlf));

    const lone = 'date,campaignId,amount,currency\r2026-03-01,a,1,USD\r2026-03-02,b,2,USD\r2026-03-03,c,3,USD\r';
    const loneParts = split(lone, { batchRows: 2, chunkSize: 1 });
    expect(bodies(loneParts)).toEqual(['date,campaignId,amount,currency\r2026-03-01,a,1,USD\r2026-03-02,b,2,USD\r', 'date,campaignId,amount,currency\r2026-03-03,c,3,USD\r']);
    expect(serverView('generic', loneParts)).toEqual(['2:a:1000000', '3:b:2000000', '4:c:3000000']);
  });

  it('re-sends the title lines and the header of an ad platform export with every part', () => {
    const prefix = 'Campaign report\nMarch 1, 2026 - March 31, 2026\n\nDay,Campaign,Cost,Currency code\n';
    const text = prefix + '2026-03-01,Spring,"1,234.50",USD\n2026-03-02,Spring,--,USD\n2026-03-03,Fall,12.00,USD\nTotal: Account,,"1,246.50",USD\n';
    const parts = split(text, { format: 'google_ads', batchRows: 2 });
    expect(bodies(parts)).toEqual([prefix + '2026-03-01,Spring,"1,234.50",USD\n2026-03-02,Spring,--,USD\n', prefix + '2026-03-03,Fall,12.00,USD\nTotal: Account,,"1,246.50",USD\n']);
    expect(shape(parts).map((p) => [p.firstLine, p.lastLine, p.rows, p.firstLineParam])).toEqual([
      [5, 6, 2, 5],
      [7, 8, 2, 7],
    ]);
    expect(serverView('google_ads', parts)).toEqual(wholeView('google_ads', text));
    // The summary row is skipped by the server, on the file's line 8.
    expect(parseImport('google_ads', parts[1]!.body.toString(), 7).skipped).toEqual([{ line: 8, reason: 'summary row (Total: Account)' }]);
  });

  it('names the original line of a bad row in a later part', () => {
    const text = HEADER + row(1) + row(2) + row(3) + '2026-03-04,c4,12,5,USD\n' + row(5);
    const parts = split(text, { batchRows: 3 });
    expect(parts).toHaveLength(2);
    expect(parseImport('generic', parts[1]!.body.toString(), parts[1]!.firstLineParam!).errors.map((e) => e.path)).toEqual(['line/5']);
  });

  it('blank lines stay in the body (lines keep their numbers) but are not rows', () => {
    const text = HEADER + row(1) + '\n' + row(2) + '\r\n' + row(3);
    const parts = split(text, { batchRows: 2 });
    expect(shape(parts).map((p) => [p.firstLine, p.lastLine, p.rows])).toEqual([
      [2, 4, 2],
      [5, 6, 1],
    ]);
    expect(serverView('generic', parts)).toEqual(wholeView('generic', text));
  });

  it('a header alone is one part without rows; a file with no header goes as it is, for the server to explain', () => {
    expect(shape(split(HEADER))).toEqual([{ index: 1, firstLine: 2, lastLine: 1, rows: 0, endOffset: Buffer.byteLength(HEADER), firstLineParam: 2 }]);
    const headless = '2026-03-01,a,1,USD\n2026-03-02,b,2,USD\n2026-03-03,c,3,USD\n';
    const parts = split(headless, { batchRows: 2 });
    expect(bodies(parts)[0]).toBe(headless);
    expect(parts[0]!.firstLineParam).toBeNull();
    expect(parseImport('generic', parts[0]!.body.toString()).errors[0]!.path).toBe('line/1');
    expect(shape(split(''))).toEqual([{ index: 1, firstLine: 1, lastLine: 0, rows: 0, endOffset: 0, firstLineParam: null }]);
  });

  it('cuts a part early at maxPartBytes, and refuses a record too long to be one', () => {
    const text = HEADER + [1, 2, 3, 4].map(row).join('');
    const rowBytes = Buffer.byteLength(row(1));
    expect(split(text, { batchRows: 100, maxPartBytes: rowBytes * 2 }).map((p) => p.rows)).toEqual([2, 2]);
    const unclosed = HEADER + '2026-03-01,"never closed,1,USD\n' + row(2).repeat(200);
    expect(() => split(unclosed, { maxRecordBytes: 1024, chunkSize: 512 })).toThrow(SplitError);
    expect(() => split(unclosed, { maxRecordBytes: 1024, chunkSize: 512 })).toThrow(/line 2: .*quoted field is probably never closed/);
  });

  it('gives the same parts however the file arrives in chunks, and what the server reads of them is the whole file (property)', () => {
    const cell = fc.oneof(
      fc.constantFrom('a', 'b c', 'x,y', 'q"uote', 'multi\nline', 'cr\r\nlf', 'ünï', ''),
      fc.stringMatching(/^[a-z0-9 ]{0,6}$/),
    );
    const quoteCell = (v: string) => (/[",\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v);
    const record = fc.tuple(fc.integer({ min: 1, max: 28 }), cell, fc.integer({ min: 0, max: 99999 }), fc.constantFrom('USD', 'EUR', 'JPY'));
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 9, arbitrary: record }, { weight: 1, arbitrary: fc.constant(null) }), { maxLength: 25 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 64 }),
        (records, eol, bom, batchRows, chunkSize) => {
          const lines = records.map((r) => (r === null ? '' : `2026-03-${String(r[0]).padStart(2, '0')},${quoteCell(`n${r[1]}`)},${r[2]},${r[3]}`));
          const text = `${bom ? '\uFEFF' : ''}date,campaign,amount,currency${eol}${lines.join(eol)}`;
          const whole = split(text, { batchRows });
          const chunked = split(text, { batchRows, chunkSize });
          expect(shape(chunked)).toEqual(shape(whole));
          expect(bodies(chunked)).toEqual(bodies(whole));
          // Every part but the last holds exactly batchRows rows.
          expect(whole.slice(0, -1).every((p) => p.rows === batchRows)).toBe(true);
          expect(whole.reduce((n, p) => n + p.rows, 0)).toBe(lines.filter((l) => l !== '').length);
          expect(serverView('generic', whole)).toEqual(wholeView('generic', text));
        },
      ),
      { numRuns: 300, seed: 20260315 },
    );
  });
});

describe('readParts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spendbook-cli-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams a file into the same parts as the splitter', async () => {
    const path = join(dir, 'spend.csv');
    const text = HEADER + Array.from({ length: 1000 }, (_, i) => row(i)).join('');
    writeFileSync(path, text);
    const parts: Part[] = [];
    for await (const part of readParts(path, { format: 'generic', batchRows: 300 })) parts.push(part);
    expect(parts.map((p) => p.rows)).toEqual([300, 300, 300, 100]);
    expect(shape(parts)).toEqual(shape(split(text, { batchRows: 300 })));
    expect(parts.at(-1)!.endOffset).toBe(Buffer.byteLength(text));
  });
});

describe('arguments', () => {
  it('report: unknown --kebab-case options become camelCase query parameters', () => {
    const args = parseReportArgs(['burn', '--month', '2026-03', '--as-of=2026-03-15', '--group-by', 'channel', '--csv', '--url', 'http://h:1', '--key', 'k']);
    expect(args.name).toBe('burn');
    expect(args.query.toString()).toBe('month=2026-03&asOf=2026-03-15&groupBy=channel&format=csv');
    expect(args.output).toBe('csv');
    expect([args.url, args.key]).toEqual(['http://h:1', 'k']);
    expect(camelCase('lookback-days')).toBe('lookbackDays');
    expect(parseReportArgs(['attribution', '--from', '2026-01-01', '--to', '2026-03-31', '--models', 'linear,first_touch', '--half-life-days', '3.5']).query.toString()).toBe(
      'from=2026-01-01&to=2026-03-31&models=linear%2Cfirst_touch&halfLifeDays=3.5',
    );
    // JSON is the default and adds no format; a repeated option is repeated; a bare one is true.
    expect(parseReportArgs(['roi', '--model', 'linear', '--model', 'last_touch', '--fresh']).query.toString()).toBe('model=linear&model=last_touch&fresh=true');
    const xlsx = parseReportArgs(['burn', '--format', 'xlsx', '--out', 'burn.xlsx']);
    expect([xlsx.output, xlsx.out, xlsx.query.get('format')]).toEqual(['xlsx', 'burn.xlsx', 'xlsx']);
  });

  it('report: usage errors', () => {
    expect(() => parseReportArgs([])).toThrow(/needs a NAME/);
    expect(() => parseReportArgs(['burn', 'roi'])).toThrow(/one NAME/);
    expect(() => parseReportArgs(['burn', '--csv', '--xlsx'])).toThrow(/give one of --csv, --xlsx/);
    expect(() => parseReportArgs(['burn', '--format', 'pdf'])).toThrow(/json, csv or xlsx/);
    expect(() => parseReportArgs(['burn', '--Month', '3'])).toThrow(/kebab-case/);
    expect(() => parseReportArgs(['burn', '-m', '3'])).toThrow(/unknown option -m/);
    expect(() => parseReportArgs(['burn', '--out'])).toThrow(/--out needs a value/);
  });

  it('import: defaults, options and the query of each part', () => {
    const args = parseImportArgs(['spend.csv', '--format', 'google_ads']);
    expect(args).toMatchObject({ file: 'spend.csv', format: 'google_ads', unmatched: null, batchRows: 50_000, dryRun: false, check: true, json: false });
    expect(parseImportArgs(['f', '--format=meta', '--unmatched', 'create', '--batch-rows', '100000', '--dry-run', '--no-check', '--json'])).toMatchObject({
      format: 'meta',
      unmatched: 'create',
      batchRows: 100_000,
      dryRun: true,
      check: false,
      json: true,
    });
    expect(importQuery({ format: 'google_ads', unmatched: args.unmatched }, { firstLineParam: 350_123 }, true).toString()).toBe('format=google_ads&dryRun=true&firstLine=350123');
    expect(importQuery({ format: 'generic', unmatched: 'skip' }, { firstLineParam: null }, false).toString()).toBe('format=generic&unmatched=skip&dryRun=false');
  });

  it('import: usage errors', () => {
    expect(() => parseImportArgs(['--format', 'generic'])).toThrow(/needs a FILE/);
    expect(() => parseImportArgs(['a', 'b', '--format', 'generic'])).toThrow(/one FILE/);
    // No --format: read from the file's header when the import runs (detectFileFormat).
    expect(parseImportArgs(['a']).format).toBeNull();
    expect(() => parseImportArgs(['a', '--format', 'tiktok'])).toThrow(/not one of google_ads, meta, linkedin, generic/);
    expect(() => parseImportArgs(['a', '--format', 'generic', '--unmatched', 'ignore'])).toThrow(/reject, skip, create/);
    for (const bad of ['0', '100001', '1e3', '-5', 'many']) {
      expect(() => parseImportArgs(['a', '--format', 'generic', `--batch-rows=${bad}`])).toThrow(/1 to 100000/);
    }
    expect(() => parseImportArgs(['a', '--format', 'generic', '--fast'])).toThrow(/Unknown option '--fast'/);
  });

  it('connection: flags over the environment, the default URL, a key required', () => {
    expect(resolveConnection({}, { SPENDBOOK_API_KEY: 'k1' })).toEqual({ url: 'http://127.0.0.1:3000', key: 'k1' });
    expect(resolveConnection({ url: 'https://sb.example/', key: 'k2' }, { SPENDBOOK_URL: 'http://x', SPENDBOOK_API_KEY: 'k1' })).toEqual({ url: 'https://sb.example/', key: 'k2' });
    expect(resolveConnection({}, { SPENDBOOK_URL: 'http://x:9', SPENDBOOK_API_KEY: 'k' }).url).toBe('http://x:9');
    expect(() => resolveConnection({}, {})).toThrow(/no API key/);
    expect(() => resolveConnection({ url: 'localhost:3000', key: 'k' }, {})).toThrow(/http:\/\/ or https:\/\//);
    expect(() => resolveConnection({ url: 'not a url', key: 'k' }, {})).toThrow(/not a URL/);
  });

  it('runCli: --version, --help, usage errors exit 2 with one line and a pointer to --help', async () => {
    const run = async (argv: string[]) => {
      let out = '';
      let err = '';
      const io = { stdout: { write: (s: string) => ((out += s), true) } as never, stderr: { write: (s: string) => ((err += s), true) }, env: {} };
      const code = await runCli(argv, io);
      return { code, out, err };
    };
    expect(await run(['--version'])).toEqual({ code: 0, out: 'spendbook 0.1.0\n', err: '' });
    expect((await run(['--help'])).out).toMatch(/^spendbook: the command-line client/);
    expect((await run(['import', '--help'])).code).toBe(0);
    // A usage error is its one line and a pointer to --help, not the sixty lines of the usage text.
    const usage = await run(['import', 'f.csv', '--format', 'tiktok']);
    expect(usage).toEqual({ code: 2, out: '', err: 'spendbook: --format tiktok is not one of google_ads, meta, linkedin, generic\nRun spendbook --help for usage.\n' });
    const report = await run(['report', 'burnn', '--key', 'k']);
    expect(report).toEqual({ code: 2, out: '', err: 'spendbook: burnn is not a report: burn, forecast, forecast-vs-actual, budget-forecast-actual, roi, attribution\nRun spendbook --help for usage.\n' });
    expect((await run(['export'])).err).toMatch(/unknown command export/);
    expect((await run(['--format', 'generic', 'import'])).err).toMatch(/give the command \(import or report\) first/);
    expect((await run(['report', 'burn', '--month', '2026-03'])).err).toMatch(/no API key/);
    // A workbook is not for a terminal: refused before any request (the URL is never reached).
    let err = '';
    const tty = { stdout: { isTTY: true, write: () => true } as never, stderr: { write: (s: string) => ((err += s), true) }, env: { SPENDBOOK_API_KEY: 'k', SPENDBOOK_URL: 'http://127.0.0.1:9' } };
    expect(await runCli(['report', 'burn', '--month', '2026-03', '--xlsx'], tty)).toBe(2);
    expect(err).toBe('spendbook: --xlsx writes a binary workbook: give --out FILE, or redirect stdout to a file\nRun spendbook --help for usage.\n');
    const missing = await run(['import', '/nonexistent/spend.csv', '--format', 'generic', '--key', 'k']);
    expect(missing).toEqual({ code: 1, out: '', err: 'error: cannot read /nonexistent/spend.csv: no such file\n' });
  });
});

describe('progress', () => {
  const answer = (over: Partial<ImportAnswer> = {}): ImportAnswer => ({
    format: 'generic',
    source: 'generic',
    dryRun: false,
    headerLine: 1,
    rows: 50_000,
    imported: 50_000,
    inserted: 48_210,
    updated: 1_790,
    unchanged: 0,
    skipped: 0,
    skippedRows: [],
    createdCampaigns: [],
    totals: [],
    ...over,
  });

  it('renders the bar: phase, share of bytes, rows, rows/s, time; cut to the terminal width', () => {
    const bar = renderBar({ phase: 'importing', bytesDone: 500, bytesTotal: 1000, rows: 500_000, elapsedMs: 3_811 });
    expect(bar).toBe('importing [############............]  50%  500000 rows  131199 rows/s  3.8 s');
    expect(renderBar({ phase: 'checking', bytesDone: 0, bytesTotal: 1000, rows: 0, elapsedMs: 0 })).toBe('checking  [........................]   0%  0 rows  0 rows/s  0.0 s');
    expect(renderBar({ phase: 'checking', bytesDone: 1000, bytesTotal: 1000, rows: 9, elapsedMs: 1000 }, 30)).toBe('checking  [##################');
    // An empty file is done at once.
    expect(renderBar({ phase: 'importing', bytesDone: 0, bytesTotal: 0, rows: 0, elapsedMs: 5 })).toContain('100%');
  });

  it('renders the plain line of a part', () => {
    const done = { index: 3, firstLine: 100_003, lastLine: 150_002, answer: answer(), elapsedMs: 381.1 };
    expect(renderPartLine('importing', done)).toBe('part 3: lines 100003-150002, 50000 rows, 48210 inserted, 1790 updated, 0 unchanged, 131199 rows/s');
    expect(renderPartLine('checking', { ...done, answer: answer({ skipped: 2 }) })).toBe(
      'check part 3: lines 100003-150002, 50000 rows, 48210 inserted, 1790 updated, 0 unchanged, 2 skipped, 131199 rows/s',
    );
  });

  it('on a terminal: one line redrawn with \\r, at most every 100 ms, ended by a newline', () => {
    const writes: string[] = [];
    let clock = 0;
    const progress = new ImportProgress({ write: (s: string) => writes.push(s), isTTY: true, columns: 120 }, 1000, () => clock);
    progress.startPhase('importing');
    expect(writes).toEqual(['\rimporting [........................]   0%  0 rows  0 rows/s  0.0 s\x1b[K']);
    clock = 50;
    progress.partDone('importing', { index: 1, firstLine: 2, lastLine: 3, answer: answer({ rows: 2 }), elapsedMs: 50 }, 100);
    progress.tick();
    expect(writes).toHaveLength(1); // within 100 ms of the last draw
    clock = 50 + REDRAW_INTERVAL_MS;
    progress.tick();
    expect(writes.at(-1)).toBe('\rimporting [##......................]  10%  2 rows  13 rows/s  0.1 s\x1b[K');
    clock = 160;
    // The last part is always drawn, at once.
    progress.partDone('importing', { index: 2, firstLine: 4, lastLine: 5, answer: answer({ rows: 2 }), elapsedMs: 10 }, 1000);
    expect(writes.at(-1)).toBe('\rimporting [########################] 100%  4 rows  25 rows/s  0.2 s\x1b[K');
    progress.finish();
    expect(writes.at(-1)).toBe('\n');
    expect(writes.every((w) => w === '\n' || w.startsWith('\r'))).toBe(true);
  });

  it('elsewhere: one plain line per part, nothing redrawn', () => {
    const writes: string[] = [];
    let clock = 0;
    const progress = new ImportProgress({ write: (s: string) => writes.push(s), isTTY: false }, 1000, () => clock);
    progress.startPhase('checking');
    progress.tick();
    clock = 10;
    progress.partDone('checking', { index: 1, firstLine: 2, lastLine: 4, answer: answer({ rows: 3, inserted: 3, updated: 0 }), elapsedMs: 10 }, 500);
    progress.startPhase('importing');
    progress.partDone('importing', { index: 1, firstLine: 2, lastLine: 4, answer: answer({ rows: 3, inserted: 3, updated: 0 }), elapsedMs: 20 }, 500);
    progress.finish();
    expect(writes).toEqual([
      'check part 1: lines 2-4, 3 rows, 3 inserted, 0 updated, 0 unchanged, 300 rows/s\n',
      'part 1: lines 2-4, 3 rows, 3 inserted, 0 updated, 0 unchanged, 150 rows/s\n',
    ]);
  });
});

describe('summing the parts', () => {
  it('sums totals per currency exactly, with the currency’s digits', () => {
    // 0.10 + 0.20 is 0.30 (as floats, 0.30000000000000004); 999,999,999,999.99 x 3 needs more than 2^53 cents... of micros.
    expect(sumTotals([[{ currency: 'USD', amount: '0.10' }], [{ currency: 'USD', amount: '0.20' }]])).toEqual([{ currency: 'USD', amount: '0.30' }]);
    expect(
      sumTotals([
        [{ currency: 'USD', amount: '999999999999.99' }, { currency: 'JPY', amount: '1500' }],
        [{ currency: 'USD', amount: '999999999999.99' }, { currency: 'EUR', amount: '-12.5' }],
        [{ currency: 'USD', amount: '999999999999.99' }, { currency: 'JPY', amount: '1' }, { currency: 'EUR', amount: '0.000001' }],
      ]),
    ).toEqual([
      { currency: 'USD', amount: '2999999999999.97' },
      { currency: 'JPY', amount: '1501' },
      { currency: 'EUR', amount: '-12.499999' },
    ]);
  });

  it('adds up answers: counts, the first skipped rows, created campaigns once', () => {
    const tally = new ImportTally();
    const base: ImportAnswer = {
      format: 'google_ads',
      source: 'google_ads',
      dryRun: false,
      headerLine: 3,
      rows: 3,
      imported: 2,
      inserted: 1,
      updated: 1,
      unchanged: 0,
      skipped: 1,
      skippedRows: [{ line: 6, reason: 'summary row (Total: Account)' }],
      createdCampaigns: [{ id: 'spring', name: 'Spring' }],
      totals: [{ currency: 'USD', amount: '10.05' }],
    };
    tally.add(base);
    tally.add({ ...base, rows: 12, imported: 0, inserted: 0, updated: 0, skipped: 12, skippedRows: Array.from({ length: 12 }, (_, i) => ({ line: 7 + i, reason: 'no campaign' })), createdCampaigns: [{ id: 'spring', name: 'Spring' }, { id: 'fall', name: 'Fall' }], totals: [{ currency: 'USD', amount: '0.95' }] });
    const summary = summaryOf(tally, { file: 'r.csv', dryRun: false, checked: true, elapsedMs: 1500, checkMs: 500, maxRssKiB: 81_920 });
    expect(summary).toMatchObject({ format: 'google_ads', parts: 2, headerLine: 3, rows: 15, imported: 2, inserted: 1, updated: 1, unchanged: 0, skipped: 13, rowsPerSecond: 10, peakMemoryMiB: 80 });
    expect(summary.skippedRows).toHaveLength(SKIPPED_ROWS_SHOWN);
    expect(summary.skippedRows[0]).toEqual({ line: 6, reason: 'summary row (Total: Account)' });
    expect(summary.createdCampaigns).toEqual([{ id: 'spring', name: 'Spring' }, { id: 'fall', name: 'Fall' }]);
    expect(summary.totals).toEqual([{ currency: 'USD', amount: '11.00' }]);
    const lines = formatSummary(summary);
    expect(lines[0]).toBe('imported r.csv (google_ads, 2 parts, checked first)');
    expect(lines[1]).toBe('rows 15: 1 inserted, 1 updated, 0 unchanged, 13 skipped');
    expect(lines[2]).toBe('total USD 11.00');
    expect(lines[3]).toBe('created campaigns: spring (Spring), fall (Fall)');
    expect(lines).toContain('skipped: 3 more');
    expect(lines.at(-1)).toBe('elapsed 1.50 s (checking 0.50 s), 10 rows/s, peak memory 80 MiB');

    // A dry run says what it would do: nothing was inserted, created or skipped.
    const dry = formatSummary({ ...summary, dryRun: true });
    expect(dry.slice(0, 4)).toEqual([
      'dry run of r.csv (google_ads, 2 parts, checked first): nothing written',
      'rows 15: would insert 1, would update 1, 0 unchanged, would skip 13',
      'would import USD 11.00',
      'would create campaigns: spring (Spring), fall (Fall)',
    ]);
    expect(dry).toContain('would skip: 3 more');
    expect(dry.join('\n')).not.toMatch(/\b(inserted|created|skipped)\b/);
    // No warning line when no line lacked a rate.
    expect(lines.some((line) => line.startsWith('warning'))).toBe(false);
  });

  it('counts every rate warning of every part and names the first ones', () => {
    const tally = new ImportTally();
    const part = (first: number, count: number): ImportAnswer => ({
      format: 'generic', source: 'manual', dryRun: true, headerLine: 1, rows: count, imported: count, inserted: count, updated: 0, unchanged: 0,
      skipped: 0, skippedRows: [], createdCampaigns: [], totals: [{ currency: 'JPY', amount: '100' }],
      warnings: Array.from({ length: count }, (_, i) => ({ path: `line/${first + i}/currency`, message: 'no JPY rate on or before 2026-03-04; reports that include this line answer 422 until one is added' })),
      warningCount: count,
    });
    // Two parts of 15 lines each, every line in JPY without a rate: 30 warnings, the first 20 named.
    tally.add(part(2, 15));
    tally.add(part(17, 15));
    const summary = summaryOf(tally, { file: 'jpy.csv', dryRun: true, checked: false, elapsedMs: 1000, checkMs: 0, maxRssKiB: 1024 });
    expect(summary.warningCount).toBe(30);
    expect(summary.warnings).toHaveLength(WARNINGS_SHOWN);
    const lines = formatSummary(summary);
    expect(lines).toContain('warning line/2/currency: no JPY rate on or before 2026-03-04; reports that include this line answer 422 until one is added');
    expect(lines).toContain('warning: 10 more lines have no rate yet');
  });
});

describe('--format read from the header', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/imports/${name}`, import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'spendbook-cli-detect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('each sample export is detected as its own format', async () => {
    expect(await detectFileFormat(fixture('google_ads-campaign-report.csv'))).toBe('google_ads');
    expect(await detectFileFormat(fixture('meta-ads-manager.csv'))).toBe('meta');
    expect(await detectFileFormat(fixture('linkedin-campaign-manager.csv'))).toBe('linkedin');
    expect(await detectFileFormat(fixture('generic-invoices.csv'))).toBe('generic');
  });

  it('a header of no format, or of two, is a usage error naming the choices', async () => {
    const unknown = join(dir, 'unknown.csv');
    writeFileSync(unknown, 'when,what,how much\n2026-03-01,x,1\n');
    await expect(detectFileFormat(unknown)).rejects.toThrow(/its header is not one of a google_ads, meta, linkedin, generic file's .*give --format google_ads \| meta \| linkedin \| generic/);
    // Both generic (date, campaign, amount, currency) and Google Ads (Day, Campaign, Cost, Currency code) columns.
    const both = join(dir, 'both.csv');
    writeFileSync(both, 'date,Day,campaign,amount,Cost,currency,Currency code\n');
    await expect(detectFileFormat(both)).rejects.toThrow(/its header fits google_ads and generic; give --format google_ads or generic/);
    expect(detectFormats([['Day', 'Campaign', 'Cost', 'Currency code']])).toEqual(['google_ads']);
    expect(detectFormats([])).toEqual([]);
  });

  it('runCli without --format: an unknown header exits 2 before any request', async () => {
    const unknown = join(dir, 'unknown2.csv');
    writeFileSync(unknown, 'when,what\n');
    let err = '';
    const io = { stdout: { write: () => true } as never, stderr: { write: (s: string) => ((err += s), true) }, env: { SPENDBOOK_API_KEY: 'k', SPENDBOOK_URL: 'http://127.0.0.1:9' } };
    expect(await runCli(['import', unknown], io)).toBe(2);
    expect(err.split('\n')).toHaveLength(3);
    expect(err).toMatch(/^spendbook: .*unknown2\.csv: its header is not one of/);
  });
});

describe('REPORT_NAMES', () => {
  it('lists exactly the reports the service serves', async () => {
    const { makeApp } = await import('./helper.js');
    const t = await makeApp();
    try {
      const spec = (await t.call({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
      const served = Object.keys(spec.paths).flatMap((p) => (/^\/v1\/reports\/([a-z-]+)$/.exec(p)?.[1] ? [/^\/v1\/reports\/([a-z-]+)$/.exec(p)![1]!] : []));
      expect([...REPORT_NAMES].sort()).toEqual(served.sort());
    } finally {
      await t.close();
    }
  });
});

describe('errors', () => {
  it('prints a problem with its field errors', () => {
    const problem = { type: 'about:blank', title: 'Invalid request', status: 400, detail: '2 fields are invalid; see errors', code: 'validation_failed', errors: [{ path: 'line/9/amount', message: 'column C (amount): "12,5" is not a plain decimal' }, { path: 'line/12/date', message: 'bad' }] };
    expect(problemLines(problem)).toEqual(['error: 400 Invalid request: 2 fields are invalid; see errors', '  line/9/amount: column C (amount): "12,5" is not a plain decimal', '  line/12/date: bad']);
    const many = { ...problem, errors: Array.from({ length: 25 }, (_, k) => ({ path: `line/${k + 4}/Campaign`, message: 'no campaign' })) };
    const printed = problemLines(many);
    expect(printed).toHaveLength(1 + 20 + 1);
    expect(printed.slice(-2)).toEqual(['  line/23/Campaign: no campaign', '  ... and 5 more']);
    expect(new ApiError(problem).message).toBe('400 Invalid request: 2 fields are invalid; see errors');
  });

  it('names the URL when the service cannot be reached', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4'), { code: 'ECONNREFUSED' }) });
    expect(connectionMessage('http://127.0.0.1:4', refused)).toBe('cannot reach the service at http://127.0.0.1:4: connection refused (ECONNREFUSED); is it running? Set --url or SPENDBOOK_URL');
  });
});
