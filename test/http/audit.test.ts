/**
 * The audit trail over HTTP (issue 5): every write records who (the calling
 * key's id and name, never the key), when, what, and the values before and
 * after, in the same transaction as the write; GET /v1/audit filters and
 * pages them, as JSON or CSV, for finance and admin only.
 *
 * The app clock reads 2026-03-15T12:00:00.000Z unless a test moves it with
 * clock.setTime(): every event written through the API is dated by it. A
 * fresh app already holds four events: the inserts of the bootstrap admin
 * key and of makeApp's finance, ops and viewer keys, made outside any
 * request (actor null).
 */
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { ADMIN_KEY, campaignItem, errorPaths, makeApp, parseCsv, problemOf, rawSql, seedCampaigns, snapshot, TEST_STORE, type TestApp } from '../helper.js';

type Json = Record<string, any>;

interface AuditEvent {
  id: number;
  at: string;
  actor: { keyId: string | null; name: string | null };
  action: string;
  entity: string;
  entityId: string | null;
  before: Json | null;
  after: Json | null;
}
type Recorded = Omit<AuditEvent, 'id'>;

const NOW = '2026-03-15T12:00:00.000Z';
const ADMIN_NAME = 'bootstrap admin (SPENDBOOK_ADMIN_KEY)';
const NOBODY = { keyId: null, name: null };

let t: TestApp;
/** The app clock: makeApp keeps this Date, so setTime() moves it. */
let clock: Date;
/** Each role's key as the audit names it, read once per app. */
let actors: Record<Role, { keyId: string; name: string }>;
beforeEach(async () => {
  clock = new Date(NOW);
  t = await makeApp({ now: clock });
  actors = {} as typeof actors;
  for (const role of ['admin', 'finance', 'ops', 'viewer'] as const) {
    const principal = await t.app.apiKeys.authenticate(t.keys[role]);
    if (!principal) throw new Error(`no key for ${role}`);
    actors[role] = { keyId: principal.keyId, name: principal.name };
  }
});
afterEach(() => t.close());

// ---------------------------------------------------------------------------
// Requests and records.

