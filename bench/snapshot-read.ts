/**
 * How long reading a stored mirror snapshot's body back from PostgreSQL
 * takes, and how much memory the read holds at its peak, by each way of
 * reading it: `npx tsx bench/snapshot-read.ts [MB]` (default 170, data set
 * L's size). A throwaway server is seeded with one snapshot of that many
 * bytes (random runs and zero runs, as the mirrors' arrays are), saved in
 * 16 MB chunks through the repository; then each way reads it in a process
 * of its own (so that its peak RSS is its own), three times:
 *
 * - select-text: a SELECT per chunk as node-postgres runs it, every field
 *   in text, a bytea as hex (what the repository did before);
 * (Binary results for the SELECTs are no way out: pg-protocol reads every
 * field of a data row as a UTF-8 string, so a bytea's bytes come back
 * mangled.)
 * - copy-binary: one `copy (...) to stdout (format binary)` parsed straight
 *   into the body (what the repository does now);
 * - repository: the repository's own read (repository.ts, on the pool of
 *   openPostgres), header and body, as a starting server does.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { encodeSnapshot } from '../src/features/mirrors/format.js';
import { mirrorSnapshotRepository } from '../src/features/mirrors/repository.js';
import { copyOutInto, openPostgres } from '../src/store/pg.js';
import { startPgServer } from './pg-server.js';

const MODES = ['select-text', 'copy-binary', 'repository'] as const;
type Mode = (typeof MODES)[number];

/** `mb` MB of bytes like a snapshot's: runs of random bytes and of zeros, 64 KB to 1 MB each. */
function realisticBytes(mb: number): Buffer {
  const bytes = Buffer.alloc(mb << 20);
  for (let at = 0, random = true; at < bytes.length; random = !random) {
    const run = Math.min(bytes.length - at, (64 << 10) * (1 + Math.floor(Math.random() * 16)));
    if (random) randomBytes(run).copy(bytes, at);
    at += run;
  }
  return bytes;
}

async function read(url: string, mode: Mode): Promise<void> {
  if (mode === 'repository') {
    const database = await openPostgres(url);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const stored = await mirrorSnapshotRepository(database)!.read();
    const body = await stored!.body();
    const ms = performance.now() - started;
    const peakDelta = process.resourceUsage().maxRSS * 1024 - rssBefore;
    console.log(JSON.stringify({ mode, ms: Math.round(ms), peakRssDeltaMB: Math.round(peakDelta / (1 << 20)), bytes: body.length }));
    await database.close();
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ version: string; data: Buffer }>('select version, data from mirror_snapshots where chunk = 0');
  const version = rows[0]!.version;
  const bodyBytes = Number(JSON.parse(rows[0]!.data.subarray(12, 12 + rows[0]!.data.readUInt32LE(8)).toString('utf8')).bodyBytes);
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  await client.query('begin isolation level repeatable read, read only');
  const body = Buffer.allocUnsafeSlow(bodyBytes);
  let filled = 0;
  if (mode === 'copy-binary') {
    filled = (await copyOutInto((query) => client.query(query), `copy (select data from mirror_snapshots where version = ${version} and chunk > 0 order by chunk) to stdout (format binary)`, body)).bytes;
  } else {
    for (let chunk = 1; filled < bodyBytes; chunk++) {
      const result = await client.query<{ data: Buffer }>({ text: 'select data from mirror_snapshots where chunk = $1 and version = $2', values: [chunk, version] });
      const data = result.rows[0]!.data;
      data.copy(body, filled);
      filled += data.length;
    }
  }
  await client.query('commit');
  const ms = performance.now() - started;
  if (filled !== bodyBytes) throw new Error(`${mode}: read ${filled} bytes of ${bodyBytes}`);
  // maxRSS is in KB.
  const peakDelta = process.resourceUsage().maxRSS * 1024 - rssBefore;
  console.log(JSON.stringify({ mode, ms: Math.round(ms), peakRssDeltaMB: Math.round(peakDelta / (1 << 20)) }));
  await client.end();
}

async function main(): Promise<void> {
  const [first, second] = process.argv.slice(2);
  if (first === '--read') return read(process.env.SNAPSHOT_READ_URL!, second as Mode);
  const mb = Number(first ?? 170);
  const server = await startPgServer();
  try {
    const database = await openPostgres(server.url);
    const snapshot = await encodeSnapshot({ version: 1, fingerprints: {} }, { bench: [realisticBytes(mb)] });
    const saveStarted = performance.now();
    await mirrorSnapshotRepository(database)!.save(snapshot);
    console.log(JSON.stringify({ saved: `${mb} MB`, ms: Math.round(performance.now() - saveStarted) }));
    await database.close();
    for (let round = 0; round < 3; round++) {
      for (const mode of MODES) {
        execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--read', mode], { stdio: 'inherit', env: { ...process.env, SNAPSHOT_READ_URL: server.url } });
      }
    }
  } finally {
    await server.stop();
  }
}

await main();
