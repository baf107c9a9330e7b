/**
 * `npm run bench`: the spend ingest benchmark of docs/performance.md's Performance
 * section. It generates N spend lines for C campaigns, then in one run:
 *
 * 1. raw: writes them with better-sqlite3 alone, each time into a fresh
 *    migrated SQLite file (the same schema, unique index and pragmas as the
 *    service), one transaction per batch, parameters ready before the clock
 *    starts, in three ways:
 *    (a) insert: one prepared single-row INSERT `.run()` per line inside
 *        `db.transaction`, the canonical better-sqlite3 bulk insert, the rate
 *        any program using better-sqlite3 directly gets. docs/performance.md's "at
 *        least half the rate of raw better-sqlite3 inserts" is judged
 *        against this one;
 *    (b) upsert: the same, with the service's one-line upsert
 *        (SPEND_UPSERT_SQL), what natural keys cost on their own;
 *    (c) multi-row: the service's own statements (SPEND_UPSERT_CHUNK lines
 *        per upsert, the rest one by one): the ceiling, the writes the
 *        service makes and nothing else;
 * 2. http: starts the real service (buildApp over another fresh file, in a
 *    child process, listening on 127.0.0.1), creates the campaigns through
 *    POST /v1/campaigns and posts the lines to POST /v1/spend in batches,
 *    two requests in flight (--in-flight), timing from the first byte sent to the
 *    last answer received;
 *
 * and prints every rate, the ratio of HTTP to each raw rate (saying which
 * one the target uses), the service's peak memory, and a check that each
 * database holds exactly what was sent (row count and the bigint sum of the
 * micros). After the timed ingest it re-sends the first batch as it was
 * (nothing changes) and then restated (every amount one cent more: every
 * line an update, each with its audit event), and times both.
 *
 * With `--db postgres` (or BENCH_DB=postgres) the spend and attribution
 * suites run on a throwaway PostgreSQL server of their own (bench/store.ts:
 * settings tuned as a deployment's, durable commits), a fresh database per
 * measured run, and the raw anchor is `COPY spend (...) FROM STDIN` of the
 * same rows into the same migrated, empty table, sent by psql.
 *
 *   npm run bench                          500,000 lines, batches of 25,000
 *   npm run bench -- --rows 100000 --batch 50000 --campaigns 1000
 *   BENCH_ROWS=730000 npm run bench        the docs/performance.md data set "L" size
 *   npm run bench -- --breakdown           also time each stage of one batch in-process
 *   npm run bench -- --profile             write a CPU profile of the service to the temp dir (kept)
 *   npm run bench -- --keep                keep the temp dir and its SQLite files
 *   npm run bench -- --suite import        only the 1,000,000-row CSV import through the CLI (bench/import.ts)
 *   npm run bench -- --suite import --import-rows 100000   a smaller file
 *   npm run bench -- --suite start         only `npm start` on an empty database -> /healthz (bench/start.ts)
 *   npm run bench -- --suite create        only the 100,000-campaign import and batch (bench/create.ts)
 *   npm run bench -- --suite create --create-rows 20000    fewer campaigns
 *   npm run bench -- --db postgres --suite spend            spend ingest on PostgreSQL (also attribution)
 *   npm run bench -- --suite spend --in-flight 1            the spend POSTs one after the other
 *   npm run bench -- --suite attribution --scale 0.1        data set L at a tenth (--scale takes (0, 2]: 2 is twice L,
 *                                          10M touchpoints, 2M customers, 1M conversions; BENCH_SCALE)
 *   npm run bench -- --suite attribution --db postgres --instances 2
 *                                          N service processes on one database (PostgreSQL only; BENCH_INSTANCES):
 *                                          instances 2..N start beside instance 1 after its ingest and reports,
 *                                          each timed to /readyz and its first ROI, its totals checked against
 *                                          instance 1's; the burn-under-load step is shared out among them all
 *
 * The attribution suite always restarts instance 1 (`node dist/src/server.js`, as npm start runs it) on
 * the same database and prints, against their targets: spawn -> /healthz (< 5 s), the first ROI of 2026
 * asked right after /healthz (< 3 s after it), spawn -> /readyz, and every service process's peak RSS
 * (< 1 GiB).
 *
 * The spend suite and the attribution suite's ingest keep 2 POSTs in flight (`--in-flight`, BENCH_IN_FLIGHT),
 * on either store, as a finance script with a small connection pool does:
 * the service parses and checks one batch while the database writes the
 * other. On SQLite the writes run on the service's one thread anyway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db.js';
import { SPEND_UPSERT_CHUNK, SPEND_UPSERT_SQL, spendUpsertSql } from '../src/features/spend/service.js';
import { runAttributionBench } from './attribution.js';
import { runImportBench } from './import.js';
import { runStartBench } from './start.js';
import { runCreateBench } from './create.js';
import { makeCampaigns, makeSpendRows, type BenchRow } from './data.js';
import { ask, fmtInt, fmtMiB, fmtRate, percentile, post, startServer, stopServer, table } from './harness.js';
import type { ServerStats } from './server.js';
import { copyFrom, openBenchStore, parseDbKind, writeCopyFile, type BenchDbKind, type BenchStore } from './store.js';

const TARGET_ROWS_PER_SECOND = 100_000;
const TARGET_RATIO = 0.5;

interface Options {
  rows: number;
  batch: number;
  campaigns: number;
  breakdown: boolean;
  profile: boolean;
  keep: boolean;
  suite: 'all' | 'spend' | 'attribution' | 'import' | 'start' | 'create';
  /** New campaigns of the bulk campaign benchmark (100,000). */
  createRows: number;
  /** Rows of the CSV import benchmark's file (1,000,000). */
  importRows: number;
  /** Data set L's counts times this (customers, touchpoints, conversions); 1 is docs/performance.md's L, 2 twice it. */
  scale: number;
  /** Service processes on the attribution suite's database at once (2 and more: PostgreSQL only). */
  instances: number;
  /** The store the spend and attribution suites run on. */
  db: BenchDbKind;
  /** Ingest POSTs kept in flight at once by the spend and attribution suites (2: a client with a small pool). */
  inFlight: number;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string, envName: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    const raw = i >= 0 ? argv[i + 1] : env[envName];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw.replace(/[_,]/g, ''));
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} / ${envName} must be a positive integer (got ${raw})`);
    return n;
  };
  const options: Options = {
    rows: value('rows', 'BENCH_ROWS', 500_000),
    batch: value('batch', 'BENCH_BATCH', 25_000),
    campaigns: value('campaigns', 'BENCH_CAMPAIGNS', 1_000),
    importRows: value('import-rows', 'BENCH_IMPORT_ROWS', 1_000_000),
    createRows: value('create-rows', 'BENCH_CREATE_ROWS', 100_000),
    breakdown: flag('breakdown'),
    profile: flag('profile'),
    keep: flag('keep') || flag('profile'),
    suite: ((): Options['suite'] => {
      const i = argv.indexOf('--suite');
      const suite = i >= 0 ? argv[i + 1] : (env.BENCH_SUITE ?? 'all');
      if (suite !== 'all' && suite !== 'spend' && suite !== 'attribution' && suite !== 'import' && suite !== 'start' && suite !== 'create') {
        throw new Error(`--suite must be all, spend, attribution, import, start or create (got ${suite})`);
      }
      return suite;
    })(),
    scale: (() => {
      const i = argv.indexOf('--scale');
      const raw = i >= 0 ? argv[i + 1] : (env.BENCH_SCALE ?? '1');
      const scale = Number(raw);
      if (!(scale > 0 && scale <= 2)) throw new Error(`--scale must be a number in (0, 2] (got ${raw})`);
      return scale;
    })(),
    instances: value('instances', 'BENCH_INSTANCES', 1),
    db: parseDbKind(argv, env),
    inFlight: value('in-flight', 'BENCH_IN_FLIGHT', 2),
  };
  if (options.db === 'postgres' && options.suite !== 'all' && options.suite !== 'spend' && options.suite !== 'attribution') {
    throw new Error('--db postgres runs the spend and attribution suites only (--suite spend, --suite attribution, or both by default)');
  }
  if (options.instances > 1 && options.db !== 'postgres') {
    throw new Error(`--instances ${options.instances}: several instances share one database only on PostgreSQL; add --db postgres (SQLite runs one instance)`);
  }
  if (options.instances > 1 && options.suite !== 'all' && options.suite !== 'attribution') {
    throw new Error(`--instances ${options.instances}: only the attribution suite starts more instances (--suite attribution, or all)`);
  }
  if (options.batch > 100_000) throw new Error('--batch must be at most 100,000 (the API refuses larger batches)');
  return options;
}

// ---------------------------------------------------------------- raw

/** The canonical single-row INSERT into the spend table: baseline (a). */
const RAW_INSERT_SQL =
  'insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values (?, ?, ?, ?, ?, ?, 1)';

type RawMode = 'insert' | 'upsert' | 'multi';

const RAW_LETTERS: Record<RawMode, string> = { insert: '(a)', upsert: '(b)', multi: '(c)' };
const RAW_LABELS: Record<RawMode, string> = {
  insert: '(a) raw per-line INSERT, the target baseline',
  upsert: '(b) raw per-line upsert (SPEND_UPSERT_SQL)',
  multi: `(c) raw ${SPEND_UPSERT_CHUNK}-line upserts, the service's own (ceiling)`,
};

