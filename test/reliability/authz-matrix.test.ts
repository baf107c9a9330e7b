/**
 * The authorization matrix, generated from the OpenAPI document: every
 * operation that /openapi.json lists (and the public /openapi.json and /docs
 * themselves), called by every kind of caller, must be answered as the role
 * table below says:
 *
 * - a public route answers everyone, key or not;
 * - without a valid key (none, an unknown one, a revoked one): 401, writing nothing;
 * - with a role below the route's least role: 403 naming that role, writing nothing;
 * - otherwise neither 401 nor 403, and never a 5xx. The matrix sends each
 *   operation's documented example body and plausible path and query values,
 *   so most allowed calls succeed; one that does not (a 409 for a name already
 *   taken, a 422 for a missing FX rate) must still be problem+json.
 *
 * The table is written by hand from docs/api.md ("Auth") and the README's
 * Roles decision, never read from the routes' `config.role`: a route whose
 * code drifts from the contract fails here, and a route that appears in the
 * document without an entry fails until someone decides who may call it.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { campaignItem, makeApp, problemOf, seedCampaigns, snapshot } from '../helper.js';

type Json = Record<string, any>;
type Least = Role | 'public';

/**
 * Who may call what, most permissive first. docs/api.md: admin (keys,
 * settings, reopen), finance (close months, FX rates, read everything), ops
 * (write campaigns, plans, commitments, spend, touchpoints, revenue; read
 * everything), viewer (read reports). README, Roles: viewer also reads
 * forecast snapshots and settings; ops reads every list (GET /v1/periods
 * included) and saves forecast snapshots; admin manages keys and settings
 * and reopens months.
 */
const LEAST_ROLE: Record<string, Least> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',

  // viewer: reports, forecast snapshots, settings
  'GET /v1/settings': 'viewer',
  'GET /v1/reports/burn': 'viewer',
  'GET /v1/reports/forecast': 'viewer',
  'GET /v1/reports/forecast-vs-actual': 'viewer',
  'GET /v1/reports/budget-forecast-actual': 'viewer',
  'GET /v1/reports/roi': 'viewer',
  'GET /v1/reports/attribution': 'viewer',
  // Each report's CSV and XLSX operations: the report's role.
  ...Object.fromEntries(
    ['burn', 'forecast', 'forecast-vs-actual', 'budget-forecast-actual', 'roi', 'attribution'].flatMap((report) =>
      ['csv', 'xlsx'].map((format) => [`GET /v1/reports/${report}.${format}`, 'viewer' as const]),
    ),
  ),
  'GET /v1/forecasts': 'viewer',
  'GET /v1/forecasts/{id}': 'viewer',

  // ops: every list
  'GET /v1/campaigns': 'ops',
  'GET /v1/campaigns/{id}': 'ops',
  'GET /v1/plans': 'ops',
  'GET /v1/plans/history': 'ops',
  'GET /v1/commitments': 'ops',
  'GET /v1/fx-rates': 'ops',
  'GET /v1/spend': 'ops',
  'GET /v1/touchpoints': 'ops',
  'GET /v1/revenue': 'ops',
  'GET /v1/periods': 'ops',
  // The one list ops may not read: issue 5 puts the audit trail with admin and finance only (who changed
  // what, and the values before and after, is for those who sign the numbers); the README's Roles says so.
  'GET /v1/audit': 'finance',
  // ops: writes campaigns, plans, commitments, spend, touchpoints, revenue, forecast snapshots
  'PUT /v1/campaigns/{id}': 'ops',
  'POST /v1/campaigns': 'ops',
  'PUT /v1/plans': 'ops',
  'POST /v1/commitments': 'ops',
  'POST /v1/spend': 'ops',
  'POST /v1/spend/import': 'ops',
  'POST /v1/touchpoints': 'ops',
  'POST /v1/revenue': 'ops',
  'POST /v1/forecasts': 'ops',

  // finance: FX rates, closing months
  'PUT /v1/fx-rates': 'finance',
  'POST /v1/periods/{month}/close': 'finance',

  // admin: keys, settings, reopening months
  'POST /v1/api-keys': 'admin',
  'GET /v1/api-keys': 'admin',
  'DELETE /v1/api-keys/{id}': 'admin',
  'PUT /v1/settings': 'admin',
  'POST /v1/periods/{month}/reopen': 'admin',
};

