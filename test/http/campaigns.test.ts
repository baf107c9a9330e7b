/** Campaigns: PUT one, POST batch upsert, GET list (pagination, filters, CSV), GET one. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { campaignItem, countRows, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, snapshot, TEST_STORE, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

const post = (items: unknown[], headers: Record<string, string> = {}) =>
  t.call({ method: 'POST', url: '/v1/campaigns', role: 'ops', payload: { items }, headers });
const list = (query = '') => t.call({ method: 'GET', url: `/v1/campaigns${query}`, role: 'ops' });

describe('PUT /v1/campaigns/{id}', () => {
  const body = {
    name: 'Spring search, brand',
    channel: 'paid_search',
    startDate: '2026-03-01',
    endDate: '2026-05-31',
    tags: ['q2', 'brand', 'q2'],
    externalRefs: [{ source: 'google_ads', id: '123' }],
  };

  it('creates (201), replaces (200) and reads back the campaign', async () => {
    const created = await t.call({ method: 'PUT', url: '/v1/campaigns/cmp-1', role: 'ops', payload: body });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toEqual({
      id: 'cmp-1',
      name: 'Spring search, brand',
      channel: 'paid_search',
      startDate: '2026-03-01',
      endDate: '2026-05-31',
      tags: ['brand', 'q2'],
      externalRefs: [{ source: 'google_ads', id: '123' }],
      createdAt: '2026-03-15T12:00:00.000Z',
      updatedAt: '2026-03-15T12:00:00.000Z',
    });

    const replaced = await t.call({ method: 'PUT', url: '/v1/campaigns/cmp-1', role: 'ops', payload: { name: 'Renamed', channel: 'video', startDate: '2026-03-01' } });
    expect(replaced.statusCode).toBe(200);
    // A replace is the whole record: tags, refs and endDate not sent are gone.
    expect(replaced.json()).toMatchObject({ id: 'cmp-1', name: 'Renamed', channel: 'video', endDate: null, tags: [], externalRefs: [] });
    expect((await t.call({ method: 'GET', url: '/v1/campaigns/cmp-1', role: 'ops' })).json()).toEqual(replaced.json());
    expect(await countRows(t.app, 'campaigns')).toBe(1);
    expect(await countRows(t.app, 'campaign_external_refs')).toBe(0);
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      await seedCampaigns(t, [campaignItem('owner', { externalRefs: [{ source: 'meta', id: '99' }] })]);
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it.each([
      ['an id with a space', '/v1/campaigns/bad%20id', body, ['id']],
      ['an id over 128 characters', `/v1/campaigns/${'x'.repeat(129)}`, body, ['id']],
      ['an id in the body', '/v1/campaigns/cmp-1', { ...body, id: 'cmp-1' }, ['id']],
      ['an unknown field', '/v1/campaigns/cmp-1', { ...body, budget: 5 }, ['budget']],
      ['a bad channel', '/v1/campaigns/cmp-1', { ...body, channel: 'tv' }, ['channel']],
      ['a missing name', '/v1/campaigns/cmp-1', { channel: 'email', startDate: '2026-01-01' }, ['name']],
      ['February 30th', '/v1/campaigns/cmp-1', { ...body, startDate: '2026-02-30' }, ['startDate']],
      ['month 13', '/v1/campaigns/cmp-1', { ...body, endDate: '2026-13-01' }, ['endDate']],
      ['a date with a time', '/v1/campaigns/cmp-1', { ...body, startDate: '2026-03-01T00:00:00Z' }, ['startDate']],
      ['an end before the start', '/v1/campaigns/cmp-1', { ...body, endDate: '2026-02-28' }, ['items/0/endDate']],
      ['tags of the wrong type', '/v1/campaigns/cmp-1', { ...body, tags: 'brand' }, ['tags']],
      ['an external ref owned by another campaign', '/v1/campaigns/cmp-1', { ...body, externalRefs: [{ source: 'meta', id: '99' }] }, ['externalRefs/0']],
    ])('%s (400)', async (_label, url, payload, paths) => {
      const res = await t.call({ method: 'PUT', url, role: 'ops', payload });
      const got = errorPaths(res);
      // Single-campaign errors found by the batch service are named without the items/0 prefix, or with it; both identify the field.
      expect(got.map((p) => p.replace(/^items\/0\//, ''))).toEqual(paths.map((p) => p.replace(/^items\/0\//, '')));
    });
  });
});

describe('POST /v1/campaigns', () => {
  it('counts inserted, updated and unchanged', async () => {
    const items = [campaignItem('a'), campaignItem('b'), campaignItem('c')];
    expect((await post(items)).json()).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
    expect((await post(items)).json()).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
    const changed = [campaignItem('a', { name: 'A renamed' }), campaignItem('b'), campaignItem('c', { tags: ['x'] }), campaignItem('d')];
    expect((await post(changed)).json()).toEqual({ inserted: 1, updated: 2, unchanged: 1 });
    expect(await countRows(t.app, 'campaigns')).toBe(4);
    expect((await t.call({ method: 'GET', url: '/v1/campaigns/a', role: 'ops' })).json().name).toBe('A renamed');
  });

  it('treats reordered tags and refs as unchanged', async () => {
    const refs = [{ source: 'meta', id: '2' }, { source: 'google_ads', id: '1' }];
    expect((await post([campaignItem('a', { tags: ['y', 'x'], externalRefs: refs })])).json()).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect((await post([campaignItem('a', { tags: ['x', 'y'], externalRefs: [...refs].reverse() })])).json()).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
  });

  it('lets an external ref move from one campaign to another within one batch', async () => {
    await seedCampaigns(t, [campaignItem('a', { externalRefs: [{ source: 'meta', id: '7' }] }), campaignItem('b')]);
    const res = await post([campaignItem('a'), campaignItem('b', { externalRefs: [{ source: 'meta', id: '7' }] })]);
    expect(res.json()).toEqual({ inserted: 0, updated: 2, unchanged: 0 });
    expect((await t.call({ method: 'GET', url: '/v1/campaigns/b', role: 'ops' })).json().externalRefs).toEqual([{ source: 'meta', id: '7' }]);
  });

  describe('refuses, writing nothing,', () => {
    let before: string;
    beforeEach(async () => {
      await seedCampaigns(t, [campaignItem('existing', { externalRefs: [{ source: 'meta', id: '99' }] })]);
      before = await snapshot(t.app);
    });
    afterEach(async () => expect(await snapshot(t.app)).toBe(before));

    it('bad dates, one path each', async () => {
      const res = await post([
        campaignItem('a', { startDate: '2026-02-30' }),
        campaignItem('b', { startDate: '2026-13-01' }),
        campaignItem('c', { endDate: '2026-04-31' }),
        campaignItem('d', { startDate: '26-03-01' }),
        campaignItem('e', { startDate: 20260301 }),
        campaignItem('f'),
      ]);
      expect(errorPaths(res)).toEqual(['items/0/startDate', 'items/1/startDate', 'items/2/endDate', 'items/3/startDate', 'items/4/startDate']);
    });

    it('an end date before the start date', async () => {
      expect(errorPaths(await post([campaignItem('a'), campaignItem('b', { startDate: '2026-03-02', endDate: '2026-03-01' })]))).toEqual(['items/1/endDate']);
    });

    it('duplicate ids in one batch', async () => {
      const problem = problemOf(await post([campaignItem('a'), campaignItem('b'), campaignItem('a', { name: 'again' })]), 400);
      expect(problem.errors).toEqual([{ path: 'items/2/id', message: expect.stringContaining('item 0') }]);
    });

    it('bad ids, channels, names and refs', async () => {
      const res = await post([
        campaignItem('ok'),
        campaignItem('has space'),
        campaignItem('x', { channel: 'Paid Search' }),
        campaignItem('y', { name: '' }),
        campaignItem('z', { externalRefs: [{ source: 'Google Ads', id: '1' }] }),
        campaignItem('w', { externalRefs: [{ source: 'meta' }] }),
        campaignItem('v', { tags: [''] }),
      ]);
      expect(errorPaths(res)).toEqual([
        'items/1/id',
        'items/2/channel',
        'items/3/name',
        'items/4/externalRefs/0/source',
        'items/5/externalRefs/0/id',
        'items/6/tags/0',
      ]);
    });

    it('an external ref that another campaign owns, or that two items claim', async () => {
      expect(errorPaths(await post([campaignItem('a', { externalRefs: [{ source: 'meta', id: '99' }] })]))).toEqual(['items/0/externalRefs/0']);
      expect(
        errorPaths(await post([campaignItem('a', { externalRefs: [{ source: 'meta', id: '5' }] }), campaignItem('b', { externalRefs: [{ source: 'meta', id: '5' }] })])),
      ).toEqual(['items/1/externalRefs/0']);
    });
  });
});

describe('GET /v1/campaigns', () => {
  const ids = Array.from({ length: 25 }, (_, i) => `cmp-${String(i).padStart(2, '0')}`);
  beforeEach(async () => {
    await seedCampaigns(
      t,
      ids.map((id, i) => campaignItem(id, { channel: i % 3 === 0 ? 'email' : 'paid_social', tags: i % 5 === 0 ? ['brand', 'q1'] : ['q1'] })),
    );
  });

  it('walks every campaign exactly once, in id order, with limit and nextCursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(`?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: { id: string }[]; nextCursor: string | null };
      expect(page.items.length).toBe(pages < 3 ? 7 : 4);
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(4);
    expect(seen).toEqual(ids);
  });

  it('ends with nextCursor null when the last page is exactly full', async () => {
    const first = (await list('?limit=25')).json();
    expect(first.items).toHaveLength(25);
    expect(first.nextCursor).toBeNull();
    const byDefault = (await list()).json();
    expect(byDefault.items).toHaveLength(25);
    expect(byDefault.nextCursor).toBeNull();
  });

  it('filters by channel and by tag, and pages within the filter', async () => {
    const email = (await list('?channel=email')).json().items.map((c: { id: string }) => c.id);
    expect(email).toEqual(ids.filter((_, i) => i % 3 === 0));
    const brand = (await list('?tag=brand')).json().items.map((c: { id: string }) => c.id);
    expect(brand).toEqual(ids.filter((_, i) => i % 5 === 0));
    const both = (await list('?tag=brand&channel=email')).json().items.map((c: { id: string }) => c.id);
    expect(both).toEqual(['cmp-00', 'cmp-15']);
    const page1 = (await list('?channel=email&limit=5')).json();
    const page2 = (await list(`?channel=email&limit=5&cursor=${page1.nextCursor}`)).json();
    expect([...page1.items, ...page2.items].map((c: { id: string }) => c.id)).toEqual(email);
    expect(page2.nextCursor).toBeNull();
    expect((await list('?tag=nope')).json()).toEqual({ items: [], nextCursor: null });
  });

  it('answers CSV for ?format=csv and for Accept: text/csv, with the JSON field names as header', async () => {
    const json = (await list('?limit=3')).json();
    const viaQuery = await list('?limit=3&format=csv');
    const viaAccept = await t.call({ method: 'GET', url: '/v1/campaigns?limit=3', role: 'ops', headers: { accept: 'text/csv' } });
    for (const res of [viaQuery, viaAccept]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const rows = parseCsv(res.body);
      expect(rows[0]).toEqual(Object.keys(json.items[0]));
      expect(rows.slice(1).map((r) => r[0])).toEqual(json.items.map((c: { id: string }) => c.id));
      expect(rows[1]![rows[0]!.indexOf('tags')]).toBe('brand;q1');
    }
    expect(viaAccept.body).toBe(viaQuery.body);
    // ?format=json wins over the Accept header.
    const forcedJson = await t.call({ method: 'GET', url: '/v1/campaigns?limit=3&format=json', role: 'ops', headers: { accept: 'text/csv' } });
    expect(forcedJson.json()).toEqual(json);
  });

  it('neutralises CSV cells a spreadsheet would run as a formula', async () => {
    await seedCampaigns(t, [campaignItem('zz-formula', { name: '=HYPERLINK("http://x","y")', tags: ['+1', '@a'] })]);
    const rows = parseCsv((await list('?cursor=' + Buffer.from('["zz"]').toString('base64url') + '&format=csv')).body);
    expect(rows[1]![0]).toBe('zz-formula');
    expect(rows[1]![1]).toBe(`'=HYPERLINK("http://x","y")`);
    expect(rows[1]![5]).toBe(`'+1;@a`);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=10001', 'limit'],
    ['?limit=-1', 'limit'],
    ['?limit=2.5', 'limit'],
    ['?limit=ten', 'limit'],
    ['?cursor=not-a-cursor', 'cursor'],
    [`?cursor=${Buffer.from('{"id":1}').toString('base64url')}`, 'cursor'],
    [`?cursor=${Buffer.from('[1]').toString('base64url')}`, 'cursor'],
    ['?channel=tv', 'channel'],
    ['?format=xml', 'format'],
    ['?sort=name', 'sort'],
  ])('refuses %s with a 400 naming %s', async (query, path) => {
    expect(errorPaths(await list(query))).toEqual([path]);
  });

  it('accepts limit 1 and 10000', async () => {
    expect((await list('?limit=1')).json().items).toHaveLength(1);
    expect((await list('?limit=10000')).json().items).toHaveLength(25);
  });
});

describe('ids at and past the limits of the URL', () => {
  it('takes a 128-character id, and says 400, not 414, for 129 characters', async () => {
    const id = 'x'.repeat(128);
    const res = await t.call({ method: 'PUT', url: `/v1/campaigns/${id}`, role: 'ops', payload: { name: 'Long', channel: 'email', startDate: '2026-01-01' } });
    expect(res.statusCode, res.body).toBe(201);
    expect((await t.call({ method: 'GET', url: `/v1/campaigns/${id}`, role: 'ops' })).json().id).toBe(id);
    expect(errorPaths(await t.call({ method: 'GET', url: `/v1/campaigns/${id}x`, role: 'ops' }))).toEqual(['id']);
  });

  it('answers problem+json to a path segment longer than the router takes, and to a malformed URL', async () => {
    problemOf(await t.call({ method: 'GET', url: `/v1/campaigns/${'x'.repeat(2000)}`, role: 'ops' }), 414, 'uri_too_long');
    problemOf(await t.call({ method: 'GET', url: '/v1/campaigns/%E0%A4%A', role: 'ops' }), 400, 'bad_request');
  });
});

describe('GET /v1/campaigns/{id}', () => {
  it('reads one campaign, 404 for an unknown one, 400 for a malformed id', async () => {
    await seedCampaigns(t, [campaignItem('a.b:c_d-1')]);
    const res = await t.call({ method: 'GET', url: '/v1/campaigns/a.b:c_d-1', role: 'ops' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 'a.b:c_d-1', name: 'Campaign a.b:c_d-1', endDate: null, tags: [], externalRefs: [] });
    const missing = problemOf(await t.call({ method: 'GET', url: '/v1/campaigns/nope', role: 'ops' }), 404, 'not_found');
    expect(missing.detail).toContain('nope');
    expect(errorPaths(await t.call({ method: 'GET', url: '/v1/campaigns/bad%20id', role: 'ops' }))).toEqual(['id']);
  });
});

/**
 * Statements the store was asked to run while `n` new campaigns, each with an
 * external ref, were posted in one batch: SQLite statements prepared
 * (better-sqlite3 `prepare`), or statements sent to PostgreSQL through the
 * session the repositories use (`query`, `queryArrays`).
 */
