/**
 * The unit of work moves the data version exactly once per committed write
 * transaction that changed a row: not for one that changed nothing (a
 * no-op upsert), not for one that rolled back, once for nested writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db.js';
import { SqliteUnitOfWork as UnitOfWork } from '../../src/store/sqlite-unit-of-work.js';

let handle: DatabaseHandle;
let uow: UnitOfWork;
let commits: [number, number][];

beforeEach(() => {
  handle = openDatabase(':memory:');
  uow = new UnitOfWork(handle.sqlite, { actor: () => ({ keyId: 'key_1', name: 'tester' }), now: () => new Date('2026-03-01T00:00:00Z') });
  commits = [];
  uow.onCommit((before, after) => commits.push([before, after]));
});
afterEach(() => handle.close());

const UPSERT_CAMPAIGN = `insert into campaigns (id, name, channel, start_date, tags, created_at, updated_at)
  values (?, ?, 'paid_search', '2026-01-01', '[]', 'now', 'now')
  on conflict (id) do update set name = excluded.name where campaigns.name is not excluded.name`;
const upsert = (id: string, name: string) => handle.sqlite.prepare(UPSERT_CAMPAIGN).run(id, name).changes;

describe('UnitOfWork', () => {
  it('starts at version 0 on a new database', async () => {
    expect(await uow.version()).toBe(0);
  });

  it('bumps once per changing transaction, however many rows it changed, and returns the new version', async () => {
    expect(await uow.writeVersioned(() => upsert('a', 'A'))).toEqual({ value: 1, version: 1 });
    // Three rows in one transaction: still one step.
    expect(await uow.writeVersioned(() => upsert('b', 'B') + upsert('c', 'C') + upsert('a', 'A2'))).toEqual({ value: 3, version: 2 });
    expect(await uow.version()).toBe(2);
    expect(commits).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('does not bump for a no-op upsert or a read', async () => {
    await uow.write(() => upsert('a', 'A'));
    // The same name again: the upsert's WHERE leaves the row alone, 0 rows changed.
    expect(await uow.writeVersioned(() => upsert('a', 'A'))).toEqual({ value: 0, version: 1 });
    await uow.write(() => handle.sqlite.prepare('select count(*) from campaigns').get());
    expect(await uow.version()).toBe(1);
    expect(commits).toEqual([[0, 1]]);
  });

  it('does not bump on rollback, and leaves nothing written', async () => {
    await expect(
      uow.write(() => {
        upsert('a', 'A');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await uow.version()).toBe(0);
    expect(handle.sqlite.prepare('select count(*) from campaigns').pluck().get()).toBe(0);
    expect(commits).toEqual([]);
  });

  it('bumps once for nested writes, at the end of the outermost, and not at all if it rolls back', async () => {
    const versions = await uow.writeVersioned(async () => {
      const inner = await uow.writeVersioned(() => upsert('a', 'A'));
      await uow.write(() => upsert('b', 'B'));
      // Inside, the version is not yet known.
      expect(inner.version).toBeNull();
      expect(await uow.version()).toBe(0);
      return 'done';
    });
    expect(versions).toEqual({ value: 'done', version: 1 });
    await expect(
      uow.write(async () => {
        await uow.write(() => upsert('c', 'C'));
        throw new Error('outer refused');
      }),
    ).rejects.toThrow('outer refused');
    expect(await uow.version()).toBe(1);
    expect(commits).toEqual([[0, 1]]);
  });

  it('rolls back a write whose callback lets the event loop turn, and refuses a write that overlaps it', async () => {
    const slow = uow.write(async () => {
      upsert('a', 'A');
      // Real waiting: other requests could run here and read the open transaction's rows.
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    // Meanwhile another request's write (another async context) is refused, not joined.
    await expect(uow.write(() => upsert('b', 'B'))).rejects.toThrow(/another one was open/);
    await expect(slow).rejects.toThrow(/let the event loop turn/);
    expect(handle.sqlite.prepare('select count(*) from campaigns').pluck().get()).toBe(0);
    expect(await uow.version()).toBe(0);
    // And the connection is usable again.
    await uow.write(() => upsert('c', 'C'));
    expect(await uow.version()).toBe(1);
  });

  it('names the actor for the audit triggers inside the write, and leaves no context row behind', async () => {
    await uow.write(() => upsert('a', 'A'));
    const event = handle.sqlite.prepare("select actor_key_id, actor_name, at from audit_events where entity = 'campaign'").get();
    expect(event).toEqual({ actor_key_id: 'key_1', actor_name: 'tester', at: '2026-03-01T00:00:00.000Z' });
    expect(handle.sqlite.prepare('select count(*) from audit_context').pluck().get()).toBe(0);
  });

  it('records an ingest event only inside a write', async () => {
    await expect(uow.record('ingest', 'spend', null, null, { inserted: 1 })).rejects.toThrow(/inside write/);
    await uow.write(() => uow.record('ingest', 'spend', null, null, { inserted: 1 }));
    expect(handle.sqlite.prepare("select actor_name, after from audit_events where action = 'ingest'").get()).toEqual({ actor_name: 'tester', after: '{"inserted":1}' });
  });

  it('sees the commits of another connection to the same file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spendbook-uow-'));
    const one = openDatabase(join(dir, 'x.db'));
    const two = openDatabase(join(dir, 'x.db'));
    try {
      const first = new UnitOfWork(one.sqlite);
      const second = new UnitOfWork(two.sqlite);
      await first.write(() => one.sqlite.prepare(UPSERT_CAMPAIGN).run('a', 'A'));
      expect((await second.version())).toBe(1);
      // The second's write starts from the first's version: 1 -> 2.
      expect((await second.writeVersioned(() => two.sqlite.prepare(UPSERT_CAMPAIGN).run('b', 'B'))).version).toBe(2);
      expect((await first.version())).toBe(2);
    } finally {
      one.close();
      two.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('property: the version counts exactly the committed transactions that changed a row', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), name: fc.constantFrom('x', 'y'), fail: fc.boolean() }), { maxLength: 30 }),
        async (steps) => {
          const fresh = openDatabase(':memory:');
          try {
            const unit = new UnitOfWork(fresh.sqlite);
            const names = new Map<string, string>();
            let expected = 0;
            for (const step of steps) {
              const changes = names.get(step.id) !== step.name;
              try {
                await unit.write(() => {
                  fresh.sqlite.prepare(UPSERT_CAMPAIGN).run(step.id, step.name);
                  if (step.fail) throw new Error('rolled back');
                });
              } catch {
                continue;
              }
              if (changes) expected++;
              names.set(step.id, step.name);
            }
            expect(await unit.version()).toBe(expected);
          } finally {
            fresh.close();
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
