/**
 * Mirror snapshots: the in-memory report tables (TouchIndex, RevenueIndex,
 * SpendIndex and the customer interner they share) saved as one binary
 * snapshot, so that a restart restores them in about a second instead of
 * reading every row back (36 s for ten million touchpoints).
 *
 * At start, before the first load, the stored snapshot is adopted by every
 * mirror at once, as if loaded at the data version it was cut at, if and
 * only if:
 * - the database's data version equals the snapshot's, and
 * - each table's fingerprint (lowest and highest slot or key) equals the
 *   snapshot's,
 * read together (the version before and after the fingerprints is the
 * same). Why that is enough: every write through the API moves the data
 * version (src/store/unit-of-work.ts), so an equal version means no write
 * through the API since the cut, from any process; a restored backup or
 * another database file differs in version or, failing that, in its row
 * counts and highest keys. A write made around the API (the sqlite3 shell)
 * without moving the version is not seen by the mirrors of a running
 * process either (docs/persistence.md); the fingerprint catches most of
 * those too (any insert or delete). Anything else (no snapshot, a
 * different version or fingerprint, a truncated or damaged file, a store
 * refusing its parts) falls back to reading the rows, logged once at info
 * with the reason.
 *
 * Saving: when writes of this process have paused for `quietMs`, or at the
 * latest MAX_DELAY_QUIETS x `quietMs` after the first write not yet in a
 * snapshot (writes that never pause, a sync every few seconds, would
 * otherwise never let one be saved, and every new instance would read every
 * row), the data version moved since the last save (or none was made), and every mirror
 * is current and prepared, the mirrors are cut at one instant (synchronous:
 * the headers, the daily sums and the interners' hash tables are copies; the
 * touch and revenue columns are views up to their end, not copied, as a copy
 * would double the peak memory of a save) and written out asynchronously.
 * A write during the save appends past those views, or overwrites a row in
 * place: then that part either fails its checksum (written after it was
 * taken, so the snapshot is refused at restore), or holds the row as the write
 * left it, a row a restore catches up on anyway (its version is newer than the
 * snapshot's: SQLite refuses the snapshot, PostgreSQL reads it again from the
 * cut's change cursor, and a catch-up is idempotent). Once more
 * at a graceful close if one is due. A save never fails a request: errors
 * are logged.
 */
import type { DataVersionSource } from '../../store/unit-of-work.js';
import type { TableFingerprint } from '../../store/fingerprint.js';
import type { TableMirror } from '../common/table-mirror.js';
import { decodeBody, encodeSnapshot, SnapshotUnusable, type SnapshotHeader, type SnapshotLabel } from './format.js';
import type { MirrorSnapshotRepository } from './repository.js';

/** Default quiet time after this process's last write before a snapshot is saved (SPENDBOOK_SNAPSHOT_QUIET_MS). */
export const DEFAULT_SNAPSHOT_QUIET_MS = 10_000;
/** A snapshot is due at most this many quiet times after the first write it does not hold: a minute by default. */
export const MAX_DELAY_QUIETS = 6;
/** Save attempts that found the mirrors not current (another process wrote) before waiting for the next write of this process. */
const MAX_RETRIES = 3;

/** State shared by several mirrors' stores (the customer interner): cut and restored with them, first. */
export interface SharedPart {
  toParts(): Uint8Array[];
  /** Replaces its state with that of `parts`; throws (a RangeError) on parts it cannot trust. */
  restore(parts: readonly Uint8Array[]): void;
}

export interface SnapshotLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface MirrorSnapshotsOptions {
  /** Where snapshots are kept; null for none (`:memory:`). */
  repository: MirrorSnapshotRepository | null;
  versions: DataVersionSource;
  /** The mirrors by table name, each with its table's fingerprint. */
  tables: Record<string, { mirror: TableMirror<unknown>; fingerprint: () => Promise<TableFingerprint> }>;
  /** State the mirrors' stores share, by name (restored before the stores are made). */
  shared: Record<string, SharedPart>;
  quietMs: number;
  /** True once the normal start-up load has finished (a save waits for it). */
  loaded: () => boolean;
  log: SnapshotLog;
}

/** `behind`: the snapshot was older than the database by that many versions, and the stores catch up from their cursors. */
export type RestoreOutcome = { restored: true; version: number; behind?: number } | { restored: false; reason: string };

export class MirrorSnapshots {
  /** The version of the last snapshot saved or restored by this process. */
  private savedVersion: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When a save is due at the latest (performance.now() ms): set by the first commit after a save, cleared by a save. */
  private dueBy: number | null = null;
  /** A save was asked for while one ran. */
  private again = false;
  private retries = 0;
  private saving: Promise<void> | null = null;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** Snapshots saved by this process (tests wait on it). */
  saves = 0;
  /** What the start-up restore did, once it finished. */
  outcome: RestoreOutcome | null = null;

