/**
 * PostgreSQL: the pool, the session the repositories run statements on, and
 * openPostgres (migrations under a lock). To be written.
 */
import type { QueryResult, QueryResultRow } from 'pg';
import type { PostgresDatabase } from './database.js';
import type { UnitOfWorkOptions } from './unit-of-work.js';

export interface PgSession {
  /** One statement, on the current write's transaction client, or on the pool outside a write. */
  query<R extends QueryResultRow = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** One statement whose rows come back as arrays (rowMode 'array'), for large reads. */
  queryArrays<R extends unknown[] = unknown[]>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

export async function openPostgres(_url: string, _options: UnitOfWorkOptions): Promise<PostgresDatabase> {
  throw new Error('not yet');
}
