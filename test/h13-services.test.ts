/**
 * The campaign, period, FX rate, settings and audit services over their
 * SQLite repositories, without the HTTP app: each service is built from a
 * `Database` as the app builds it, and every answer is checked by hand.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/features/audit/service.js';
import { CampaignService, type CampaignInput } from '../src/features/campaigns/service.js';
import { FxRateService } from '../src/features/fx-rates/service.js';
import { PeriodService } from '../src/features/periods/service.js';
import { SettingsService } from '../src/features/settings/service.js';
import { AppError } from '../src/lib/errors.js';
import { openSqlite, type SqliteDatabase } from '../src/store/database.js';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const actor = { keyId: 'key_fin', name: 'finance script' };
const path = (i: number) => `items/${i}/`;

let database: SqliteDatabase;
let settings: SettingsService;
let periods: PeriodService;
let fx: FxRateService;
let campaigns: CampaignService;
let audit: AuditLog;

beforeEach(async () => {
  database = openSqlite(':memory:', { actor: () => actor, now: () => NOW });
  settings = new SettingsService(database, database.uow);
  await settings.ensure();
  periods = new PeriodService(database, database.uow, () => NOW);
  fx = new FxRateService(database, database.uow, settings, periods, () => NOW);
  campaigns = new CampaignService(database, database.uow, () => NOW);
  audit = new AuditLog(database);
});
afterEach(() => database.close());

/** The error a promise rejects with, as status, code and the paths it names. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; paths: string[] }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const errors = ((error.extra.errors ?? (error as unknown as { errors?: unknown }).errors ?? []) as { path: string }[]).map((e) => e.path);
    return { status: error.status, code: error.code, paths: errors };
  }
  throw new Error('expected a refusal');
}

describe('PeriodService', () => {
  it('closes an ended month once, refuses writes dated in it, and reopens it with its history', async () => {
    const closed = await periods.close('2026-02', actor, 'February books closed');
    expect(closed).toEqual({
      month: '2026-02',
      status: 'closed',
      closedAt: NOW.toISOString(),
      closedBy: 'finance script',
      reason: 'February books closed',
      history: [{ action: 'close', at: NOW.toISOString(), by: 'finance script', reason: 'February books closed' }],
    });
    expect(await refusal(periods.close('2026-02', actor, 'again'))).toEqual({ status: 409, code: 'period_already_closed', paths: [] });
    // March has not ended on 2026-03-15.
    expect(await refusal(periods.close('2026-03', actor, 'too soon'))).toEqual({ status: 422, code: 'period_not_ended', paths: [] });

    const dates = ['2026-01-31', '2026-02-01', '2026-03-01', '2026-02-28'];
    const guard = () =>
      database.uow.write(() => periods.refuseClosed(dates, path, 'date', (date, months) => months.ofDate(date)));
    // Items 1 and 3 are in February.
    expect(await refusal(guard())).toEqual({ status: 409, code: 'period_closed', paths: ['items/1/date', 'items/3/date'] });

    const reopened = await periods.reopen('2026-02', null, 'late invoice');
    expect(reopened.status).toBe('open');
    expect(reopened.history.map((e) => e.action)).toEqual(['close', 'reopen']);
    await expect(guard()).resolves.toBeUndefined();
    expect(await refusal(periods.reopen('2026-02', null, 'twice'))).toEqual({ status: 409, code: 'period_not_closed', paths: [] });
    expect((await periods.closed()).size).toBe(0);
  });

  it('awaits an answer given as a promise, and lists months by status', async () => {
    await periods.close('2026-01', actor, 'done');
    await periods.close('2026-02', actor, 'done');
    await periods.reopen('2026-01', actor, 'redo');
    const answer = (date: string) => Promise.resolve(date.startsWith('2026-02') ? { month: '2026-02', message: 'reaches February' } : null);
    expect(await refusal(database.uow.write(() => periods.refuseClosed(['2026-01-05', '2026-02-05'], path, 'date', answer)))).toEqual({
      status: 409,
      code: 'period_closed',
      paths: ['items/1/date'],
    });
    const list = (status?: 'open' | 'closed') => periods.list({ status, after: null, limit: 10 }).then((ps) => ps.map((p) => `${p.month} ${p.status}`));
    expect(await list()).toEqual(['2026-01 open', '2026-02 closed']);
    expect(await list('closed')).toEqual(['2026-02 closed']);
    expect(await list('open')).toEqual(['2026-01 open']);
  });
});

describe('FxRateService', () => {
  it('counts inserted, updated and unchanged rates', async () => {
    const rates = [
      { currency: 'EUR', date: '2026-03-01', rate: '1.08' },
      { currency: 'GBP', date: '2026-03-01', rate: '1.27' },
    ];
    expect(await fx.upsert(rates, path)).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
    expect(await fx.upsert(rates, path)).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
    // One changed, one new, one the same: 1 + 1 + 1 = 3 items.
    expect(await fx.upsert([{ ...rates[0]!, rate: '1.09' }, rates[1]!, { currency: 'EUR', date: '2026-03-02', rate: '1.1' }], path)).toEqual({
      inserted: 1,
      updated: 1,
      unchanged: 1,
    });
    expect((await fx.list({ after: null, limit: 10 })).map((q) => `${q.currency} ${q.date} ${q.rate}`)).toEqual([
      'EUR 2026-03-01 1.09',
      'EUR 2026-03-02 1.1',
      'GBP 2026-03-01 1.27',
    ]);
    expect((await fx.coverage()).converts('EUR', '2026-02-28')).toBe(false);
    expect((await fx.coverage()).converts('EUR', '2026-03-01')).toBe(true);
    expect((await fx.table('2026-03-01')).baseCurrency).toBe('USD');
  });

  it('refuses the base currency and a rate that would become the one a closed month converts at', async () => {
    expect(await refusal(fx.upsert([{ currency: 'USD', date: '2026-03-01', rate: '1' }], path))).toEqual({
      status: 400,
      code: 'validation_failed',
      paths: ['items/0/currency'],
    });
    await fx.upsert([{ currency: 'EUR', date: '2026-01-25', rate: '1.05' }], path);
    await periods.close('2026-02', actor, 'done');
    // EUR 2026-01-20 is shielded by the stored EUR 2026-01-25; GBP 2026-01-20 would be February's GBP rate; EUR in February is in it.
    const items = [
      { currency: 'EUR', date: '2026-01-20', rate: '1.04' },
      { currency: 'GBP', date: '2026-01-20', rate: '1.2' },
      { currency: 'EUR', date: '2026-02-10', rate: '1.06' },
    ];
    expect(await refusal(fx.upsert(items, path))).toEqual({ status: 409, code: 'period_closed', paths: ['items/1/date', 'items/2/date'] });
    expect(await fx.upsert([items[0]!], path)).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
  });
});

describe('SettingsService', () => {
  it('keeps the base currency while a month is closed or a rate exists', async () => {
    await periods.close('2026-02', actor, 'done');
    expect(await refusal(settings.update({ baseCurrency: 'EUR' }))).toEqual({ status: 409, code: 'base_currency_months_closed', paths: [] });
    await periods.reopen('2026-02', actor, 'redo');
    await fx.upsert([{ currency: 'EUR', date: '2026-03-01', rate: '1.08' }], path);
    expect(await refusal(settings.update({ baseCurrency: 'EUR' }))).toEqual({ status: 409, code: 'base_currency_has_rates', paths: [] });
    expect(await settings.update({ pacingTolerance: '0.2' })).toEqual({ baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.2' });
    expect((await settings.forWrite()).pacingTolerance).toBe('0.2');
  });
});

describe('CampaignService', () => {
  const item = (id: string, refs: string[] = [], name = `Campaign ${id}`): CampaignInput => ({
    id,
    name,
    channel: 'paid_search',
    startDate: '2026-03-01',
    externalRefs: refs.map((ref) => ({ source: 'google_ads', id: ref })),
  });

  it('counts, lists and moves external refs between campaigns of one batch', async () => {
    expect(await campaigns.upsert([item('a', ['1', '2']), item('b')], path)).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
    expect(await campaigns.upsert([item('a', ['1', '2']), item('b')], path)).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
    // Ref 2 moves from a to b, and c is new: a and b updated, c inserted.
    expect(await campaigns.upsert([item('a', ['1']), item('b', ['2']), item('c', [], 'Shared')], path)).toEqual({ inserted: 1, updated: 2, unchanged: 0 });
    const all = await campaigns.list({ after: null, limit: 10 });
    expect(all.map((c) => `${c.id}:${c.externalRefs.map((r) => r.id).join(',')}`)).toEqual(['a:1', 'b:2', 'c:']);
    expect(await campaigns.resolveExternalRefs([{ source: 'google_ads', id: '2' }, { source: 'google_ads', id: '9' }])).toEqual(new Map([['google_ads\u00002', 'b']]));
    expect(await campaigns.existingIds(['a', 'z', 'c'])).toEqual(new Set(['a', 'c']));
    await campaigns.upsert([item('d', [], 'Shared')], path);
    expect(await campaigns.idsByName(['Shared', 'Nobody'])).toEqual(new Map([['Shared', ['c', 'd']]]));
    expect((await campaigns.get('b')).externalRefs).toEqual([{ source: 'google_ads', id: '2' }]);
    expect(await refusal(campaigns.get('zz'))).toMatchObject({ status: 404 });
  });

  it('refuses a ref another campaign keeps, with the input errors, and writes nothing', async () => {
    await campaigns.upsert([item('a', ['1'])], path);
    const before = database.uow.versionNow();
    const bad = { ...item('b', ['1']), endDate: '2026-02-01' };
    expect(await refusal(campaigns.upsert([bad], path))).toEqual({ status: 400, code: 'validation_failed', paths: ['items/0/endDate', 'items/0/externalRefs/0'] });
    expect(database.uow.versionNow()).toBe(before);
    expect(await campaigns.existingIds(['b'])).toEqual(new Set());
  });
});

describe('AuditLog', () => {
  it('lists the events of the writes above, filtered and paged', async () => {
    await campaigns.upsert([{ id: 'a', name: 'A', channel: 'paid_search', startDate: '2026-03-01', tags: ['x'] }], path);
    await periods.close('2026-02', actor, 'done');
    const events = await audit.list({ actor: 'key_fin', after: null, limit: 10 });
    expect(events.map((e) => `${e.action} ${e.entity} ${e.entityId}`)).toEqual(['insert campaign a', 'close period 2026-02']);
    expect(events[0]!.after).toMatchObject({ id: 'a', tags: ['x'] });
    expect(events[0]!.actor).toEqual({ keyId: 'key_fin', name: 'finance script' });
    const page = await audit.list({ actor: 'finance script', after: events[0]!.id, limit: 10 });
    expect(page.map((e) => e.entity)).toEqual(['period']);
  });
});
