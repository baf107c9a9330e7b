/**
 * Opens the configured store (SQLite or PostgreSQL, migrated) with its unit
 * of work, and closes it with the app. The unit of work names the actor of
 * the current request (the audit plugin's scope) in every write.
 */
import fp from 'fastify-plugin';
import type { DbConfig } from '../config.js';
import { actorScope } from '../features/audit/service.js';
import { openStore, type Database } from '../store/database.js';
import type { UnitOfWork } from '../store/unit-of-work.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The store: each feature's repository takes it. */
    database: Database;
    /** Every write transaction, and the data version every cache keys on. */
    uow: UnitOfWork;
  }
}

export interface DbPluginOptions {
  db: DbConfig;
  now: () => Date;
}

export default fp<DbPluginOptions>(
  async (app, options) => {
    const database = await openStore(options.db, {
      actor: () => actorScope.getStore()?.actor ?? null,
      now: options.now,
      onIdleError: (error) => app.log.warn({ err: error }, 'a pooled PostgreSQL connection failed while idle; the pool replaces it'),
    });
    app.decorate<Database>('database', database);
    app.decorate('uow', database.uow);
    app.addHook('onClose', async () => database.close());
  },
  { name: 'spendbook-db' },
);