async function statementsFor(n: number, offset: number): Promise<number> {
  const database = t.app.database;
  const spies = database.dialect === 'sqlite' ? [vi.spyOn(database.sqlite, 'prepare')] : [vi.spyOn(database.pg, 'query'), vi.spyOn(database.pg, 'queryArrays')];
  try {
    const items = Array.from({ length: n }, (_, i) => campaignItem(`bulk-${offset + i}`, { externalRefs: [{ source: 'google_ads', id: String(offset + i) }] }));
    const res = await post(items);
    expect(res.json()).toEqual({ inserted: n, updated: 0, unchanged: 0 });
    return spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe('a large batch costs in proportion to its size', () => {
  // SQLite only: it counts better-sqlite3's prepare calls, which PostgreSQL has no counterpart of (its test
  // follows). Each drizzle query prepares a new SQLite statement, so a statement prepared per campaign would show here. The upsert prepares a few statements per 500 ids
  // (the lookups of existing campaigns and of ref owners), so 2,000 more campaigns may add a dozen statements
  // (3 lookups x 4 chunks), not thousands.
  it.runIf(TEST_STORE === 'sqlite')('new campaigns with refs: statements prepared per 500 ids, not per row', async () => {
    const small = await statementsFor(1000, 0);
    const large = await statementsFor(3000, 10_000);
    expect(large - small).toBeLessThanOrEqual(3 * ((3000 - 1000) / 500));
    expect(await countRows(t.app, 'campaign_external_refs')).toBe(4000);
  });

  // PostgreSQL's repository sends the ref-owner lookup and each insert as one statement over arrays, whatever
  // the batch's size; only the service's lookup of existing campaigns goes per 500 ids (their rows, and their
  // refs when any exist), so 2,000 more campaigns may add 2 x 4 statements, not thousands.
  it.runIf(TEST_STORE === 'postgres')('new campaigns with refs: statements sent per 500 ids, not per row', async () => {
    const small = await statementsFor(1000, 0);
    const large = await statementsFor(3000, 10_000);
    expect(small).toBeGreaterThan(0);
    expect(large - small).toBeLessThanOrEqual(2 * ((3000 - 1000) / 500));
    expect(await countRows(t.app, 'campaign_external_refs')).toBe(4000);
  });

  it('refs moving between campaigns of one batch still land on the right campaign', async () => {
    await post([campaignItem('a', { externalRefs: [{ source: 'meta', id: '1' }] }), campaignItem('b', { externalRefs: [{ source: 'meta', id: '2' }] })]);
    const res = await post([campaignItem('a', { externalRefs: [{ source: 'meta', id: '2' }] }), campaignItem('b', { externalRefs: [{ source: 'meta', id: '1' }] })]);
    expect(res.json()).toEqual({ inserted: 0, updated: 2, unchanged: 0 });
    const refs = (await list()).json().items.map((c: { id: string; externalRefs: { id: string }[] }) => [c.id, c.externalRefs.map((r) => r.id)]);
    expect(refs).toEqual([['a', ['2']], ['b', ['1']]]);
  });
});
