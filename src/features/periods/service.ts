/**
 * Month close. Finance closes a month once its books are done, saying why; from then on
 * every write dated in it is refused with a 409 naming the month, until an
 * admin reopens it with a reason. Every close and reopen is kept, with who,
 * when and why, in `period_events` (which a trigger keeps append-only).
 *
 * The write services call `refuseClosed` inside their transaction, before
 * they write: it names every batch item dated in a closed month, so the
 * batch is refused whole. Triggers (migration 0005) guard what the services
 * cannot see cheaply: a stored row in a closed month that a write would
 * change, move or delete.
 */
import type { Sqlite } from '../../db.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { ClosedMonths, monthBoundsMs } from '../../domain/closed-months.js';
import { lastDayOfMonth } from '../../domain/periods.js';
import { ConflictError, PeriodClosedError, UnprocessableError, type FieldError } from '../../lib/errors.js';
import type { Actor } from '../api-keys/service.js';

export interface PeriodEventView {
  action: 'close' | 'reopen';
  at: string;
  by: string | null;
  reason: string | null;
}

export interface PeriodView {
  month: string;
  status: 'closed' | 'open';
  closedAt: string | null;
  closedBy: string | null;
  reason: string | null;
  history: PeriodEventView[];
}

/** How many items a 409 lists; the count says how many there were. */
const LISTED_ITEMS = 100;

interface EventRow {
  month: string;
  action: 'close' | 'reopen';
  at: string;
  by: string | null;
  reason: string | null;
}

export class PeriodService {
  private readonly closedStmt;
  private readonly closedRowStmt;
  private readonly insertClosed;
  private readonly deleteClosed;
  private readonly insertEvent;

  constructor(private readonly sqlite: Sqlite, private readonly uow: UnitOfWork, private readonly now = () => new Date()) {
    this.closedStmt = sqlite.prepare('select month from closed_months').pluck();
    this.closedRowStmt = sqlite.prepare('select month, closed_at, closed_by, reason from closed_months where month = ?');
    this.insertClosed = sqlite.prepare(
      'insert into closed_months (month, start_ms, end_ms, closed_at, closed_by_key_id, closed_by, reason) values (?, ?, ?, ?, ?, ?, ?)',
    );
    this.deleteClosed = sqlite.prepare('delete from closed_months where month = ?');
    this.insertEvent = sqlite.prepare('insert into period_events (month, action, at, by_key_id, by, reason) values (?, ?, ?, ?, ?, ?)');
  }

  /** The months closed now. Read from the table at each call: it is small, and another process may have closed one. */
  closed(): ClosedMonths {
    return new ClosedMonths(this.closedStmt.all() as string[]);
  }

  /**
   * Throws the 409 that names every item `closedMonthOf` places in a closed
   * month (its `field` under `pathOf(i)`). Call it inside the write's
   * transaction, before writing.
   */
  refuseClosed<T>(
    items: readonly T[],
    pathOf: (index: number) => string,
    field: string,
    closedMonthOf: (item: T, closed: ClosedMonths) => string | { month: string; message: string } | null,
  ): void {
    const closed = this.closed();
    if (closed.size === 0) return;
    const errors: FieldError[] = [];
    const months = new Set<string>();
    let count = 0;
    items.forEach((item, i) => {
      const found = closedMonthOf(item, closed);
      if (found === null) return;
      const { month, message } = typeof found === 'string' ? { month: found, message: `is in ${found}, which is closed` } : found;
      months.add(month);
      if (count++ < LISTED_ITEMS) errors.push({ path: `${pathOf(i)}${field}`, message });
    });
    if (count > 0) throw new PeriodClosedError([...months].sort(), errors, count);
  }

  close(month: string, actor: Actor | null, reason: string): PeriodView {
    const today = this.now().toISOString().slice(0, 10);
    if (lastDayOfMonth(month) >= today) {
      throw new UnprocessableError('period_not_ended', `${month} has not ended (today is ${today}); a month can be closed from the day after its last day`);
    }
    const at = this.now().toISOString();
    this.uow.write(() => {
      const current = this.closedRowStmt.get(month) as { closed_at: string; closed_by: string | null } | undefined;
      if (current) {
        throw new ConflictError('period_already_closed', `${month} is already closed (since ${current.closed_at}${current.closed_by ? ` by ${current.closed_by}` : ''})`);
      }
      const { startMs, endMs } = monthBoundsMs(month);
      this.insertClosed.run(month, startMs, endMs, at, actor?.keyId ?? null, actor?.name ?? null, reason);
      this.insertEvent.run(month, 'close', at, actor?.keyId ?? null, actor?.name ?? null, reason);
    });
    return this.get(month);
  }

  reopen(month: string, actor: Actor | null, reason: string): PeriodView {
    const at = this.now().toISOString();
    this.uow.write(() => {
      if (!this.closedRowStmt.get(month)) throw new ConflictError('period_not_closed', `${month} is not closed; there is nothing to reopen`);
      this.deleteClosed.run(month);
      this.insertEvent.run(month, 'reopen', at, actor?.keyId ?? null, actor?.name ?? null, reason);
    });
    return this.get(month);
  }

  get(month: string): PeriodView {
    return this.list({ from: month, to: month, after: null, limit: 1 })[0] ?? this.view(month, []);
  }

  /** Months that were ever closed, by month; each with its whole history. */
  list(filter: { from?: string | undefined; to?: string | undefined; status?: 'open' | 'closed' | undefined; after: string | null; limit: number }): PeriodView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.from) (where.push('month >= ?'), params.push(filter.from));
    if (filter.to) (where.push('month <= ?'), params.push(filter.to));
    if (filter.after !== null) (where.push('month > ?'), params.push(filter.after));
    if (filter.status) where.push(`${filter.status === 'closed' ? '' : 'not '}exists (select 1 from closed_months c where c.month = e.month)`);
    const months = this.sqlite
      .prepare(`select distinct month from period_events e ${where.length ? 'where ' + where.join(' and ') : ''} order by month limit ?`)
      .pluck()
      .all(...params, filter.limit + 1) as string[];
    if (months.length === 0) return [];
    const events = this.sqlite
      .prepare(`select month, action, at, by, reason from period_events where month in (${months.map(() => '?').join(', ')}) order by id`)
      .all(...months) as EventRow[];
    return months.map((month) => this.view(month, events.filter((e) => e.month === month)));
  }

  private view(month: string, events: EventRow[]): PeriodView {
    const closed = this.closedRowStmt.get(month) as { closed_at: string; closed_by: string | null; reason: string | null } | undefined;
    return {
      month,
      status: closed ? 'closed' : 'open',
      closedAt: closed?.closed_at ?? null,
      closedBy: closed?.closed_by ?? null,
      reason: closed?.reason ?? null,
      history: events.map(({ action, at, by, reason }) => ({ action, at, by, reason })),
    };
  }
}
