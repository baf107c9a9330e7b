/**
 * A table (or a summary of one) held in memory for the reports, kept equal
 * to the database at all times. The attribution and ROI reports read a year
 * of data set L (three million touches, 250,000 conversions, 365,000 spend
 * lines); reading that from SQLite takes seconds per report, because
 * better-sqlite3 hands rows to JavaScript at a few microseconds each.
 *
 * How a mirror stays true:
 * - It loads on first use (the app warms every mirror when it starts).
 * - Every write of this process hands the mirror what it changed, after its
 *   transaction commits (`apply`).
 * - A write inside a transaction that is not yet committed (an outer
 *   transaction, such as the demo loader's) could still roll back, so it
 *   marks the mirror stale instead, and the next read loads it again.
 * - The mirror remembers the data version (src/store/unit-of-work.ts) it is
 *   equal to. When a write of this process commits and moves the version
 *   from v to v + 1, a mirror at v moves to v + 1 (the write hands it what
 *   it changed, if anything); a mirror at another version missed a commit of
 *   another process, and loads again on its next read, as it does whenever
 *   the version it reads is not its own.
 * - Work that can wait (sorting, re-reading what a write marked) is done
 *   when the mirror is next read, or earlier, once writes have paused for
 *   PREPARE_AFTER_MS (between requests, so a report does not pay for it).
 * - Loads and reads are async (PostgreSQL's are network round trips): a
 *   load is labelled with the version read before its rows. On SQLite it is
 *   trusted only if the version read after them is the same and no commit
 *   of this process was heard in between; otherwise the store it built is
 *   used once and loaded again by the next reader. On PostgreSQL its pages
 *   are one snapshot (table-reads.ts), and the next read catches up on
 *   whatever came after the label. A store newer than its label could count
 *   a write of this process twice, in the rows read and in what the write
 *   hands over once heard: the spend mirror reads such a write's days again
 *   instead (writeTicket). Readers wait for a load or catch-up under way
 *   (current).
 * - The mirror holds no SQL: its subclass loads through the feature's
 *   repository (src/store/table-reads.ts has the range readers).
 * - A restart need not read the rows again: a snapshot of the store
 *   (src/features/mirrors/snapshots.ts) is cut when the store is current and
 *   prepared (`partsAt`), and adopted at the next start as if it had been
 *   loaded at the version it was cut at (`adopt`); from there the version
 *   label does the rest, as after a load.
 * - Catching up (PostgreSQL): several instances share one database, and a
 *   commit of another instance would otherwise make every mirror load its
 *   whole table again (millions of rows at data set L). A subclass that can
 *   `catchUp` keeps a change cursor (`changeCursor`, read before the rows of
 *   each load or catch-up): every row changed since has a `written_xid` at
 *   or above it, so the mirror reads just those rows, along with a few it
 *   already has (a catch-up must be idempotent). SQLite has no cursor and
 *   loads again: one process per database file is its deployment.
 * - The cursor moves up also while only writes of this process come in
 *   (`advanceCursor`, once writes pause, and before a snapshot is cut):
 *   otherwise it would stay where the last load left it, and the next
 *   catch-up (another instance's first write, or the first one after a
 *   restart from a snapshot) would read every row written since, the whole
 *   table after a bulk import.
 */
import type { DataVersionSource } from '../../store/unit-of-work.js';

/** Quiet time after the last write before a mirror's deferred work is done ahead of the next report. */
const PREPARE_AFTER_MS = 1_000;
/** Own commits heard ahead of the store's version that are kept waiting for the ones before them (ownCommit). */
const MAX_HEARD_AHEAD = 1_000;

