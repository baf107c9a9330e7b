/**
 * What a PostgreSQL error means to Spendbook, read from its SQLSTATE code and
 * node-postgres' own messages. No import of the driver: the error handler
 * (src/plugins/errors.ts) reads these on every store, and a SQLite-only
 * install need not load pg.
 */

/** SQLSTATE codes Spendbook acts on. */
export const PG_CODES = {
  /** What the closed-month guards and append-only triggers raise (db/pg/migrations/0001). */
  integrityConstraint: '23000',
  /** bigint out of range, numeric field overflow: a sum past what bigint micros can hold. */
  numericOutOfRange: '22003',
  deadlock: '40P01',
  serializationFailure: '40001',
} as const;

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** An error the server sent (it carries a SQLSTATE code and a severity). */
export function isPgError(error: unknown): error is Error & { code: string; severity: string } {
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && SQLSTATE.test(code) && typeof severity === 'string';
}

/** A deadlock or serialization failure: the transaction lost a race and can run again as a whole. */
export function isRetryablePgError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === PG_CODES.deadlock || code === PG_CODES.serializationFailure;
}

// Node's socket errors when the server is down, unreachable or drops the connection.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
// node-postgres' own errors for a connection that failed, timed out or broke (they carry no code).
const DRIVER_MESSAGES = [
  'timeout exceeded when trying to connect',
  // A client's own connectionTimeoutMillis, hit by a server that accepted the connection and never answered.
  'timeout expired',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end',
];

/**
 * The database cannot be reached or dropped the connection: refused,
 * timed out, shut down (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
 * cannot_connect_now), class 08 (connection exception), or too many
 * connections (53300). The request may succeed if tried again.
 */
export function isPgConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code)) return true;
    if (isPgError(error) && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')) return true;
  }
  // A connect that failed in several ways at once (IPv4 and IPv6) is an AggregateError of socket errors.
  if (error instanceof AggregateError && error.errors.some((e) => isPgConnectionError(e))) return true;
  return DRIVER_MESSAGES.some((text) => error.message.includes(text));
}
