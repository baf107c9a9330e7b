/**
 * vitest globalSetup: one throwaway PostgreSQL (test/pg-server.ts) for the
 * whole run, with a database `spendbook_template` migrated once by
 * openPostgres. Tests get the server's URL with `inject('pgUrl')`, and a
 * fresh, empty, migrated database of their own from test/pg-db.ts (a copy of
 * the template, about 100 ms), so no test sees another's rows.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPostgres } from '../src/store/pg.js';
import { startPgServer } from './pg-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The throwaway server's maintenance database URL: postgres://postgres@127.0.0.1:<port>/postgres */
    pgUrl: string;
  }
}

export const TEMPLATE_DB = 'spendbook_template';

/** The same server, another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPgServer();
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query(`create database "${TEMPLATE_DB}"`);
    } finally {
      await admin.end();
    }
    // Migrated, then closed: a database is copied only while nobody is connected to it.
    const template = await openPostgres(databaseUrl(server.url, TEMPLATE_DB));
    await template.close();
  } catch (error) {
    await server.stop();
    throw error;
  }
  project.provide('pgUrl', server.url);
  return () => server.stop();
}