export abstract class TableMirror<Store> {
  private store: Store | null = null;
  private loadedAtVersion = -1;
  private stale = false;
  /** Commits of this process heard so far: a load or a deferred read during which one was heard cannot trust its label. */
  private commitsHeard = 0;
  /** The load or catch-up under way outside any transaction, shared by every reader that asks meanwhile. */
  private loading: Promise<{ store: Store; label: number }> | null = null;
  /** Loads and catch-ups reading now (see unchangedSince). */
  private refreshing = 0;
  /** The deferred work under way, so that two readers do not do it at once. */
  private preparing: { store: Store; done: Promise<boolean> } | null = null;
  private prepareTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe;
  /** How long the last full load took, in milliseconds (logged and benchmarked). */
  lastLoadMs = 0;
  /** Where the store came from: the rows (a full load), a snapshot, or nowhere yet. */
  lastLoad: 'rows' | 'snapshot' | null = null;
  /** Calls of `apply` so far, and the count the last finished preparation had taken in (the store is prepared when they are equal). */
  private applies = 0;
  private preparedThrough: { store: Store; applies: number } | null = null;
  /** A restore from a snapshot under way: readers wait for it rather than start a full load beside it. */
  private restoring: Promise<unknown> | null = null;
  /** The change cursor read before the rows the store holds were read (null: no catch-up, load again). */
  private cursor: bigint | null = null;
  /** How the store last became current after a commit of another process (or at the start): for tests and logs. */
  lastRefresh: 'load' | 'catch-up' | null = null;
  /** Full loads and catch-ups so far. */
  fullLoads = 0;
  catchUps = 0;

  /** Commits of this process heard ahead of the store's version (after -> before), waiting for the ones before them: see ownCommit. */
  private readonly heardAhead = new Map<number, number>();

  constructor(protected readonly versions: DataVersionSource) {
    this.unsubscribe = versions.onCommit((before, after) => {
      this.commitsHeard++;
      this.ownCommit(before, after);
    });
  }

  /**
   * Own writes: the store, equal to the table at v, is still equal after a
   * commit of this process moves it to v + 1, if nobody else committed
   * since v. Commits of this process can be heard out of order: on
   * PostgreSQL two writes in flight at once commit one after the other
   * (v -> v + 1, then v + 1 -> v + 2: the version row's lock orders them),
   * but their answers can come in in one turn of the event loop and be read
   * the later first. A commit heard ahead waits here for the ones before it;
   * without that, the store stayed at v + 1 while the table was at v + 2,
   * and the next report caught up on every row written since the last load
   * (at data set L, two touch POSTs in flight: 14.6 s and 1.8 GiB for the
   * first ROI). A commit of another process in between leaves a gap that no
   * commit heard here fills: the next read loads or catches up, as it must.
   */
  private ownCommit(before: number, after: number): void {
    if (before !== this.loadedAtVersion) {
      if (before > this.loadedAtVersion) {
        this.heardAhead.set(before, after);
        // Bounded: behind a gap left by another process they only wait for the next load or catch-up.
        if (this.heardAhead.size > MAX_HEARD_AHEAD) this.heardAhead.delete(this.heardAhead.keys().next().value!);
      }
      return;
    }
    this.loadedAtVersion = after;
    for (let next = this.heardAhead.get(after); next !== undefined; next = this.heardAhead.get(this.loadedAtVersion)) {
      this.heardAhead.delete(this.loadedAtVersion);
      this.loadedAtVersion = next;
    }
    for (const waiting of this.heardAhead.keys()) if (waiting < this.loadedAtVersion) this.heardAhead.delete(waiting);
  }

  /** The store now equals the table at `version` (a load, a catch-up or a snapshot): commits heard ahead of it no longer apply. */
  private labelled(version: number): void {
    this.loadedAtVersion = version;
    this.heardAhead.clear();
  }

  /**
   * A new store holding the whole table as this connection sees it now.
   * Called before the first read of the table: state a write hands the
   * mirror from then on is kept for the new store.
   */
  protected abstract load(): Promise<Store>;

  /**
   * The deferred work (see the header); must leave the store as `current`
   * would. Returns false when it could not (a commit came in while it read
   * the table): the store is then loaded again.
   */
  protected prepare(_store: Store): boolean | Promise<boolean> {
    return true;
  }

  /**
   * The store as binary parts (a snapshot), or null if this table has none.
   * Called only on a store that is current and prepared, synchronously.
   */
  protected toParts(_store: Store): Uint8Array[] | null {
    return null;
  }

  /**
   * A store made from `toParts`'s parts; throws (a RangeError) on parts it
   * cannot trust. Like `load`, it starts the state writes hand the mirror
   * afresh for the new store.
   */
  protected fromParts(_parts: readonly Uint8Array[]): Store {
    throw new RangeError('this table has no snapshot form');
  }

  /**
   * The change cursor (PostgreSQL; see the header), or null where the store
   * cannot catch up. Read before the rows of a load or a catch-up.
   */
  protected changeCursor(): Promise<bigint | null> {
    return Promise.resolve(null);
  }

