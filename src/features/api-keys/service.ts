/**
 * API keys: random secrets shown once, stored as SHA-256 hashes (the keys
 * are 256-bit random, so a fast hash is enough; no password stretching is
 * needed). Lookups are cached in memory until the data version moves (any
 * write, by this process or another), so a key revoked anywhere is refused
 * everywhere at once.
 */
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../../store/database.js';
import { apiKeyRepository, type ApiKeyRepository } from './repository.js';
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
  private readonly repository: ApiKeyRepository;

  constructor(database: Database, private readonly uow: UnitOfWork, private readonly now: () => Date = () => new Date()) {
    this.repository = apiKeyRepository(database);
  }

  async authenticate(secret: string): Promise<Principal | null> {
    const hash = hashKey(secret);
    const version = await this.uow.version();
    if (version !== this.cacheVersion) {
      this.cache.clear();
      this.cacheVersion = version;
    }
    const cached = this.cache.get(hash);
    if (cached !== undefined) return cached;
    const row = await this.repository.activeByHash(hash);
    const principal = row ? { keyId: row.id, name: row.name, role: row.role } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    // Not from inside a transaction: what it read may still roll back. Nor if the version moved while reading.
    if (!this.uow.inTransaction() && this.cacheVersion === version) this.cache.set(hash, principal);
    return principal;
  }

  /**
   * The active key with this id, or null once it is revoked: read from the
   * database every time (a dashboard session names its key by id, and a
   * revocation by another instance must end the session at once).
   */
  async activeById(id: string): Promise<Principal | null> {
    const row = await this.repository.activeById(id);
    return row ? { keyId: row.id, name: row.name, role: row.role } : null;
  }

  activeCount(): Promise<number> {
    return this.repository.activeCount();
  }

  /**
   * The first admin key of a new database, made once however many instances
   * start together on it: inside one write, only if no key is active (on
   * PostgreSQL the write holds a lock that serialises the starters), and a
   * key with the same secret already made by another starter is not an
   * error. Returns the key made, or null if there was one already.
   */
  async bootstrap(name: string, secret?: string): Promise<(ApiKeyView & { key: string }) | null> {
    return this.uow.write(async () => {
      await this.repository.lockForBootstrap();
      if ((await this.repository.activeCount()) > 0) return null;
      const made = await this.tryInsert(name, 'admin', secret ?? newSecret());
      return made;
    });
  }

  /** Creates a key; the secret is returned here and never again. */
  async create(name: string, role: Role, secret: string = newSecret()): Promise<ApiKeyView & { key: string }> {
    return this.uow.write(() => this.insert(name, role, secret));
  }

  private async insert(name: string, role: Role, secret: string): Promise<ApiKeyView & { key: string }> {
    const made = await this.tryInsert(name, role, secret);
    if (!made) throw new ConflictError('api_key_exists', 'a key with this secret exists already');
    return made;
  }

  /** The key made, or null if a key with this secret exists. */
  private async tryInsert(name: string, role: Role, secret: string): Promise<(ApiKeyView & { key: string }) | null> {
    const view: ApiKeyView = {
      id: newKeyId(),
      name,
      role,
      prefix: secret.slice(0, 7),
      createdAt: this.now().toISOString(),
    };
    return (await this.repository.insert({ ...view, keyHash: hashKey(secret) })) ? { ...view, key: secret } : null;
  }

  list(): Promise<ApiKeyView[]> {
    return this.repository.listActive();
  }

  /** Revokes a key. The last admin key cannot go: nobody could manage keys after it. */
  async revoke(id: string): Promise<void> {
    await this.uow.write(async () => {
      const row = await this.repository.lockActive(id);
      if (!row) throw new NotFoundError(`no active API key ${id}`);
      if (row.role === 'admin' && (await this.repository.lockActiveAdmins()) <= 1) {
        throw new ConflictError('last_admin_key', 'this is the last admin key; create another admin key first');
      }
      await this.repository.revoke(id, this.now().toISOString());
    });
  }
}
