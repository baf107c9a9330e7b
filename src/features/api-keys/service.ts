/**
 * API keys: random secrets shown once, stored as SHA-256 hashes (the keys
 * are 256-bit random, so a fast hash is enough; no password stretching is
 * needed). Lookups are cached in memory until the data version moves (any
 * write, by this process or another), so a key revoked anywhere is refused
 * everywhere at once.
 */
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, count, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db.js';
import { apiKeys } from '../../../db/schema.js';
import type { Role } from '../../domain/roles.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';

/** Who did something, as the records keep it: the API key's id (null for the service itself, such as the demo loader) and name. */
export interface Actor {
  keyId: string | null;
  name: string;
}

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
}

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function newSecret(): string {
  return `sb_${randomBytes(32).toString('base64url')}`;
}

function newKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}

export class ApiKeyService {
  private cache = new Map<string, Principal | null>();
  /** The data version the cache holds for. */
  private cacheVersion = -1;

  constructor(private readonly db: Db, private readonly uow: UnitOfWork, private readonly now: () => Date = () => new Date()) {}

  authenticate(secret: string): Principal | null {
    const hash = hashKey(secret);
    const version = this.uow.version();
    if (version !== this.cacheVersion) {
      this.cache.clear();
      this.cacheVersion = version;
    }
    const cached = this.cache.get(hash);
    if (cached !== undefined) return cached;
    const row = this.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
      .get();
    const principal = row ? { keyId: row.id, name: row.name, role: row.role } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    // Not from inside a transaction: what it read may still roll back.
    if (!this.uow.inTransaction()) this.cache.set(hash, principal);
    return principal;
  }

  /**
   * The active key with this id, or null once it is revoked: read from the
   * database every time (a dashboard session names its key by id, and a
   * revocation by another instance must end the session at once).
   */
  activeById(id: string): Principal | null {
    const row = this.db.select().from(apiKeys).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).get();
    return row ? { keyId: row.id, name: row.name, role: row.role } : null;
  }

  activeCount(): number {
    return this.db.select({ n: count() }).from(apiKeys).where(isNull(apiKeys.revokedAt)).get()?.n ?? 0;
  }

  /** Creates a key; the secret is returned here and never again. */
  create(name: string, role: Role, secret: string = newSecret()): ApiKeyView & { key: string } {
    const view: ApiKeyView = {
      id: newKeyId(),
      name,
      role,
      prefix: secret.slice(0, 7),
      createdAt: this.now().toISOString(),
    };
    this.uow.write((tx) => tx.insert(apiKeys).values({ ...view, keyHash: hashKey(secret) }).run());
    return { ...view, key: secret };
  }

  list(): ApiKeyView[] {
    return this.db
      .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt })
      .from(apiKeys)
      .where(isNull(apiKeys.revokedAt))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
      .all();
  }

  /** Revokes a key. The last admin key cannot go: nobody could manage keys after it. */
  revoke(id: string): void {
    this.uow.write((tx) => {
      const row = tx.select().from(apiKeys).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).get();
      if (!row) throw new NotFoundError(`no active API key ${id}`);
      if (row.role === 'admin') {
        const admins = tx
          .select({ n: count() })
          .from(apiKeys)
          .where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)))
          .get()?.n ?? 0;
        if (admins <= 1) throw new ConflictError('last_admin_key', 'this is the last admin key; create another admin key first');
      }
      tx.update(apiKeys).set({ revokedAt: this.now().toISOString() }).where(eq(apiKeys.id, id)).run();
    });
  }
}
