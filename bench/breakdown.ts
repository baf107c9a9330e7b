/**
 * `npm run bench -- --breakdown`: where one batch's time goes inside the
 * service, stage by stage, timed in-process on the first batches of the data
 * set. The first pass warms the JIT up and is not counted; each later pass
 * writes into a fresh database, so every pass does the same work. The HTTP
 * run says how fast; this says why.
 */
import { join } from 'node:path';
import { CampaignService } from '../src/features/campaigns/service.js';
import { itemPath } from '../src/features/common/batch.js';
import { parseSpendBatchFast } from '../src/features/spend/fast-batch.js';
import { SpendBatch } from '../src/features/spend/schemas.js';
import { SpendService } from '../src/features/spend/service.js';
import { PeriodService } from '../src/features/periods/service.js';
import { openSqlite } from '../src/store/database.js';
import type { Channel } from '../src/features/common/schemas.js';
import { parseJsonExact } from '../src/lib/json-body.js';
import type { BenchCampaign, BenchRow } from './data.js';

const PASSES = 3;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runBreakdown(dir: string, campaigns: BenchCampaign[], batches: BenchRow[][]): Promise<string> {
  const texts = batches.map((batch) => JSON.stringify({ items: batch.map((row) => row.line) }));
  const stages = new Map<string, number[]>();
  for (let pass = 0; pass < PASSES; pass++) {
    const database = openSqlite(join(dir, `breakdown-${pass}.db`));
    const { uow } = database;
    const campaignService = new CampaignService(database, uow);
    await campaignService.upsert(campaigns.map((c) => ({ ...c, channel: c.channel as Channel })), itemPath);
    const spend = new SpendService(database, uow, campaignService, new PeriodService(database, uow));
    // Awaits the stage (the ingest is async); on SQLite its promise resolves at once, so the time is the work's.
    const time = async <T>(stage: string, fn: () => T | Promise<T>): Promise<T> => {
      const started = process.hrtime.bigint();
      const result = await fn();
      if (pass > 0) {
        const list = stages.get(stage) ?? [];
        list.push(Number(process.hrtime.bigint() - started) / 1e6);
        stages.set(stage, list);
      }
      return result;
    };
    for (const text of texts) {
      await time('JSON.parse (for reference)', () => JSON.parse(text));
      const body = await time('parseJsonExact (the body parser)', () => parseJsonExact(text));
      await time('zod SpendBatch.safeParse (for reference)', () => SpendBatch.safeParse(body));
      const parsed = await time('parseSpendBatchFast (what the route runs)', () => parseSpendBatchFast(body));
      if (!parsed) throw new Error('the fast path refused a generated batch');
      await time('spend.ingest (campaigns, duplicates, writes)', () => spend.ingest(parsed.items, itemPath));
    }
    await database.close();
  }
  const size = batches[0]?.length ?? 0;
  const lines = [...stages].map(([stage, values]) => {
    const ms = median(values);
    return `  ${stage.padEnd(46)} ${ms.toFixed(1).padStart(7)} ms  ${((ms * 1000) / size).toFixed(2).padStart(6)} µs/line`;
  });
  return [`  (median over ${PASSES - 1} warm passes of ${batches.length} batches of ${size.toLocaleString('en-US')} lines)`, ...lines].join('\n');
}
