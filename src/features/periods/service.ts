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
 *
 * On PostgreSQL two transactions run at once, so "read the closed months,
 * then write" needs a lock: `refuseClosed` reads them with FOR SHARE (a ROW
 * SHARE lock on closed_months), and a close or reopen first takes the table
 * in EXCLUSIVE mode, which conflicts with it. A write that read the months
 * before a close holds the close back until it commits; a write that comes
 * during a close waits for it and then sees the month closed. Reports and
 * the guard triggers only read, and are not held up.
 */
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { ClosedMonths, monthBoundsMs } from '../../domain/closed-months.js';
import { lastDayOfMonth } from '../../domain/periods.js';
import { ConflictError, PeriodClosedError, UnprocessableError, type FieldError } from '../../lib/errors.js';
import type { Actor } from '../api-keys/service.js';
import { periodRepository, type ClosedRow, type PeriodEventRow, type PeriodRepository } from './repository.js';

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

type ClosedAnswer = string | { month: string; message: string } | null;

export class PeriodService {
  private readonly repository: PeriodRepository;

  constructor(database: Database, private readonly uow: UnitOfWork, private readonly now = () => new Date()) {
    this.repository = periodRepository(database);
  }

  /** The months closed now. Read from the table at each call: it is small, and another process may have closed one. */
  async closed(): Promise<ClosedMonths> {
    return new ClosedMonths(await this.repository.closedMonths());
  }

  /**
   * Throws the 409 that names every item `closedMonthOf` places in a closed
   * month (its `field` under `pathOf(i)`). Call it inside the write's
   * transaction, before writing: on PostgreSQL the months are read there
   * under a lock that holds a concurrent close back until the write ends.
   * `closedMonthOf` may answer with a promise (if it must read the
   * database); a plain answer is not awaited, to keep large batches quick.
   */
  async refuseClosed<T>(
    items: readonly T[],
    pathOf: (index: number) => string,
    field: string,
    closedMonthOf: (item: T, closed: ClosedMonths) => ClosedAnswer | Promise<ClosedAnswer>,
  ): Promise<void> {
    const closed = new ClosedMonths(await this.repository.closedMonthsForWrite());
    if (closed.size === 0) return;
    const errors: FieldError[] = [];
    const months = new Set<string>();
    let count = 0;
    for (let i = 0; i < items.length; i++) {
      let found = closedMonthOf(items[i]!, closed);
      if (found instanceof Promise) found = await found;
      if (found === null) continue;
      const { month, message } = typeof found === 'string' ? { month: found, message: `is in ${found}, which is closed` } : found;
      months.add(month);
      if (count++ < LISTED_ITEMS) errors.push({ path: `${pathOf(i)}${field}`, message });
    }
    if (count > 0) throw new PeriodClosedError([...months].sort(), errors, count);
  }

  async close(month: string, actor: Actor | null, reason: string): Promise<PeriodView> {
    const today = this.now().toISOString().slice(0, 10);
    if (lastDayOfMonth(month) >= today) {
      throw new UnprocessableError('period_not_ended', `${month} has not ended (today is ${today}); a month can be closed from the day after its last day`);
    }
    const at = this.now().toISOString();
    await this.uow.write(async () => {
      await this.repository.lockForChange();
      const current = await this.repository.closedRow(month);
      if (current) {
        throw new ConflictError('period_already_closed', `${month} is already closed (since ${current.closedAt}${current.closedBy ? ` by ${current.closedBy}` : ''})`);
      }
      const { startMs, endMs } = monthBoundsMs(month);
      const by = { closedByKeyId: actor?.keyId ?? null, closedBy: actor?.name ?? null };
      await this.repository.insertClosed({ month, startMs, endMs, closedAt: at, ...by, reason });
      await this.repository.insertEvent({ month, action: 'close', at, byKeyId: by.closedByKeyId, by: by.closedBy, reason });
    });
    return this.get(month);
  }

  async reopen(month: string, actor: Actor | null, reason: string): Promise<PeriodView> {
    const at = this.now().toISOString();
    await this.uow.write(async () => {
      await this.repository.lockForChange();
      if (!(await this.repository.closedRow(month))) throw new ConflictError('period_not_closed', `${month} is not closed; there is nothing to reopen`);
      await this.repository.deleteClosed(month);
      await this.repository.insertEvent({ month, action: 'reopen', at, byKeyId: actor?.keyId ?? null, by: actor?.name ?? null, reason });
    });
    return this.get(month);
  }

  async get(month: string): Promise<PeriodView> {
    return (await this.list({ from: month, to: month, after: null, limit: 1 }))[0] ?? view(month, null, []);
  }

  /** Months that were ever closed, by month; each with its whole history. */
  async list(filter: { from?: string | undefined; to?: string | undefined; status?: 'open' | 'closed' | undefined; after: string | null; limit: number }): Promise<PeriodView[]> {
    const months = await this.repository.months(filter);
    if (months.length === 0) return [];
    const events = await this.repository.events(months);
    const closed = new Map((await this.repository.closedRows(months)).map((row) => [row.month, row]));
    return months.map((month) => view(month, closed.get(month) ?? null, events.filter((e) => e.month === month)));
  }
}

function view(month: string, closed: ClosedRow | null, events: PeriodEventRow[]): PeriodView {
  return {
    month,
    status: closed ? 'closed' : 'open',
    closedAt: closed?.closedAt ?? null,
    closedBy: closed?.closedBy ?? null,
    reason: closed?.reason ?? null,
    history: events.map(({ action, at, by, reason }) => ({ action, at, by, reason })),
  };
}
