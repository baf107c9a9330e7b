/**
 * The service under benchmark, in its own process so that the client's work
 * (serialising, sending) does not share its event loop and its memory
 * figures are its own. It runs the real composition root over the SQLite
 * file (or the PostgreSQL URL) it is given, listens on 127.0.0.1 on a free
 * port, and talks to the harness over IPC: it reports its port when ready, and its peak memory
 * when asked.
 */
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

export interface ServerReady {
  type: 'ready';
  port: number;
}

export interface ServerStats {
  type: 'stats';
  /** CPU time the process has used so far (user + system), microseconds. */
  cpuMicros: number;
  /** RSS high-water mark of the process, bytes (resourceUsage().maxRSS is in KiB). */
  maxRssBytes: number;
  /** Largest heapUsed sampled every 20 ms, bytes. */
  peakHeapUsedBytes: number;
  /** Largest heapTotal + external + arrayBuffers sampled, bytes. */
  peakHeapTotalBytes: number;
  /** How long reading every touchpoint into memory took at start, milliseconds. */
  touchIndexLoadMs: number;
  /** The committed data version, and the version of the last report-table snapshot this process saved or restored (null: none). */
  dataVersion: number;
  snapshotVersion: number | null;
}

const [dbPath, adminKey] = process.argv.slice(2);
if (!dbPath || !adminKey || !process.send) {
  process.stderr.write('bench/server.ts is started by bench/run.ts\n');
  process.exit(2);
}

let peakHeapUsed = 0;
let peakHeapTotal = 0;
const sample = () => {
  const usage = process.memoryUsage();
  peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
  peakHeapTotal = Math.max(peakHeapTotal, usage.heapTotal + usage.external + usage.arrayBuffers);
};
// The sampler runs between requests, not inside a synchronous handler, so
// the heap figures are a lower bound; maxRSS is the high-water mark of all.
const sampler = setInterval(sample, 20);

// The store is read as SPENDBOOK_DB is (a file path, or a postgres:// URL: the reliability suite runs
// on both), the rate limit from SPENDBOOK_RATE_LIMIT (the reliability suite raises it for its child).
const { db, rateLimit } = loadConfig({ SPENDBOOK_DB: dbPath, SPENDBOOK_RATE_LIMIT: process.env.SPENDBOOK_RATE_LIMIT });
const app = await buildApp(
  { port: 0, host: '127.0.0.1', db, adminKey, logLevel: (process.env.BENCH_SERVICE_LOG as 'silent' | undefined) ?? 'silent', rateLimit },
  { log: process.env.BENCH_SERVICE_LOG !== undefined, announceAdminKey: () => undefined },
);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (!address || typeof address === 'string') throw new Error('no TCP address');
process.send({ type: 'ready', port: address.port } satisfies ServerReady);

process.on('message', async (message: { type: string }) => {
  if (message.type === 'stats') {
    sample();
    const cpu = process.cpuUsage();
    process.send!({
      type: 'stats',
      cpuMicros: cpu.user + cpu.system,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      peakHeapUsedBytes: peakHeapUsed,
      peakHeapTotalBytes: peakHeapTotal,
      touchIndexLoadMs: app.touchIndex.lastLoadMs,
      dataVersion: await app.uow.version(),
      snapshotVersion: app.mirrorSnapshots.lastVersion,
    } satisfies ServerStats);
  } else if (message.type === 'close') {
    clearInterval(sampler);
    await app.close();
    process.exit(0);
  }
});
