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
import type { Database } from '../../store/database.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import type { Actor } from '../api-keys/service.js';
import { auditRepository, type AuditRepository } from './repository.js';

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

export class AuditLog {
  private readonly repository: AuditRepository;

  constructor(database: Database) {
    this.repository = auditRepository(database);
  }

  /** The actor of the current request (or runAs scope), null outside one. */
  actor(): Actor | null {
    return actorScope.getStore()?.actor ?? null;
  }

  /** Runs `fn` as `actor`, for writes made outside a request. */
  runAs<T>(actor: Actor, fn: () => T): T {
    return actorScope.run({ actor }, fn);
  }

  /** Events oldest first; `actor` matches the key id or the key name. */
  async list(filter: AuditFilter): Promise<AuditEventView[]> {
    const rows = await this.repository.list(filter);
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      actor: { keyId: row.actorKeyId, name: row.actorName },
      action: row.action,
      entity: row.entity,
      entityId: row.entityId,
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
