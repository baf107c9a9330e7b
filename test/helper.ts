/** Tests build the same app the server runs, over a fresh migrated in-memory database. */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.js';
import type { Role } from '../src/domain/roles.js';

export const ADMIN_KEY = 'sb_test_admin_key_0123456789abcdef';

export interface TestApp {
  app: FastifyInstance;
  keys: Record<Role, string>;
  /** inject with the given role's key (default admin). */
  call(options: InjectOptions & { role?: Role | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function makeApp(options: { now?: Date; dbPath?: string } = {}): Promise<TestApp> {
  const now = options.now ?? new Date('2026-03-15T12:00:00Z');
  const app = await buildApp(
    { port: 0, host: '127.0.0.1', dbPath: options.dbPath ?? ':memory:', adminKey: ADMIN_KEY, logLevel: 'silent' },
    { now: () => now, announceAdminKey: () => undefined },
  );
  const keys = { admin: ADMIN_KEY } as Record<Role, string>;
  for (const role of ['finance', 'ops', 'viewer'] as const) keys[role] = app.apiKeys.create(`test ${role}`, role).key;
  return {
    app,
    keys,
    call: ({ role = 'admin', headers, ...rest }) =>
      app.inject({
        ...rest,
        headers: { ...(role ? { authorization: `Bearer ${keys[role]}` } : {}), ...headers },
      } as InjectOptions) as Promise<LightMyRequestResponse>,
    close: () => app.close(),
  };
}
