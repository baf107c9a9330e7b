/** The dashboard's cookie-signing secret: one row, made by the first instance that starts. */
import type { Database } from '../../store/database.js';

export interface DashboardSecretRepository {
  /** Stores `secret` unless a secret exists; either way returns the stored one (every instance signs with the same). */
  ensure(secret: string, at: string): Promise<string>;
}

export function dashboardSecretRepository(database: Database): DashboardSecretRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    return {
      ensure: async (secret, at) => {
        sqlite.prepare('insert or ignore into dashboard_secret (id, secret, created_at) values (1, ?, ?)').run(secret, at);
        return sqlite.prepare('select secret from dashboard_secret where id = 1').pluck().get() as string;
      },
    };
  }
  const { pg } = database;
  return {
    ensure: async (secret, at) => {
      await pg.query('insert into dashboard_secret (id, secret, created_at) values (1, $1, $2) on conflict (id) do nothing', [secret, at]);
      return (await pg.query<{ secret: string }>('select secret from dashboard_secret where id = 1')).rows[0]!.secret;
    },
  };
}