/** A role's key as the audit names it: its id and name. */
function actorOf(role: Role): { keyId: string; name: string } {
  return actors[role];
}

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, role: Role | null = 'ops', headers: Record<string, string> = {}) =>
  t.call({ method, url, role, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

async function ok(res: LightMyRequestResponse | Promise<LightMyRequestResponse>, status = 200): Promise<Json> {
  const answer = await res;
  expect(answer.statusCode, answer.body).toBe(status);
  return answer.body === '' ? {} : (answer.json() as Json);
}

const batch = (method: 'POST' | 'PUT', url: string, items: unknown[], role: Role = 'ops') => ok(call(method, url, { items }, role));

async function audit(query = '', role: Role = 'finance'): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
  const res = await call('GET', `/v1/audit${query ? `?${query}` : ''}`, undefined, role);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
const allEvents = async (): Promise<AuditEvent[]> => (await audit('limit=10000')).items;
const idsOf = (events: AuditEvent[]) => events.map((e) => e.id);

/** Runs `write` and returns the events recorded meanwhile (after the last one before it), without their ids. */
async function eventsOf(write: () => Promise<unknown>): Promise<Recorded[]> {
  const before = await allEvents();
  const lastId = before.length ? before[before.length - 1]!.id : 0;
  await write();
  return (await allEvents()).filter((e) => e.id > lastId).map(({ id: _id, ...rest }) => rest);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
/** The stored audit rows as text (bigints as their digits: both drivers read int8 as bigint here). */
const auditTable = async () =>
  JSON.stringify(await rawSql(t.app).all('select * from audit_events order by id'), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));

/**
 * What numbers a touchpoint or revenue row in the order of insertion, as the
 * `ingest` events' insertedRowids name it: SQLite's rowid, PostgreSQL's `seq`
 * identity (which plays the rowid's part there). Read as numbers, as the
 * events hold them.
 */
async function slotsOf(table: 'touchpoints' | 'revenue'): Promise<[number, string][]> {
  const slot = TEST_STORE === 'postgres' ? 'seq' : 'rowid';
  const rows = await rawSql(t.app).all(`select ${slot} as slot, id from ${table} order by ${slot}`);
  return rows.map((row) => [Number(row.slot), row.id as string]);
}

/**
 * No request's actor is left behind once its write ends. SQLite names the
 * actor in the one-row `audit_context` table, emptied before each commit;
 * PostgreSQL in transaction-local settings (`spendbook.actor_*`), which do
 * not outlive the transaction. Asked on as many connections at once as the
 * pool holds (10), so every connection a write used answers.
 */
async function expectNoActorLeft(): Promise<void> {
  if (TEST_STORE === 'sqlite') {
    expect(await rawSql(t.app).value('select count(*) from audit_context')).toBe(0n);
    return;
  }
  const settings = "select concat(current_setting('spendbook.actor_key_id', true), current_setting('spendbook.actor_name', true), current_setting('spendbook.actor_at', true))";
  const answers = await Promise.all(Array.from({ length: 10 }, () => rawSql(t.app).value(settings)));
  expect(answers).toEqual(Array.from({ length: 10 }, () => ''));
}

const plan = (campaignId: string, month: string, amount: unknown) => ({ campaignId, month, amount, currency: 'USD' });
const line = (reference: string, amount: unknown, date = '2026-03-01') => ({ campaignId: 'a', date, amount, currency: 'USD', source: 'manual', reference });
const touch = (id: string, occurredAt: string, extra: Json = {}) => ({ id, customerId: 'cust-1', campaignId: 'a', occurredAt, ...extra });
/** A campaign as PUT /v1/campaigns/{id} takes it: without its id. */
const campaignBody = (id: string): Json => {
  const { id: _id, ...body } = campaignItem(id);
  return body;
};
const conversion = (id: string, amount: string, extra: Json = {}) => ({ id, customerId: 'cust-1', occurredAt: '2026-03-03T09:00:00Z', amount, currency: 'USD', ...extra });

// ---------------------------------------------------------------------------

describe('every write records its actor, time, action, entity, and the values before and after', () => {
  it('starts with the inserts of the keys made outside any request, by nobody, without their secrets', async () => {
    const events = await allEvents();
    expect(events.map((e) => [e.action, e.entity, e.after?.name, e.actor])).toEqual([
      ['insert', 'api_key', ADMIN_NAME, NOBODY],
      ['insert', 'api_key', 'test finance', NOBODY],
      ['insert', 'api_key', 'test ops', NOBODY],
      ['insert', 'api_key', 'test viewer', NOBODY],
    ]);
    expect(events.map((e) => e.entityId)).toEqual([actorOf('admin').keyId, actorOf('finance').keyId, actorOf('ops').keyId, actorOf('viewer').keyId]);
    expect(events.every((e) => e.at === NOW)).toBe(true);
  });

  it('campaigns: create with an external ref, then an update that moves it to another ad-platform id', async () => {
    const ops = actorOf('ops');
    const created = await eventsOf(() =>
      ok(
        call('PUT', '/v1/campaigns/spring', {
          name: 'Spring search',
          channel: 'paid_search',
          startDate: '2026-03-01',
          tags: ['q1', 'brand'],
          externalRefs: [{ source: 'google_ads', id: '111' }],
        }),
        201,
      ),
    );
    const v1 = { id: 'spring', name: 'Spring search', channel: 'paid_search', startDate: '2026-03-01', endDate: null, tags: ['brand', 'q1'] };
    expect(created).toEqual([
      { at: NOW, actor: ops, action: 'insert', entity: 'campaign', entityId: 'spring', before: null, after: v1 },
      {
        at: NOW,
        actor: ops,
        action: 'insert',
        entity: 'campaign_external_ref',
        entityId: 'google_ads:111',
        before: null,
        after: { source: 'google_ads', externalId: '111', campaignId: 'spring' },
      },
    ]);

    // Renamed, given an end date, and its Google Ads id replaced: 111 goes, 222 comes.
    const body = {
      name: 'Spring search, brand',
      channel: 'paid_search',
      startDate: '2026-03-01',
      endDate: '2026-03-31',
      tags: ['brand', 'q1'],
      externalRefs: [{ source: 'google_ads', id: '222' }],
    };
    const updated = await eventsOf(() => ok(call('PUT', '/v1/campaigns/spring', body)));
    expect(updated).toEqual([
      { at: NOW, actor: ops, action: 'update', entity: 'campaign', entityId: 'spring', before: v1, after: { ...v1, name: 'Spring search, brand', endDate: '2026-03-31' } },
      {
        at: NOW,
        actor: ops,
        action: 'delete',
        entity: 'campaign_external_ref',
        entityId: 'google_ads:111',
        before: { source: 'google_ads', externalId: '111', campaignId: 'spring' },
        after: null,
      },
      {
        at: NOW,
        actor: ops,
        action: 'insert',
        entity: 'campaign_external_ref',
        entityId: 'google_ads:222',
        before: null,
        after: { source: 'google_ads', externalId: '222', campaignId: 'spring' },
      },
    ]);

    // The same campaign again, one by one or in a batch, changes nothing and records nothing.
    expect(await eventsOf(() => ok(call('PUT', '/v1/campaigns/spring', body)))).toEqual([]);
    expect(await eventsOf(() => batch('POST', '/v1/campaigns', [{ id: 'spring', ...body }]))).toEqual([]);
  });

  it('campaigns: an update that keeps the external refs keeps them, and records only the campaign’s change', async () => {
    const ops = actorOf('ops');
    const refs = [{ source: 'google_ads', id: '111' }];
    await ok(call('PUT', '/v1/campaigns/spring', { name: 'Spring search', channel: 'paid_search', startDate: '2026-03-01', externalRefs: refs }), 201);
    const events = await eventsOf(() =>
      ok(call('PUT', '/v1/campaigns/spring', { name: 'Spring search, brand', channel: 'paid_search', startDate: '2026-03-01', externalRefs: refs })),
    );
    // The ref is still the campaign's: imported spend must keep finding it.
    expect((await ok(call('GET', '/v1/campaigns/spring'))).externalRefs).toEqual(refs);
    expect(events.map((e) => [e.action, e.entity, e.entityId])).toEqual([['update', 'campaign', 'spring']]);
  });

  it('plans: an insert, then an update 3100.00 -> 3200.50 by another key (revision 1 -> 2); the same amount again records nothing', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    const inserted = await eventsOf(() => batch('PUT', '/v1/plans', [plan('a', '2026-03', '3100')]));
    const v1 = { campaignId: 'a', month: '2026-03', amount: '3100.00', currency: 'USD', revision: 1 };
    expect(inserted).toEqual([{ at: NOW, actor: actorOf('ops'), action: 'insert', entity: 'plan', entityId: 'a 2026-03', before: null, after: v1 }]);

    const updated = await eventsOf(() => batch('PUT', '/v1/plans', [plan('a', '2026-03', 3200.5)], 'finance'));
    expect(updated).toEqual([
      { at: NOW, actor: actorOf('finance'), action: 'update', entity: 'plan', entityId: 'a 2026-03', before: v1, after: { ...v1, amount: '3200.50', revision: 2 } },
    ]);

    expect(await eventsOf(() => batch('PUT', '/v1/plans', [plan('a', '2026-03', '3200.500000')]))).toEqual([]);
  });

  it('commitments: an insert, then amount and status changed; a re-send records nothing', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    const ops = actorOf('ops');
    const io = { id: 'io-7', campaignId: 'a', month: '2026-03', amount: '500', currency: 'USD', status: 'open' };
    const v1 = { id: 'io-7', campaignId: 'a', month: '2026-03', amount: '500.00', currency: 'USD', status: 'open' };
    expect(await eventsOf(() => batch('POST', '/v1/commitments', [io]))).toEqual([
      { at: NOW, actor: ops, action: 'insert', entity: 'commitment', entityId: 'io-7', before: null, after: v1 },
    ]);
    const changed = { ...io, amount: '450.75', status: 'closed' };
    expect(await eventsOf(() => batch('POST', '/v1/commitments', [changed]))).toEqual([
      { at: NOW, actor: ops, action: 'update', entity: 'commitment', entityId: 'io-7', before: v1, after: { ...v1, amount: '450.75', status: 'closed' } },
    ]);
    expect(await eventsOf(() => batch('POST', '/v1/commitments', [changed]))).toEqual([]);
  });

  it('FX rates (finance): an insert, then a new rate for the same day; a re-send records nothing', async () => {
    const finance = actorOf('finance');
    expect(await eventsOf(() => batch('PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.1' }], 'finance'))).toEqual([
      { at: NOW, actor: finance, action: 'insert', entity: 'fx_rate', entityId: 'EUR 2026-03-01', before: null, after: { currency: 'EUR', date: '2026-03-01', rate: '1.1' } },
    ]);
    expect(await eventsOf(() => batch('PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.12' }], 'finance'))).toEqual([
      {
        at: NOW,
        actor: finance,
        action: 'update',
        entity: 'fx_rate',
        entityId: 'EUR 2026-03-01',
        before: { currency: 'EUR', date: '2026-03-01', rate: '1.1' },
        after: { currency: 'EUR', date: '2026-03-01', rate: '1.12' },
      },
    ]);
    expect(await eventsOf(() => batch('PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.12' }], 'finance'))).toEqual([]);
  });

  it('settings (admin): one event for a change of two fields; the same values again, or none, record nothing', async () => {
    const events = await eventsOf(() => ok(call('PUT', '/v1/settings', { pacingTolerance: '0.15', fiscalYearStartMonth: 4 }, 'admin')));
    expect(events).toEqual([
      {
        at: NOW,
        actor: { keyId: actorOf('admin').keyId, name: ADMIN_NAME },
        action: 'update',
        entity: 'settings',
        entityId: 'settings',
        before: { baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.10' },
        after: { baseCurrency: 'USD', fiscalYearStartMonth: 4, pacingTolerance: '0.15' },
      },
    ]);
    expect(await eventsOf(() => ok(call('PUT', '/v1/settings', { pacingTolerance: '0.15' }, 'admin')))).toEqual([]);
    expect(await eventsOf(() => ok(call('PUT', '/v1/settings', {}, 'admin')))).toEqual([]);
  });

  it('API keys: create and revoke recorded without the hash; the key and its SHA-256 appear nowhere in the audit; the new key is the actor of its writes', async () => {
    const admin = { keyId: actorOf('admin').keyId, name: ADMIN_NAME };
    let created: Json = {};
    const createdEvents = await eventsOf(async () => {
      created = await ok(call('POST', '/v1/api-keys', { name: 'nightly loader', role: 'ops' }, 'admin'), 201);
    });
    const secret = created.key as string;
    const v1 = { id: created.id, name: 'nightly loader', role: 'ops', prefix: secret.slice(0, 7), createdAt: NOW, revokedAt: null };
    expect(createdEvents).toEqual([{ at: NOW, actor: admin, action: 'insert', entity: 'api_key', entityId: created.id, before: null, after: v1 }]);

    // A write with the new key is recorded as its own: its id and name.
    const loaderWrite = await eventsOf(() =>
      ok(t.app.inject({ method: 'POST', url: '/v1/campaigns', headers: { authorization: `Bearer ${secret}` }, payload: { items: [campaignItem('x')] } })),
    );
    expect(loaderWrite.map((e) => [e.action, e.entity, e.entityId, e.actor])).toEqual([['insert', 'campaign', 'x', { keyId: created.id, name: 'nightly loader' }]]);

    clock.setTime(Date.parse('2026-03-16T08:00:00.000Z'));
    const revoked = await eventsOf(() => ok(call('DELETE', `/v1/api-keys/${created.id as string}`, undefined, 'admin'), 204));
    expect(revoked).toEqual([
      { at: '2026-03-16T08:00:00.000Z', actor: admin, action: 'update', entity: 'api_key', entityId: created.id, before: v1, after: { ...v1, revokedAt: '2026-03-16T08:00:00.000Z' } },
    ]);

    // No secret and no hash of one, for this key or any other, in the listing (JSON, CSV) or the table.
    const json = (await call('GET', '/v1/audit?limit=10000', undefined, 'admin')).body;
    const csv = (await call('GET', '/v1/audit?limit=10000&format=csv', undefined, 'admin')).body;
    const table = await auditTable();
    for (const key of [secret, ADMIN_KEY, t.keys.finance, t.keys.ops, t.keys.viewer]) {
      for (const text of [json, csv, table]) {
        expect(text).not.toContain(key);
        expect(text).not.toContain(sha256(key));
      }
    }
    for (const event of (JSON.parse(json) as { items: AuditEvent[] }).items.filter((e) => e.entity === 'api_key')) {
      for (const values of [event.before, event.after]) {
        if (values) expect(Object.keys(values).sort()).toEqual(['createdAt', 'id', 'name', 'prefix', 'revokedAt', 'role']);
      }
    }
  });

  it('spend: a batch is one `ingest` event with its counts and the ids it inserted; the same batch again records nothing', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    const lines = [line('inv-1', '100.00'), line('inv-2', 250.5), line('inv-3', '0.01', '2026-03-02')];
    const events = await eventsOf(() => batch('POST', '/v1/spend', lines));
    expect(events).toEqual([
      { at: NOW, actor: actorOf('ops'), action: 'ingest', entity: 'spend', entityId: null, before: null, after: { inserted: 3, updated: 0, unchanged: 0, insertedIds: [1, 3] } },
    ]);
    // The ids the event names are the lines' ids.
    expect((await ok(call('GET', '/v1/spend'))).items.map((s: Json) => [s.id, s.reference])).toEqual([
      [1, 'inv-1'],
      [2, 'inv-2'],
      [3, 'inv-3'],
    ]);

    let answer: Json = {};
    expect(await eventsOf(async () => (answer = await batch('POST', '/v1/spend', lines)))).toEqual([]);
    expect(answer).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
  });

  it('spend: a restatement is an `update` (amount and version 1 -> 2) plus the batch’s `ingest` with updated 1', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    await batch('POST', '/v1/spend', [line('inv-7', '120.00'), line('inv-8', '80.00')]);
    // inv-7 restated 120.00 -> 135.40, inv-8 sent again as it was, inv-9 new.
    const events = await eventsOf(() => batch('POST', '/v1/spend', [line('inv-7', '135.4'), line('inv-8', '80'), line('inv-9', '5.00')]));
    const v1 = { id: 1, source: 'manual', campaignId: 'a', date: '2026-03-01', reference: 'inv-7', amount: '120.00', currency: 'USD', version: 1 };
    const ops = actorOf('ops');
    expect(events).toEqual([
      { at: NOW, actor: ops, action: 'update', entity: 'spend', entityId: 'manual a 2026-03-01 inv-7', before: v1, after: { ...v1, amount: '135.40', version: 2 } },
      { at: NOW, actor: ops, action: 'ingest', entity: 'spend', entityId: null, before: null, after: { inserted: 1, updated: 1, unchanged: 1, insertedIds: [3, 3] } },
    ]);
    expect((await ok(call('GET', '/v1/spend'))).items.map((s: Json) => [s.id, s.reference, s.amount, s.version])).toEqual([
      [1, 'inv-7', '135.40', 2],
      [2, 'inv-8', '80.00', 1],
      [3, 'inv-9', '5.00', 1],
    ]);
  });

  it('touchpoints: an `ingest` with the rowids inserted; a changed touchpoint is an `update` with before and after', async () => {
    await seedCampaigns(t, [campaignItem('a'), campaignItem('b')]);
    const ops = actorOf('ops');
    const first = [touch('tp-1', '2026-03-01T10:00:00Z'), touch('tp-2', '2026-03-02T10:00:00Z')];
    expect(await eventsOf(() => batch('POST', '/v1/touchpoints', first))).toEqual([
      { at: NOW, actor: ops, action: 'ingest', entity: 'touchpoint', entityId: null, before: null, after: { inserted: 2, updated: 0, unchanged: 0, insertedRowids: [1, 2] } },
    ]);
    expect(await slotsOf('touchpoints')).toEqual([
      [1, 'tp-1'],
      [2, 'tp-2'],
    ]);

    // tp-1 moves to campaign b; tp-2 is sent again as it was.
    const events = await eventsOf(() => batch('POST', '/v1/touchpoints', [touch('tp-1', '2026-03-01T11:00:00Z', { campaignId: 'b' }), first[1]]));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      at: NOW,
      actor: ops,
      action: 'update',
      entity: 'touchpoint',
      entityId: 'tp-1',
      before: { id: 'tp-1', customerId: 'cust-1', campaignId: 'a' },
      after: { id: 'tp-1', customerId: 'cust-1', campaignId: 'b' },
    });
    expect(Object.keys(events[0]!.after!).sort()).toEqual(['campaignId', 'customerId', 'id', 'occurredAt']);
    expect(events[0]!.before!.occurredAt).not.toEqual(events[0]!.after!.occurredAt);
    expect(events[1]).toEqual({
      at: NOW,
      actor: ops,
      action: 'ingest',
      entity: 'touchpoint',
      entityId: null,
      before: null,
      after: { inserted: 0, updated: 1, unchanged: 1, insertedRowids: null },
    });

    expect(await eventsOf(() => batch('POST', '/v1/touchpoints', [touch('tp-1', '2026-03-01T11:00:00Z', { campaignId: 'b' }), first[1]]))).toEqual([]);
  });

  it('revenue: an `ingest` with the rowids inserted; a changed conversion and a changed refund are `update`s with exact amounts', async () => {
    const ops = actorOf('ops');
    const refund = (amount: string) => conversion('ord-1-refund', amount, { occurredAt: '2026-03-10T09:00:00Z', refundOf: 'ord-1' });
    expect(await eventsOf(() => batch('POST', '/v1/revenue', [conversion('ord-1', '300'), refund('-20')]))).toEqual([
      { at: NOW, actor: ops, action: 'ingest', entity: 'revenue', entityId: null, before: null, after: { inserted: 2, updated: 0, unchanged: 0, insertedRowids: [1, 2] } },
    ]);
    expect(await slotsOf('revenue')).toEqual([
      [1, 'ord-1'],
      [2, 'ord-1-refund'],
    ]);

    // 300.00 -> 350.25 and the refund -20.00 -> -25.50.
    const events = await eventsOf(() => batch('POST', '/v1/revenue', [conversion('ord-1', '350.25'), refund('-25.5')]));
    expect(events.map((e) => [e.action, e.entityId, e.before?.amount, e.after?.amount])).toEqual([
      ['update', 'ord-1', '300.00', '350.25'],
      ['update', 'ord-1-refund', '-20.00', '-25.50'],
      ['ingest', null, undefined, undefined],
    ]);
    expect(events[0]).toMatchObject({
      at: NOW,
      actor: ops,
      entity: 'revenue',
      before: { id: 'ord-1', customerId: 'cust-1', currency: 'USD', refundOf: null },
      after: { id: 'ord-1', customerId: 'cust-1', currency: 'USD', refundOf: null },
    });
    expect(events[1]).toMatchObject({ actor: ops, entity: 'revenue', before: { refundOf: 'ord-1' }, after: { refundOf: 'ord-1' } });
    expect(events[2]).toEqual({
      at: NOW,
      actor: ops,
      action: 'ingest',
      entity: 'revenue',
      entityId: null,
      before: null,
      after: { inserted: 0, updated: 2, unchanged: 0, insertedRowids: null },
    });
    expect(await eventsOf(() => batch('POST', '/v1/revenue', [conversion('ord-1', '350.25'), refund('-25.5')]))).toEqual([]);
  });

  it('touchpoints and revenue: instants in before/after read as the API writes them (ISO 8601), not as stored epoch milliseconds', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    await batch('POST', '/v1/touchpoints', [touch('tp-1', '2026-03-01T10:00:00Z')]);
    await batch('POST', '/v1/revenue', [conversion('ord-1', '300')]);
    const events = await eventsOf(async () => {
      await batch('POST', '/v1/touchpoints', [touch('tp-1', '2026-03-01T11:00:00Z')]);
      await batch('POST', '/v1/revenue', [conversion('ord-1', '300', { occurredAt: '2026-03-04T09:00:00Z' })]);
    });
    const updates = events.filter((e) => e.action === 'update');
    expect(updates.map((e) => [e.entity, e.before?.occurredAt, e.after?.occurredAt])).toEqual([
      ['touchpoint', '2026-03-01T10:00:00.000Z', '2026-03-01T11:00:00.000Z'],
      ['revenue', '2026-03-03T09:00:00.000Z', '2026-03-04T09:00:00.000Z'],
    ]);
  });

  it('periods: a close (finance) and a reopen (admin), each with its reason', async () => {
    const closed = await eventsOf(() => ok(call('POST', '/v1/periods/2026-02/close', { reason: 'February books closed' }, 'finance')));
    expect(closed).toEqual([
      { at: NOW, actor: actorOf('finance'), action: 'close', entity: 'period', entityId: '2026-02', before: null, after: { month: '2026-02', action: 'close', reason: 'February books closed' } },
    ]);
    clock.setTime(Date.parse('2026-03-20T16:45:00.000Z'));
    const reopened = await eventsOf(() => ok(call('POST', '/v1/periods/2026-02/reopen', { reason: 'late Meta invoice INV-2291' }, 'admin')));
    expect(reopened).toEqual([
      {
        at: '2026-03-20T16:45:00.000Z',
        actor: { keyId: actorOf('admin').keyId, name: ADMIN_NAME },
        action: 'reopen',
        entity: 'period',
        entityId: '2026-02',
        before: null,
        after: { month: '2026-02', action: 'reopen', reason: 'late Meta invoice INV-2291' },
      },
    ]);
    // A close without a reason is refused, and records nothing.
    expect(await eventsOf(async () => problemOf(await call('POST', '/v1/periods/2026-01/close', undefined, 'finance'), 400, 'validation_failed'))).toEqual([]);
  });

  it('forecast snapshots: the insert, with its name, period, asOf, method, grouping and currency', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    await batch('PUT', '/v1/plans', [plan('a', '2026-03', '3100')]);
    let snap: Json = {};
    const events = await eventsOf(async () => {
      snap = await ok(call('POST', '/v1/forecasts', { name: 'March mid-month', month: '2026-03', asOf: '2026-03-15', method: 'run_rate' }), 201);
    });
    expect(events).toEqual([
      {
        at: NOW,
        actor: actorOf('ops'),
        action: 'insert',
        entity: 'forecast_snapshot',
        entityId: snap.id,
        before: null,
        after: { id: snap.id, name: 'March mid-month', fromMonth: '2026-03', toMonth: '2026-03', asOf: '2026-03-15', method: 'run_rate', groupBy: 'campaign', currency: 'USD' },
      },
    ]);
    // A second snapshot under the same name is refused, and records nothing.
    expect(await eventsOf(async () => problemOf(await call('POST', '/v1/forecasts', { name: 'March mid-month', month: '2026-03', method: 'trailing_7d' }), 409))).toEqual([]);
  });

  it('shows 999999999999.999999 exactly (18 significant digits, above 2^53 micros), in JSON, CSV and the stored row', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    const events = await eventsOf(async () => {
      await batch('PUT', '/v1/plans', [plan('a', '2026-03', '999999999999.999999')]);
      await batch('POST', '/v1/spend', [line('inv-1', '999999999999.999999')]);
      await batch('POST', '/v1/spend', [line('inv-1', '999999999999.999998')]);
    });
    expect(events.map((e) => [e.entity, e.action, e.before?.amount, e.after?.amount])).toEqual([
      ['plan', 'insert', undefined, '999999999999.999999'],
      ['spend', 'ingest', undefined, undefined],
      ['spend', 'update', '999999999999.999999', '999999999999.999998'],
      ['spend', 'ingest', undefined, undefined],
    ]);
    // Exact in the raw answer too (a float would print 1000000000000).
    const body = (await call('GET', '/v1/audit?entity=spend&action=update', undefined, 'finance')).body;
    expect(body).toContain('"amount":"999999999999.999999"');
    expect(body).toContain('"amount":"999999999999.999998"');
    const csv = (await call('GET', '/v1/audit?entity=plan&format=csv', undefined, 'finance')).body;
    expect(JSON.parse(parseCsv(csv)[1]![8]!).amount).toBe('999999999999.999999');
    // Stored as text: no JSON reader rounds it.
    const stored = (await rawSql(t.app).value("select after from audit_events where entity = 'plan'")) as string;
    expect(JSON.parse(stored)).toMatchObject({ amount_micros: '999999999999999999' });
  });

  it('a replayed idempotent request records no second event', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    const send = () => call('POST', '/v1/spend', { items: [line('inv-1', '10')] }, 'ops', { 'idempotency-key': 'load-2026-03-01' });
    const events = await eventsOf(async () => {
      await ok(send());
      const replay = await send();
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });
    expect(events.map((e) => [e.action, e.entity])).toEqual([['ingest', 'spend']]);
  });

  it('requests running at the same time are each recorded as their own key', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    const events = await eventsOf(() =>
      Promise.all([
        ok(call('PUT', '/v1/campaigns/by-ops', campaignBody('by-ops'), 'ops'), 201),
        batch('PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.1' }], 'finance'),
        ok(call('PUT', '/v1/settings', { pacingTolerance: '0.2' }, 'admin')),
        batch('PUT', '/v1/plans', [plan('a', '2026-04', '10')], 'finance'),
        batch('POST', '/v1/spend', [line('inv-1', '10')], 'ops'),
        ok(call('PUT', '/v1/campaigns/by-admin', campaignBody('by-admin'), 'admin'), 201),
      ]),
    );
    const byEntity = Object.fromEntries(events.map((e) => [`${e.entity} ${e.entityId ?? ''}`, e.actor.name]));
    expect(byEntity).toEqual({
      'campaign by-ops': 'test ops',
      'fx_rate EUR 2026-03-01': 'test finance',
      'settings settings': ADMIN_NAME,
      'plan a 2026-04': 'test finance',
      'spend ': 'test ops',
      'campaign by-admin': ADMIN_NAME,
    });
    await expectNoActorLeft();
  });
});

