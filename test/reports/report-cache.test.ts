/**
 * ReportCache under reports that await between reading the version and
 * finishing (PostgreSQL: writes commit meanwhile). A fake version source
 * plays the database: `version` is what a request reads when it starts.
 */
import { describe, expect, it } from 'vitest';
import { ReportCache } from '../../src/features/reports/report-cache.js';
import type { DataVersionSource } from '../../src/store/unit-of-work.js';

function source(start = 1) {
  const state = { version: start, inTransaction: false };
  const versions: DataVersionSource = {
    version: async () => state.version,
    inTransaction: () => state.inTransaction,
    onCommit: () => () => undefined,
  };
  return { state, versions };
}

/** A computation that finishes when `release` is called. */
function gate<T>(value: T) {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  let runs = 0;
  return { compute: async () => (runs++, await opened, value), release, runs: () => runs };
}

describe('ReportCache', () => {
  it('serves a result while the version is unchanged, and computes again once it moves', async () => {
    const { state, versions } = source();
    const cache = new ReportCache(versions);
    let runs = 0;
    const compute = async () => ++runs;
    expect(await cache.get('k', compute)).toBe(1);
    expect(await cache.get('k', compute)).toBe(1);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
    state.version = 2;
    expect(await cache.get('k', compute)).toBe(2);
  });

  it('files a result under the version read before its data: a write during the compute does not make it current', async () => {
    const { state, versions } = source(5);
    const cache = new ReportCache(versions);
    const slow = gate('read at 5, maybe with some of 6');
    const pending = cache.get('k', slow.compute);
    await Promise.resolve();
    // A write commits while the report reads; the next request sees 6 and must not get the result labelled 5.
    state.version = 6;
    const fresh = gate('read at 6');
    const second = cache.get('k', fresh.compute);
    slow.release();
    fresh.release();
    expect(await pending).toBe('read at 5, maybe with some of 6');
    expect(await second).toBe('read at 6');
    expect(fresh.runs()).toBe(1);
    // At 6 the cache holds 6's result, not the one computed from version 5.
    expect(await cache.get('k', async () => 'again')).toBe('read at 6');
  });

  it('does not keep a result whose version the cache moved past while it computed', async () => {
    const { state, versions } = source(5);
    const cache = new ReportCache(versions);
    const slow = gate('from 5');
    const pending = cache.get('k', slow.compute);
    await Promise.resolve();
    state.version = 6;
    // Another key moves the cache to 6 while 'k' still computes from 5.
    expect(await cache.get('other', async () => 'x')).toBe('x');
    slow.release();
    expect(await pending).toBe('from 5');
    expect(await cache.get('k', async () => 'from 6')).toBe('from 6');
  });

  it('computes, and keeps nothing, for a request that read an older version than the cache holds', async () => {
    const { state, versions } = source(7);
    const cache = new ReportCache(versions);
    await cache.get('k', async () => 'at 7');
    // A request that read 6 before a newer one moved the cache (simulated by reading 6 now).
    state.version = 6;
    expect(await cache.get('k', async () => 'at 6')).toBe('at 6');
    state.version = 7;
    expect(await cache.get('k', async () => 'unused')).toBe('at 7');
  });

  it('shares one computation among concurrent requests for one key, and keeps no failure', async () => {
    const { versions } = source();
    const cache = new ReportCache(versions);
    const slow = gate('once');
    const all = Promise.all([cache.get('k', slow.compute), cache.get('k', slow.compute), cache.get('k', slow.compute)]);
    slow.release();
    expect(await all).toEqual(['once', 'once', 'once']);
    expect(slow.runs()).toBe(1);
    await expect(cache.get('bad', async () => Promise.reject(new Error('no rate')))).rejects.toThrow('no rate');
    expect(await cache.get('bad', async () => 'fixed')).toBe('fixed');
  });

  it('neither serves nor fills inside a transaction', async () => {
    const { state, versions } = source();
    const cache = new ReportCache(versions);
    await cache.get('k', async () => 'committed');
    state.inTransaction = true;
    expect(await cache.get('k', async () => 'uncommitted')).toBe('uncommitted');
    state.inTransaction = false;
    expect(await cache.get('k', async () => 'unused')).toBe('committed');
  });

  it('latest: keeps one value, and never runs two computations at once', async () => {
    const { versions } = source();
    const cache = new ReportCache(versions);
    let running = 0;
    let most = 0;
    const compute = (value: string) => async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return value;
    };
    const [a, b] = await Promise.all([cache.latest('a', compute('A')), cache.latest('b', compute('B'))]);
    expect([a, b, most]).toEqual(['A', 'B', 1]);
    // Only the most recent key is kept.
    expect(await cache.latest('b', compute('B again'))).toBe('B');
    expect(await cache.latest('a', compute('A again'))).toBe('A again');
  });
});
