/**
 * The audit trail. Triggers (migration 0008) record every insert, update and
 * delete of the data in the same transaction as the change, with the actor
 * the unit of work (src/store/unit-of-work.ts) puts in `audit_context` for
 * the length of the transaction; the batch ingests of spend, touchpoints and
 * revenue add one `ingest` event per batch (counts, and the rowids of the
 * rows it inserted, UnitOfWork.record) instead of a row per insert.
 * `audit_events` is append-only (a trigger).
 *
 * The actor comes from the request: the audit plugin opens an
 * AsyncLocalStorage scope per request and puts the authenticated key in it,
 * so a service needs no actor parameter; code outside a request (the demo
 * loader) names its actor with `runAs`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sqlite } from '../../db.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import type { Actor } from '../api-keys/service.js';

export const actorScope = new AsyncLocalStorage<{ actor: Actor | null }>();

export interface AuditEventView {
  id: number;
  at: string;
  actor: { keyId: string | null; name: string | null };
  action: string;
  entity: string;
  entityId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface AuditFilter {
  entity?: string | undefined;
  entityId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after: number | null;
  limit: number;
}

interface EventRow {
  id: number;
  at: string;
  actor_key_id: string | null;
  actor_name: string | null;
  action: string;
  entity: string;
  entity_id: string | null;
  before: string | null;
  after: string | null;
}

export class AuditLog {
  constructor(private readonly sqlite: Sqlite) {}

  /** The actor of the current request (or runAs scope), null outside one. */
  actor(): Actor | null {
    return actorScope.getStore()?.actor ?? null;
  }

  /** Runs `fn` as `actor`, for writes made outside a request. */
  runAs<T>(actor: Actor, fn: () => T): T {
    return actorScope.run({ actor }, fn);
  }

  /** Events oldest first; `actor` matches the key id or the key name. */
  list(filter: AuditFilter): AuditEventView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.entity) (where.push('entity = ?'), params.push(filter.entity));
    if (filter.entityId) (where.push('entity_id = ?'), params.push(filter.entityId));
    if (filter.actor) (where.push('(actor_key_id = ? or actor_name = ?)'), params.push(filter.actor, filter.actor));
    if (filter.action) (where.push('action = ?'), params.push(filter.action));
    if (filter.from) (where.push('at >= ?'), params.push(filter.from));
    if (filter.to) (where.push('at < ?'), params.push(filter.to));
    if (filter.after !== null) (where.push('id > ?'), params.push(filter.after));
    const rows = this.sqlite
      .prepare(`select * from audit_events ${where.length ? 'where ' + where.join(' and ') : ''} order by id limit ?`)
      .all(...params, filter.limit + 1) as EventRow[];
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      actor: { keyId: row.actor_key_id, name: row.actor_name },
      action: row.action,
      entity: row.entity,
      entityId: row.entity_id,
      before: readable(row.before),
      after: readable(row.after),
    }));
  }
}

/** Stored columns as the API shows them: camelCase, micros as the decimal amount, instants in ISO 8601, no reference as null. */
function readable(json: string | null): Record<string, unknown> | null {
  if (json === null) return null;
  const stored = JSON.parse(json) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(stored)) {
    if (column === 'amount_micros' && typeof stored.currency === 'string' && (typeof value === 'number' || typeof value === 'string')) {
      out.amount = formatAmount(BigInt(value), minorUnits(stored.currency));
      continue;
    }
    if (column === 'occurred_at' && typeof value === 'number') {
      out.occurredAt = new Date(value).toISOString();
      continue;
    }
    if (column === 'reference' && value === '') {
      out.reference = null;
      continue;
    }
    if (column === 'tags' && typeof value === 'string') {
      out.tags = JSON.parse(value) as unknown;
      continue;
    }
    out[column.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = value;
  }
  return out;
}