  /** The data version of the last snapshot this process saved or restored (null: none yet). */
  get lastVersion(): number | null {
    return this.savedVersion;
  }

  constructor(private readonly options: MirrorSnapshotsOptions) {
    this.unsubscribe = options.versions.onCommit(() => {
      this.retries = 0;
      this.dueBy ??= performance.now() + MAX_DELAY_QUIETS * options.quietMs;
      this.schedule();
    });
  }

  private get enabled(): boolean {
    return this.options.repository !== null;
  }

  /**
   * Restores the mirrors from the stored snapshot, if it can be trusted;
   * their readers wait for it. Resolves when done (it never rejects).
   */
  start(): Promise<RestoreOutcome> {
    const task = this.restore().then((outcome) => {
      this.outcome = outcome;
      if (!outcome.restored && this.options.repository !== null) this.options.log.info({ reason: outcome.reason }, 'report tables: no usable snapshot, reading the rows');
      this.schedule();
      return outcome;
    });
    for (const { mirror } of Object.values(this.options.tables)) mirror.holdReadersUntil(task);
    return task;
  }

  private async restore(): Promise<RestoreOutcome> {
    const { repository, tables, shared, log } = this.options;
    if (repository === null) return { restored: false, reason: 'this database keeps no snapshot (in memory)' };
    const started = performance.now();
    let stored;
    try {
      stored = await repository.read();
    } catch (error) {
      return { restored: false, reason: reasonOf(error) };
    }
    if (stored === null) return { restored: false, reason: `no snapshot in ${repository.where}` };
    try {
      const { header } = stored;
      const label = await this.label();
      if (label === null) return { restored: false, reason: 'the data changed while the snapshot was checked' };
      // Behind the database: usable on PostgreSQL only, where each store can catch up from its cursor (see catchUpFrom).
      const behind = header.version !== label.version ? await this.catchUpFrom(header, label) : null;
      if (typeof behind === 'string') return { restored: false, reason: behind };
      if (behind === null) {
        for (const [table, fingerprint] of Object.entries(label.fingerprints)) {
          const saved = header.fingerprints[table];
          if (saved?.minKey !== fingerprint.minKey || saved.maxKey !== fingerprint.maxKey) {
            return { restored: false, reason: `the ${table} table differs from the snapshot (keys ${fingerprint.minKey} to ${fingerprint.maxKey}; snapshot ${saved?.minKey} to ${saved?.maxKey})` };
          }
        }
      }
      const groups = await decodeBody(header, await stored.body());
      const names = [...Object.keys(shared), ...Object.keys(tables)];
      const missing = names.find((name) => !groups.has(name));
      if (missing !== undefined) return { restored: false, reason: `the snapshot has no ${missing}` };
      if (Object.values(tables).some(({ mirror }) => !mirror.empty)) return { restored: false, reason: 'a table was loaded before the snapshot was read' };
      // Every store is made before any is adopted: all or none. The shared state first (the stores refer to it);
      // left restored when a store then refuses its parts, it is harmless: the loads intern what they read on top.
      for (const [name, part] of Object.entries(shared)) part.restore(groups.get(name)!);
      const stores = Object.entries(tables).map(([name, { mirror }]) => [mirror, mirror.decode(groups.get(name)!)] as const);
      for (const [name, [mirror, store]] of Object.keys(tables).map((name, i) => [name, stores[i]!] as const)) {
        mirror.adopt(store, header.version, behind?.get(name) ?? (header.cursors?.[name] !== undefined ? BigInt(header.cursors[name]) : null));
      }
      this.savedVersion = header.version;
      // A log timing, in whole milliseconds (not money).
      log.info({ version: header.version, ms: Math.round(performance.now() - started) }, 'report tables restored from their snapshot');
      return behind === null ? { restored: true, version: header.version } : { restored: true, version: header.version, behind: label.version - header.version };
    } catch (error) {
      return { restored: false, reason: reasonOf(error) };
    } finally {
      await stored.close().catch(() => undefined);
    }
  }