// ---------------------------------------------------------------------------

describe('a refused write records nothing', () => {
  let before: string;
  let listed: AuditEvent[];
  beforeEach(async () => {
    await seedCampaigns(t, [campaignItem('a', { externalRefs: [{ source: 'google_ads', id: '111' }] }), campaignItem('b')]);
    await batch('PUT', '/v1/plans', [plan('a', '2026-03', '3100')]);
    await ok(call('POST', '/v1/periods/2026-02/close', { reason: 'February books closed' }, 'finance'));
    before = await snapshot(t.app);
    listed = await allEvents();
  });
  afterEach(async () => {
    expect(await snapshot(t.app)).toBe(before);
    expect(await allEvents()).toEqual(listed);
    await expectNoActorLeft();
  });

  it('400: bad input, before or inside the write’s transaction', async () => {
    expect(errorPaths(await call('POST', '/v1/spend', { items: [line('inv-1', '10'), line('inv-2', '1.1234567')] }))).toEqual(['items/1/amount']);
    expect(errorPaths(await call('PUT', '/v1/plans', { items: [plan('a', '2026-04', '10'), plan('ghost', '2026-04', '10')] }))).toEqual(['items/1/campaignId']);
    expect(errorPaths(await call('PUT', '/v1/settings', { pacingTolerance: 'lots' }, 'admin'))).toEqual(['pacingTolerance']);
    // Refused inside the transaction, after its actor was set: b may not take a's Google Ads id.
    expect(errorPaths(await call('POST', '/v1/campaigns', { items: [campaignItem('c'), campaignItem('b', { externalRefs: [{ source: 'google_ads', id: '111' }] })] }))).toEqual([
      'items/1/externalRefs/0',
    ]);
    expect(errorPaths(await call('POST', '/v1/api-keys', { name: '', role: 'ops' }, 'admin'))).toEqual(['name']);
  });

  it('409: a write dated in a closed month, a taken snapshot name, the last admin key', async () => {
    problemOf(await call('PUT', '/v1/plans', { items: [plan('a', '2026-04', '10'), plan('a', '2026-02', '10')] }), 409, 'period_closed');
    problemOf(await call('POST', '/v1/spend', { items: [line('inv-1', '10'), line('inv-2', '10', '2026-02-10')] }), 409, 'period_closed');
    problemOf(await call('POST', '/v1/revenue', { items: [conversion('ord-1', '10', { occurredAt: '2026-02-03T09:00:00Z' })] }), 409, 'period_closed');
    problemOf(await call('POST', '/v1/periods/2026-02/close', { reason: 'again' }, 'finance'), 409, 'period_already_closed');
    problemOf(await call('DELETE', `/v1/api-keys/${actorOf('admin').keyId}`, undefined, 'admin'), 409, 'last_admin_key');
  });

  it('403 and 401: a role that may not, or no key', async () => {
    problemOf(await call('PUT', '/v1/settings', { pacingTolerance: '0.2' }, 'ops'), 403);
    problemOf(await call('PUT', '/v1/fx-rates', { items: [{ date: '2026-03-01', currency: 'EUR', rate: '1.1' }] }, 'ops'), 403);
    problemOf(await call('POST', '/v1/spend', { items: [line('inv-1', '10')] }, 'viewer'), 403);
    problemOf(await call('POST', '/v1/periods/2026-02/reopen', { reason: 'because' }, 'finance'), 403);
    problemOf(await call('POST', '/v1/api-keys', { name: 'x', role: 'admin' }, 'finance'), 403);
    problemOf(await call('PUT', '/v1/plans', { items: [plan('a', '2026-04', '10')] }, null), 401);
  });
});