  /**
   * Brings `store` up to the table by the rows changed since `cursor`,
   * without double counting: first what writes of this process handed over
   * and the store has not taken in yet (those rows are no newer than what
   * the catch-up reads), then the rows read. Only called when
   * `changeCursor` gave a cursor.
   */
  protected catchUp(_store: Store, _cursor: bigint): Promise<void> {
    return Promise.reject(new Error('this mirror cannot catch up'));
  }

  /**
   * The store, equal to the table as this connection sees it now: holding
   * at least every commit in the data version read when it was asked for
   * (a report caches its answer under that version).
   *
   * While a load or catch-up is under way, readers wait for it rather than
   * take the store as it stands: a catch-up changes the store in place,
   * from rows read before commits that this process may hear meanwhile
   * (which move the store's version on, see ownCommit). A refresh that
   * began before this reader read its version may be labelled older than
   * that version, and miss a commit the reader's cache key counts: then
   * the reader refreshes once more, and that refresh, begun after its
   * version was read, is labelled at or past it.
   */
  async current(): Promise<Store> {
    // Inside a transaction (the demo loader's) the table holds writes that may roll back: load for this reader alone.
    if (this.versions.inTransaction()) return (await this.reload()).store;
    if (this.restoring !== null) await this.restoring;
    const asked = await this.versions.version();
    for (let version = asked; ; version = await this.versions.version()) {
      const store = this.store;
      if (this.loading === null && store !== null && !this.stale && version === this.loadedAtVersion && (await this.prepareOnce(store))) return store;
      this.loading ??= this.refresh().finally(() => (this.loading = null));
      const refreshed = await this.loading;
      if (refreshed.label >= asked) return refreshed.store;
    }
  }

  /** Catches up if the store can, else loads again; the store, and the version it was labelled with. */
  private async refresh(): Promise<{ store: Store; label: number }> {
    const store = this.store;
    if (store !== null && !this.stale && this.cursor !== null) {
      const label = await this.caughtUp(store, this.cursor);
      if (label !== null) return { store, label };
    }
    return this.reload();
  }

  /**
   * Catches the store up from `since`, labelled as a load is: with the
   * version read before the cursor and the rows; returns that label, or
   * null when the store was replaced or marked stale meanwhile (load). If
   * the version moved while the rows were read (another process
   * committed), the store may already hold some of that commit: harmless,
   * the next catch-up reads those rows again. If a commit of this process
   * was heard meanwhile, the rows read may be older than what it handed
   * over (a restated touchpoint): catch up again from the same cursor, up
   * to three times; after that the store is kept, labelled before the
   * commits heard, and the next read catches up on them (the spend mirror
   * does not count a commit twice that is both read and handed over: see
   * writeTicket).
   */
  private async caughtUp(store: Store, since: bigint): Promise<number | null> {
    for (let attempt = 0; ; attempt++) {
      // Deferred work on this store compares versions that the catch-up moves: let it finish first.
      await this.preparationsDone();
      const heard = this.commitsHeard;
      const started = performance.now();
      this.refreshing++;
      let version: number;
      let cursor: bigint | null;
      try {
        version = await this.versions.version();
        cursor = await this.changeCursor();
        if (cursor === null) return null;
        await this.readingRows(() => this.catchUp(store, since));
      } finally {
        this.refreshing--;
      }
      // What the catch-up read is handed over as a write's change is: a snapshot waits for the next preparation.
      this.applies++;
      if (this.store !== store || this.stale) return null;
      if ((heard !== this.commitsHeard || this.versions.inTransaction()) && attempt < 2) continue;
      this.labelled(version);
      this.cursor = cursor;
      this.lastRefresh = 'catch-up';
      this.catchUps++;
      // A preparation that started during the catch-up may not have taken in what it read: prepare once more after it.
      await this.preparationsDone();
      await this.prepareOnce(store);
      this.lastCatchUpMs = performance.now() - started;
      return version;
    }
  }

  private async preparationsDone(): Promise<void> {
    while (this.preparing !== null) await this.preparing.done.catch(() => false);
  }

  /** How long the last catch-up took, in milliseconds. */
  lastCatchUpMs = 0;
  /** Reads of rows (loads and catch-ups) started, and under way now: see writeTicket. */
  private rowReadsStarted = 0;
  private rowReadsRunning = 0;

