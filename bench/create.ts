/**
 * The bulk campaign benchmark (issue 14): an import that creates a campaign
 * for every row (`unmatched=create`), and the same number of campaigns
 * through POST /v1/campaigns with one externalRef each. Both used to be
 * quadratic (20,000 campaigns took 11-16 s in one batch; a 100,000-row
 * dry run 171 s and 2.2 GB) and held the event loop the whole time.
 *
 * The service runs in its own process (bench/server.ts) over a fresh file;
 * each request is timed from its first byte to its answer, while /healthz
 * is asked every 50 ms on another socket, so the longest wait for it shows
 * how long the request held the event loop. Printed: rows/s, the service's
 * peak RSS, the longest /healthz wait. Correctness: the campaigns and
 * spend lines the database holds.
 *
 *   npm run bench -- --suite create                      100,000 rows
 *   npm run bench -- --suite create --create-rows 20000  a smaller run
 */
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ADMIN_KEY, ask, fmtInt, fmtMiB, fmtRate, startServer, stopServer, table, type StartOptions } from './harness.js';
import type { ServerStats } from './server.js';

type Out = (text: string) => void;

const NO_RATE_LIMIT: StartOptions = { env: { ...process.env, SPENDBOOK_RATE_LIMIT: '1000000' } };

function request(agent: http.Agent, port: number, path: string, contentType: string, body: Buffer): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': contentType, 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Asks /healthz every 50 ms until stopped; answers the longest wait, in ms. */
function watchHealth(port: number): { stop: () => Promise<number> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let worst = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => (res.resume(), res.on('end', () => resolve()))).on('error', () => resolve());
      });
      worst = Math.max(worst, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      agent.destroy();
      return worst;
    },
  };
}

/** A Google Ads report with `rows` rows, each its own campaign no one has made yet. */
function report(rows: number): Buffer {
  const lines = ['Campaign report', '"March 1, 2026 - March 1, 2026"', 'Day,Campaign,Campaign ID,Currency code,Cost'];
  for (let i = 0; i < rows; i++) lines.push(`2026-03-01,"Campaign ${i}, search",${7_000_000_000 + i},USD,1.25`);
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

export async function runCreateBench(dir: string, rows: number, out: Out): Promise<boolean> {
  out(`Spendbook bulk campaign benchmark: ${fmtInt(rows)} new campaigns, by an import with unmatched=create (dry run, then for real) and by POST /v1/campaigns`);
  const dbPath = join(dir, 'create.db');
  const { child, port } = await startServer(dbPath, null, NO_RATE_LIMIT);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const results: [string, { ms: number; health: number }][] = [];
  const checks: [string, boolean][] = [];
  try {
    const csv = report(rows);
    const timed = async (label: string, path: string, type: string, body: Buffer) => {
      const health = watchHealth(port);
      const answer = await request(agent, port, path, type, body);
      const worst = await health.stop();
      if (answer.status !== 200) throw new Error(`${label} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      results.push([label, { ms: answer.ms, health: worst }]);
      return JSON.parse(answer.body) as { inserted: number; createdCampaigns?: unknown[] };
    };
    const dry = await timed('import, unmatched=create, dry run', '/v1/spend/import?format=google_ads&unmatched=create&dryRun=true', 'text/csv', csv);
    checks.push([`dry run would create ${fmtInt(dry.createdCampaigns?.length ?? 0)} campaigns and insert ${fmtInt(dry.inserted)} lines`, dry.createdCampaigns?.length === rows && dry.inserted === rows]);
    const real = await timed('import, unmatched=create', '/v1/spend/import?format=google_ads&unmatched=create', 'text/csv', csv);
    checks.push([`import created ${fmtInt(real.createdCampaigns?.length ?? 0)} campaigns, inserted ${fmtInt(real.inserted)} lines`, real.createdCampaigns?.length === rows && real.inserted === rows]);
    const items = Array.from({ length: rows }, (_, i) => ({ id: `bulk-${i}`, name: `Bulk ${i}`, channel: 'paid_search', startDate: '2026-03-01', externalRefs: [{ source: 'meta', id: String(i) }] }));
    const batch = await timed('POST /v1/campaigns, one externalRef each', '/v1/campaigns', 'application/json', Buffer.from(JSON.stringify({ items })));
    checks.push([`POST /v1/campaigns inserted ${fmtInt(batch.inserted)}`, batch.inserted === rows]);
    const stats = await ask<ServerStats>(child, 'stats');
    await stopServer(child);
    const db = new Database(dbPath, { readonly: true });
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    const campaigns = count('select count(*) from campaigns');
    const refs = count('select count(*) from campaign_external_refs');
    const spend = count('select count(*) from spend');
    db.close();
    checks.push([`db: ${fmtInt(campaigns)} campaigns, ${fmtInt(refs)} refs, ${fmtInt(spend)} spend lines`, campaigns === 2 * rows && refs === 2 * rows && spend === rows]);
    out('');
    out(
      table([
        ...results.map(([label, r]): [string, string] => [label, `${fmtRate(rows, r.ms / 1000)} rows/s (${(r.ms / 1000).toFixed(2)} s), /healthz waited at most ${r.health.toFixed(0)} ms`]),
        ['service peak RSS (maxRSS)', fmtMiB(stats.maxRssBytes)],
      ]),
    );
  } catch (error) {
    await stopServer(child).catch(() => undefined);
    throw error;
  } finally {
    agent.destroy();
  }
  out('\ncorrectness:');
  for (const [text, ok] of checks) out(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  return checks.every(([, ok]) => ok);
}
