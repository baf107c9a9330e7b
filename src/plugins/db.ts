import fp from 'fastify-plugin';
import { openDatabase, type Db, type Sqlite } from '../db.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    sqlite: Sqlite;
  }
}

export interface DbPluginOptions {
  dbPath: string;
}

/** Opens the SQLite store (migrated) and closes it with the app. */
export default fp<DbPluginOptions>(
  async (app, options) => {
    const handle = openDatabase(options.dbPath);
    app.decorate('db', handle.db);
    app.decorate('sqlite', handle.sqlite);
    app.addHook('onClose', async () => handle.close());
  },
  { name: 'spendbook-db' },
);
