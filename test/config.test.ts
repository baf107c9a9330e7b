/** Configuration is read once from the environment; a bad value names its variable. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      db: { kind: 'sqlite', path: './data/spendbook.db' },
      adminKey: undefined,
      logLevel: 'info',
      rateLimit: 6000,
      snapshotQuietMs: 10_000,
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        PORT: '8080',
        HOST: '0.0.0.0',
        SPENDBOOK_DB: '/var/lib/spendbook.db',
        SPENDBOOK_ADMIN_KEY: 'a-long-enough-admin-key',
        LOG_LEVEL: 'warn',
        SPENDBOOK_RATE_LIMIT: '120',
        SPENDBOOK_SNAPSHOT_QUIET_MS: '2500',
      }),
    ).toEqual({
      port: 8080,
      host: '0.0.0.0',
      db: { kind: 'sqlite', path: '/var/lib/spendbook.db' },
      adminKey: 'a-long-enough-admin-key',
      logLevel: 'warn',
      rateLimit: 120,
      snapshotQuietMs: 2500,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', SPENDBOOK_ADMIN_KEY: '', SPENDBOOK_RATE_LIMIT: '' })).toMatchObject({ port: 3000, adminKey: undefined, rateLimit: 6000 });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['LOG_LEVEL', 'loud'],
    ['SPENDBOOK_ADMIN_KEY', 'short'],
    ['SPENDBOOK_ADMIN_KEY', 'has a space in it, which is no good'],
    ['SPENDBOOK_RATE_LIMIT', '0'],
    ['SPENDBOOK_RATE_LIMIT', '-10'],
    ['SPENDBOOK_RATE_LIMIT', '100.5'],
    ['SPENDBOOK_RATE_LIMIT', '1e4'],
    ['SPENDBOOK_RATE_LIMIT', 'unlimited'],
  ])('refuses %s=%j, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid configuration:\\n  ${name}: `));
  });

  it('lists every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT: .*\n {2}LOG_LEVEL: /s);
  });
});

describe('SPENDBOOK_DB', () => {
  it.each([
    ['./data/spendbook.db', './data/spendbook.db'],
    [':memory:', ':memory:'],
    ['relative/dir/x.db', 'relative/dir/x.db'],
    // A drive letter is a path, not a scheme.
    ['C:\\data\\spendbook.db', 'C:\\data\\spendbook.db'],
  ])('takes %j as a SQLite file', (value, path) => {
    expect(loadConfig({ SPENDBOOK_DB: value }).db).toEqual({ kind: 'sqlite', path });
  });

  it.each(['postgres://spendbook:secret@db.internal:5432/spendbook', 'postgresql://localhost/spendbook?sslmode=require', 'postgres:///spendbook', 'POSTGRES://host/db'])(
    'takes %j as PostgreSQL, keeping the URL as given',
    (url) => {
      expect(loadConfig({ SPENDBOOK_DB: url }).db).toEqual({ kind: 'postgres', url });
    },
  );

  it.each([
    ['mysql://root@localhost/spendbook', 'mysql: URLs are not supported'],
    ['mysql:spendbook', 'mysql: URLs are not supported'],
    ['file:./data/spendbook.db', 'file: URLs are not supported'],
    ['file:///var/lib/spendbook.db', 'file: URLs are not supported'],
    ['sqlite://data/spendbook.db', 'sqlite: URLs are not supported'],
    ['postgres://exa mple/db', 'is not a valid PostgreSQL URL'],
    ['postgres:spendbook', 'is not a valid PostgreSQL URL'],
  ])('refuses %j, naming the variable', (value, message) => {
    expect(() => loadConfig({ SPENDBOOK_DB: value })).toThrow(ConfigError);
    expect(() => loadConfig({ SPENDBOOK_DB: value })).toThrow(`invalid configuration:\n  SPENDBOOK_DB: ${message}`);
  });

  it('does not repeat a refused URL, which may hold a password', () => {
    expect(() => loadConfig({ SPENDBOOK_DB: 'postgres://u:hunter2@exa mple/db' })).toThrow(/^(?![\s\S]*hunter2)/);
  });

  /** Starts the real server entry with this environment; it must stop at once, so a short timeout is enough. */
  function startServer(env: Record<string, string>, cwd: string) {
    const root = join(import.meta.dirname, '..');
    // tsx by its file URL: the child runs in an empty folder, where `--import tsx` would not resolve.
    const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    return spawnSync(process.execPath, ['--import', tsx, join(root, 'src', 'server.ts')], {
      cwd,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
  }

  /** A free port on 127.0.0.1 that nothing listens on (taken, then let go). */
  async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  /** The one line a user sees, and no stack trace, password or file left behind. */
  function expectUnreachable(run: ReturnType<typeof startServer>, host: string, dir: string) {
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^spendbook: SPENDBOOK_DB: cannot open the PostgreSQL database at ${host.replace(/\./g, '\\.')}: .+\n$`));
    expect(run.stderr).not.toMatch(/\bat .+\.(ts|js):\d+/);
    expect(run.stderr + run.stdout).not.toContain('secret');
    expect(readdirSync(dir)).toEqual([]);
  }

  it('stops the server with exit code 1 and a message naming SPENDBOOK_DB and the host when PostgreSQL refuses the connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spendbook-config-'));
    try {
      const port = await closedPort();
      const run = startServer({ SPENDBOOK_DB: `postgres://spendbook:secret@127.0.0.1:${port}/spendbook` }, dir);
      expectUnreachable(run, `127.0.0.1:${port}`, dir);
      expect(run.stderr).toContain('ECONNREFUSED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a server that accepts the connection but never answers, within the connection timeout (5 s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spendbook-config-'));
    // Accepts, reads nothing and never answers (the kernel accepts while spawnSync blocks this process).
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const began = Date.now();
      const run = startServer({ SPENDBOOK_DB: `postgres://spendbook:secret@127.0.0.1:${port}/spendbook` }, dir);
      const ms = Date.now() - began;
      expectUnreachable(run, `127.0.0.1:${port}`, dir);
      // At least the 5 s timeout, and not much more than it plus the start of a process under tsx.
      expect(ms).toBeGreaterThanOrEqual(5_000);
      expect(ms).toBeLessThan(25_000);
    } finally {
      silent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops the server with exit code 2 for a URL of another kind, making no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spendbook-config-'));
    try {
      const run = startServer({ SPENDBOOK_DB: 'mysql://root@localhost/spendbook' }, dir);
      expect(run.stderr).toMatch(/^spendbook: invalid configuration:\n {2}SPENDBOOK_DB: mysql: URLs are not supported/);
      expect(run.status).toBe(2);
      expect(existsSync(join(dir, 'mysql:'))).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
