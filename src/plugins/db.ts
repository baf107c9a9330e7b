import fp from 'fastify-plugin';
import { ConfigError, POSTGRES_NOT_YET, type DbConfig } from '../config.js';
import { openDatabase, type Db, type Sqlite } from '../db.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    sqlite: Sqlite;
  }
}

export interface DbPluginOptions {
  db: DbConfig;
}

/** Opens the SQLite store (migrated) and closes it with the app; refuses PostgreSQL for now. */
export default fp<DbPluginOptions>(
  async (app, options) => {
    // The PostgreSQL store is yet to come: say so rather than start on something else.
    if (options.db.kind === 'postgres') throw new ConfigError(POSTGRES_NOT_YET);
    const handle = openDatabase(options.db.path);
    app.decorate('db', handle.db);
    app.decorate('sqlite', handle.sqlite);
    app.addHook('onClose', async () => handle.close());
  },
  { name: 'spendbook-db' },
);
