/**
 * Configuration, parsed once from the environment with zod. Nothing else
 * reads process.env. A bad value stops the start with a message naming the
 * variable.
 */
import { z } from 'zod';
import './lib/zod-messages.js';
import { DEFAULT_SNAPSHOT_QUIET_MS } from './features/mirrors/snapshots.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Requests per minute per API key (or per IP without one): room for scripts, a stop for a runaway loop. */
export const DEFAULT_RATE_LIMIT = 6000;

/**
 * SPENDBOOK_DB: a postgres:// (or postgresql://) URL, or else a file path.
 * Anything else with a scheme (`mysql://...`, `sqlite:x.db`, `file:x.db`)
 * is refused: taken as a path it would quietly make a SQLite file in a
 * folder named after the scheme. `file:` URLs are refused too (give the
 * path itself); a drive letter (`C:\\data`) is a path.
 */
function parseDb(value: string, ctx: z.RefinementCtx): DbConfig {
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'sqlite', path: value };
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      // Reported below; the value may hold a password, so it is not repeated.
    }
    // postgres:///db (a local socket, libpq's way) has no host, and is fine.
    if (url && /^[a-z]+:\/\//i.test(value)) return { kind: 'postgres', url: value };
    ctx.addIssue({ code: 'custom', message: 'is not a valid PostgreSQL URL (postgres://user:password@host:5432/database)' });
    return z.NEVER;
  }
  ctx.addIssue({
    code: 'custom',
    message: `${scheme}: URLs are not supported; give a SQLite file path (./${scheme}.db, say) or a postgres:// URL`,
  });
  return z.NEVER;
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  SPENDBOOK_DB: z.string().min(1).default('./data/spendbook.db').transform(parseDb),
  SPENDBOOK_ADMIN_KEY: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  // Digits only: `1e3`, `0x10` or `60.5` are more likely a mistake than a limit.
  SPENDBOOK_RATE_LIMIT: z
    .string()
    .regex(/^[0-9]+$/, 'must be a positive whole number (requests per minute per API key)')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1 request per minute').max(1_000_000_000, 'must be at most 1000000000 requests per minute'))
    .default(DEFAULT_RATE_LIMIT),
  // Milliseconds without a write of this process before the report tables' snapshot is saved (src/features/mirrors):
  // digits only, at most a day; 0 turns snapshots off (none saved, none restored).
  SPENDBOOK_SNAPSHOT_QUIET_MS: z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number of milliseconds (0 turns the report tables snapshot off)')
    .transform(Number)
    .pipe(z.number().max(86_400_000, 'must be at most 86400000 milliseconds (a day)'))
    .default(DEFAULT_SNAPSHOT_QUIET_MS),
});

/** Where the data lives: a SQLite file (or ':memory:'), or a PostgreSQL server. */
export type DbConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface Config {
  port: number;
  host: string;
  db: DbConfig;
  adminKey: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /**
   * Requests per minute per API key (per client IP without one). Optional so
   * that a hand-built config (the benchmark's) keeps working: buildApp then
   * uses DEFAULT_RATE_LIMIT, as loadConfig does.
   */
  rateLimit?: number;
  /**
   * How long writes of this process must pause before the report tables are
   * saved as a snapshot that the next start restores instead of reading
   * every row (SPENDBOOK_SNAPSHOT_QUIET_MS, default 10,000 ms; 0: no
   * snapshots). Optional for hand-built configs, like rateLimit.
   */
  snapshotQuietMs?: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(
    Object.keys(envSchema.shape).map((name) => [name, env[name] === '' ? undefined : env[name]]),
  );
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const env_ = parsed.data;
  return {
    port: env_.PORT,
    host: env_.HOST,
    db: env_.SPENDBOOK_DB,
    adminKey: env_.SPENDBOOK_ADMIN_KEY,
    logLevel: env_.LOG_LEVEL,
    rateLimit: env_.SPENDBOOK_RATE_LIMIT,
    snapshotQuietMs: env_.SPENDBOOK_SNAPSHOT_QUIET_MS,
  };
}
