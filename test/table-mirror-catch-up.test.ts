/**
 * TableMirror's catch-up (the PostgreSQL path, table-mirror.ts), on a fake
 * table with a change cursor: lines of (day, amount) summed per day, as
 * SpendIndex sums spend. Writes of this process hand over their lines, which
 * the mirror adds; a catch-up adds those first, then replaces the sums of
 * every day with a line written at or after the cursor. The dangerous
 * moment is a commit of this process in the middle of a catch-up: its line
 * can be both in the day read and handed over, which must not count twice.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TableMirror } from '../src/features/common/table-mirror.js';

interface Line {
  day: number;
  amount: number;
  xid: number;
}

class FakeTable {
  lines: Line[] = [];
  version = 0;
  private nextXid = 3;
  private readonly listeners = new Set<(before: number, after: number) => void>();
  readonly versions = {
    version: async () => this.version,
    inTransaction: () => false,
    onCommit: (listener: (before: number, after: number) => void) => (this.listeners.add(listener), () => this.listeners.delete(listener)),
  };
  /** Nothing runs across an await here, so the oldest running transaction is the next one. */
  cursor(): number {
    return this.nextXid;
  }
  /** A commit, of this process (announced) or of another (not). */
  commit(day: number, amount: number, mine: boolean): Line {
    const line = { day, amount, xid: this.nextXid++ };
    this.lines.push(line);
    this.version++;
    if (mine) for (const listener of this.listeners) listener(this.version - 1, this.version);
    return line;
  }
  /** This process hears a commit of its own that moved the version from `before` to `after`. */
  announce(before: number, after: number): void {
    for (const listener of this.listeners) listener(before, after);
  }
  /** This process hears its commit of `line` only now (it was in the database before). */
  hear(line: Line): void {
    for (const listener of this.listeners) listener(this.version - 1, this.version);
    void line;
  }
  sums(): Map<number, number> {
    const sums = new Map<number, number>();
    for (const { day, amount } of this.lines) sums.set(day, (sums.get(day) ?? 0) + amount);
    return sums;
  }
}

class SumMirror extends TableMirror<Map<number, number>> {
  private pending: Line[] = [];
  /** The days the last catch-up read again. */
  daysRead: number[] = [];
  /** Runs after the catch-up found its days and before it reads their lines (a test's hook). */
  midCatchUp: (() => void) | null = null;
  /** Runs once the catch-up has put what it read into the store (a test's hook). */
  afterApply: (() => void) | null = null;
  /** The catch-up reads the days' lines before midCatchUp, as a read whose snapshot was taken before a commit heard during it. */
  readBeforeHook = false;
  constructor(private readonly table: FakeTable) {
    super(table.versions);
  }
  private reread = new Set<number>();
  added(line: Line): void {
    this.apply(() => this.pending.push(line));
  }
  /** As SpendIndex.inserted: the line is added, or its day read again if rows were read since `ticket`. */
  addedAfter(line: Line, ticket: number): void {
    if (this.readOverlapped(ticket)) this.apply(() => this.reread.add(line.day));
    else this.added(line);
  }
  protected async load(): Promise<Map<number, number>> {
    this.pending = [];
    return this.table.sums();
  }
  protected override prepare(store: Map<number, number>): boolean {
    for (const { day, amount } of this.pending) store.set(day, (store.get(day) ?? 0) + amount);
    this.pending = [];
    const sums = this.table.sums();
    for (const day of this.reread) store.set(day, sums.get(day) ?? 0);
    this.reread.clear();
    return true;
  }
  protected override async changeCursor(): Promise<bigint> {
    return BigInt(this.table.cursor());
  }
  protected override async catchUp(store: Map<number, number>, cursor: bigint): Promise<void> {
    this.prepare(store);
    const days = new Set(this.table.lines.filter((line) => BigInt(line.xid) >= cursor).map((line) => line.day));
    this.daysRead = [...days].sort((a, b) => a - b);
    const early = this.readBeforeHook ? this.table.sums() : null;
    await Promise.resolve();
    const hook = this.midCatchUp;
    this.midCatchUp = null;
    hook?.();
    await Promise.resolve();
    const sums = early ?? this.table.sums();
    for (const day of days) store.set(day, sums.get(day) ?? 0);
    const after = this.afterApply;
    this.afterApply = null;
    after?.();
    await Promise.resolve();
  }
}

