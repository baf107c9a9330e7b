/**
 * Month close over HTTP: closing and reopening (roles, reasons, history),
 * every write path refusing a write dated in a closed month (the whole batch,
 * naming the month and the item), the database triggers underneath, the FX
 * rule for rates dated before a closed month, and reports of a closed month
 * that read the same before and after.
 *
 * The app clock reads 2026-03-15T12:00Z unless a test moves it; February 2026
 * is the month that gets closed. Its neighbours, January and March, stay open.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { campaignItem, countRows, errorPaths, makeApp, problemOf, rawSql, seedCampaigns, snapshot, type ProblemBody, type TestApp } from '../helper.js';

let t: TestApp;
/** The app clock: tests may move it with clock.setTime(). */
let clock: Date;
beforeEach(async () => {
  clock = new Date('2026-03-15T12:00:00.000Z');
  t = await makeApp({ now: clock });
  await seedCampaigns(t, [campaignItem('a'), campaignItem('b', { channel: 'paid_social' }), campaignItem('c', { channel: 'email' })]);
});
afterEach(() => t.close());

// ---------------------------------------------------------------------------
// Requests and records.

type Items = unknown[];
const ADMIN_NAME = 'bootstrap admin (SPENDBOOK_ADMIN_KEY)';

/** A close needs a reason: `BOOKS_CLOSED` unless the test gives its own payload, or `bare` for no body at all. */
const BOOKS_CLOSED = 'books closed';
const close = (month: string, options: { role?: Role | null; payload?: unknown; bare?: boolean } = {}) =>
  t.call({
    method: 'POST',
    url: `/v1/periods/${month}/close`,
    role: options.role === undefined ? 'finance' : options.role,
    ...(options.bare ? {} : { payload: (options.payload === undefined ? { reason: BOOKS_CLOSED } : options.payload) as object }),
  });
const reopen = (month: string, payload: unknown, role: Role | null = 'admin') =>
  t.call({ method: 'POST', url: `/v1/periods/${month}/reopen`, role, ...(payload === undefined ? {} : { payload: payload as object }) });
const periods = (query = '', role: Role | null = 'ops') => t.call({ method: 'GET', url: `/v1/periods${query}`, role });

const putPlans = (items: Items) => t.call({ method: 'PUT', url: '/v1/plans', role: 'ops', payload: { items } });
const postCommitments = (items: Items) => t.call({ method: 'POST', url: '/v1/commitments', role: 'ops', payload: { items } });
const postSpend = (items: Items) => t.call({ method: 'POST', url: '/v1/spend', role: 'ops', payload: { items } });
const putRates = (items: Items) => t.call({ method: 'PUT', url: '/v1/fx-rates', role: 'finance', payload: { items } });
const postTouchpoints = (items: Items) => t.call({ method: 'POST', url: '/v1/touchpoints', role: 'ops', payload: { items } });
const postRevenue = (items: Items) => t.call({ method: 'POST', url: '/v1/revenue', role: 'ops', payload: { items } });

const plan = (campaignId: string, month: string, amount = '1000') => ({ campaignId, month, amount, currency: 'USD' });
const io = (id: string, month: string, extra: Record<string, unknown> = {}) => ({ id, campaignId: 'a', month, amount: '500', currency: 'USD', ...extra });
const line = (campaignId: string, date: string, amount = '100', currency = 'USD') => ({ campaignId, date, amount, currency, source: 'manual' });
const rate = (date: string, currency: string, value: string) => ({ date, currency, rate: value });
const touch = (id: string, occurredAt: string, extra: Record<string, unknown> = {}) => ({ id, customerId: 'cust-1', campaignId: 'a', occurredAt, ...extra });
const conversion = (id: string, occurredAt: string, extra: Record<string, unknown> = {}) => ({
  id,
  customerId: 'cust-1',
  occurredAt,
  amount: '300.00',
  currency: 'USD',
  ...extra,
});

async function ok(res: LightMyRequestResponse | Promise<LightMyRequestResponse>): Promise<any> {
  const answer = await res;
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json();
}

/** A 409 period_closed naming exactly these months, and (if given) exactly these item paths. */
function closedProblem(res: LightMyRequestResponse, months: string[], paths?: string[]): ProblemBody {
  const problem = problemOf(res, 409, 'period_closed');
  expect(problem.months).toEqual(months);
  for (const month of months) expect(problem.detail).toContain(month);
  if (paths !== undefined) {
    expect((problem.errors ?? []).map((e) => e.path)).toEqual(paths);
    expect(problem.count).toBe(paths.length);
    for (const error of problem.errors ?? []) expect(error.message).toMatch(/\d{4}-\d{2}/);
  }
  return problem;
}

/**
 * Sends a batch in which exactly item `index` is dated in closed February:
 * 409 naming February and that item, nothing written. Then the same batch
 * without that item goes through, and its answer is returned.
 */
async function refusesOnlyItem(send: (items: Items) => Promise<LightMyRequestResponse>, items: Items, index: number, field: string): Promise<unknown> {
  const before = await snapshot(t.app);
  const problem = closedProblem(await send(items), ['2026-02'], [`items/${index}/${field}`]);
  expect(problem.errors![0]!.message).toContain('2026-02');
  expect(await snapshot(t.app)).toBe(before);
  return ok(send(items.filter((_, i) => i !== index)));
}

/**
 * Records in January, February and March, written while all are open; then
 * February is closed by finance. EUR converts at 1.10 from January 1st and
 * 1.12 from February 1st.
 */