interface RawResult {
  mode: RawMode;
  seconds: number;
  /** CPU time of the process over the same span: the rest of `seconds` is waiting on the disk (WAL checkpoints). */
  cpuSeconds: number;
  changed: number;
}

type Params = unknown[];

/**
 * better-sqlite3 alone, into a fresh migrated file, one transaction per
 * batch: `insert` and `upsert` run one prepared single-row statement per
 * line; `multi` runs the service's statements (SPEND_UPSERT_CHUNK lines per
 * upsert, the rest one by one). Parameters are ready before the clock
 * starts, so this is the cost of the writes and nothing else.
 */
function runRaw(dbPath: string, batches: BenchRow[][], mode: RawMode): RawResult {
  const handle = openDatabase(dbPath);
  const { sqlite } = handle;
  const one = sqlite.prepare(mode === 'insert' ? RAW_INSERT_SQL : SPEND_UPSERT_SQL);
  const chunk = sqlite.prepare(spendUpsertSql(SPEND_UPSERT_CHUNK));
  const toParams = ({ line, micros }: BenchRow): Params => [line.source, line.campaignId, line.date, line.reference ?? '', micros, line.currency];
  const chunkLines = mode === 'multi' ? SPEND_UPSERT_CHUNK : Infinity;
  const prepared = batches.map((batch) => {
    const chunks: Params[] = [];
    let i = 0;
    for (; i + chunkLines <= batch.length; i += chunkLines) chunks.push(batch.slice(i, i + chunkLines).flatMap(toParams));
    return { chunks, singles: batch.slice(i).map(toParams) };
  });
  let changed = 0;
  const writeBatch = sqlite.transaction(({ chunks, singles }: (typeof prepared)[number]) => {
    for (const params of chunks) changed += chunk.run(params).changes;
    for (const params of singles) changed += one.run(params).changes;
  });
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  for (const batch of prepared) writeBatch(batch);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  handle.close();
  return { mode, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, changed };
}