  /**
   * Taken by a write of this process before it begins, and given to
   * `readOverlapped` once its commit is heard. A commit is in the database
   * before this process hears it, so a load or catch-up that read rows at any
   * moment in between may already hold the write's rows, whatever the
   * version and commit counts said when it finished: a mirror that would add
   * the write's change to what it holds (spend sums) must read those rows
   * again instead. Mirrors that put rows by slot need not care.
   */
  writeTicket(): number {
    return this.rowReadsRunning > 0 ? -1 : this.rowReadsStarted;
  }

  /** True if rows were read at any moment since `ticket` was taken (writeTicket). */
  readOverlapped(ticket: number): boolean {
    return ticket < 0 || this.rowReadsRunning > 0 || this.rowReadsStarted !== ticket;
  }

  private async readingRows<T>(read: () => Promise<T>): Promise<T> {
    this.rowReadsStarted++;
    this.rowReadsRunning++;
    try {
      return await read();
    } finally {
      this.rowReadsRunning--;
    }
  }

  /**
   * Moves the change cursor up to the database's while the store is
   * current (see the header). The cursor is read before the version: every
   * transaction below it had ended when it was read, so if the version read
   * after it is still the store's, the store (with what writes handed over)
   * holds them all. Given up, keeping the old cursor (still true, only
   * slower to catch up from), if a load or catch-up started or ended
   * meanwhile (it sets the cursor itself), or the store is not current.
   */
  protected async advanceCursor(): Promise<void> {
    const store = this.store;
    const refreshes = this.fullLoads + this.catchUps;
    if (store === null || this.stale || this.cursor === null || this.loading !== null || this.versions.inTransaction()) return;
    const cursor = await this.changeCursor();
    const version = await this.versions.version();
    if (cursor === null || this.store !== store || this.stale || this.loading !== null || this.fullLoads + this.catchUps !== refreshes) return;
    if (version === this.loadedAtVersion && this.cursor !== null && cursor > this.cursor) this.cursor = cursor;
  }

  /**
   * Loads the table, labelled with the data version read before it; returns
   * the store and that label. With a change cursor (PostgreSQL, whose pages
   * are one snapshot) a commit during the load is caught up on by the next
   * read, the store being labelled before it. Without one (SQLite, whose
   * ranges are read between turns of the event loop), if the version moved
   * or a commit of this process was heard meanwhile, the store is still
   * returned, as new as a read can be, but marked stale, so the next reader
   * loads again.
   */
  private async reload(): Promise<{ store: Store; label: number }> {
    const heard = this.commitsHeard;
    const started = performance.now();
    this.refreshing++;
    let version: number;
    let cursor: bigint | null;
    let store: Store;
    let after: number;
    try {
      version = await this.versions.version();
      cursor = await this.changeCursor();
      store = await this.readingRows(() => this.load());
      after = await this.versions.version();
    } finally {
      this.refreshing--;
    }
    this.store = store;
    this.labelled(version);
    this.cursor = cursor;
    // With a cursor, any commit during the load (another process's, or one of this process, which the spend
    // mirror does not count twice: see writeTicket) is caught up on next, the store being labelled before it.
    this.stale = (cursor === null && (after !== version || heard !== this.commitsHeard)) || this.versions.inTransaction();
    this.lastLoad = 'rows';
    this.lastRefresh = 'load';
    this.fullLoads++;
    await this.prepareOnce(store);
    this.lastLoadMs = performance.now() - started;
    return { store, label: version };
  }

  /** Readers wait for `task` (a restore from a snapshot) before they read or load the table. */
  holdReadersUntil(task: Promise<unknown>): void {
    const held = task.then(
      () => undefined,
      () => undefined,
    );
    this.restoring = held;
    void held.then(() => this.restoring === held && (this.restoring = null));
  }

  /** True if nothing was loaded yet (a snapshot may then be adopted). */
  get empty(): boolean {
    return this.store === null;
  }

  /** The change cursor of the store as it is now (null on SQLite, or before a load): saved with a snapshot cut now. */
  cursorNow(): bigint | null {
    return this.cursor;
  }

  /** The change cursor the database gives now (null on SQLite). */
  databaseCursor(): Promise<bigint | null> {
    return this.changeCursor();
  }

  /** A store from snapshot parts, not yet adopted (throws what `fromParts` throws). */
  decode(parts: readonly Uint8Array[]): Store {
    return this.fromParts(parts);
  }

