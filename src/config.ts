/**
 * Configuration, parsed once from the environment with zod. Nothing else
 * reads process.env. A bad value stops the start with a message naming the
 * variable.
 */
import { z } from 'zod';
import './lib/zod-messages.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Requests per minute per API key (or per IP without one): room for scripts, a stop for a runaway loop. */
export const DEFAULT_RATE_LIMIT = 6000;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  SPENDBOOK_DB: z.string().min(1).default('./data/spendbook.db'),
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
});

export interface Config {
  port: number;
  host: string;
  /** SQLite file path, or ':memory:'. */
  dbPath: string;
  adminKey: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /**
   * Requests per minute per API key (per client IP without one). Optional so
   * that a hand-built config (the benchmark's) keeps working: buildApp then
   * uses DEFAULT_RATE_LIMIT, as loadConfig does.
   */
  rateLimit?: number;
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
    dbPath: env_.SPENDBOOK_DB,
    adminKey: env_.SPENDBOOK_ADMIN_KEY,
    logLevel: env_.LOG_LEVEL,
    rateLimit: env_.SPENDBOOK_RATE_LIMIT,
  };
}