// ---------------------------------------------------------------- http

interface HttpResult {
  seconds: number;
  inserted: number;
  updated: number;
  unchanged: number;
  latenciesMs: number[];
  resend: { ms: number; unchanged: number } | null;
  /** The first batch again with every amount one cent more: every line restated. */
  restate: { ms: number; updated: number } | null;
  /** CPU time the service used while the spend was posted. */
  cpuSeconds: number;
  memory: ServerStats;
}

async function runHttp(
  dbPath: string,
  bodies: Buffer[],
  restated: Buffer | null,
  campaignBodies: Buffer[],
  profileDir: string | null,
  inFlight: number,
): Promise<HttpResult> {
  const { child, port } = await startServer(dbPath, profileDir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  try {
    for (const body of campaignBodies) {
      const answer = await post(agent, port, '/v1/campaigns', body);
      if (answer.status !== 200) throw new Error(`POST /v1/campaigns answered ${answer.status}: ${answer.body.slice(0, 500)}`);
    }
    const totals = { inserted: 0, updated: 0, unchanged: 0 };
    const latenciesMs: number[] = [];
    const before = await ask<ServerStats>(child, 'stats');
    const started = process.hrtime.bigint();
    // `inFlight` senders take the next body as each answer comes back.
    let next = 0;
    const sender = async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const sent = process.hrtime.bigint();
        const answer = await post(agent, port, '/v1/spend', body);
        latenciesMs.push(Number(process.hrtime.bigint() - sent) / 1e6);
        if (answer.status !== 200) throw new Error(`POST /v1/spend answered ${answer.status}: ${answer.body.slice(0, 500)}`);
        const counts = JSON.parse(answer.body) as typeof totals;
        totals.inserted += counts.inserted;
        totals.updated += counts.updated;
        totals.unchanged += counts.unchanged;
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, bodies.length) }, sender));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = await ask<ServerStats>(child, 'stats');

    // Re-sending a file must change nothing (natural keys): post the first batch again.
    let resend: HttpResult['resend'] = null;
    if (bodies.length > 0) {
      const sent = process.hrtime.bigint();
      const answer = await post(agent, port, '/v1/spend', bodies[0]!);
      const ms = Number(process.hrtime.bigint() - sent) / 1e6;
      if (answer.status !== 200) throw new Error(`re-sent POST /v1/spend answered ${answer.status}: ${answer.body.slice(0, 500)}`);
      resend = { ms, unchanged: (JSON.parse(answer.body) as typeof totals).unchanged };
    }
    // Restating a batch (a platform's corrected export): an update and an audit event a line.
    let restate: HttpResult['restate'] = null;
    if (restated) {
      const sent = process.hrtime.bigint();
      const answer = await post(agent, port, '/v1/spend', restated);
      const ms = Number(process.hrtime.bigint() - sent) / 1e6;
      if (answer.status !== 200) throw new Error(`restated POST /v1/spend answered ${answer.status}: ${answer.body.slice(0, 500)}`);
      restate = { ms, updated: (JSON.parse(answer.body) as typeof totals).updated };
    }
    const memory = await ask<ServerStats>(child, 'stats');
    return { seconds, ...totals, latenciesMs, resend, restate, cpuSeconds: (after.cpuMicros - before.cpuMicros) / 1e6, memory };
  } finally {
    agent.destroy();
    await stopServer(child);
  }
}

