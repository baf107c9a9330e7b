/** The api_keys table. */
import { and, asc, count, eq, isNull } from 'drizzle-orm';
import { apiKeys } from '../../../db/schema.js';
import type { Role } from '../../domain/roles.js';
import type { Database } from '../../store/database.js';

export interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
}

export interface ApiKeyRepository {
  /** The active key with this hash. */
  activeByHash(hash: string): Promise<ApiKeyRow | null>;
  activeById(id: string): Promise<ApiKeyRow | null>;
  /** Active keys, of one role if given. */
  activeCount(role?: Role): Promise<number>;
  /** Inserts a key; false (and nothing written) if a key with this hash exists. */
  insert(row: ApiKeyRow & { keyHash: string }): Promise<boolean>;
  listActive(): Promise<ApiKeyRow[]>;
  /** The active key with this id, locked against a concurrent revocation until the write ends. */
  lockActive(id: string): Promise<ApiKeyRow | null>;
  /** Locks the active admin keys (so two revocations cannot each leave the other as the last one) and counts them. */
  lockActiveAdmins(): Promise<number>;
  revoke(id: string, at: string): Promise<void>;
  /**
   * Serialises the instances that start together on a new database until
   * the write ends, so that one of them makes the first admin key. A row
   * lock on data_version (every changing write updates that row at its end
   * anyway), not an advisory lock: it works on every PostgreSQL-compatible
   * engine.
   */
  lockForBootstrap(): Promise<void>;
}

const COLUMNS = 'id, name, role, prefix, created_at as "createdAt"';

export function apiKeyRepository(database: Database): ApiKeyRepository {
  if (database.dialect === 'sqlite') {
    const { db } = database;
    const view = { id: apiKeys.id, name: apiKeys.name, role: apiKeys.role, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt };
    const activeCount = async (role?: Role) =>
      db.select({ n: count() }).from(apiKeys).where(role ? and(eq(apiKeys.role, role), isNull(apiKeys.revokedAt)) : isNull(apiKeys.revokedAt)).get()?.n ?? 0;
    const activeById = async (id: string) => db.select(view).from(apiKeys).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).get() ?? null;
    return {
      activeByHash: async (hash) => db.select(view).from(apiKeys).where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt))).get() ?? null,
      activeById,
      activeCount,
      insert: async (row) => db.insert(apiKeys).values(row).onConflictDoNothing().run().changes === 1,
      listActive: async () => db.select(view).from(apiKeys).where(isNull(apiKeys.revokedAt)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)).all(),
      // SQLite's write transaction holds the whole database: nothing to lock row by row.
      lockActive: activeById,
      lockActiveAdmins: () => activeCount('admin'),
      revoke: async (id, at) => void db.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)).run(),
      lockForBootstrap: async () => undefined,
    };
  }
  const { pg } = database;
  const one = async (sql: string, params: unknown[]) => (await pg.query<ApiKeyRow>(sql, params)).rows[0] ?? null;
  return {
    activeByHash: (hash) => one(`select ${COLUMNS} from api_keys where key_hash = $1 and revoked_at is null`, [hash]),
    activeById: (id) => one(`select ${COLUMNS} from api_keys where id = $1 and revoked_at is null`, [id]),
    activeCount: async (role) =>
      Number(
        (await pg.query<{ n: bigint }>(`select count(*) as n from api_keys where revoked_at is null${role ? ' and role = $1' : ''}`, role ? [role] : []))
          .rows[0]!.n,
      ),
    insert: async (row) =>
      (
        await pg.query(
          'insert into api_keys (id, name, role, key_hash, prefix, created_at) values ($1, $2, $3, $4, $5, $6) on conflict (key_hash) do nothing',
          [row.id, row.name, row.role, row.keyHash, row.prefix, row.createdAt],
        )
      ).rowCount === 1,
    listActive: async () => (await pg.query<ApiKeyRow>(`select ${COLUMNS} from api_keys where revoked_at is null order by created_at, id`)).rows,
    lockActive: (id) => one(`select ${COLUMNS} from api_keys where id = $1 and revoked_at is null for update`, [id]),
    lockActiveAdmins: async () => (await pg.query(`select id from api_keys where role = 'admin' and revoked_at is null for update`)).rowCount ?? 0,
    revoke: async (id, at) => void (await pg.query('update api_keys set revoked_at = $1 where id = $2', [at, id])),
    lockForBootstrap: async () => void (await pg.query('select version from data_version where id = 1 for update')),
  };
}
