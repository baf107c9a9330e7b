/** The audit_events table (written by triggers and UnitOfWork.record; read here). */
import type { Database } from '../../store/database.js';

export interface AuditEventRow {
  id: number;
  at: string;
  actorKeyId: string | null;
  actorName: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  /** JSON text as stored. */
  before: string | null;
  after: string | null;
}

export interface AuditRowFilter {
  entity?: string | undefined;
  entityId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after: number | null;
  limit: number;
}

export interface AuditRepository {
  /** Events by id, oldest first, at most `limit` + 1. */
  list(filter: AuditRowFilter): Promise<AuditEventRow[]>;
}

const COLUMNS =
  'id, "at", actor_key_id as "actorKeyId", actor_name as "actorName", action, entity, entity_id as "entityId", before, after';

export function auditRepository(database: Database): AuditRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    return {
      list: async (filter) => {
        const { where, params } = eventFilter(filter, () => '?');
        return sqlite.prepare(`select ${COLUMNS} from audit_events ${where} order by id limit ?`).all(...params, filter.limit + 1) as AuditEventRow[];
      },
    };
  }
  const { pg } = database;
  return {
    list: async (filter) => {
      let n = 0;
      const { where, params } = eventFilter(filter, () => `$${++n}`);
      const { rows } = await pg.query<Omit<AuditEventRow, 'id'> & { id: bigint | number | string }>(
        `select ${COLUMNS} from audit_events ${where} order by id limit $${++n}`,
        [...params, filter.limit + 1],
      );
      // int8 comes back as bigint: an id is far below 2^53.
      return rows.map((row) => ({ ...row, id: Number(row.id) }));
    },
  };
}

/** The where clause of `list`, with the dialect's placeholders. */
function eventFilter(filter: AuditRowFilter, next: () => string): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.entity) (where.push(`entity = ${next()}`), params.push(filter.entity));
  if (filter.entityId) (where.push(`entity_id = ${next()}`), params.push(filter.entityId));
  if (filter.actor) {
    const [a, b] = [next(), next()];
    where.push(`(actor_key_id = ${a} or actor_name = ${b})`);
    params.push(filter.actor, filter.actor);
  }
  if (filter.action) (where.push(`action = ${next()}`), params.push(filter.action));
  if (filter.from) (where.push(`"at" >= ${next()}`), params.push(filter.from));
  if (filter.to) (where.push(`"at" < ${next()}`), params.push(filter.to));
  if (filter.after !== null) (where.push(`id > ${next()}`), params.push(filter.after));
  return { where: where.length ? 'where ' + where.join(' and ') : '', params };
}
