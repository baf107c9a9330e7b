/**
 * Process entry: configuration, buildApp, listen, graceful close.
 * `--demo` loads the demo data set from fixtures/ into the database first
 * (only into an empty one), so a new user sees real reports at once.
 */
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type DbConfig } from './config.js';
import { isPgConnectionError, isPgError } from './store/pg-errors.js';

/** A configuration the service cannot run with: the message alone, and exit code 2. */
function refuse(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`spendbook: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

/**
 * A PostgreSQL server that cannot be reached (refused, unknown host, no answer
 * within the pool's connection timeout) or that refuses the connection (bad
 * password, no such database): the message names the variable to check and
 * the host it points at, never the password, and exit code 1, as a start that
 * may succeed once the server is up. Anything else is not about the store.
 */
function unreachableStore(error: unknown, db: DbConfig): never {
  if (db.kind === 'postgres' && (isPgConnectionError(error) || isPgError(error))) {
    const host = new URL(db.url).host || 'the local socket';
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`spendbook: SPENDBOOK_DB: cannot open the PostgreSQL database at ${host}: ${reason}\n`);
    process.exit(1);
  }
  throw error;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    refuse(error);
  }
  const app = await buildApp(config, { log: true }).catch((error: unknown) => unreachableStore(error, config.db));
  if (process.argv.includes('--demo')) {
    const { loadDemo } = await import('../fixtures/demo/load.js');
    const result = await loadDemo(app);
    if (result.loaded) app.log.info({ demo: result.counts }, 'demo data set loaded');
    else app.log.warn(`demo data set not loaded: ${result.reason}`);
  }

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const timer = setTimeout(() => process.exit(1), 10_000).unref();
    try {
      await app.close();
      clearTimeout(timer);
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'error while closing');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
}

main().catch((error: unknown) => {
  process.stderr.write(`spendbook: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
