/**
 * A throwaway PostgreSQL server for tests and the benchmark: a fresh cluster in a temporary
 * folder, listening on 127.0.0.1 at a free port, trusted (no password), gone
 * after stop(). It uses the Debian `postgresql` package's binaries (the
 * newest /usr/lib/postgresql/<version>/bin), never docker or a server set up
 * by hand; `.ci/run` installs the package where it is missing. Missing
 * binaries are an error, not a skipped test: a suite that silently skips its
 * PostgreSQL half would pass on every machine that lacks it.
 *
 * initdb and the server refuse to run as root, so as root they run as the
 * `postgres` user (runuser), over a folder handed to that user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

export interface PgServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** The server's bin folder (psql is there). */
  bin: string;
  /** The cluster's folder (removed by stop). */
  dir: string;
  /** Stops the server (fast shutdown) and removes its folder; a second call does nothing. */
  stop(): Promise<void>;
  /** Shuts the server down (fast: sessions are ended, what committed is kept), keeping its folder and port for resume(). */
  halt(): Promise<void>;
  /** Starts a halted server again: same data, same port. */
  resume(): Promise<void>;
}

/** The newest installed version's bin folder, or an Error saying how to get one. */
export function findPgBin(root = PG_ROOT): string {
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `PostgreSQL's server binaries are missing (no ${root}/<version>/bin/initdb): the PostgreSQL tests need the Debian package ` +
        '`postgresql` (apt-get install postgresql); `.ci/run` installs it when it is missing.',
    );
  }
  return join(root, versions[0]!, 'bin');
}

/**
 * The tests' settings: a throwaway cluster has nothing to keep across a
 * power loss, so it skips every flush.
 */
export const THROWAWAY_SETTINGS: Readonly<Record<string, string>> = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

export interface PgServerOptions {
  /** Server settings (`-c name=value`); THROWAWAY_SETTINGS when not given. */
  settings?: Readonly<Record<string, string>>;
}

export async function startPgServer(options: PgServerOptions = {}): Promise<PgServer> {
  const bin = findPgBin();
  const asRoot = process.getuid?.() === 0;
  // As root: run as `postgres`, which must then own the folder.
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  const dir = mkdtempSync(join(tmpdir(), 'spendbook-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      if (existsSync(join(data, 'postmaster.pid'))) execFileSync(...command('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']), { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that ends without stop() (a crash, a timeout) must not leave a server behind.
  process.once('exit', stopSync);

  try {
    // C collation and UTF-8: text sorts by bytes, as SQLite's BINARY collation does.
    await run(...command('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-instructions']));
    const port = await freePort();
    const serverOptions = [
      `-c listen_addresses=127.0.0.1`,
      `-p ${port}`,
      // TCP only: no socket file, whose path length or folder could get in the way (pg_ctl hands this line to sh).
      `-c unix_socket_directories=''`,
      ...Object.entries(options.settings ?? THROWAWAY_SETTINGS).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' ');
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const start = async () => {
      await run(...command('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '60', '-o', serverOptions]));
      await waitForConnection(url);
    };
    await start();
    return {
      url,
      bin,
      dir,
      async halt() {
        await run(...command('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']));
      },
      resume: start,
      async stop() {
        if (stopped) return;
        process.removeListener('exit', stopSync);
        stopped = true;
        try {
          // A halted server has nothing to stop.
          if (existsSync(join(data, 'postmaster.pid'))) await run(...command('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    process.removeListener('exit', stopSync);
    stopSync();
    throw new Error(`could not start a throwaway PostgreSQL from ${bin}: ${(error as Error).message}${serverLog ? `\nserver log:\n${serverLog}` : ''}`, {
      cause: error,
    });
  }
}

/** pg_ctl -w waits for the server to accept connections; this makes sure TCP answers too. */
async function waitForConnection(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
