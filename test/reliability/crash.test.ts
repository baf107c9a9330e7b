/**
 * Crash safety, proven on the real service: a child process (bench/server.ts,
 * the real composition root) over a SQLite file in a temp dir (or a
 * PostgreSQL database of its own), killed with SIGKILL in the middle of large
 * spend and touchpoint batch ingests, again and again. docs/api.md's promises under test: a batch is one transaction (a
 * crash leaves all of it or none), committed data survives kill -9, and
 * natural keys make a re-sent batch harmless.
 *
 * Each life of the service runs two client streams at once, one of spend
 * batches and one of touchpoint batches (20,000 to 40,000 items each), and
 * is killed after a random delay: a seeded fraction of twice the time a
 * spend and a touchpoint batch sent together take on this machine (measured
 * in the first life, widened as the machine's pace changes). So the kill lands
 * at a different moment each time (body upload, parsing, validation, inside
 * the write transaction, at commit, while the answer is sent), and the same
 * seed draws the same fractions and the same batches. A kill counts when a
 * batch was in flight; 20 of them by default. Every item carries its
 * batch's tag (spend `reference` `s<n>-<i>`, touchpoint id `t<n>-<i>`), so
 * the rows of each batch can be counted after the kill.
 *
 * After each kill, with the process dead, the file is opened read-only
 * (on PostgreSQL, once the dead process's connections are gone: a backend
 * finishes the statement it runs, a COMMIT included, before it sees its
 * client went away): `PRAGMA integrity_check` is ok (SQLite: the server
 * itself is not killed on PostgreSQL, so its files are not under test);
 * every batch ever sent is wholly present or
 * wholly absent; every acknowledged batch (an answer was received) and every
 * batch seen present before is present; no row belongs to an unknown batch;
 * the spend row count, the exact sum of micros and the touchpoint count are
 * what the present batches account for. Then the service restarts on the
 * same file: /healthz answers, the burn report's actual total for the month
 * is the sum of the present spend batches to the cent, and the next life
 * begins by re-sending every unacknowledged batch, as a client would: a
 * batch found present must come back all `unchanged`, an absent one all
 * `inserted`.
 *
 * CRASH_SEED and CRASH_KILLS override the seed and the number of kills.
 */
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { killServer, send, startServer, table, fmtInt, WORKER_CHILD } from '../../bench/harness.js';
import { mulberry32 } from '../../fixtures/prng.js';
import { testStore, type TestStore } from './store.js';

const SEED = Number(process.env.CRASH_SEED ?? 20260315);
const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const MIN_ITEMS = 20_000;
const MAX_ITEMS = 40_000;
/**
 * The kill window is this many times what a spend and a touchpoint batch sent
 * together take: about half the kills land in the first pair of batches of a
 * life, the others in the next ones.
 */
const WINDOW_PER_PAIR = 2;
/** The kill window never grows past this, whatever the machine's pace, to bound the run. */
const MAX_WINDOW_MS = 6_000;
const MONTH = '2026-03';
const CAMPAIGNS = Array.from({ length: 20 }, (_, i) => `crash-c${String(i).padStart(2, '0')}`);


type Kind = 'spend' | 'touchpoints';

interface Batch {
  tag: string;
  kind: Kind;
  size: number;
  /** Sum of the spend lines' amounts in micros (0 for touchpoints). */
  micros: bigint;
  body: Buffer;
  /** A 200 answer was received for some send of it. */
  acknowledged: boolean;
  /** Wholly present at the latest check after a kill. */
  present: boolean;
  /** Sends so far. */
  sends: number;
}

/** Cents as the API prints USD: `1234.50`, `-0.07`. */
function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