  /**
   * Takes `store` (from `decode`) as if a load had read it at `version`.
   * Only before anything was loaded. A write of this process that commits
   * meanwhile is no harm: it finds no store to hand its change to, and
   * moves the database past `version`, so the next read loads the rows.
   */
  adopt(store: Store, version: number, cursor: bigint | null = null): void {
    if (this.store !== null) throw new Error('a snapshot is adopted only before the first load');
    this.store = store;
    // With the cursor the store was current at, a store older than the table catches up on its next read.
    this.cursor = cursor;
    this.labelled(version);
    this.stale = false;
    this.lastLoad = 'snapshot';
  }

  /**
   * Does the deferred work now, for a snapshot; the version the store is
   * current at, or null if it is not current (not loaded, stale, or
   * another process committed since).
   */
  async prepareForSnapshot(): Promise<number | null> {
    const store = this.store;
    if (store === null || this.stale || this.versions.inTransaction()) return null;
    const version = await this.versions.version();
    if (version !== this.loadedAtVersion || this.store !== store || this.stale) return null;
    if (!(await this.prepareOnce(store).catch(() => false))) return null;
    // The snapshot keeps the cursor: the next start catches up from here, not from the last load.
    await this.advanceCursor().catch(() => undefined);
    return version;
  }

  /**
   * The store as parts if it is still current at `version` and prepared,
   * with nothing handed over since its preparation; else null. Synchronous,
   * so that several mirrors and the interner they share are cut at one
   * instant.
   */
  partsAt(version: number): Uint8Array[] | null {
    const store = this.store;
    if (store === null || this.stale || this.loadedAtVersion !== version || this.versions.inTransaction()) return null;
    const prepared = this.preparedThrough;
    if (prepared === null || prepared.store !== store || prepared.applies !== this.applies) return null;
    return this.toParts(store);
  }

  private async prepareOnce(store: Store): Promise<boolean> {
    // Another reader's preparation of an older store is no use to this one: wait for it, then prepare this one.
    while (this.preparing !== null && this.preparing.store !== store) await this.preparing.done.catch(() => false);
    if (this.preparing === null) {
      // What was handed over up to now is what this preparation takes in (it does so before its first await).
      const applies = this.applies;
      const preparing = { store, done: (async () => this.prepare(store))() };
      this.preparing = preparing;
      preparing.done.then(
        (done) => {
          if (done) this.preparedThrough = { store, applies };
          if (this.preparing === preparing) this.preparing = null;
        },
        () => this.preparing === preparing && (this.preparing = null),
      );
    }
    return this.preparing.done;
  }

  /**
   * True if `store` is still the store, current at `version`, with no
   * commit heard since `heard` and no load or catch-up under way: for a
   * deferred read (prepare) that must overlap neither. A catch-up under way
   * will put rows read before such a read over what it read, and the
   * commits this process hears meanwhile move the store's version on as if
   * the store were current.
   */
  protected unchangedSince(store: Store, version: number, heard: number): boolean {
    return this.store === store && !this.stale && this.refreshing === 0 && this.loadedAtVersion === version && this.commitsHeard === heard;
  }

  /** The commits heard so far (see `unchangedSince`). */
  protected heard(): number {
    return this.commitsHeard;
  }

  /** Applies a write of this process to the store (after its transaction; inside an outer one it marks the store stale). */
  protected apply(change: (store: Store) => void): void {
    // A stale store is loaded again on the next read: changing it would only change what a reader still holds.
    if (this.store === null || this.stale) return;
    if (this.versions.inTransaction()) {
      this.stale = true;
      return;
    }
    this.applies++;
    change(this.store);
    this.prepareWhenQuiet();
  }

  private prepareWhenQuiet(): void {
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    this.prepareTimer = setTimeout(() => {
      this.prepareTimer = null;
      const store = this.store;
      if (store === null || this.stale) return;
      // The database went away (the app closed), or a commit came in: the next read does the work itself
      // (prepares again, or catches up or loads if the store is behind), not a load of the whole table.
      this.prepareOnce(store).then(
        (done) => (done ? this.advanceCursor() : undefined),
        () => undefined,
      ).catch(() => undefined);
    }, PREPARE_AFTER_MS);
    this.prepareTimer.unref();
  }

  /** Stops the pending preparation (the app is closing). */
  close(): void {
    this.unsubscribe();
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    this.prepareTimer = null;
  }
}