  /**
   * For a snapshot older than the database: each table's cursor to catch up
   * from, or why it cannot be used. Only where the snapshot has a change
   * cursor per table (PostgreSQL: every row written since has a
   * `written_xid` at or above it, table-mirror.ts). The tables must be the
   * snapshot's grown, never others: nothing deletes from them, so the
   * lowest key is the same and the highest no lower; and each cursor must
   * not be ahead of the database's own (a dump restored into another
   * server starts its transaction ids afresh, and a cursor from the old
   * one would hide every later row).
   */
  private async catchUpFrom(header: SnapshotHeader, label: SnapshotLabel): Promise<Map<string, bigint> | string> {
    if (header.version > label.version) return `the snapshot is of data version ${header.version}, the database is at ${label.version}`;
    const cursors = new Map<string, bigint>();
    for (const [table, { mirror }] of Object.entries(this.options.tables)) {
      const saved = header.cursors?.[table];
      const now = await mirror.databaseCursor();
      if (saved === undefined || now === null) return `the snapshot is of data version ${header.version}, the database is at ${label.version}`;
      const cursor = BigInt(saved);
      if (cursor > now) return `the snapshot's ${table} cursor ${cursor} is ahead of the database's ${now} (another server's snapshot?)`;
      const then = header.fingerprints[table];
      const fingerprint = label.fingerprints[table]!;
      const empty = then !== undefined && then.maxKey === 0 && then.minKey === 0;
      if (then === undefined || (!empty && (then.minKey !== fingerprint.minKey || fingerprint.maxKey < then.maxKey))) {
        return `the ${table} table is not the snapshot's grown (keys ${fingerprint.minKey} to ${fingerprint.maxKey}; snapshot ${then?.minKey} to ${then?.maxKey})`;
      }
      cursors.set(table, cursor);
    }
    return cursors;
  }

  /** The data version and every table's fingerprint, read together (null if the version moved meanwhile). */
  private async label(): Promise<SnapshotLabel | null> {
    const { versions, tables } = this.options;
    const version = await versions.version();
    const fingerprints = Object.fromEntries(await Promise.all(Object.entries(tables).map(async ([name, { fingerprint }]) => [name, await fingerprint()] as const)));
    return (await versions.version()) === version ? { version, fingerprints } : null;
  }

  /** Saves after `quietMs`, or sooner if a save is due sooner (`retry`: a quiet time in any case, never a busy loop). */
  private schedule(retry = false): void {
    if (!this.enabled || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const { quietMs } = this.options;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.save();
      },
      this.dueBy === null || retry ? quietMs : Math.min(quietMs, Math.max(0, this.dueBy - performance.now())),
    );
    this.timer.unref();
  }

  /** Saves a snapshot if one is due and the mirrors allow it; never throws. */
  save(): Promise<void> {
    if (this.saving) {
      // One save at a time; one asked for meanwhile (a later version) runs after it, not never.
      this.again = true;
      return this.saving;
    }
    this.saving = this.trySave()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'saving the report tables snapshot failed; the next start reads the rows'))
      .finally(() => {
        this.saving = null;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
    return this.saving;
  }

  private async trySave(): Promise<void> {
    const { repository, tables, shared, versions } = this.options;
    if (repository === null || versions.inTransaction()) return;
    const started = performance.now();
    const label = await this.label();
    if (label === null) return;
    if (label.version === this.savedVersion) {
      this.dueBy = null;
      return;
    }
    let ready = this.options.loaded();
    for (const { mirror } of Object.values(tables)) if (ready && (await mirror.prepareForSnapshot()) !== label.version) ready = false;
    // The cut: synchronous from here to the last part, so the shared state and every store are of one instant.
    const groups: Record<string, Uint8Array[]> = {};
    if (ready) {
      for (const [name, part] of Object.entries(shared)) groups[name] = part.toParts();
      for (const [name, { mirror }] of Object.entries(tables)) {
        const parts = mirror.partsAt(label.version);
        if (parts === null) ready = false;
        else groups[name] = parts;
      }
    }
    if (!ready) {
      // Still loading: try again later. Not current (another process wrote, or a write came in): a few times, then wait for a write.
      if (!this.options.loaded() || ++this.retries <= MAX_RETRIES) this.schedule(true);
      return;
    }
    // Cut: the writes after this instant are the next snapshot's, with their own deadline.
    this.dueBy = null;
    const cursors = Object.entries(tables).map(([name, { mirror }]) => [name, mirror.cursorNow()] as const);
    if (cursors.every(([, cursor]) => cursor !== null)) label.cursors = Object.fromEntries(cursors.map(([name, cursor]) => [name, cursor!.toString()]));
    const snapshot = await encodeSnapshot(label, groups);
    if (await repository.save(snapshot)) {
      this.saves++;
      const bytes = snapshot.prefix.length + snapshot.header.bodyBytes;
      // A log timing, in whole milliseconds (not money).
      this.options.log.info({ version: label.version, bytes, ms: Math.round(performance.now() - started) }, 'report tables snapshot saved');
    }
    this.savedVersion = label.version;
    this.retries = 0;
  }

  /** At a graceful close: stops the timer, and saves once if a snapshot is due. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.saving) await this.saving;
    await this.save();
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof SnapshotUnusable) return error.message;
  if (error instanceof RangeError) return `a store refused its snapshot parts: ${error.message}`;
  return `the snapshot could not be read: ${error instanceof Error ? error.message : String(error)}`;
}