describe('crash safety: SIGKILL in the middle of batch ingests', () => {
  let store: TestStore | null = null;
  let child: ChildProcess | null = null;

  afterAll(async () => {
    if (child) await killServer(child);
    await store?.settled();
    await store?.remove();
  });

  it(`survives ${KILLS} kills with every batch all or nothing and every acknowledged batch kept`, { timeout: 600_000 }, async () => {
    // Kill moments and each batch's content come from generators of their
    // own, so that the same seed gives the same k-th kill fraction and the
    // same n-th batch however the timing of a run falls out.
    store = await testStore('crash');
    const { target } = store;
    const killMoment = mulberry32(SEED);
    const batches: Batch[] = [];
    let nextTag = 0;

    function makeBatch(kind: Kind): Batch {
      const n = nextTag++;
      const random = mulberry32(SEED + 7919 * (n + 1));
      const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
      const size = between(MIN_ITEMS, MAX_ITEMS);
      const parts: string[] = new Array(size);
      let micros = 0n;
      if (kind === 'spend') {
        const tag = `s${n}`;
        for (let i = 0; i < size; i++) {
          const cents = between(1, 99_999_999);
          micros += BigInt(cents) * 10_000n;
          const day = String(1 + (i % 31)).padStart(2, '0');
          const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
          parts[i] =
            `{"campaignId":"${CAMPAIGNS[i % CAMPAIGNS.length]}","date":"${MONTH}-${day}","amount":"${amount}",` +
            `"currency":"USD","source":"manual","reference":"${tag}-${i}"}`;
        }
        const batch = { tag, kind, size, micros, body: Buffer.from(`{"items":[${parts.join(',')}]}`), acknowledged: false, present: false, sends: 0 };
        batches.push(batch);
        return batch;
      }
      const tag = `t${n}`;
      for (let i = 0; i < size; i++) {
        const day = String(1 + (i % 28)).padStart(2, '0');
        const minute = String(i % 60).padStart(2, '0');
        parts[i] =
          `{"id":"${tag}-${i}","customerId":"cust-${between(1, 200_000)}","campaignId":"${CAMPAIGNS[(i * 7) % CAMPAIGNS.length]}",` +
          `"occurredAt":"${MONTH}-${day}T10:${minute}:00Z"}`;
      }
      const batch = { tag, kind, size, micros: 0n, body: Buffer.from(`{"items":[${parts.join(',')}]}`), acknowledged: false, present: false, sends: 0 };
      batches.push(batch);
      return batch;
    }

    const failures: string[] = [];
    const fail = (message: string) => {
      failures.push(message);
      console.log(`FAILURE: ${message}`);
    };

    /** Everything the dead process left in the store, checked against what the client knows. */
    async function checkStore(afterKill: number): Promise<{ spendRows: number; touchpoints: number }> {
      await store!.settled();
      const db = await store!.reader();
      try {
        if (db.dialect === 'sqlite') {
          const integrity = await db.all<{ integrity_check: string }>('pragma integrity_check');
          const verdict = integrity.map((row) => row.integrity_check).join('; ');
          if (verdict !== 'ok') fail(`after kill ${afterKill}: integrity_check says ${verdict}`);
        }
        // A batch's tag is what comes before the '-' of each item's key (s12-345 is batch s12's).
        const tagOf = (column: string) => (db.dialect === 'sqlite' ? `substr(${column}, 1, instr(${column}, '-') - 1)` : `split_part(${column}, '-', 1)`);
        const spendByTag = new Map<string, { rows: bigint; micros: bigint }>();
        for (const row of await db.all<{ tag: string; rows: bigint; micros: bigint }>(
          `select ${tagOf('reference')} as tag, count(*) as rows, cast(sum(amount_micros) as bigint) as micros from spend group by 1`,
        )) {
          spendByTag.set(row.tag, row);
        }
        const touchByTag = new Map<string, bigint>();
        for (const row of await db.all<{ tag: string; rows: bigint }>(`select ${tagOf('id')} as tag, count(*) as rows from touchpoints group by 1`)) {
          touchByTag.set(row.tag, row.rows);
        }
        // Quoted: PostgreSQL folds unquoted names to lower case. Sums cast back to bigint: PostgreSQL sums bigints as numeric.
        const totals = (
          await db.all<{ spendRows: bigint; micros: bigint; touchpoints: bigint }>(
            'select (select count(*) from spend) as "spendRows", (select cast(coalesce(sum(amount_micros), 0) as bigint) from spend) as micros, (select count(*) from touchpoints) as touchpoints',
          )
        )[0]!;

        const known = new Set(batches.map((b) => b.tag));
        for (const tag of [...spendByTag.keys(), ...touchByTag.keys()]) {
          if (!known.has(tag)) fail(`after kill ${afterKill}: rows of an unknown batch '${tag}'`);
        }
        let expectedSpendRows = 0n;
        let expectedMicros = 0n;
        let expectedTouchpoints = 0n;
        for (const batch of batches) {
          const found = batch.kind === 'spend' ? spendByTag.get(batch.tag) : undefined;
          const rows = batch.kind === 'spend' ? (found?.rows ?? 0n) : (touchByTag.get(batch.tag) ?? 0n);
          if (rows !== 0n && rows !== BigInt(batch.size)) {
            fail(`after kill ${afterKill}: batch ${batch.tag} is partial: ${rows} of ${batch.size} rows`);
          }
          const whole = rows === BigInt(batch.size);
          if (batch.acknowledged && !whole) fail(`after kill ${afterKill}: acknowledged batch ${batch.tag} has ${rows} of ${batch.size} rows`);
          if (batch.present && !whole) fail(`after kill ${afterKill}: batch ${batch.tag}, present before, now has ${rows} of ${batch.size} rows`);
          if (batch.kind === 'spend' && whole && found!.micros !== batch.micros) {
            fail(`after kill ${afterKill}: batch ${batch.tag} sums to ${found!.micros} micros, not ${batch.micros}`);
          }
          batch.present = whole;
          if (!whole) continue;
          if (batch.kind === 'spend') {
            expectedSpendRows += BigInt(batch.size);
            expectedMicros += batch.micros;
          } else {
            expectedTouchpoints += BigInt(batch.size);
          }
        }
        if (totals.spendRows !== expectedSpendRows) fail(`after kill ${afterKill}: ${totals.spendRows} spend rows, the batches account for ${expectedSpendRows}`);
        if (totals.micros !== expectedMicros) fail(`after kill ${afterKill}: spend sums to ${totals.micros} micros, the batches account for ${expectedMicros}`);
        if (totals.touchpoints !== expectedTouchpoints) {
          fail(`after kill ${afterKill}: ${totals.touchpoints} touchpoints, the batches account for ${expectedTouchpoints}`);
        }
        return { spendRows: Number(totals.spendRows), touchpoints: Number(totals.touchpoints) };
      } finally {
        await db.close();
      }
    }

    /** The burn report's actual total for the month must be the present spend batches' sum, to the cent. */
    async function checkService(agent: http.Agent, port: number, life: number): Promise<void> {
      const health = await send(agent, port, 'GET', '/healthz');
      if (health.status !== 200) fail(`life ${life}: /healthz answered ${health.status} ${health.body.slice(0, 200)}`);
      const burn = await send(agent, port, 'GET', `/v1/reports/burn?month=${MONTH}&asOf=${MONTH}-31`);
      if (burn.status !== 200) return fail(`life ${life}: burn report answered ${burn.status} ${burn.body.slice(0, 300)}`);
      const report = JSON.parse(burn.body) as { totals: { actual: string }; rows: { actual: string }[] };
      const micros = batches.filter((b) => b.kind === 'spend' && b.present).reduce((sum, b) => sum + b.micros, 0n);
      const expected = formatCents(micros / 10_000n);
      if (report.totals.actual !== expected) fail(`life ${life}: burn report's actual total is ${report.totals.actual}, the present batches sum to ${expected}`);
      const rowsCents = report.rows.reduce((sum, row) => sum + BigInt(row.actual.replace('.', '')), 0n);
      if (formatCents(rowsCents) !== report.totals.actual) fail(`life ${life}: burn rows add up to ${formatCents(rowsCents)}, totals say ${report.totals.actual}`);
    }

    // What the kills found, for the figures.
    let acknowledgedSends = 0;
    /** In flight at a kill and found present after it, though present before the life began: a re-send of a stored batch, cut off. */
    let resendsCutOff = 0;
    /** In flight at a kill, not present before, wholly present after: committed, but the answer never came. */
    let committedUnanswered = 0;
    /** In flight at a kill and wholly absent after it. */
    let inFlightAbsent = 0;
    let resendsPresent = 0;
    let resendsAbsent = 0;
    let idleKills = 0;
    let starts = 0;
    let startMs = 0;
    let lastSpendRows = 0;
    let lastTouchpoints = 0;
    const killDelays: number[] = [];
    const startedAt = Date.now();

    /** Sends `batch` and checks the answer; resolves to whether it was acknowledged (false: the kill cut it off). */
    async function ingest(agent: http.Agent, port: number, batch: Batch, life: number): Promise<boolean> {
      const wasPresent = batch.present;
      batch.sends++;
      let answer;
      try {
        answer = await send(agent, port, 'POST', `/v1/${batch.kind}`, batch.body);
      } catch {
        return false;
      }
      if (answer.status !== 200) {
        fail(`life ${life}: ${batch.tag} (${batch.size} items) answered ${answer.status} ${answer.body.slice(0, 300)}`);
        return false;
      }
      const counts = JSON.parse(answer.body) as { inserted: number; updated: number; unchanged: number };
      // Natural keys: a batch already stored comes back unchanged, never doubled.
      const expected = wasPresent ? { inserted: 0, updated: 0, unchanged: batch.size } : { inserted: batch.size, updated: 0, unchanged: 0 };
      if (counts.inserted !== expected.inserted || counts.updated !== expected.updated || counts.unchanged !== expected.unchanged) {
        fail(`life ${life}: ${batch.tag} (send ${batch.sends}, ${wasPresent ? 'present' : 'absent'} before) answered ${answer.body}, expected ${JSON.stringify(expected)}`);
      }
      if (batch.sends > 1) {
        if (wasPresent) resendsPresent++;
        else resendsAbsent++;
      }
      batch.acknowledged = true;
      acknowledgedSends++;
      return true;
    }

    // The window the kill moment is drawn from: twice how long a spend and a
    // touchpoint batch sent together take on this machine, measured in the
    // first life and widened as lives go by when they take longer (a fresh
    // process is slower than a warm one, a shared machine slows down), so
    // that kills spread over every phase of a life's batches.
    let windowMs = 0;
    let pending: Batch[] = [];
    let kills = 0;
    for (let life = 0; kills < KILLS; life++) {
      const startBegan = Date.now();
      const started = await startServer(target, null, WORKER_CHILD);
      starts++;
      startMs += Date.now() - startBegan;
      child = started.child;
      const port = started.port;
      const agent = new http.Agent({ keepAlive: true });
      try {
        if (life === 0) {
          const items = CAMPAIGNS.map((id) => ({ id, name: `Crash ${id}`, channel: 'paid_search', startDate: '2026-01-01' }));
          const seeded = await send(agent, port, 'POST', '/v1/campaigns', Buffer.from(JSON.stringify({ items })));
          expect(seeded.status, seeded.body).toBe(200);
          await checkService(agent, port, life);
          const began = Date.now();
          const acked = await Promise.all([ingest(agent, port, makeBatch('spend'), life), ingest(agent, port, makeBatch('touchpoints'), life)]);
          expect(acked).toEqual([true, true]);
          windowMs = WINDOW_PER_PAIR * (Date.now() - began);
        } else {
          await checkService(agent, port, life);
        }

        // Two streams, each first re-sending what its kind left unacknowledged, then new batches.
        const presentBefore = new Set(batches.filter((b) => b.present));
        let killed = false;
        const inFlight = new Set<Batch>();
        const streamStart = Date.now();
        const firstAcks: number[] = [];
        const stream = async (kind: Kind) => {
          const retries = pending.filter((b) => b.kind === kind);
          let first = true;
          while (!killed) {
            const batch = retries.shift() ?? makeBatch(kind);
            inFlight.add(batch);
            if (!(await ingest(agent, port, batch, life))) return;
            inFlight.delete(batch);
            if (first) firstAcks.push(Date.now() - streamStart);
            first = false;
          }
        };
        const fraction = killMoment();
        const delay = Math.round(fraction * windowMs);
        const streams = [stream('spend'), stream('touchpoints')];
        await new Promise((resolve) => setTimeout(resolve, delay));
        killed = true;
        await killServer(child);
        child = null;
        await Promise.all(streams);

        const unacknowledged = [...inFlight].filter((b) => !b.acknowledged);
        const found = await checkStore(life + 1);
        lastSpendRows = found.spendRows;
        lastTouchpoints = found.touchpoints;
        const outcome = (b: Batch) => (!b.present ? 'absent' : presentBefore.has(b) ? 'stored before, still whole' : 'committed, answer lost');
        for (const batch of unacknowledged) {
          const found = outcome(batch);
          if (found === 'absent') inFlightAbsent++;
          else if (found === 'committed, answer lost') committedUnanswered++;
          else resendsCutOff++;
        }
        if (unacknowledged.length > 0) {
          kills++;
          killDelays.push(delay);
        } else {
          idleKills++;
        }
        console.log(
          `${unacknowledged.length > 0 ? `kill ${kills}/${KILLS}` : 'kill with nothing in flight (not counted)'} after ${delay} ms of ${Math.round(windowMs)}: ` +
            `in flight ${unacknowledged.map((b) => `${b.tag} (${b.size}${b.sends > 1 ? `, send ${b.sends}` : ''}): ${outcome(b)}`).join(', ') || 'nothing'}` +
            ` | stored ${fmtInt(found.spendRows)} spend rows, ${fmtInt(found.touchpoints)} touchpoints`,
        );
        // Follow the machine's pace, never shrinking the window (lives that answer early would bias it down and
        // starve the larger batches): a slower first pair widens it, and so does a late kill before both streams
        // had an answer (a fresh process, its code not yet optimised, is slower than the first life measured).
        if (firstAcks.length === 2) windowMs = Math.min(MAX_WINDOW_MS, Math.max(windowMs, WINDOW_PER_PAIR * Math.max(...firstAcks)));
        else if (fraction > 0.7) windowMs = Math.min(MAX_WINDOW_MS, windowMs * 1.25);
        pending = batches.filter((b) => !b.acknowledged);
      } finally {
        agent.destroy();
      }
    }
    // The last restart: the service comes back over what the last kill left.
    const restarted = await startServer(target, null, WORKER_CHILD);
    starts++;
    child = restarted.child;
    const agent = new http.Agent({ keepAlive: true });
    await checkService(agent, restarted.port, -1);
    agent.destroy();
    await killServer(child);
    child = null;

    const acknowledged = batches.filter((b) => b.acknowledged).length;
    const presentUnacknowledged = batches.filter((b) => b.present && !b.acknowledged).length;
    const absent = batches.filter((b) => !b.present).length;
    const sortedDelays = [...killDelays].sort((a, b) => a - b);
    console.log(
      `\nCrash safety (seed ${SEED}): ${((Date.now() - startedAt) / 1000).toFixed(1)} s, ${starts} starts of the service averaging ${(startMs / starts).toFixed(0)} ms\n` +
        table([
          ['kills survived (SIGKILL with a batch in flight)', fmtInt(kills)],
          ['kill delays after the streams started, min / median / max', `${sortedDelays[0]} / ${sortedDelays[Math.floor(sortedDelays.length / 2)]} / ${sortedDelays[sortedDelays.length - 1]} ms`],
          ['kills with nothing in flight (not counted)', fmtInt(idleKills)],
          [`batches (distinct, ${fmtInt(MIN_ITEMS)} to ${fmtInt(MAX_ITEMS)} items)`, fmtInt(batches.length)],
          ['batch sends answered 200', fmtInt(acknowledgedSends)],
          ['batches acknowledged', fmtInt(acknowledged)],
          ['in flight at a kill, found wholly present: committed, answer lost', fmtInt(committedUnanswered)],
          ['in flight at a kill, found wholly absent', fmtInt(inFlightAbsent)],
          ['in flight at a kill, a re-send of a stored batch: still whole, once', fmtInt(resendsCutOff)],
          ['re-sent after a restart, was present: answered all unchanged', fmtInt(resendsPresent)],
          ['re-sent after a restart, was absent: answered all inserted', fmtInt(resendsAbsent)],
          ['at the end: unacknowledged but wholly present', fmtInt(presentUnacknowledged)],
          ['at the end: unacknowledged and wholly absent', fmtInt(absent)],
          ['partial batches found', fmtInt(failures.filter((f) => f.includes('partial')).length)],
          ['spend rows stored', fmtInt(lastSpendRows)],
          ['touchpoints stored', fmtInt(lastTouchpoints)],
        ]),
    );
    expect(failures).toEqual([]);
    expect(kills).toBe(KILLS);
  });
});