async function seedAndCloseFebruary(): Promise<void> {
  await ok(putRates([rate('2026-01-01', 'EUR', '1.10'), rate('2026-02-01', 'EUR', '1.12')]));
  await ok(putPlans([plan('a', '2026-01'), plan('a', '2026-02', '2000'), plan('b', '2026-02', '500'), plan('a', '2026-03', '3000')]));
  await ok(postCommitments([io('io-jan', '2026-01'), io('io-feb', '2026-02'), io('io-mar', '2026-03')]));
  await ok(
    postSpend([
      line('a', '2026-01-15'),
      line('a', '2026-02-10', '700'),
      line('b', '2026-02-20', '50', 'EUR'),
      line('a', '2026-02-25', '300'),
      line('a', '2026-03-02'),
    ]),
  );
  await ok(
    postTouchpoints([
      touch('tp-jan', '2026-01-20T09:00:00Z', { campaignId: 'b' }),
      touch('tp-feb', '2026-02-10T09:00:00Z'),
      touch('tp-feb-2', '2026-02-11T09:00:00Z', { customerId: 'cust-2', campaignId: 'b' }),
      touch('tp-mar', '2026-03-02T09:00:00Z', { campaignId: 'c' }),
    ]),
  );
  await ok(
    postRevenue([
      conversion('ord-jan', '2026-01-25T09:00:00Z'),
      conversion('ord-feb', '2026-02-12T09:00:00Z'),
      conversion('ord-feb-2', '2026-02-14T09:00:00Z', { customerId: 'cust-2', amount: '80', currency: 'EUR' }),
      conversion('ord-mar', '2026-03-03T09:00:00Z'),
    ]),
  );
  await ok(close('2026-02', { payload: { reason: 'February books closed' } }));
}

// ---------------------------------------------------------------------------