// ---------------------------------------------------------------- checks and report

interface DbTotals {
  count: bigint;
  sum: bigint;
}

async function dbTotals(store: BenchStore, target: string): Promise<DbTotals> {
  return {
    count: await store.value(target, 'select count(*) from spend'),
    sum: await store.value(target, 'select coalesce(sum(amount_micros), 0) from spend'),
  };
}

/** Micros as a decimal string ("12.345678"): what a restated line sends. */
const microsText = (micros: bigint) => `${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, '0')}`;

/** The raw anchor on PostgreSQL: COPY of the same rows into a fresh migrated database, one transaction. */
const COPY_LABEL = 'raw COPY spend FROM STDIN (psql), the target baseline';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const dir = mkdtempSync(join(tmpdir(), 'spendbook-bench-'));
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const store = await openBenchStore(options.db, dir);
  try {
    // Other processes on the machine slow every figure below, and not all equally: say how busy it was.
    out(`node ${process.version}, ${availableParallelism()} CPUs (1-minute load average ${loadavg()[0]!.toFixed(2)}), temp dir ${dir}`);
    out(`store: ${store.where}\n`);
    let ok = true;
    const sqliteOnly = options.db === 'sqlite';
    // First, while the machine is as quiet as this run leaves it.
    if ((options.suite === 'all' && sqliteOnly) || options.suite === 'start') {
      ok = (await runStartBench(dir, { runs: 5 }, out)) && ok;
      if (options.suite === 'all') out('\n');
    }
    if (options.suite === 'all' || options.suite === 'spend') ok = (await spendSuite(options, dir, store, out)) && ok;
    if ((options.suite === 'all' && sqliteOnly) || options.suite === 'import') {
      if (options.suite === 'all') out('\n');
      ok = (await runImportBench(dir, { rows: options.importRows, campaigns: 1_000, batchRows: 50_000 }, out)) && ok;
    }
    if ((options.suite === 'all' && sqliteOnly) || options.suite === 'create') {
      if (options.suite === 'all') out('\n');
      ok = (await runCreateBench(dir, options.createRows, out)) && ok;
    }
    if (options.suite === 'all' || options.suite === 'attribution') {
      if (options.suite === 'all') out('\n');
      ok = (await runAttributionBench(dir, store, { scale: options.scale, instances: options.instances, inFlight: options.inFlight, batch: options.batch, profileDir: options.profile ? dir : null }, out)) && ok;
      out(`\n(1-minute load average at the end ${loadavg()[0]!.toFixed(2)})`);
    }
    if (options.profile) out(`\nCPU profiles of the service (open in Chrome DevTools): ${dir}/*.cpuprofile`);
    if (!ok) process.exitCode = 1;
  } finally {
    await store.close();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** A raw anchor's figures, whichever store: the three better-sqlite3 ways, or PostgreSQL's COPY. */
interface Anchor {
  label: string;
  letter: string;
  /** The one the ratio target is judged against. */
  target: boolean;
  seconds: number;
  /** The writer's CPU time, when it is this process (not psql's). */
  cpuSeconds: number | null;
  /** Where it wrote, checked afterwards. */
  where: string;
  /** Rows it says it wrote. */
  changed: number;
}

/** The spend ingest suite; true when every correctness check passed. */
async function spendSuite(options: Options, dir: string, store: BenchStore, out: (text: string) => void): Promise<boolean> {
  {
    out(
      `Spendbook ingest benchmark (${store.kind}): ${fmtInt(options.rows)} spend lines, ${fmtInt(options.campaigns)} campaigns, batches of ${fmtInt(options.batch)}, ` +
        `${options.inFlight === 1 ? 'one POST at a time' : `${options.inFlight} POSTs in flight`}`,
    );

    const campaigns = makeCampaigns(options.campaigns);
    const rows = makeSpendRows(options.rows, options.campaigns);
    const batches: BenchRow[][] = [];
    for (let i = 0; i < rows.length; i += options.batch) batches.push(rows.slice(i, i + options.batch));
    const bodies = batches.map((batch) => Buffer.from(JSON.stringify({ items: batch.map((row) => row.line) })));
    const campaignBodies: Buffer[] = [];
    for (let i = 0; i < campaigns.length; i += 10_000) campaignBodies.push(Buffer.from(JSON.stringify({ items: campaigns.slice(i, i + 10_000) })));
    // Batch 0 restated: every amount one cent (10,000 micros) more.
    const restated = batches.length
      ? Buffer.from(JSON.stringify({ items: batches[0]!.map(({ line, micros }) => ({ ...line, amount: microsText(micros + 10_000n) })) }))
      : null;
    const expectedSum = rows.reduce((sum, row) => sum + row.micros, 0n);
    const expectedAfterRestate = expectedSum + 10_000n * BigInt(batches[0]?.length ?? 0);
    const bodyBytes = bodies.reduce((sum, body) => sum + body.length, 0);
    out(`generated: ${fmtInt(bodies.length)} POST bodies, ${fmtMiB(bodyBytes)} of JSON (${(bodyBytes / rows.length).toFixed(0)} bytes a line)`);

    if (options.breakdown && store.kind === 'sqlite') {
      out('\nwhere a batch’s time goes, in-process:');
      const { runBreakdown } = await import('./breakdown.js');
      out(await runBreakdown(dir, campaigns, batches.slice(0, 4)));
    }

    const anchors: Anchor[] = [];
    out('');
    if (store.kind === 'sqlite') {
      for (const mode of ['insert', 'upsert', 'multi'] as const) {
        out(`${RAW_LABELS[mode]} ...`);
        const path = await store.fresh(`raw-${mode}`);
        const raw = runRaw(path, batches, mode);
        anchors.push({ label: RAW_LABELS[mode], letter: RAW_LETTERS[mode], target: mode === 'insert', seconds: raw.seconds, cpuSeconds: raw.cpuSeconds, where: path, changed: raw.changed });
      }
    } else {
      out(`${COPY_LABEL} ...`);
      const url = await store.fresh('raw_copy', { migrated: true });
      const file = join(dir, 'spend.copy');
      const toRow = ({ line, micros }: BenchRow) => [line.source, line.campaignId, line.date, line.reference ?? '', micros, line.currency, 1];
      writeCopyFile(file, batches.map((batch) => batch.map(toRow)));
      const copied = await copyFrom(url, 'spend', ['source', 'campaign_id', 'date', 'reference', 'amount_micros', 'currency', 'version'], file);
      rmSync(file);
      anchors.push({ label: COPY_LABEL, letter: 'COPY', target: true, seconds: copied.seconds, cpuSeconds: null, where: url, changed: copied.rows });
    }
    out(`http ingest through the service on 127.0.0.1 ...`);
    const httpTarget = await store.fresh('http');
    const result = await runHttp(httpTarget, bodies, restated, campaignBodies, options.profile ? dir : null, options.inFlight);

    const httpRate = rows.length / result.seconds;
    const baseline = anchors.find((anchor) => anchor.target)!;
    const ratio = httpRate / (rows.length / baseline.seconds);
    const sorted = [...result.latenciesMs].sort((a, b) => a - b);
    const rawRows = anchors.flatMap((anchor): [string, string][] => {
      const rate = rows.length / anchor.seconds;
      const target = anchor.target ? ` (target >= ${TARGET_RATIO})` : ' (for information)';
      return [
        [anchor.label, `${fmtRate(rows.length, anchor.seconds)} rows/s (${anchor.seconds.toFixed(2)} s)`],
        ...(anchor.cpuSeconds === null
          ? []
          : [['  of which CPU (rest: disk, WAL checkpoints)', `${anchor.cpuSeconds.toFixed(2)} s = ${fmtRate(rows.length, anchor.cpuSeconds)} rows/s`] as [string, string]]),
        [`  ratio HTTP / ${anchor.letter}${target}`, (httpRate / rate).toFixed(2)],
        ['  service time per line above it', `${(1e6 / httpRate - 1e6 / rate).toFixed(1)} µs`],
      ];
    });
    out('');
    out(
      table([
        ['spend lines (N)', fmtInt(rows.length)],
        ['batch size (lines per POST)', `${fmtInt(options.batch)} (${bodies.length} POSTs, ${options.inFlight} in flight)`],
        ['HTTP ingest, POST /v1/spend', `${fmtRate(rows.length, result.seconds)} rows/s (${result.seconds.toFixed(2)} s)`],
        ['  time per line', `${(1e6 / httpRate).toFixed(1)} µs`],
        ['  service CPU meanwhile (one thread)', `${result.cpuSeconds.toFixed(2)} s = ${((100 * result.cpuSeconds) / result.seconds).toFixed(0)}% of a core`],
        ...rawRows,
        ['POST latency min / p50 / max', `${sorted[0]!.toFixed(0)} / ${percentile(sorted, 0.5).toFixed(0)} / ${sorted.at(-1)!.toFixed(0)} ms`],
        ...(result.resend ? [['batch 0 re-sent as it was (no change)', `${fmtInt(Math.round(result.resend.ms))} ms`] as [string, string]] : []),
        ...(result.restate
          ? [['batch 0 restated (every line updated, audited)', `${fmtInt(Math.round(result.restate.ms))} ms = ${fmtRate(batches[0]!.length, result.restate.ms / 1000)} lines/s`] as [string, string]]
          : []),
        ['service peak RSS (maxRSS)', fmtMiB(result.memory.maxRssBytes)],
        ['service peak heap used (sampled)', fmtMiB(result.memory.peakHeapUsedBytes)],
        ['service peak heap+external (sampled)', fmtMiB(result.memory.peakHeapTotalBytes)],
        ['bench harness peak RSS', fmtMiB(process.resourceUsage().maxRSS * 1024)],
      ]),
    );

    const rateOk = httpRate >= TARGET_ROWS_PER_SECOND;
    const ratioOk = ratio >= TARGET_RATIO;
    const memoryOk = result.memory.maxRssBytes < 1024 ** 3;
    out(
      `\ntargets: HTTP >= ${fmtInt(TARGET_ROWS_PER_SECOND)} rows/s: ${rateOk ? 'met' : 'MISSED'}; ` +
        `HTTP >= ${TARGET_RATIO} x ${store.kind === 'sqlite' ? '(a) raw per-line INSERT' : 'raw COPY'}: ${ratioOk ? 'met' : 'MISSED'} (${ratio.toFixed(2)}); ` +
        `peak RSS < 1 GiB: ${memoryOk ? 'met' : 'MISSED'}`,
    );
    const ceiling = anchors.find((anchor) => anchor.letter === RAW_LETTERS.multi);
    if (ceiling && !rateOk && rows.length / ceiling.seconds < TARGET_ROWS_PER_SECOND) {
      out(
        `  the writes alone (raw (c): no HTTP, no parsing, no checks) run at ${fmtRate(rows.length, ceiling.seconds)} rows/s on this machine;\n` +
          '  the service makes the same writes with the same statements on one thread, so it cannot be faster than that',
      );
    }

    const httpDb = await dbTotals(store, httpTarget);
    const spendAudits = Number(await store.value(httpTarget, `select count(*) from audit_events where entity = 'spend' and action = 'update'`));
    const restatedSum = result.restate ? expectedAfterRestate : expectedSum;
    const checks: [string, boolean][] = [
      [`HTTP db rows ${fmtInt(httpDb.count)} = lines sent ${fmtInt(rows.length)}`, httpDb.count === BigInt(rows.length)],
      [`HTTP db SUM(amount_micros) ${httpDb.sum} = bigint sum sent ${restatedSum}${result.restate ? ' (batch 0 restated)' : ''}`, httpDb.sum === restatedSum],
      [`answers counted inserted ${fmtInt(result.inserted)}, updated ${result.updated}, unchanged ${result.unchanged}`, result.inserted === rows.length && result.updated === 0 && result.unchanged === 0],
    ];
    for (const anchor of anchors) {
      const rawDb = await dbTotals(store, anchor.where);
      checks.push([
        `raw ${anchor.letter} db rows ${fmtInt(rawDb.count)}, SUM ${rawDb.sum}, changed ${fmtInt(anchor.changed)}`,
        rawDb.count === BigInt(rows.length) && rawDb.sum === expectedSum && anchor.changed === rows.length,
      ]);
    }
    if (result.resend) {
      checks.push([
        `re-sent batch 0 in ${result.resend.ms.toFixed(0)} ms: ${fmtInt(result.resend.unchanged)} of ${fmtInt(batches[0]!.length)} unchanged, table unchanged`,
        result.resend.unchanged === batches[0]!.length,
      ]);
    }
    if (result.restate) {
      checks.push([
        `restated batch 0 in ${result.restate.ms.toFixed(0)} ms: ${fmtInt(result.restate.updated)} of ${fmtInt(batches[0]!.length)} updated, ${fmtInt(spendAudits)} spend update audit events`,
        result.restate.updated === batches[0]!.length && spendAudits === batches[0]!.length,
      ]);
    }
    out('\ncorrectness:');
    for (const [text, ok] of checks) out(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
    return checks.every(([, ok]) => ok);
  }
}

await main();
