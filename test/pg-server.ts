/**
 * The tests' throwaway PostgreSQL: the server helper lives in bench/ (the
 * benchmark starts one too, tuned differently); the tests use its defaults.
 */
export { findPgBin, startPgServer, type PgServer, type PgServerOptions } from '../bench/pg-server.js';