describe('POST /v1/periods/{month}/close', () => {
  it('closes a month that has ended, by finance, with who, when and why', async () => {
    const period = await ok(close('2026-02', { payload: { reason: '  February books closed ' } }));
    expect(period).toEqual({
      month: '2026-02',
      status: 'closed',
      closedAt: '2026-03-15T12:00:00.000Z',
      closedBy: 'test finance',
      reason: 'February books closed',
      history: [{ action: 'close', at: '2026-03-15T12:00:00.000Z', by: 'test finance', reason: 'February books closed' }],
    });
    expect((await ok(periods())).items).toEqual([period]);
  });

  it('needs a reason, like a reopen: no body, an empty or null body, a missing or blank reason are 400 naming `reason`, closing nothing', async () => {
    const before = await snapshot(t.app);
    const nullBody = await t.call({ method: 'POST', url: '/v1/periods/2026-02/close', role: 'finance', payload: 'null', headers: { 'content-type': 'application/json' } });
    for (const res of [await close('2026-02', { bare: true }), nullBody]) {
      const problem = problemOf(res, 400, 'validation_failed');
      expect(problem.detail).toContain('reason');
    }
    for (const payload of [{}, { reason: '' }, { reason: ' \t ' }, { reason: null }]) {
      expect(errorPaths(await close('2026-02', { payload })), JSON.stringify(payload)).toEqual(['reason']);
    }
    expect(problemOf(await close('2026-02', { payload: {} }), 400).errors).toEqual([{ path: 'reason', message: 'is required: say why' }]);
    expect(await snapshot(t.app)).toBe(before);
    expect(await ok(close('2026-01', { role: 'admin' }))).toMatchObject({ month: '2026-01', status: 'closed', closedBy: ADMIN_NAME, reason: BOOKS_CLOSED });
  });

  it('is for finance and admin: ops and viewer get 403, no key 401, and nothing is closed', async () => {
    const before = await snapshot(t.app);
    problemOf(await close('2026-02', { role: 'ops' }), 403, 'forbidden');
    problemOf(await close('2026-02', { role: 'viewer' }), 403, 'forbidden');
    problemOf(await close('2026-02', { role: null }), 401, 'unauthorized');
    expect(await snapshot(t.app)).toBe(before);
    expect(await ok(postSpend([line('a', '2026-02-10')]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
  });

  it('refuses a month that has not ended (422 period_not_ended): the current month, a future one', async () => {
    const before = await snapshot(t.app);
    for (const month of ['2026-03', '2026-04', '2027-01']) {
      const problem = problemOf(await close(month), 422, 'period_not_ended');
      expect(problem.detail).toContain(month);
    }
    expect(await snapshot(t.app)).toBe(before);
  });

  it('can close a month from the first instant of the day after its last day, not before', async () => {
    clock.setTime(Date.parse('2026-02-28T23:59:59.999Z'));
    problemOf(await close('2026-02'), 422, 'period_not_ended');
    clock.setTime(Date.parse('2026-03-01T00:00:00.000Z'));
    expect(await ok(close('2026-02'))).toMatchObject({ status: 'closed', closedAt: '2026-03-01T00:00:00.000Z' });
  });

  it('refuses to close a closed month (409 period_already_closed), keeping the first close', async () => {
    await ok(close('2026-02', { payload: { reason: 'first' } }));
    const before = await snapshot(t.app);
    const problem = problemOf(await close('2026-02', { role: 'admin', payload: { reason: 'second' } }), 409, 'period_already_closed');
    expect(problem.detail).toContain('2026-02');
    expect(await snapshot(t.app)).toBe(before);
    expect((await ok(periods())).items[0]).toMatchObject({ closedBy: 'test finance', reason: 'first', history: [{ action: 'close', reason: 'first' }] });
  });

  it('refuses a month that is not YYYY-MM, naming `month`', async () => {
    for (const month of ['2026-13', '2026-00', 'march', '2026-2', '2026-02-01', '202602']) {
      expect(errorPaths(await close(month)), month).toEqual(['month']);
    }
    expect(await countClosed()).toBe(0);
  });

  it('refuses unknown body fields and a blank reason (400), closing nothing', async () => {
    expect(errorPaths(await close('2026-02', { payload: { reason: 'x', note: 'y' } }))).toEqual(['note']);
    expect(errorPaths(await close('2026-02', { payload: { reason: '   ' } }))).toEqual(['reason']);
    expect(errorPaths(await close('2026-02', { payload: { reason: 42 } }))).toEqual(['reason']);
    expect(await countClosed()).toBe(0);
  });
});

const countClosed = (): Promise<number> => countRows(t.app, 'closed_months');

describe('POST /v1/periods/{month}/reopen', () => {
  beforeEach(async () => {
    await ok(close('2026-02'));
  });

  it('is for admin only: finance and ops get 403, viewer 403, no key 401; the month stays closed', async () => {
    const before = await snapshot(t.app);
    for (const role of ['finance', 'ops', 'viewer'] as const) problemOf(await reopen('2026-02', { reason: 'late invoice' }, role), 403, 'forbidden');
    problemOf(await reopen('2026-02', { reason: 'late invoice' }, null), 401, 'unauthorized');
    expect(await snapshot(t.app)).toBe(before);
    closedProblem(await postSpend([line('a', '2026-02-10')]), ['2026-02'], ['items/0/date']);
  });

  it('needs a reason: missing names `reason`, empty or blank is a 400, no body at all a 400', async () => {
    const before = await snapshot(t.app);
    const missing = await reopen('2026-02', {});
    expect(errorPaths(missing)).toEqual(['reason']);
    expect(errorPaths(await reopen('2026-02', { reason: '' }))).toEqual(['reason']);
    expect(errorPaths(await reopen('2026-02', { reason: ' \t\n ' }))).toEqual(['reason']);
    expect(errorPaths(await reopen('2026-02', { reason: null }))).toEqual(['reason']);
    expect(errorPaths(await reopen('2026-02', { reason: 'x', by: 'me' }))).toEqual(['by']);
    problemOf(await reopen('2026-02', undefined), 400);
    expect(await snapshot(t.app)).toBe(before);
    expect(await countClosed()).toBe(1);
  });

  it('refuses to reopen a month that is not closed (409 period_not_closed)', async () => {
    const before = await snapshot(t.app);
    const problem = problemOf(await reopen('2026-01', { reason: 'why not' }), 409, 'period_not_closed');
    expect(problem.detail).toContain('2026-01');
    expect(await snapshot(t.app)).toBe(before);
    await ok(reopen('2026-02', { reason: 'late invoice' }));
    problemOf(await reopen('2026-02', { reason: 'again' }), 409, 'period_not_closed');
  });

  it('refuses a month that is not YYYY-MM, naming `month`', async () => {
    for (const month of ['2026-13', 'march']) expect(errorPaths(await reopen(month, { reason: 'x' })), month).toEqual(['month']);
  });

  it('lets the writes through again once reopened, and refuses them again once closed again', async () => {
    closedProblem(await postSpend([line('a', '2026-02-10')]), ['2026-02'], ['items/0/date']);
    expect(await ok(reopen('2026-02', { reason: 'late Meta invoice INV-2291' }))).toMatchObject({ month: '2026-02', status: 'open', closedAt: null, closedBy: null, reason: null });
    expect(await ok(postSpend([line('a', '2026-02-10')]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect(await ok(putPlans([plan('a', '2026-02')]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect(await ok(postTouchpoints([touch('tp-1', '2026-02-10T00:00:00Z')]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    // The triggers let a stored row change again too.
    expect(await rawSql(t.app).run("update spend set amount_micros = 1 where date = '2026-02-10'")).toBe(1);
    await ok(close('2026-02', { role: 'admin' }));
    closedProblem(await postSpend([line('a', '2026-02-11')]), ['2026-02'], ['items/0/date']);
  });

  it('keeps close, reopen and close in the month’s history, in order, with who, when and why', async () => {
    clock.setTime(Date.parse('2026-03-16T08:10:00.000Z'));
    await ok(reopen('2026-02', { reason: 'late Meta invoice INV-2291' }));
    clock.setTime(Date.parse('2026-03-17T09:30:00.000Z'));
    const final = await ok(close('2026-02', { payload: { reason: 'February books closed' } }));
    const history = [
      { action: 'close', at: '2026-03-15T12:00:00.000Z', by: 'test finance', reason: BOOKS_CLOSED },
      { action: 'reopen', at: '2026-03-16T08:10:00.000Z', by: ADMIN_NAME, reason: 'late Meta invoice INV-2291' },
      { action: 'close', at: '2026-03-17T09:30:00.000Z', by: 'test finance', reason: 'February books closed' },
    ];
    const expected = { month: '2026-02', status: 'closed', closedAt: '2026-03-17T09:30:00.000Z', closedBy: 'test finance', reason: 'February books closed', history };
    expect(final).toEqual(expected);
    expect(await ok(periods())).toEqual({ items: [expected], nextCursor: null });
    // A reopened month is listed as open, with its history.
    await ok(reopen('2026-02', { reason: 'restated' }));
    expect((await ok(periods())).items).toEqual([
      { ...expected, status: 'open', closedAt: null, closedBy: null, reason: null, history: [...history, { action: 'reopen', at: '2026-03-17T09:30:00.000Z', by: ADMIN_NAME, reason: 'restated' }] },
    ]);
  });
});

describe('GET /v1/periods', () => {
  beforeEach(async () => {
    for (const month of ['2025-11', '2025-12', '2026-01', '2026-02']) await ok(close(month));
    await ok(reopen('2025-12', { reason: 'audit adjustment' }));
  });

  const monthsOf = (body: { items: { month: string }[] }) => body.items.map((p) => p.month);

  it('lists every month ever closed, by month, closed and reopened alike', async () => {
    const body = await ok(periods());
    expect(monthsOf(body)).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(body.items.map((p: { status: string }) => p.status)).toEqual(['closed', 'open', 'closed', 'closed']);
    expect(body.nextCursor).toBeNull();
    expect(body.items[1].history.map((e: { action: string }) => e.action)).toEqual(['close', 'reopen']);
  });

  it('pages with limit and cursor, each month once, ending with a null cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body: { items: { month: string; history: unknown[] }[]; nextCursor: string | null } = await ok(
        periods(`?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      );
      expect(body.items).toHaveLength(1);
      expect(body.items[0]!.history.length).toBeGreaterThan(0);
      seen.push(...monthsOf(body));
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(pages).toBe(4);
    // Two at a time: the second page ends the list.
    const first = await ok(periods('?limit=2'));
    expect(monthsOf(first)).toEqual(['2025-11', '2025-12']);
    const second = await ok(periods(`?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`));
    expect(second).toMatchObject({ nextCursor: null });
    expect(monthsOf(second)).toEqual(['2026-01', '2026-02']);
  });

  it('filters by status and by from/to (inclusive months), and combines them with paging', async () => {
    expect(monthsOf(await ok(periods('?status=closed')))).toEqual(['2025-11', '2026-01', '2026-02']);
    expect(monthsOf(await ok(periods('?status=open')))).toEqual(['2025-12']);
    expect(monthsOf(await ok(periods('?from=2025-12&to=2026-01')))).toEqual(['2025-12', '2026-01']);
    expect(monthsOf(await ok(periods('?from=2026-01')))).toEqual(['2026-01', '2026-02']);
    expect(monthsOf(await ok(periods('?to=2025-11')))).toEqual(['2025-11']);
    expect(monthsOf(await ok(periods('?from=2026-03')))).toEqual([]);
    const page = await ok(periods('?status=closed&from=2025-12&limit=1'));
    expect(monthsOf(page)).toEqual(['2026-01']);
    expect(monthsOf(await ok(periods(`?status=closed&from=2025-12&limit=1&cursor=${encodeURIComponent(page.nextCursor)}`)))).toEqual(['2026-02']);
  });

  it('answers CSV with one line per close or reopen, oldest first within a month', async () => {
    const res = await periods('?format=csv&from=2025-12&to=2026-01');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trim().split('\r\n').map((line) => line.split(',').slice(0, 2).concat(line.split(',').at(-1)!));
    // month, action, and the reason in the last column: December closed then reopened, January closed.
    expect(lines).toEqual([
      ['month', 'action', 'reason'],
      ['2025-12', 'close', BOOKS_CLOSED],
      ['2025-12', 'reopen', 'audit adjustment'],
      ['2026-01', 'close', BOOKS_CLOSED],
    ]);
  });

  it('is for ops and up: viewer 403, no key 401; finance and admin read it', async () => {
    problemOf(await periods('', 'viewer'), 403, 'forbidden');
    problemOf(await periods('', null), 401, 'unauthorized');
    for (const role of ['ops', 'finance', 'admin'] as const) expect(monthsOf(await ok(periods('', role)))).toHaveLength(4);
  });

  it('refuses bad queries, naming the parameter', async () => {
    expect(errorPaths(await periods('?status=frozen'))).toEqual(['status']);
    expect(errorPaths(await periods('?from=2026-13'))).toEqual(['from']);
    expect(errorPaths(await periods('?limit=0'))).toEqual(['limit']);
    expect(errorPaths(await periods('?cursor=nonsense'))).toEqual(['cursor']);
    expect(errorPaths(await periods('?month=2026-02'))).toEqual(['month']);
  });
});

// ---------------------------------------------------------------------------

describe('while February is closed, every write path', () => {
  beforeEach(seedAndCloseFebruary);

  it('PUT /v1/plans refuses the one plan for February, naming items/3/month; the others go through alone', async () => {
    const items = [plan('a', '2026-01', '1100'), plan('b', '2026-03'), plan('c', '2026-04'), plan('c', '2026-02'), plan('b', '2026-01')];
    expect(await refusesOnlyItem(putPlans, items, 3, 'month')).toEqual({ inserted: 3, updated: 1, unchanged: 0 });
  });

  it('PUT /v1/plans refuses an unchanged re-send of a February plan too', async () => {
    const before = await snapshot(t.app);
    closedProblem(await putPlans([plan('a', '2026-03', '3000'), plan('a', '2026-02', '2000')]), ['2026-02'], ['items/1/month']);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('POST /v1/commitments refuses the one commitment for February, naming items/2/month', async () => {
    const items = [io('io-new-jan', '2026-01'), io('io-mar', '2026-03', { amount: '750' }), io('io-new-feb', '2026-02'), io('io-new-apr', '2026-04')];
    expect(await refusesOnlyItem(postCommitments, items, 2, 'month')).toEqual({ inserted: 2, updated: 1, unchanged: 0 });
  });

  it('POST /v1/commitments refuses moving a February commitment out to March, and changing it in place', async () => {
    const before = await snapshot(t.app);
    const moved = closedProblem(await postCommitments([io('io-new', '2026-03'), io('io-feb', '2026-03')]), ['2026-02'], ['items/1/month']);
    expect(moved.errors![0]!.message).toContain('io-feb');
    closedProblem(await postCommitments([io('io-feb', '2026-02', { status: 'closed' })]), ['2026-02'], ['items/0/month']);
    expect(await snapshot(t.app)).toBe(before);
    // A commitment of an open month may move to another open month.
    expect(await ok(postCommitments([io('io-mar', '2026-04')]))).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
  });

  it('POST /v1/spend refuses the one line dated in February, naming items/3/date; the days either side go through', async () => {
    const items = [line('a', '2026-01-31'), line('b', '2026-03-01'), line('a', '2026-03-02', '120'), line('c', '2026-02-28'), line('c', '2026-03-01')];
    expect(await refusesOnlyItem(postSpend, items, 3, 'date')).toEqual({ inserted: 3, updated: 1, unchanged: 0 });
  });

  it('POST /v1/spend names every line dated in February, the first 100, with the count', async () => {
    const before = await snapshot(t.app);
    const items = Array.from({ length: 150 }, (_, i) => ({ ...line('a', `2026-0${1 + (i % 3)}-0${1 + (i % 9)}`), reference: `r${i}` }));
    const inFebruary = items.flatMap((item, i) => (item.date.startsWith('2026-02') ? [i] : []));
    expect(inFebruary).toHaveLength(50);
    closedProblem(await postSpend(items), ['2026-02'], inFebruary.map((i) => `items/${i}/date`));

    const many = Array.from({ length: 130 }, (_, i) => ({ ...line('a', '2026-02-03'), reference: `m${i}` }));
    const problem = problemOf(await postSpend(many), 409, 'period_closed');
    expect(problem.count).toBe(130);
    expect(problem.errors).toHaveLength(100);
    expect(problem.errors![99]!.path).toBe('items/99/date');
    expect(await snapshot(t.app)).toBe(before);
  });

  it('PUT /v1/fx-rates refuses the one rate dated in February, naming items/2/date', async () => {
    const items = [rate('2026-03-02', 'EUR', '1.15'), rate('2026-03-01', 'GBP', '1.27'), rate('2026-02-15', 'EUR', '1.13'), rate('2026-03-05', 'JPY', '0.0067')];
    expect(await refusesOnlyItem(putRates, items, 2, 'date')).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
  });

  it('POST /v1/touchpoints refuses the one touchpoint in February (UTC), naming items/2/occurredAt', async () => {
    const items = [
      touch('tp-1', '2026-03-01T00:00:00.001Z'),
      touch('tp-2', '2026-03-01T00:00:00.000Z'),
      // 01:00 on March 1st at +02:00 is 23:00 on February 28th UTC.
      touch('tp-3', '2026-03-01T01:00:00+02:00'),
      touch('tp-4', '2026-02-28T23:30:00-01:00'), // 00:30 on March 1st UTC
      touch('tp-mar', '2026-03-02T09:00:00Z', { campaignId: 'b' }),
    ];
    expect(await refusesOnlyItem(postTouchpoints, items, 2, 'occurredAt')).toEqual({ inserted: 3, updated: 1, unchanged: 0 });
  });

  it('POST /v1/revenue refuses the one conversion in February (UTC), naming items/1/occurredAt', async () => {
    const items = [
      conversion('ord-1', '2026-03-01T00:00:00.000Z'),
      conversion('ord-2', '2026-02-28T23:59:59.999Z'),
      conversion('ord-3', '2026-01-31T23:59:59.999Z'),
      // A refund in March of a February conversion is dated in March: it goes through.
      conversion('ref-feb', '2026-03-05T09:00:00Z', { amount: '-50', refundOf: 'ord-feb' }),
      conversion('ord-4', '2026-02-01T01:00:00+02:00'), // 23:00 on January 31st UTC
    ];
    expect(await refusesOnlyItem(postRevenue, items, 1, 'occurredAt')).toEqual({ inserted: 4, updated: 0, unchanged: 0 });
  });

  it('touchpoints and revenue: the instants either side of each edge of February', async () => {
    const inFebruary = ['2026-02-01T00:00:00.000Z', '2026-02-28T23:59:59.999Z', '2026-03-01T01:59:59.999+02:00', '2026-01-31T23:00:00-01:00', '2026-02-28T20:00:00-03:59'];
    const outside = ['2026-01-31T23:59:59.999Z', '2026-03-01T00:00:00.000Z', '2026-03-01T02:00:00+02:00', '2026-02-28T23:00:00-01:00', '2026-02-01T01:59:59.999+02:00'];
    const before = await snapshot(t.app);
    for (const [i, at] of inFebruary.entries()) {
      closedProblem(await postTouchpoints([touch(`tp-in-${i}`, at)]), ['2026-02'], ['items/0/occurredAt']);
      closedProblem(await postRevenue([conversion(`ord-in-${i}`, at)]), ['2026-02'], ['items/0/occurredAt']);
    }
    expect(await snapshot(t.app)).toBe(before);
    for (const [i, at] of outside.entries()) {
      expect(await ok(postRevenue([conversion(`ord-out-${i}`, at)])), at).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      // A touchpoint before February is refused too: February's attribution reads it (the lookback).
      const afterFebruary = Date.parse(at) >= Date.UTC(2026, 2, 1);
      const res = await postTouchpoints([touch(`tp-out-${i}`, at)]);
      if (afterFebruary) expect(await ok(res), at).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      else expect(closedProblem(res, ['2026-02'], ['items/0/occurredAt']).errors![0]!.message, at).toContain('its attribution reads the touchpoints before it');
    }
  });

  it('POST /v1/touchpoints refuses moving a February touchpoint out (a 409 from the trigger, not a 500), writing nothing', async () => {
    const before = await snapshot(t.app);
    const moved = [touch('tp-new', '2026-03-03T00:00:00Z'), touch('tp-feb', '2026-03-10T09:00:00Z'), touch('tp-mar', '2026-03-02T09:00:00Z', { campaignId: 'a' })];
    closedProblem(await postTouchpoints(moved), ['2026-02']);
    expect(await snapshot(t.app)).toBe(before);
    // The same through the 64-row statement: 70 new March touchpoints, the move at item 65.
    const big = Array.from({ length: 70 }, (_, i) => (i === 65 ? touch('tp-feb', '2026-01-10T00:00:00Z') : touch(`tp-big-${i}`, '2026-03-04T00:00:00Z')));
    closedProblem(await postTouchpoints(big), ['2026-02']);
    expect(await snapshot(t.app)).toBe(before);
    // The touchpoints read back as stored.
    const listed = await ok(t.call({ method: 'GET', url: '/v1/touchpoints?customerId=cust-1', role: 'ops' }));
    expect(listed.items.find((tp: { id: string }) => tp.id === 'tp-feb')).toEqual({ id: 'tp-feb', customerId: 'cust-1', campaignId: 'a', occurredAt: '2026-02-10T09:00:00.000Z' });
  });

  it('POST /v1/touchpoints refuses re-pointing a February touchpoint at another campaign, naming it', async () => {
    const before = await snapshot(t.app);
    closedProblem(await postTouchpoints([touch('tp-mar', '2026-03-02T09:00:00Z', { campaignId: 'c' }), touch('tp-feb', '2026-02-10T09:00:00Z', { campaignId: 'b' })]), ['2026-02'], ['items/1/occurredAt']);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('POST /v1/revenue refuses moving a February conversion out to March, naming it', async () => {
    const before = await snapshot(t.app);
    const problem = closedProblem(await postRevenue([conversion('ord-new', '2026-03-04T00:00:00Z'), conversion('ord-feb', '2026-03-12T09:00:00Z')]), ['2026-02'], ['items/1/occurredAt']);
    expect(problem.errors![0]!.message).toContain('ord-feb');
    closedProblem(await postRevenue([conversion('ord-feb', '2026-01-12T09:00:00Z')]), ['2026-02'], ['items/0/occurredAt']);
    closedProblem(await postRevenue([conversion('ord-feb', '2026-02-12T09:00:00Z', { amount: '301' })]), ['2026-02'], ['items/0/occurredAt']);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('names each closed month when a batch touches two', async () => {
    await ok(close('2026-01'));
    const before = await snapshot(t.app);
    closedProblem(await postSpend([line('a', '2026-03-03'), line('a', '2026-02-03'), line('a', '2026-01-03')]), ['2026-01', '2026-02'], ['items/1/date', 'items/2/date']);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('PUT /v1/settings refuses a new base currency while a month is closed (409 base_currency_months_closed)', async () => {
    const before = await snapshot(t.app);
    const problem = problemOf(await t.call({ method: 'PUT', url: '/v1/settings', payload: { baseCurrency: 'EUR' } }), 409, 'base_currency_months_closed');
    expect(problem.months).toEqual(['2026-02']);
    expect(problem.detail).toContain('2026-02');
    expect(await snapshot(t.app)).toBe(before);
    // The same base currency is no change.
    expect(await ok(t.call({ method: 'PUT', url: '/v1/settings', payload: { baseCurrency: 'USD' } }))).toMatchObject({ baseCurrency: 'USD' });
  });

  it('leaves an Idempotency-Key unused when refused, so the same request succeeds once the month is reopened', async () => {
    const send = () => t.call({ method: 'POST', url: '/v1/spend', role: 'ops', headers: { 'idempotency-key': 'k-1' }, payload: { items: [line('a', '2026-02-11')] } });
    const before = await snapshot(t.app);
    closedProblem(await send(), ['2026-02'], ['items/0/date']);
    expect(await snapshot(t.app)).toBe(before);
    await ok(reopen('2026-02', { reason: 'late invoice' }));
    expect(await ok(send())).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
  });
});

describe('PUT /v1/fx-rates and a closed February', () => {
  beforeEach(async () => {
    // EUR: January 10th only. GBP: January 25th and February 1st.
    await ok(putRates([rate('2026-01-10', 'EUR', '1.10'), rate('2026-01-25', 'GBP', '1.25'), rate('2026-02-01', 'GBP', '1.26')]));
    await ok(close('2026-02'));
  });

  it('refuses a rate dated in February', async () => {
    const before = await snapshot(t.app);
    closedProblem(await putRates([rate('2026-02-15', 'EUR', '1.13')]), ['2026-02'], ['items/0/date']);
    closedProblem(await putRates([rate('2026-02-28', 'JPY', '0.0067')]), ['2026-02'], ['items/0/date']);
    closedProblem(await putRates([rate('2026-02-01', 'GBP', '1.30')]), ['2026-02'], ['items/0/date']);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('refuses a rate before February when no rate of its currency lies between: it would become February’s rate', async () => {
    const before = await snapshot(t.app);
    // EUR: nothing between January 20th and February 1st.
    const problem = closedProblem(await putRates([rate('2026-03-01', 'EUR', '1.2'), rate('2026-01-20', 'EUR', '1.11')]), ['2026-02'], ['items/1/date']);
    expect(problem.errors![0]!.message).toContain('EUR');
    // Restating the rate February converts at.
    closedProblem(await putRates([rate('2026-01-10', 'EUR', '1.09')]), ['2026-02'], ['items/0/date']);
    // A currency with no rate at all yet, on the last day of January.
    closedProblem(await putRates([rate('2026-01-31', 'CHF', '1.05')]), ['2026-02'], ['items/0/date']);
    // Far back, still nothing of JPY in between.
    closedProblem(await putRates([rate('2025-06-30', 'JPY', '0.0066')]), ['2026-02'], ['items/0/date']);
    expect(await snapshot(t.app)).toBe(before);
  });

  it('accepts a rate before February when a stored rate of its currency lies between (on February 1st counts)', async () => {
    // GBP January 25th lies between January 20th and February 1st.
    expect(await ok(putRates([rate('2026-01-20', 'GBP', '1.24')]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    // GBP February 1st lies between January 28th and February 1st.
    expect(await ok(putRates([rate('2026-01-28', 'GBP', '1.255')]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    // EUR January 10th shields an older EUR rate.
    expect(await ok(putRates([rate('2026-01-05', 'EUR', '1.08')]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    // The rate that lies between is another currency's: no shield.
    closedProblem(await putRates([rate('2026-01-26', 'EUR', '1.1')]), ['2026-02'], ['items/0/date']);
  });

  it('accepts a rate dated after February', async () => {
    expect(await ok(putRates([rate('2026-03-01', 'EUR', '1.2'), rate('2026-03-01', 'CHF', '1.05'), rate('2026-04-30', 'GBP', '1.3')]))).toEqual({
      inserted: 3,
      updated: 0,
      unchanged: 0,
    });
  });

  it('with two months closed, names the first closed month a rate would reach', async () => {
    clock.setTime(Date.parse('2026-06-15T12:00:00Z'));
    await ok(close('2026-04'));
    const before = await snapshot(t.app);
    // March 10th: no EUR rate before April 1st, so April would convert at it.
    const problem = closedProblem(await putRates([rate('2026-03-10', 'EUR', '1.2')]), ['2026-04'], ['items/0/date']);
    expect(problem.errors![0]!.message).toContain('2026-04-01');
    expect(await snapshot(t.app)).toBe(before);
    // GBP January 28th: February is the first closed month after it, and GBP's February 1st rate lies between.
    // April converts at that February 1st rate too, so it is shielded as well.
    expect(await ok(putRates([rate('2026-01-28', 'GBP', '1.255')]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    // GBP March 31st: nothing of GBP between it and April 1st.
    closedProblem(await putRates([rate('2026-03-31', 'GBP', '1.3')]), ['2026-04'], ['items/0/date']);
    // April 1st itself is in April.
    closedProblem(await putRates([rate('2026-04-01', 'GBP', '1.3')]), ['2026-04'], ['items/0/date']);
  });
});

// ---------------------------------------------------------------------------

describe('the triggers under a closed February', () => {
  beforeEach(seedAndCloseFebruary);

  const refused = async (sql: string, message: string | RegExp = /^period_closed:2026-02:/) => {
    const before = await snapshot(t.app);
    await expect(rawSql(t.app).run(sql), sql).rejects.toThrow(message);
    expect(await snapshot(t.app)).toBe(before);
  };

  it('refuse changing, deleting and adding plans, commitments and FX rates of February', async () => {
    await refused("update plans set amount_micros = 1 where month = '2026-02'", /^period_closed:2026-02:plans$/);
    await refused("delete from plans where month = '2026-02'", /^period_closed:2026-02:plans$/);
    await refused("insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values ('c', '2026-02', 1, 'USD', 1, 'x')", /^period_closed:2026-02:plans$/);
    await refused("update plans set month = '2026-02' where campaign_id = 'a' and month = '2026-03'", /^period_closed:2026-02:plans$/);
    await refused("update commitments set amount_micros = 1 where id = 'io-feb'", /^period_closed:2026-02:commitments$/);
    await refused("update commitments set month = '2026-03' where id = 'io-feb'", /^period_closed:2026-02:commitments$/);
    await refused("update commitments set month = '2026-02' where id = 'io-mar'", /^period_closed:2026-02:commitments$/);
    await refused("delete from commitments where id = 'io-feb'", /^period_closed:2026-02:commitments$/);
    await refused("insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values ('io-x', 'a', '2026-02', 1, 'USD', 'open', 'x')", /^period_closed:2026-02:commitments$/);
    await refused("update fx_rates set rate = '2' where date = '2026-02-01'", /^period_closed:2026-02:fx_rates$/);
    await refused("update fx_rates set date = '2026-02-02' where date = '2026-01-01'", /^period_closed:2026-02:fx_rates$/);
    await refused("delete from fx_rates where date = '2026-02-01'", /^period_closed:2026-02:fx_rates$/);
    await refused("insert into fx_rates (currency, date, rate, updated_at) values ('GBP', '2026-02-10', '1.2', 'x')", /^period_closed:2026-02:fx_rates$/);
  });

  it('refuse changing, moving and deleting spend, touchpoints and revenue stored in February, or moving rows into it', async () => {
    await refused("update spend set amount_micros = 1 where date = '2026-02-10'", /^period_closed:2026-02:spend$/);
    await refused("update spend set date = '2026-03-10' where date = '2026-02-10'", /^period_closed:2026-02:spend$/);
    await refused("update spend set date = '2026-02-03' where date = '2026-01-15'", /^period_closed:2026-02:spend$/);
    await refused("delete from spend where date = '2026-02-20'", /^period_closed:2026-02:spend$/);
    const mar10 = Date.parse('2026-03-10T00:00:00Z');
    const feb28End = Date.parse('2026-02-28T23:59:59.999Z');
    await refused(`update touchpoints set occurred_at = ${mar10} where id = 'tp-feb'`, /^period_closed:2026-02:touchpoints$/);
    await refused("update touchpoints set campaign_id = 'c' where id = 'tp-feb'", /^period_closed:2026-02:touchpoints$/);
    await refused(`update touchpoints set occurred_at = ${feb28End} where id = 'tp-mar'`, /^period_closed:2026-02:touchpoints$/);
    await refused("delete from touchpoints where id = 'tp-feb-2'", /^period_closed:2026-02:touchpoints$/);
    await refused(`update revenue set occurred_at = ${mar10} where id = 'ord-feb'`, /^period_closed:2026-02:revenue$/);
    await refused("update revenue set amount_micros = 1 where id = 'ord-feb-2'", /^period_closed:2026-02:revenue$/);
    await refused(`update revenue set occurred_at = ${Date.parse('2026-02-01T00:00:00Z')} where id = 'ord-jan'`, /^period_closed:2026-02:revenue$/);
    await refused("delete from revenue where id = 'ord-feb'", /^period_closed:2026-02:revenue$/);
  });

  it('let rows of the open months next door change', async () => {
    const run = (sql: string) => rawSql(t.app).run(sql);
    expect(await run("update spend set amount_micros = 1 where date in ('2026-01-15', '2026-03-02')")).toBe(2);
    expect(await run(`update touchpoints set occurred_at = ${Date.parse('2026-03-01T00:00:00Z')} where id = 'tp-mar'`)).toBe(1);
    expect(await run(`update revenue set occurred_at = ${Date.parse('2026-01-31T23:59:59.999Z')} where id = 'ord-jan'`)).toBe(1);
    expect(await run("delete from commitments where id in ('io-jan', 'io-mar')")).toBe(2);
    expect(await run("update plans set amount_micros = 5 where month in ('2026-01', '2026-03')")).toBe(2);
  });

  it('keep the history of closes and forecast snapshots append-only, whatever the month', async () => {
    const snap = await t.call({ method: 'POST', url: '/v1/forecasts', role: 'ops', payload: { name: 'March mid-month', month: '2026-03', asOf: '2026-03-10', method: 'run_rate' } });
    expect(snap.statusCode, snap.body).toBe(201);
    await refused("update forecast_snapshots set name = 'renamed'", /^snapshot_immutable:forecast_snapshots$/);
    await refused('delete from forecast_snapshots', /^snapshot_immutable:forecast_snapshots$/);
    await refused("update period_events set reason = 'rewritten'", /^history_immutable:period_events$/);
    await refused('delete from period_events', /^history_immutable:period_events$/);
    await ok(reopen('2026-02', { reason: 'late invoice' }));
    await refused("update period_events set by = 'someone else' where action = 'reopen'", /^history_immutable:period_events$/);
    await refused("delete from period_events where action = 'reopen'", /^history_immutable:period_events$/);
  });
});

// ---------------------------------------------------------------------------

describe('reports of a closed February', () => {
  const REPORTS = [
    '/v1/reports/burn?month=2026-02&asOf=2026-02-28',
    '/v1/reports/burn?month=2026-02&groupBy=channel',
    '/v1/reports/burn?from=2026-02&to=2026-02',
    '/v1/reports/forecast?month=2026-02&asOf=2026-02-20&method=run_rate',
    '/v1/reports/forecast?month=2026-02&asOf=2026-02-20&method=linear_trend&groupBy=channel',
    '/v1/reports/forecast?month=2026-02&asOf=2026-02-27&method=trailing_7d',
    '/v1/reports/roi?from=2026-02-01&to=2026-02-28&model=linear',
    '/v1/reports/roi?from=2026-02-01&to=2026-02-28&model=last_touch&groupBy=channel',
    '/v1/reports/roi?from=2026-02-01&to=2026-02-28&model=data_driven&groupBy=month',
    '/v1/reports/roi?from=2026-02-01&to=2026-02-28&model=linear&format=csv',
  ];

  async function readAll(): Promise<Record<string, string>> {
    const bodies: Record<string, string> = {};
    for (const url of REPORTS) {
      const res = await t.call({ method: 'GET', url, role: 'viewer' });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      bodies[url] = res.body;
    }
    return bodies;
  }

  it('read the same after refused writes to February and accepted writes to January and March', async () => {
    // Seeded and closed; reopened, so that the reports are read as they stand before a close.
    await seedAndCloseFebruary();
    await ok(reopen('2026-02', { reason: 'read the reports before closing' }));
    const before = await readAll();
    // The reports are not empty: February has spend, revenue and a plan.
    const burn = JSON.parse(before[REPORTS[0]!]!);
    expect(burn.totals.actual).toBe('1056.00'); // 700 + 300 USD + 50 EUR x 1.12
    expect(burn.totals.planned).toBe('2500.00');
    expect(JSON.parse(before[REPORTS[6]!]!).totals.revenue).toBe('389.60'); // 300 USD + 80 EUR x 1.12
    await ok(close('2026-02', { payload: { reason: 'February books closed' } }));
    expect(await readAll()).toEqual(before);

    // Refused: one February item in each write path, and a move out.
    const stored = await snapshot(t.app);
    closedProblem(await putPlans([plan('a', '2026-03', '1'), plan('a', '2026-02', '9999')]), ['2026-02']);
    closedProblem(await postCommitments([io('io-feb', '2026-02', { amount: '1' })]), ['2026-02']);
    closedProblem(await postCommitments([io('io-feb', '2026-03')]), ['2026-02']);
    closedProblem(await postSpend([line('a', '2026-03-05'), line('a', '2026-02-15', '5000')]), ['2026-02']);
    closedProblem(await postSpend([line('a', '2026-02-10', '1')]), ['2026-02']);
    closedProblem(await putRates([rate('2026-02-10', 'EUR', '2')]), ['2026-02']);
    closedProblem(await postTouchpoints([touch('tp-x', '2026-02-13T00:00:00Z', { customerId: 'cust-2', campaignId: 'c' })]), ['2026-02']);
    closedProblem(await postTouchpoints([touch('tp-feb', '2026-03-13T00:00:00Z')]), ['2026-02']);
    closedProblem(await postRevenue([conversion('ord-x', '2026-02-20T00:00:00Z')]), ['2026-02']);
    closedProblem(await postRevenue([conversion('ord-feb', '2026-03-20T00:00:00Z')]), ['2026-02']);
    expect(await snapshot(t.app)).toBe(stored);
    expect(await readAll()).toEqual(before);

    // Accepted: writes dated in the open months next door.
    await ok(putPlans([plan('a', '2026-01', '1'), plan('b', '2026-03', '7'), plan('c', '2026-03', '8')]));
    await ok(postCommitments([io('io-mar', '2026-04'), io('io-jan', '2026-01', { amount: '1' }), io('io-new', '2026-03')]));
    await ok(postSpend([line('a', '2026-01-31', '9000'), line('b', '2026-03-01', '8000'), line('c', '2026-03-01', '1', 'EUR')]));
    // January 20th EUR: February's own rate of February 1st shields it.
    await ok(putRates([rate('2026-01-20', 'EUR', '1.5'), rate('2026-03-01', 'EUR', '1.6')]));
    await ok(postTouchpoints([touch('tp-mar-2', '2026-03-01T00:00:00Z', { campaignId: 'c' }), touch('tp-mar', '2026-03-05T09:00:00Z', { campaignId: 'b' })]));
    await ok(
      postRevenue([
        conversion('ord-mar-2', '2026-03-01T00:00:00.000Z', { customerId: 'cust-2' }),
        conversion('ref-feb', '2026-03-02T00:00:00Z', { amount: '-100', refundOf: 'ord-feb' }),
      ]),
    );
    expect(await readAll()).toEqual(before);
  });

  it('read the same: a touchpoint in open January, inside the lookback of February conversions, is refused', async () => {
    // February's ROI attributes cust-1's February conversion to the touchpoints in the 90 days before it,
    // which reach back into January: a January touchpoint written after the close would re-split February's revenue.
    await seedAndCloseFebruary();
    const url = '/v1/reports/roi?from=2026-02-01&to=2026-02-28&model=linear';
    const before = (await t.call({ method: 'GET', url, role: 'viewer' })).body;
    const stored = await snapshot(t.app);
    const problem = closedProblem(await postTouchpoints([touch('tp-jan-late', '2026-01-30T09:00:00Z', { campaignId: 'c' })]), ['2026-02']);
    expect(problem.errors).toEqual([{ path: 'items/0/occurredAt', message: 'is before the end of 2026-02, which is closed: its attribution reads the touchpoints before it' }]);
    expect(await snapshot(t.app)).toBe(stored);
    expect((await t.call({ method: 'GET', url, role: 'viewer' })).body).toBe(before);
    // A stored January touchpoint cannot be changed or removed behind the API's back either.
    await expect(rawSql(t.app).run("update touchpoints set campaign_id = 'c' where occurred_at < ?", Date.UTC(2026, 1, 1))).rejects.toThrow(/^period_closed:2026-02:touchpoints$/);
    await expect(rawSql(t.app).run('delete from touchpoints where occurred_at < ?', Date.UTC(2026, 1, 1))).rejects.toThrow(/^period_closed:2026-02:touchpoints$/);
  });

  it('read the same: a January conversion whose refund is dated in February cannot move to open March', async () => {
    // A refund is split as the conversion it refunds: moving the conversion (open January to open March)
    // gives it other eligible touchpoints, and so re-splits the February refund.
    await ok(postTouchpoints([touch('tp-1', '2026-01-20T00:00:00Z', { campaignId: 'a' }), touch('tp-2', '2026-03-05T00:00:00Z', { campaignId: 'b' })]));
    await ok(postRevenue([conversion('ord-1', '2026-01-25T00:00:00Z', { amount: '100' }), conversion('ref-1', '2026-02-05T00:00:00Z', { amount: '-40', refundOf: 'ord-1' })]));
    await ok(close('2026-02'));
    const url = '/v1/reports/roi?from=2026-02-01&to=2026-02-28&model=last_touch';
    const before = (await t.call({ method: 'GET', url, role: 'viewer' })).body;
    expect(JSON.parse(before).rows[0]).toMatchObject({ campaignId: 'a', revenue: '-40.00' });
    const stored = await snapshot(t.app);
    const problem = closedProblem(await postRevenue([conversion('ord-1', '2026-03-10T00:00:00Z', { amount: '100' })]), ['2026-02']);
    expect(problem.errors).toEqual([{ path: 'items/0/occurredAt', message: 'would change conversion ord-1, whose refund ref-1 is dated in 2026-02, which is closed' }]);
    expect(await snapshot(t.app)).toBe(stored);
    expect((await t.call({ method: 'GET', url, role: 'viewer' })).body).toBe(before);
    // Nor behind the API's back; a conversion without a refund in a closed month still can change.
    await expect(rawSql(t.app).run("update revenue set occurred_at = occurred_at + 1 where id = 'ord-1'")).rejects.toThrow(/^period_closed:2026-02:revenue$/);
    expect(await ok(postRevenue([conversion('ord-2', '2026-01-26T00:00:00Z', { amount: '10' })]))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect(await ok(postRevenue([conversion('ord-2', '2026-03-11T00:00:00Z', { amount: '10' })]))).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
  });
});
