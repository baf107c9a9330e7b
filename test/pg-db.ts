/**
 * A database of its own for each test (or test file) on the run's throwaway
 * PostgreSQL (test/pg-global-setup.ts): a copy of the migrated template, so
 * it starts empty and migrated in about 100 ms.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { databaseUrl, TEMPLATE_DB } from './pg-global-setup.js';

async function onServer<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('pgUrl') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new database, migrated (a copy of the template), or empty with `{ migrated: false }`; its URL. */
export async function freshPgUrl(options: { migrated?: boolean } = {}): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const template = options.migrated === false ? 'template0' : TEMPLATE_DB;
  await onServer((client) => client.query(`create database "${name}" template "${template}"`));
  return databaseUrl(inject('pgUrl'), name);
}

/** Drops a database made by freshPgUrl, closing any connection still open to it. */
export async function dropPgDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^t_[0-9a-f]+$/.test(name)) throw new Error(`not a test database: ${name}`);
  await onServer((client) => client.query(`drop database if exists "${name}" with (force)`));
}