/** Public routes that the document does not list about itself. */
const UNDOCUMENTED_PUBLIC = ['GET /openapi.json', 'GET /docs'];

const RANK: Record<Role, number> = { viewer: 0, ops: 1, finance: 2, admin: 3 };

/** Without a valid key first, then the roles from least to most, so that the writes of the allowed roles come last. */
const CALLERS = ['no key', 'unknown key', 'revoked key', 'viewer', 'ops', 'finance', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

const t = await makeApp();
afterAll(() => t.close());

// The campaigns the documented examples name, so that most allowed calls succeed.
await seedCampaigns(t, [
  campaignItem('cmp-spring-search', { externalRefs: [{ source: 'google_ads', id: '1234567890' }] }),
  campaignItem('cmp-spring-social', { channel: 'paid_social', externalRefs: [{ source: 'meta', id: '120208812345' }] }),
]);
const snapshotId = await (async () => {
  const res = await t.call({ method: 'POST', url: '/v1/forecasts', role: 'ops', payload: { name: 'matrix seed', month: '2026-03', method: 'run_rate' } });
  if (res.statusCode !== 201) throw new Error(`seeding a forecast snapshot failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
})();
const revokedKey = await (async () => {
  const created = await t.call({ method: 'POST', url: '/v1/api-keys', payload: { name: 'matrix revoked', role: 'admin' } });
  const { id, key } = created.json() as { id: string; key: string };
  const revoked = await t.call({ method: 'DELETE', url: `/v1/api-keys/${id}` });
  if (created.statusCode !== 201 || revoked.statusCode !== 204) throw new Error(`revoking a key failed: ${revoked.statusCode} ${revoked.body}`);
  return key;
})();

const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Json;

interface Operation {
  key: string;
  method: string;
  path: string;
  op: Json;
}
const OPERATIONS: Operation[] = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
  Object.entries(item as Json).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, op: op as Json })),
);

function resolve(schema: Json | undefined): Json | undefined {
  if (typeof schema?.$ref === 'string') return doc.components.schemas[schema.$ref.split('/').pop()!] as Json;
  return schema;
}

function authorization(caller: Caller): Record<string, string> {
  switch (caller) {
    case 'no key':
      return {};
    case 'unknown key':
      return { authorization: 'Bearer sb_matrix_unknown_key_000000000000000000000' };
    case 'revoked key':
      return { authorization: `Bearer ${revokedKey}` };
    default:
      return { authorization: `Bearer ${t.keys[caller]}` };
  }
}

/** A plausible value for a path parameter; a new parameter needs one here. */
async function pathValue(path: string, name: string): Promise<string> {
  if (name === 'month') return '2026-01';
  if (path.startsWith('/v1/campaigns/') && name === 'id') return 'cmp-spring-search';
  if (path.startsWith('/v1/forecasts/') && name === 'id') return snapshotId;
  // A fresh key for each call: an allowed caller revokes it.
  if (path.startsWith('/v1/api-keys/') && name === 'id') return (await t.app.apiKeys.create('matrix victim', 'viewer')).id;
  throw new Error(`no plausible value for {${name}} of ${path}: add one to pathValue`);
}

/** The request for one operation: path parameters filled, the required query parameters (and month) from their examples, the documented example body. */
async function requestFor({ method, path, op }: Operation): Promise<InjectOptions> {
  let url = path;
  for (const [match, name] of path.matchAll(/\{(\w+)\}/g)) url = url.replace(match, encodeURIComponent(await pathValue(path, name!)));
  const query = new URLSearchParams();
  for (const parameter of (op.parameters ?? []) as Json[]) {
    if (parameter.in !== 'query' || !(parameter.required || parameter.name === 'month')) continue;
    const value = parameter.name === 'snapshot' ? snapshotId : (parameter.example ?? parameter.schema?.example);
    if (value !== undefined) query.set(parameter.name, String(value));
  }
  const request: InjectOptions = { method: method as InjectOptions['method'], url: query.size ? `${url}?${query}` : url };
  const body = resolve(op.requestBody?.content?.['application/json']?.schema);
  if (body) request.payload = (body.example ?? {}) as InjectOptions['payload'];
  return request;
}

const counts = { requests: 0, unauthorized: 0, forbidden: 0, served: 0, succeeded: 0 };

/** What is wrong with the answer to `caller` on a route whose least role is `least`, or null. */
async function check(key: string, least: Least, caller: Caller, request: InjectOptions): Promise<string | null> {
  const expectRefusal = least !== 'public' && (!(caller in RANK) || RANK[caller as Role] < RANK[least]);
  const before = expectRefusal ? await snapshot(t.app) : null;
  const res: LightMyRequestResponse = await t.app.inject({ ...request, headers: { ...request.headers, ...authorization(caller) } });
  counts.requests++;
  const where = `${key} as ${caller}: ${res.statusCode} ${res.body.slice(0, 200)}`;
  try {
    if (res.statusCode >= 500) return `a 5xx: ${where}`;
    if (least === 'public') {
      if (res.statusCode >= 400) return `a public route refused: ${where}`;
    } else if (!(caller in RANK)) {
      problemOf(res, 401, 'unauthorized');
      counts.unauthorized++;
    } else if (RANK[caller as Role] < RANK[least]) {
      const problem = problemOf(res, 403, 'forbidden');
      if (!problem.detail.includes(least)) return `a 403 that does not name the ${least} role: ${where}`;
      counts.forbidden++;
    } else {
      if (res.statusCode === 401 || res.statusCode === 403) return `refused a caller the table allows (least role ${least}): ${where}`;
      if (res.statusCode >= 400) problemOf(res, res.statusCode);
      counts.served++;
      if (res.statusCode < 300) counts.succeeded++;
    }
  } catch (error) {
    return `expected ${expectRefusal ? 'a refusal' : 'an answer'} (least role ${least}): ${(error as Error).message}`;
  }
  if (before !== null && await snapshot(t.app) !== before) return `a refused call wrote to the database: ${where}`;
  return null;
}

describe('the role table', () => {
  it('has an entry for every operation in the document', () => {
    const missing = OPERATIONS.map((o) => o.key).filter((key) => !(key in LEAST_ROLE));
    expect(missing, 'operations in /openapi.json without an entry in LEAST_ROLE: decide who may call them').toEqual([]);
  });

  it('names routes the contract promises; those missing from the document are listed, not checked', () => {
    const documented = new Set(OPERATIONS.map((o) => o.key));
    const notDocumented = Object.keys(LEAST_ROLE).filter((key) => !documented.has(key));
    if (notDocumented.length > 0) console.log(`authorization matrix: in the role table but not in /openapi.json (not checked): ${notDocumented.join(', ')}`);
    expect(OPERATIONS.length).toBeGreaterThan(30);
  });
});

describe('the authorization matrix', () => {
  afterAll(() => {
    const routes = OPERATIONS.length + UNDOCUMENTED_PUBLIC.length;
    console.log(
      `authorization matrix: ${routes} routes x ${CALLERS.length} callers = ${counts.requests} requests checked ` +
        `(${counts.unauthorized} x 401, ${counts.forbidden} x 403, ${counts.served} allowed, of which ${counts.succeeded} 2xx)`,
    );
  });

  it.each(OPERATIONS.map((o) => [o.key, o] as const))('%s answers every caller as the role table says', async (key, operation) => {
    const least = LEAST_ROLE[key];
    expect(least, `${key} has no entry in LEAST_ROLE`).toBeDefined();
    const wrong: string[] = [];
    for (const caller of CALLERS) {
      const problem = await check(key, least!, caller, await requestFor(operation));
      if (problem) wrong.push(problem);
    }
    expect(wrong).toEqual([]);
  });

  it.each(UNDOCUMENTED_PUBLIC)('%s answers every caller', async (key) => {
    const wrong: string[] = [];
    for (const caller of CALLERS) {
      const problem = await check(key, 'public', caller, { method: 'GET', url: key.split(' ')[1]! });
      if (problem) wrong.push(problem);
    }
    expect(wrong).toEqual([]);
  });
});
