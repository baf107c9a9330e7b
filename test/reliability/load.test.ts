/**
 * Concurrent writers and readers against the real service (bench/server.ts,
 * the real composition root, in a child process on 127.0.0.1, over a SQLite
 * file or a PostgreSQL database), driven by three autocannon instances at
 * once:
 *
 * - writers (an `ops` key) POST /v1/spend batches of 100 lines dated in the
 *   report's month, every line with a natural key of its own, so every
 *   batch is all inserts;
 * - burn readers (a `viewer` key) GET /v1/reports/burn for the month, over
 *   1,000 campaigns with plans and a month of daily spend;
 * - ROI readers GET /v1/reports/roi for the quarter (linear model).
 *
 * Correctness, which fails the test: no connection error, no timeout, no
 * non-2xx answer; every write answers {inserted: 100}; afterwards the burn
 * report's `actual` total and the ROI report's `spend` total equal, to the
 * cent (compared as bigint cents), the seeded spend plus the amounts of the
 * batches the writers saw acknowledged, the ROI revenue total equals the
 * seeded revenue, and the store holds exactly the seeded plus the
 * acknowledged spend rows. While writes run, every report must show whole
 * batches only: each writer batch sums to exactly BATCH_CENTS, so the
 * report's spend minus the seeded spend is a multiple of it; and at least
 * every batch whose acknowledgement the client had read before it sent the
 * report's request.
 *
 * Speed, which is printed and never fails the test (the machine is shared):
 * p50/p99 latency and throughput of writers and of each reader kind, over
 * the window in which all three run ([mixed]), then of the readers alone
 * for a few seconds ([reads only]: the report cache is not emptied by
 * writes), and docs/performance.md's target for the burn report, p99 under 50 ms
 * under concurrent load, marked met or MISSED for both.
 *
 * The writers run in rounds of a fixed number of requests (autocannon's
 * `amount`), each sized from the rate so far to fill about LOAD_SECONDS
 * seconds, so that every write sent is answered before the phase ends and
 * the client knows exactly what it wrote. A short warm-up phase comes first.
 * Latencies are measured by the client (autocannon in this process), so
 * they include its own queueing on a 2-core machine shared with the
 * service. LOAD_SECONDS, LOAD_WRITERS, LOAD_BURN_READERS, LOAD_ROI_READERS
 * override the defaults; LOAD_PROFILE_DIR=DIR writes a CPU profile of the service there.
 */
import http from 'node:http';
import { cpus } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { afterAll, describe, expect, it } from 'vitest';
import { fmtInt, killServer, percentile, send, startServer, stopServer, table, WORKER_CHILD } from '../../bench/harness.js';
import { mulberry32 } from '../../fixtures/prng.js';
import { testStore, type TestStore } from './store.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const WRITERS = Number(process.env.LOAD_WRITERS ?? 2);
const BURN_READERS = Number(process.env.LOAD_BURN_READERS ?? 4);
const ROI_READERS = Number(process.env.LOAD_ROI_READERS ?? 2);
const READ_ONLY_SECONDS = 5;
const WARMUP_SECONDS = 3;
const SEED = 20260301;
const CAMPAIGNS = 1_000;
const LINES_PER_WRITE = 100;
/** Every writer batch's lines add up to exactly this many cents (10,000.00). */
const BATCH_CENTS = 1_000_000n;
/** docs/performance.md: burn report for a month of 1,000 campaigns, p99 under 50 ms under concurrent load. */
const BURN_P99_TARGET_MS = 50;
const MONTH = '2026-03';
const BURN_PATH = `/v1/reports/burn?month=${MONTH}&asOf=${MONTH}-31`;
const ROI_PATH = '/v1/reports/roi?from=2026-01-01&to=2026-03-31&model=linear';


const campaignId = (i: number) => `load-${String(i).padStart(4, '0')}`;
const day = (d: number) => String(d).padStart(2, '0');

function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** `1234.50` as 123450n; only amounts printed with two decimals (USD). */
function centsOf(amount: string): bigint {
  if (!/^-?\d+\.\d{2}$/.test(amount)) throw new Error(`not a USD amount: ${amount}`);
  return BigInt(amount.replace('.', ''));
}

/** A report's totals row is last in its JSON: read one amount of it without parsing the whole body. */
function totalOf(body: string, field: string): bigint | null {
  const at = body.lastIndexOf('"totals":');
  if (at < 0) return null;
  const match = new RegExp(`"${field}":"(-?\\d+\\.\\d{2})"`).exec(body.slice(at));
  return match ? centsOf(match[1]!) : null;
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: sorted.length ? percentile(sorted, 0.5) : NaN, p99: sorted.length ? percentile(sorted, 0.99) : NaN };
};

