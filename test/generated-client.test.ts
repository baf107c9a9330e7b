/**
 * A finance script against a client generated from the live document:
 * openapi-typescript turns /openapi.json into types, openapi-fetch is the
 * client, and this repository's TypeScript compiles the script. The script
 * reads burn rows' `planned`, ROI `totals.revenue` and a spend batch's
 * `inserted` without a cast: it compiles only if each report's JSON
 * operation documents the report alone (not `Report | string`). A second
 * script with a misspelt field must fail, so the check can fail. The same
 * script is written against a second generator, swagger-typescript-api
 * (a class with one method per operationId, fetch underneath).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { generateApi } from 'swagger-typescript-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp } from './helper.js';

const run = promisify(execFile);
let dir: string;

const SCRIPT = `
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:3000', headers: { authorization: 'Bearer sb_key' } });

export async function monthEnd(): Promise<string[]> {
  const burn = await client.GET('/v1/reports/burn', { params: { query: { month: '2026-03', groupBy: 'channel' } } });
  if (!burn.data) throw new Error(burn.error.detail);
  const planned: string[] = burn.data.rows.map((row) => \`\${row.channel}: \${row.planned}\`);

  const roi = await client.GET('/v1/reports/roi', { params: { query: { from: '2026-01-01', to: '2026-03-31', model: 'linear' } } });
  if (!roi.data) throw new Error(roi.error.detail);
  const revenue: string = roi.data.totals.revenue;

  const batch = await client.POST('/v1/spend', {
    body: { items: [{ campaignId: 'cmp-spring-search', date: '2026-03-14', amount: '1250.00', currency: 'USD', source: 'manual' }] },
  });
  if (!batch.data) throw new Error(batch.error.detail);
  const inserted: number = batch.data.inserted;

  return [...planned, revenue, String(inserted)];
}
`;

beforeAll(async () => {
  const t = await makeApp();
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  await t.close();
  expect(res.statusCode).toBe(200);
  dir = mkdtempSync(join(tmpdir(), 'spendbook-client-'));
  writeFileSync(join(dir, 'api.ts'), astToString(await openapiTS(res.body)));
  await generateApi({ spec: JSON.parse(res.body), output: dir, fileName: 'sta-api.ts', httpClientType: 'fetch', silent: true });
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, lib: ['ES2022', 'DOM'] },
      include: ['*.ts'],
    }),
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** tsc --noEmit over the temp project: the compiler's output, empty when clean. */
async function compile(script: string): Promise<string> {
  writeFileSync(join(dir, 'script.ts'), script);
  try {
    await run(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('a client generated from /openapi.json (openapi-typescript + openapi-fetch)', () => {
  it('compiles a finance script: burn rows’ planned, ROI totals.revenue, a spend batch’s inserted', async () => {
    expect(await compile(SCRIPT)).toBe('');
  }, 120_000);

  it('refuses a field the report does not have, so the check above can fail', async () => {
    const output = await compile(SCRIPT.replace('roi.data.totals.revenue', 'roi.data.totals.revenu'));
    expect(output).toMatch(/script\.ts\(\d+,\d+\): error TS2551: Property 'revenu' does not exist/);
  }, 120_000);
});

const STA_SCRIPT = `
import { Api } from './sta-api.js';

const api = new Api({ baseUrl: 'http://127.0.0.1:3000', baseApiParams: { headers: { authorization: 'Bearer sb_key' } } });

export async function monthEnd(): Promise<string[]> {
  const burn = await api.v1.getBurnReport({ month: '2026-03', groupBy: 'channel' });
  const planned: string[] = burn.data.rows.map((row) => \`\${row.channel}: \${row.planned}\`);

  const roi = await api.v1.getRoiReport({ from: '2026-01-01', to: '2026-03-31', model: 'linear' });
  const revenue: string = roi.data.totals.revenue;

  const batch = await api.v1.ingestSpend({
    items: [{ campaignId: 'cmp-spring-search', date: '2026-03-14', amount: '1250.00', currency: 'USD', source: 'manual' }],
  });
  const inserted: number = batch.data.inserted;

  return [...planned, revenue, String(inserted)];
}
`;

describe('a client generated from /openapi.json (swagger-typescript-api, fetch)', () => {
  it('compiles the same finance script', async () => {
    expect(await compile(STA_SCRIPT)).toBe('');
  }, 120_000);

  it('refuses a field the report does not have', async () => {
    const output = await compile(STA_SCRIPT.replace('roi.data.totals.revenue', 'roi.data.totals.revenu'));
    expect(output).toMatch(/script\.ts\(\d+,\d+\): error TS2551: Property 'revenu' does not exist/);
  }, 120_000);
});