// ---------------------------------------------------------------------------

describe('a write made around the API', () => {
  it('is recorded all the same, with no actor, even right after a request', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    await batch('PUT', '/v1/plans', [plan('a', '2026-03', '3100')]);
    await batch('POST', '/v1/spend', [line('inv-1', '12.34')]);
    const lastId = (await allEvents()).at(-1)!.id;

    const sql = rawSql(t.app);
    await sql.run("update plans set amount_micros = 3300000000, revision = 2 where campaign_id = 'a' and month = '2026-03'");
    await sql.run("insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values ('io-sql', 'a', '2026-03', 1500000, 'USD', 'open', 'x')");
    await sql.run('delete from spend where id = 1');
    await sql.run("update settings set pacing_tolerance = '0.25'");

    const events = (await allEvents()).filter((e) => e.id > lastId);
    for (const event of events) {
      expect(event.actor).toEqual(NOBODY);
      // No request set the time: the database's own clock, as an ISO instant.
      expect(event.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    expect(events.map(({ action, entity, entityId, before, after }) => ({ action, entity, entityId, before, after }))).toEqual([
      {
        action: 'update',
        entity: 'plan',
        entityId: 'a 2026-03',
        before: { campaignId: 'a', month: '2026-03', amount: '3100.00', currency: 'USD', revision: 1 },
        after: { campaignId: 'a', month: '2026-03', amount: '3300.00', currency: 'USD', revision: 2 },
      },
      {
        action: 'insert',
        entity: 'commitment',
        entityId: 'io-sql',
        before: null,
        after: { id: 'io-sql', campaignId: 'a', month: '2026-03', amount: '1.50', currency: 'USD', status: 'open' },
      },
      {
        action: 'delete',
        entity: 'spend',
        entityId: 'manual a 2026-03-01 inv-1',
        before: { id: 1, source: 'manual', campaignId: 'a', date: '2026-03-01', reference: 'inv-1', amount: '12.34', currency: 'USD', version: 1 },
        after: null,
      },
      {
        action: 'update',
        entity: 'settings',
        entityId: 'settings',
        before: { baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.10' },
        after: { baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.25' },
      },
    ]);
  });
});

describe('audit_events is append-only', () => {
  it('refuses UPDATE and DELETE, even straight through the database', async () => {
    const listed = await allEvents();
    const table = await auditTable();
    const sql = rawSql(t.app);
    await expect(sql.run("update audit_events set actor_name = 'someone else' where id = 1")).rejects.toThrow(/history_immutable/);
    await expect(sql.run('update audit_events set after = null')).rejects.toThrow(/history_immutable/);
    await expect(sql.run('delete from audit_events where id = 1')).rejects.toThrow(/history_immutable/);
    await expect(sql.run('delete from audit_events')).rejects.toThrow(/history_immutable/);
    // SQLite has no TRUNCATE; PostgreSQL's fires no row trigger, so a statement trigger refuses it.
    if (TEST_STORE === 'postgres') await expect(sql.run('truncate audit_events')).rejects.toThrow(/history_immutable/);
    expect(await auditTable()).toBe(table);
    expect(await allEvents()).toEqual(listed);
  });
});

// ---------------------------------------------------------------------------

describe('GET /v1/audit', () => {
  /**
   * Four key inserts at 2026-03-15T12:00 (nobody); campaigns a and b by ops
   * at 2026-03-16T09:30; a plan by finance and a settings change by admin at
   * 2026-03-17T00:00 exactly.
   */
  async function seedAtThreeTimes(): Promise<void> {
    clock.setTime(Date.parse('2026-03-16T09:30:00.000Z'));
    await seedCampaigns(t, [campaignItem('a'), campaignItem('b')]);
    clock.setTime(Date.parse('2026-03-17T00:00:00.000Z'));
    await batch('PUT', '/v1/plans', [plan('a', '2026-03', '100')], 'finance');
    await ok(call('PUT', '/v1/settings', { pacingTolerance: '0.2' }, 'admin'));
  }
  const described = async (query: string) => (await audit(query)).items.map((e) => `${e.action} ${e.entity} ${e.entityId ?? ''}`);
  const KEYS = ['insert api_key', 'insert api_key', 'insert api_key', 'insert api_key'];

  it('filters by entity, entityId, actor (key id or name) and action', async () => {
    await seedAtThreeTimes();
    const all = await allEvents();
    expect(all.map((e) => e.at)).toEqual([NOW, NOW, NOW, NOW, '2026-03-16T09:30:00.000Z', '2026-03-16T09:30:00.000Z', '2026-03-17T00:00:00.000Z', '2026-03-17T00:00:00.000Z']);

    expect(await described('entity=campaign')).toEqual(['insert campaign a', 'insert campaign b']);
    expect(await described('entity=campaign&entityId=b')).toEqual(['insert campaign b']);
    expect(await described('entityId=a%202026-03')).toEqual(['insert plan a 2026-03']);
    expect(await described(`actor=${actorOf('ops').keyId}`)).toEqual(['insert campaign a', 'insert campaign b']);
    expect(await described('actor=test%20ops')).toEqual(['insert campaign a', 'insert campaign b']);
    expect(await described(`actor=${actorOf('finance').keyId}`)).toEqual(['insert plan a 2026-03']);
    expect(await described(`actor=${encodeURIComponent(ADMIN_NAME)}`)).toEqual(['update settings settings']);
    expect(await described('action=update')).toEqual(['update settings settings']);
    expect(await described('action=insert&entity=api_key')).toEqual(all.slice(0, 4).map((e) => `insert api_key ${e.entityId}`));
    expect(await described('actor=test%20ops&entity=plan')).toEqual([]);
    expect(await described('actor=nobody-at-all')).toEqual([]);
  });

  it('filters by time: from inclusive, to exclusive, as UTC dates or instants with milliseconds', async () => {
    await seedAtThreeTimes();
    const keys = KEYS.length;
    const count = async (query: string) => (await audit(query)).items.length;
    expect(await count('from=2026-03-16')).toBe(4);
    expect(await count('to=2026-03-16')).toBe(keys);
    expect(await count('from=2026-03-16&to=2026-03-17')).toBe(2); // the events at 2026-03-17T00:00 exactly are out
    expect(await count('from=2026-03-17')).toBe(2);
    expect(await count('to=2026-03-18')).toBe(8);
    expect(await count('from=2026-03-16T09:30:00.000Z')).toBe(4);
    expect(await count('from=2026-03-16T09:30:00.001Z')).toBe(2);
    expect(await count('to=2026-03-17T00:00:00.000Z')).toBe(keys + 2);
    expect(await count('to=2026-03-16T09:30:00.000Z')).toBe(keys);
    expect(await count('from=2026-03-16T09:29Z&to=2026-03-16T09:31Z')).toBe(2);
    expect(await count('from=2026-03-18')).toBe(0);
    expect(await count('from=2026-03-16&to=2026-03-16')).toBe(0);
    expect(await described('from=2026-03-16&entity=campaign&actor=test%20ops')).toEqual(['insert campaign a', 'insert campaign b']);
  });

  it('filters by time with instants written without milliseconds or seconds, as the same instants', async () => {
    await seedAtThreeTimes();
    const count = async (query: string) => (await audit(query)).items.length;
    // 2026-03-16T09:30Z is the instant 09:30:00.000: from is inclusive, so the campaigns written then are in.
    expect(await count('from=2026-03-16T09:30Z')).toBe(4);
    expect(await count('from=2026-03-16T09:30:00Z')).toBe(4);
    // The same instant written with an offset.
    expect(await count('from=2026-03-16T10:30:00%2B01:00')).toBe(4);
    // 2026-03-17T00:00Z is the instant of the plan and settings events: to is exclusive, so they are out.
    expect(await count('to=2026-03-17T00:00Z')).toBe(6);
    expect(await count('to=2026-03-17T00:00:00Z')).toBe(6);
    // An event at 09:30:45 is after 09:30.
    clock.setTime(Date.parse('2026-03-16T09:30:45.000Z'));
    await seedCampaigns(t, [campaignItem('c')]);
    expect(await described('entity=campaign&from=2026-03-16T09:30:30Z&to=2026-03-16T09:31Z')).toEqual(['insert campaign c']);
  });

  it('pages with limit and cursor: every event once, in id order, and nextCursor null at the end', async () => {
    await seedCampaigns(t, [campaignItem('a'), campaignItem('b'), campaignItem('c'), campaignItem('d'), campaignItem('e')]);
    await batch('PUT', '/v1/plans', [plan('a', '2026-03', '1'), plan('b', '2026-03', '2')]);
    const all = await allEvents();
    expect(all).toHaveLength(11);

    const walk = async (query: string, limit: number) => {
      const seen: AuditEvent[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await audit(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 100);
      return { seen, pages };
    };

    const byThree = await walk('', 3);
    expect(byThree.pages).toBe(4);
    expect(byThree.seen).toEqual(all);
    expect(idsOf(byThree.seen)).toEqual([...idsOf(all)].sort((x, y) => x - y));
    expect(new Set(idsOf(byThree.seen)).size).toBe(11);

    const campaigns = await walk('entity=campaign', 2);
    expect(campaigns.seen.map((e) => e.entityId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(campaigns.pages).toBe(3);

    // A page that ends exactly at the last event says so.
    expect((await audit('limit=11')).nextCursor).toBeNull();
    expect((await audit('limit=10')).nextCursor).not.toBeNull();
    // The default page is 100.
    expect((await audit()).items).toEqual(all);
  });

  it('answers CSV (format=csv or Accept: text/csv): the JSON field names as header, before and after as JSON text', async () => {
    await seedCampaigns(t, [campaignItem('a')]);
    await batch('PUT', '/v1/plans', [plan('a', '2026-03', '3100')]);
    await batch('PUT', '/v1/plans', [plan('a', '2026-03', '3200.50')], 'finance');
    const all = await allEvents();
    for (const res of [
      await call('GET', '/v1/audit?format=csv&limit=10000', undefined, 'finance'),
      await call('GET', '/v1/audit?limit=10000', undefined, 'finance', { accept: 'text/csv' }),
    ]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const rows = parseCsv(res.body);
      expect(rows[0]).toEqual(['id', 'at', 'actorKeyId', 'actorName', 'action', 'entity', 'entityId', 'before', 'after']);
      expect(rows).toHaveLength(all.length + 1);
      rows.slice(1).forEach((row, i) => {
        const event = all[i]!;
        expect(row.slice(0, 7)).toEqual([String(event.id), event.at, event.actor.keyId ?? '', event.actor.name ?? '', event.action, event.entity, event.entityId ?? '']);
        expect(row[7] === '' ? null : JSON.parse(row[7]!)).toEqual(event.before);
        expect(row[8] === '' ? null : JSON.parse(row[8]!)).toEqual(event.after);
      });
      const update = rows.find((row) => row[4] === 'update' && row[5] === 'plan')!;
      expect(update[3]).toBe('test finance');
      expect(JSON.parse(update[7]!)).toEqual({ campaignId: 'a', month: '2026-03', amount: '3100.00', currency: 'USD', revision: 1 });
      expect(JSON.parse(update[8]!)).toEqual({ campaignId: 'a', month: '2026-03', amount: '3200.50', currency: 'USD', revision: 2 });
    }
  });

  it('CSV: an actor name a spreadsheet would run as a formula is neutralised', async () => {
    const created = await ok(call('POST', '/v1/api-keys', { name: '=HYPERLINK("http://x","y")', role: 'ops' }, 'admin'), 201);
    await ok(t.app.inject({ method: 'PUT', url: '/v1/campaigns/a', headers: { authorization: `Bearer ${created.key as string}` }, payload: campaignBody('a') }), 201);
    const rows = parseCsv((await call('GET', '/v1/audit?entity=campaign&format=csv', undefined, 'finance')).body);
    expect(rows[1]![3]).toBe(`'=HYPERLINK("http://x","y")`);
  });

  it('answers admin and finance; refuses ops and viewer (403) and no key or a bad key (401)', async () => {
    for (const role of ['admin', 'finance'] as const) expect((await call('GET', '/v1/audit', undefined, role)).statusCode).toBe(200);
    for (const role of ['ops', 'viewer'] as const) problemOf(await call('GET', '/v1/audit', undefined, role), 403, 'forbidden');
    problemOf(await call('GET', '/v1/audit', undefined, null), 401, 'unauthorized');
    problemOf(await t.app.inject({ method: 'GET', url: '/v1/audit', headers: { authorization: 'Bearer sb_not_a_key' } }), 401, 'unauthorized');
    problemOf(await call('GET', '/v1/audit?format=csv', undefined, 'viewer'), 403);
  });

  it.each([
    ['entity=widget', 'entity'],
    ['entity=', 'entity'],
    ['action=frob', 'action'],
    ['from=yesterday', 'from'],
    ['from=2026-03-15T12:00:00%2B25:00', 'from'],
    ['to=15/03/2026', 'to'],
    ['limit=0', 'limit'],
    ['limit=10001', 'limit'],
    ['limit=ten', 'limit'],
    ['colour=red', 'colour'],
    ['cursor=zzz', 'cursor'],
    [`cursor=${Buffer.from('"abc"').toString('base64url')}`, 'cursor'],
    [`cursor=${Buffer.from('1.5').toString('base64url')}`, 'cursor'],
    ['entityId=', 'entityId'],
  ])('refuses %s with a 400 naming the parameter', async (query, parameter) => {
    expect(errorPaths(await call('GET', `/v1/audit?${query}`, undefined, 'finance'))).toEqual([parameter]);
  });

  it.each([
    ['from=2026-13-01', 'from'],
    ['from=2026-02-30', 'from'],
    ['to=2026-03-15T25:00Z', 'to'],
    ['to=2026-03-15T12:61:00Z', 'to'],
  ])('refuses %s, which has the shape of a date or instant but is none, with a 400 naming the parameter', async (query, parameter) => {
    expect(errorPaths(await call('GET', `/v1/audit?${query}`, undefined, 'finance'))).toEqual([parameter]);
  });
});