describe('load: concurrent writers and report readers', () => {
  let store: TestStore | null = null;
  let child: ChildProcess | null = null;

  afterAll(async () => {
    if (child) await killServer(child);
    await store?.settled();
    await store?.remove();
  });

  it('serves writers and readers with no error, and the reports add up exactly to what was acknowledged', { timeout: 300_000 }, async () => {
    const random = mulberry32(SEED);
    const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
    store = await testStore('load');
    const started = await startServer(store.target, process.env.LOAD_PROFILE_DIR ?? null, WORKER_CHILD);
    child = started.child;
    const port = started.port;
    const agent = new http.Agent({ keepAlive: true });
    const call = async (method: string, path: string, body?: unknown, expected = 200) => {
      const answer = await send(agent, port, method, path, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
      if (answer.status !== expected) throw new Error(`${method} ${path} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
      return JSON.parse(answer.body) as Record<string, unknown>;
    };

    // Seed: 1,000 campaigns with a plan for the month, daily spend for February and March,
    // and touchpoints and conversions so that the ROI report attributes something.
    const setupBegan = Date.now();
    const opsKey = (await call('POST', '/v1/api-keys', { name: 'load writers', role: 'ops' }, 201)).key as string;
    const viewerKey = (await call('POST', '/v1/api-keys', { name: 'load readers', role: 'viewer' }, 201)).key as string;
    const channels = ['paid_search', 'paid_social', 'display', 'video', 'email'];
    await call('POST', '/v1/campaigns', {
      items: Array.from({ length: CAMPAIGNS }, (_, i) => ({ id: campaignId(i), name: `Load ${i}`, channel: channels[i % channels.length], startDate: '2026-01-01' })),
    });
    let plannedCents = 0n;
    const plans = Array.from({ length: CAMPAIGNS }, (_, i) => {
      const cents = between(1_000_000, 50_000_000);
      plannedCents += BigInt(cents);
      return { campaignId: campaignId(i), month: MONTH, amount: formatCents(BigInt(cents)), currency: 'USD' };
    });
    await call('PUT', '/v1/plans', { items: plans });
    let seededMarchCents = 0n;
    let seededFebruaryCents = 0n;
    let seededSpendRows = 0;
    for (const [month, days] of [['2026-02', 28], [MONTH, 31]] as const) {
      const items = [];
      for (let d = 1; d <= days; d++) {
        for (let c = 0; c < CAMPAIGNS; c++) {
          const cents = between(100, 200_000);
          if (month === MONTH) seededMarchCents += BigInt(cents);
          else seededFebruaryCents += BigInt(cents);
          items.push({ campaignId: campaignId(c), date: `${month}-${day(d)}`, amount: formatCents(BigInt(cents)), currency: 'USD', source: 'google_ads' });
        }
      }
      const answer = await call('POST', '/v1/spend', { items });
      expect(answer.inserted).toBe(items.length);
      seededSpendRows += items.length;
    }
    const touchpoints = Array.from({ length: 30_000 }, (_, i) => ({
      id: `tp-${i}`,
      customerId: `cust-${i % 10_000}`,
      campaignId: campaignId(between(0, CAMPAIGNS - 1)),
      occurredAt: `2026-0${between(1, 3)}-${day(between(1, 28))}T${day(between(0, 23))}:${day(between(0, 59))}:00Z`,
    }));
    await call('POST', '/v1/touchpoints', { items: touchpoints });
    let revenueCents = 0n;
    const conversions = Array.from({ length: 3_000 }, (_, i) => {
      const cents = between(1_000, 500_000);
      revenueCents += BigInt(cents);
      return { id: `conv-${i}`, customerId: `cust-${(i * 7) % 10_000}`, occurredAt: `2026-03-${day(between(1, 31))}T12:00:00Z`, amount: formatCents(BigInt(cents)), currency: 'USD' };
    });
    await call('POST', '/v1/revenue', { items: conversions });
    const setupMs = Date.now() - setupBegan;

    // The run: writers, burn readers and ROI readers at once.
    const problems: string[] = [];
    const problem = (message: string) => {
      if (problems.length < 20) console.log(`PROBLEM: ${message}`);
      problems.push(message);
    };
    let writeSeq = 0;
    let acknowledgedWrites = 0;
    let acknowledgedCents = 0n;
    let insertedLines = 0;
    const seededSpendCents = seededMarchCents + seededFebruaryCents;

    interface ReadContext {
      acknowledged?: number;
    }

    interface WriteContext {
      cents?: bigint;
      tag?: string;
    }

    /** A writer's next body: 100 lines of its own natural keys, adding up to BATCH_CENTS. */
    function writeBody(context: WriteContext): string {
      const tag = `w${writeSeq++}`;
      const lines: string[] = new Array(LINES_PER_WRITE);
      let cents = 0n;
      for (let i = 0; i < LINES_PER_WRITE; i++) {
        const amount = i < LINES_PER_WRITE - 1 ? BigInt(between(1, 10_000)) : BATCH_CENTS - cents;
        cents += amount;
        lines[i] =
          `{"campaignId":"${campaignId(between(0, CAMPAIGNS - 1))}","date":"${MONTH}-${day(between(1, 31))}",` +
          `"amount":"${formatCents(amount)}","currency":"USD","source":"manual","reference":"${tag}-${i}"}`;
      }
      context.cents = cents;
      context.tag = tag;
      return `{"items":[${lines.join(',')}]}`;
    }

    /** Reports, read while writes run, show whole batches only, never more than were sent nor fewer than were acknowledged before the request. */
    function checkReportTotal(kind: string, status: number, body: string, field: string, seeded: bigint, acknowledgedBefore: number) {
      if (status !== 200) return problem(`${kind} answered ${status}: ${body.slice(0, 300)}`);
      const cents = totalOf(body, field);
      if (cents === null) return problem(`${kind}: no totals.${field} in the answer`);
      const written = cents - seeded;
      if (written < 0n || written % BATCH_CENTS !== 0n) {
        problem(`${kind}: totals.${field} ${formatCents(cents)} is not the seeded ${formatCents(seeded)} plus whole batches of ${formatCents(BATCH_CENTS)}`);
      } else if (written / BATCH_CENTS > BigInt(writeSeq)) {
        problem(`${kind}: totals.${field} ${formatCents(cents)} counts more batches than were sent (${writeSeq})`);
      } else if (written / BATCH_CENTS < BigInt(acknowledgedBefore)) {
        problem(`${kind}: totals.${field} ${formatCents(cents)} misses batches acknowledged before it was asked (${acknowledgedBefore})`);
      }
    }

    type Load = 'write' | 'burn' | 'roi';
    interface Phase {
      /** autocannon's results: one per writer round, one per reader kind. */
      results: Partial<Record<Load, autocannon.Result[]>>;
      /** Milliseconds per answer, counted while the phase's load ran (with writers: until the last write was answered). */
      latencies: Record<Load, number[]>;
      seconds: number;
      writes: number;
    }

    /**
     * One phase. With writers: burn and ROI readers run while writers write
     * for about `seconds`, then the readers stop. The writers run in rounds
     * of a fixed number of requests (autocannon's `amount`), each sized from
     * the rate so far to fill the time left, so that every write sent is
     * answered and the client knows exactly what it wrote. Without writers:
     * the readers alone for `seconds`.
     */
    function runPhase(withWriters: boolean, seconds: number): Promise<Phase> {
      return new Promise((resolve, reject) => {
        const url = `http://127.0.0.1:${port}`;
        const phase: Phase = { results: { write: [], burn: [], roi: [] }, latencies: { write: [], burn: [], roi: [] }, seconds, writes: 0 };
        let pending = 0;
        const settle = (kind: Load) => {
          pending++;
          return (error: unknown, result: autocannon.Result) => {
            if (error) return reject(error);
            phase.results[kind]!.push(result);
            if (--pending === 0) resolve(phase);
          };
        };
        const began = performance.now();
        let measuring = true;
        const record = (kind: Load, ms: number) => {
          if (measuring) phase.latencies[kind].push(ms);
        };
        const readers = (kind: 'burn' | 'roi', path: string, connections: number, field: string, seeded: bigint) => {
          const instance = autocannon(
            {
              url,
              connections,
              duration: withWriters ? 600 : seconds,
              timeout: 60,
              headers: { authorization: `Bearer ${viewerKey}` },
              requests: [
                {
                  method: 'GET',
                  path,
                  // The batches acknowledged when the request is made: the answer must count them all.
                  setupRequest: (request, context) => ((context as ReadContext).acknowledged = acknowledgedWrites, request),
                  onResponse: (status, body, context) => checkReportTotal(kind, status, body, field, seeded, (context as ReadContext).acknowledged ?? 0),
                },
              ],
            },
            settle(kind),
          );
          instance.on('response', (_client, _status, _bytes, ms) => record(kind, ms));
          instance.on('reqError', (error: unknown) => problem(`${kind} request error: ${String(error)}`));
          return instance;
        };
        const burn = readers('burn', BURN_PATH, BURN_READERS, 'actual', seededMarchCents);
        const roi = readers('roi', ROI_PATH, ROI_READERS, 'spend', seededSpendCents);
        if (!withWriters) return;

        const deadline = began + seconds * 1000;
        const endWrites = (now: number) => {
          measuring = false;
          phase.seconds = (now - began) / 1000;
          burn.stop();
          roi.stop();
        };
        const writeRound = (amount: number) => {
          const writers = autocannon(
            {
              url,
              connections: WRITERS,
              amount,
              timeout: 60,
              headers: { authorization: `Bearer ${opsKey}`, 'content-type': 'application/json' },
              requests: [
                {
                  method: 'POST',
                  path: '/v1/spend',
                  setupRequest: (request, context) => ({ ...request, body: writeBody(context as WriteContext) }),
                  onResponse: (status, body, context) => {
                    const { cents, tag } = context as WriteContext;
                    if (status !== 200) return problem(`write ${tag} answered ${status}: ${body.slice(0, 300)}`);
                    const counts = JSON.parse(body) as { inserted: number; updated: number; unchanged: number };
                    if (counts.inserted !== LINES_PER_WRITE || counts.updated !== 0 || counts.unchanged !== 0) problem(`write ${tag} answered ${body}`);
                    acknowledgedWrites++;
                    acknowledgedCents += cents!;
                    insertedLines += counts.inserted;
                  },
                },
              ],
            },
            settle('write'),
          );
          let answered = 0;
          writers.on('response', (_client, _status, _bytes, ms) => {
            record('write', ms);
            phase.writes++;
            if (++answered < amount) return;
            // The round is over (autocannon reports it at its next tick): start the next at once, or end the phase.
            const now = performance.now();
            const left = deadline - now;
            if (left > 1_000) {
              const rate = phase.writes / (now - began);
              writeRound(Math.max(WRITERS, Math.round((rate * left) / WRITERS) * WRITERS));
            } else {
              endWrites(now);
            }
          });
          writers.on('reqError', (error: unknown) => problem(`write request error: ${String(error)}`));
          // A round that ends short (a lost connection) would never reach its amount: end the phase rather than hang.
          writers.on('done', () => {
            if (answered < amount && measuring) {
              problem(`a writers round ended with ${answered} of ${amount} writes answered`);
              endWrites(performance.now());
            }
          });
        };
        writeRound(2 * WRITERS);
      });
    }

    // A short warm-up under the same load (the service's code gets optimised), then the measured phases.
    const warmup = await runPhase(true, WARMUP_SECONDS);
    const mixed = await runPhase(true, SECONDS);
    // The same readers with no writer: what the report cache gives while the data stand still.
    const readOnly = await runPhase(false, READ_ONLY_SECONDS);

    // Afterwards: the reports and the file against what the writers acknowledged.
    const expectedMarch = seededMarchCents + acknowledgedCents;
    const expectedSpend = seededSpendCents + acknowledgedCents;
    const burn = (await call('GET', BURN_PATH)) as { totals: { actual: string; planned: string }; rows: { actual: string }[] };
    const roi = (await call('GET', ROI_PATH)) as { totals: { spend: string; revenue: string } };
    const rowsActual = burn.rows.reduce((sum, row) => sum + centsOf(row.actual), 0n);
    await stopServer(child);
    child = null;
    agent.destroy();
    const db = await store.reader();
    // The sum cast back to bigint: PostgreSQL sums bigints as numeric.
    const stored = (await db.all<{ rows: bigint; micros: bigint }>('select count(*) as rows, cast(sum(amount_micros) as bigint) as micros from spend'))[0]!;
    await db.close();

    const label: Record<Load, string> = {
      write: `writers: POST /v1/spend, ${LINES_PER_WRITE} lines`,
      burn: 'burn readers: 1,000 campaigns, month',
      roi: 'ROI readers: quarter, linear',
    };
    const connections: Record<Load, number> = { write: WRITERS, burn: BURN_READERS, roi: ROI_READERS };
    const line = (name: string, phase: Phase, kind: Load) => {
      const results = phase.results[kind]!;
      const sum = (field: 'errors' | 'timeouts' | 'non2xx') => results.reduce((total, result) => total + result[field], 0);
      const { count, p50, p99 } = summary(phase.latencies[kind]);
      return [
        `${name} ${label[kind]}`,
        String(connections[kind]),
        fmtInt(count),
        `${(count / phase.seconds).toFixed(1)}/s`,
        `${p50.toFixed(1)} ms`,
        `${p99.toFixed(1)} ms`,
        `${sum('errors')}/${sum('timeouts')}/${sum('non2xx')}`,
      ];
    };
    const rows = [
      ['', 'conns', 'answered', 'throughput', 'p50', 'p99', 'err/timeout/non-2xx'],
      line('[mixed]', mixed, 'write'),
      line('[mixed]', mixed, 'burn'),
      line('[mixed]', mixed, 'roi'),
      line('[reads only]', readOnly, 'burn'),
      line('[reads only]', readOnly, 'roi'),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    const burnP99 = summary(mixed.latencies.burn).p99;
    const burnP99ReadOnly = summary(readOnly.latencies.burn).p99;
    const verdict = (p99: number) => (p99 < BURN_P99_TARGET_MS ? 'met' : 'MISSED');
    console.log(
      `\nLoad test (${store.dialect}) on ${cpus().length} cores: [mixed] ${mixed.seconds.toFixed(1)} s of writers and readers at once` +
        ` (after a warm-up of ${warmup.seconds.toFixed(1)} s, ${warmup.writes} writes), then [reads only] ${READ_ONLY_SECONDS} s of the readers alone; setup ${setupMs} ms\n` +
        rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n') +
        `\nspend lines written in [mixed]: ${fmtInt(mixed.writes * LINES_PER_WRITE)} (${((mixed.writes * LINES_PER_WRITE) / mixed.seconds).toFixed(0)} lines/s); ` +
        `writes acknowledged in all: ${fmtInt(acknowledgedWrites)}, ${fmtInt(insertedLines)} lines\n` +
        `burn report p99 (target < ${BURN_P99_TARGET_MS} ms under concurrent load): ` +
        `with writers ${burnP99.toFixed(1)} ms: ${verdict(burnP99)}; readers only ${burnP99ReadOnly.toFixed(1)} ms: ${verdict(burnP99ReadOnly)}\n` +
        table([
          ['burn actual total', burn.totals.actual],
          ['  expected: seeded March + acknowledged', formatCents(expectedMarch)],
          ['ROI spend total', roi.totals.spend],
          ['  expected: seeded Feb + March + acknowledged', formatCents(expectedSpend)],
          ['ROI revenue total / seeded', `${roi.totals.revenue} / ${formatCents(revenueCents)}`],
          ['spend rows stored / seeded + acknowledged', `${fmtInt(stored.rows)} / ${fmtInt(seededSpendRows + insertedLines)}`],
          ['report answers showing part of a batch', fmtInt(problems.filter((p) => p.includes('whole batches')).length)],
          ['report answers missing an acknowledged batch', fmtInt(problems.filter((p) => p.includes('acknowledged before')).length)],
        ]),
    );

    expect(problems).toEqual([]);
    for (const result of [warmup, mixed, readOnly].flatMap((phase) => Object.values(phase.results).flat())) {
      expect(result.errors, `${result.url}: connection errors`).toBe(0);
      expect(result.timeouts).toBe(0);
      expect(result.non2xx).toBe(0);
    }
    expect(acknowledgedWrites).toBe(warmup.writes + mixed.writes);
    expect(writeSeq, 'every write sent was answered').toBe(acknowledgedWrites);
    expect(insertedLines).toBe(acknowledgedWrites * LINES_PER_WRITE);
    expect(acknowledgedCents).toBe(BigInt(acknowledgedWrites) * BATCH_CENTS);
    expect(burn.totals.actual).toBe(formatCents(expectedMarch));
    expect(formatCents(rowsActual)).toBe(burn.totals.actual);
    expect(burn.totals.planned).toBe(formatCents(plannedCents));
    expect(roi.totals.spend).toBe(formatCents(expectedSpend));
    expect(roi.totals.revenue).toBe(formatCents(revenueCents));
    expect(stored.rows).toBe(BigInt(seededSpendRows + insertedLines));
    expect(stored.micros).toBe(expectedSpend * 10_000n);
  });
});