describe('TableMirror catching up by a change cursor', () => {
  it('reads only what another process changed, and takes a commit of its own as it did', async () => {
    const table = new FakeTable();
    table.commit(1, 10, false);
    const mirror = new SumMirror(table);
    expect(await mirror.current()).toEqual(new Map([[1, 10]]));
    expect([mirror.fullLoads, mirror.catchUps, mirror.lastRefresh]).toEqual([1, 0, 'load']);

    // Another process: day 1 gets 5 more, day 2 gets 7. Caught up: 15 and 7.
    table.commit(1, 5, false);
    table.commit(2, 7, false);
    expect(await mirror.current()).toEqual(new Map([[1, 15], [2, 7]]));
    expect([mirror.fullLoads, mirror.catchUps, mirror.lastRefresh]).toEqual([1, 1, 'catch-up']);

    // A write of this process moves the mirror along without a catch-up: 7 + 3 = 10 on day 2.
    mirror.added(table.commit(2, 3, true));
    expect(await mirror.current()).toEqual(new Map([[1, 15], [2, 10]]));
    expect([mirror.fullLoads, mirror.catchUps]).toEqual([1, 1]);
    mirror.close();
  });

  it('does not count twice a commit of its own heard in the middle of a catch-up', async () => {
    const table = new FakeTable();
    const mirror = new SumMirror(table);
    await mirror.current();
    table.commit(1, 10, false); // another process: the mirror must catch up
    // Mid catch-up, this process commits 4 on day 1: the day read holds it, and it is handed over too.
    mirror.midCatchUp = () => mirror.added(table.commit(1, 4, true));
    // Day 1 = 10 + 4 = 14 (18 would count the 4 twice).
    expect(await mirror.current()).toEqual(new Map([[1, 14]]));
    expect(await mirror.current()).toEqual(table.sums());
    expect(mirror.fullLoads).toBe(1);
    expect(mirror.lastRefresh).toBe('catch-up');
    mirror.close();
  });

  it('does not count twice a commit of its own that lands in the middle of a catch-up and is heard after it', async () => {
    const table = new FakeTable();
    const mirror = new SumMirror(table);
    await mirror.current();
    table.commit(1, 10, false); // another process: the mirror must catch up
    // This process starts a write (its ticket), which commits in the database mid catch-up (the day read
    // holds it) but whose answer this process handles only after the catch-up ended.
    const ticket = mirror.writeTicket();
    let mine: Line | null = null;
    mirror.midCatchUp = () => void (mine = table.commit(1, 4, false));
    expect(await mirror.current()).toEqual(new Map([[1, 14]]));
    expect(mirror.lastRefresh).toBe('catch-up');
    table.hear(mine!);
    expect(mirror.readOverlapped(ticket)).toBe(true);
    mirror.addedAfter(mine!, ticket);
    // Day 1 = 10 + 4 = 14 (18 if the heard line were added to a day that holds it).
    expect(await mirror.current()).toEqual(new Map([[1, 14]]));
    expect(await mirror.current()).toEqual(table.sums());
    // A write with no read of rows since its ticket adds its line as before.
    const quiet = mirror.writeTicket();
    const next = table.commit(2, 5, false);
    table.hear(next);
    expect(mirror.readOverlapped(quiet)).toBe(false);
    mirror.addedAfter(next, quiet);
    expect(await mirror.current()).toEqual(new Map([[1, 14], [2, 5]]));
    mirror.close();
  });

  it('makes readers that ask while a catch-up is under way wait for it, though commits of its own heard meanwhile bring the version level', async () => {
    const table = new FakeTable();
    const mirror = new SumMirror(table);
    await mirror.current();
    // A write of this process adds 10 on day 1: committed in the database, its answer not yet handled here, so a
    // reader finds the mirror behind and starts a catch-up.
    const ticket = mirror.writeTicket();
    const first = table.commit(1, 10, false);
    mirror.readBeforeHook = true;
    // Mid catch-up, after its read (day 1 = 10): the first write is heard, and a second one, 4 on day 1 and 5 on
    // day 2, commits and is heard (the fake commits its two lines as two versions); both are handed over as days to
    // read again (the catch-up overlapped them). The store's version is now the table's: a reader asking now (B)
    // must not read those days again into the store while the catch-up still has its older day 1 to put.
    let seenByB: Map<number, number> | null = null;
    mirror.midCatchUp = () => {
      table.hear(first);
      mirror.addedAfter(first, ticket);
      const second = mirror.writeTicket();
      mirror.addedAfter(table.commit(1, 4, true), second);
      mirror.addedAfter(table.commit(2, 5, true), second);
      void mirror.current().then((store) => (seenByB = new Map(store)));
    };
    // Nor may a reader asking once the catch-up has put day 1 (C) take the store before it has read again: it would
    // see day 2 with the second write and day 1 without it.
    let seenByC: Map<number, number> | null = null;
    mirror.afterApply = () => void mirror.current().then((store) => (seenByC = new Map(store)));
    expect(await mirror.current()).toEqual(new Map([[1, 14], [2, 5]]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seenByB).toEqual(new Map([[1, 14], [2, 5]]));
    expect(seenByC).toEqual(new Map([[1, 14], [2, 5]]));
    expect(mirror.fullLoads).toBe(1);
    mirror.close();
  });

  it('gives a reader that joins a catch-up begun before its version was read a store that holds that version', async () => {
    const table = new FakeTable();
    const mirror = new SumMirror(table);
    await mirror.current();
    table.commit(1, 10, false); // another process: the mirror must catch up
    mirror.readBeforeHook = true;
    // Mid catch-up, after its read: another process commits 3 on day 2, and a reader (B) asks, reading the version
    // that counts it (a report would be cached under that version). The catch-up under way read before it.
    let seenByB: Map<number, number> | null = null;
    mirror.midCatchUp = () => {
      table.commit(2, 3, false);
      void mirror.current().then((store) => (seenByB = new Map(store)));
    };
    expect(await mirror.current()).toEqual(new Map([[1, 10]]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seenByB).toEqual(new Map([[1, 10], [2, 3]]));
    expect([mirror.fullLoads, mirror.catchUps]).toEqual([1, 2]);
    mirror.close();
  });

  it('takes two commits of its own heard in the reverse order without reading the table again', async () => {
    const table = new FakeTable();
    table.commit(1, 10, false);
    const mirror = new SumMirror(table);
    await mirror.current();
    // Two writes in flight commit 1 -> 2 (day 1) and 2 -> 3 (day 2); this process reads the second's answer first.
    const first = table.commit(1, 4, false);
    const second = table.commit(2, 5, false);
    table.announce(2, 3);
    mirror.added(second);
    table.announce(1, 2);
    mirror.added(first);
    expect(await mirror.current()).toEqual(new Map([[1, 14], [2, 5]]));
    // No catch-up and no load: the store was current at version 3 (without waiting, it stayed at 2 and caught up).
    expect([mirror.fullLoads, mirror.catchUps]).toEqual([1, 0]);
    mirror.close();
  });

  it('still catches up when a commit of another process lies between two of its own heard in reverse', async () => {
    const table = new FakeTable();
    const mirror = new SumMirror(table);
    await mirror.current();
    const first = table.commit(1, 4, false); // 0 -> 1, this process
    table.commit(3, 6, false); // 1 -> 2, another process
    const third = table.commit(2, 5, false); // 2 -> 3, this process
    table.announce(2, 3);
    mirror.added(third);
    table.announce(0, 1);
    mirror.added(first);
    expect(await mirror.current()).toEqual(table.sums());
    expect([mirror.fullLoads, mirror.catchUps]).toEqual([1, 1]);
    mirror.close();
  });

  it('keeps catching up, never loading the whole table, when its own commits keep coming in the middle of catch-ups', async () => {
    const table = new FakeTable();
    const mirror = new SumMirror(table);
    await mirror.current();
    table.commit(1, 10, false);
    let commits = 0;
    const again = (): void => {
      commits++;
      // As a write does: the ticket before the commit, the hand-over after (the catch-up is reading: the day is read again).
      const ticket = mirror.writeTicket();
      mirror.addedAfter(table.commit(2, 1, true), ticket);
      mirror.midCatchUp = commits < 10 ? again : null;
    };
    mirror.midCatchUp = again;
    // Three attempts, each with a commit heard in its middle; the third is kept, labelled before its commit.
    expect(await mirror.current()).toEqual(table.sums());
    expect(commits).toBe(3);
    expect(table.sums()).toEqual(new Map([[1, 10], [2, 3]]));
    expect(mirror.fullLoads).toBe(1);
    expect(mirror.lastRefresh).toBe('catch-up');
    mirror.close();
  });

  describe('moving the cursor while only its own writes come in', () => {
    afterEach(() => void vi.useRealTimers());

    /** A mirror loaded after one line (xid 3, so its cursor is 4), then five writes of its own on days 1..5 (xids 4..8). */
    const afterOwnWrites = async () => {
      const table = new FakeTable();
      table.commit(1, 10, false);
      const mirror = new SumMirror(table);
      await mirror.current();
      expect(mirror.cursorNow()).toBe(4n);
      for (let day = 1; day <= 5; day++) mirror.added(table.commit(day, 1, true));
      return { table, mirror };
    };

    it('before a snapshot is cut: the next catch-up reads only what another process wrote after', async () => {
      const { table, mirror } = await afterOwnWrites();
      // Current at version 6 (six commits); every xid below 9 has ended.
      expect(await mirror.prepareForSnapshot()).toBe(6);
      expect(mirror.cursorNow()).toBe(9n);
      table.commit(7, 2, false);
      // Only day 7 is read again (from cursor 4, days 1..5 would be too); day 1 = 10 + 1 = 11, days 2..5 = 1, day 7 = 2.
      expect(await mirror.current()).toEqual(new Map([[1, 11], [2, 1], [3, 1], [4, 1], [5, 1], [7, 2]]));
      expect(mirror.daysRead).toEqual([7]);
      expect([mirror.fullLoads, mirror.catchUps]).toEqual([1, 1]);
      mirror.close();
    });

    it('once writes pause', async () => {
      vi.useFakeTimers();
      const { table, mirror } = await afterOwnWrites();
      await vi.advanceTimersByTimeAsync(1_000);
      expect(mirror.cursorNow()).toBe(9n);
      table.commit(7, 2, false);
      expect(await mirror.current()).toEqual(table.sums());
      expect(mirror.daysRead).toEqual([7]);
      mirror.close();
    });

    it('not past a commit of another process the store does not hold yet', async () => {
      vi.useFakeTimers();
      const { table, mirror } = await afterOwnWrites();
      table.commit(6, 4, false); // not heard: the store is behind, the version is 7, not the store's 6
      await vi.advanceTimersByTimeAsync(1_000);
      expect(mirror.cursorNow()).toBe(4n);
      expect(await mirror.prepareForSnapshot()).toBeNull();
      expect(mirror.cursorNow()).toBe(4n);
      // So the catch-up still reads day 6 (a cursor moved to 10 would have skipped it, and day 6 would be missing).
      expect(await mirror.current()).toEqual(table.sums());
      expect(mirror.daysRead).toContain(6);
      mirror.close();
    });
  });
});
