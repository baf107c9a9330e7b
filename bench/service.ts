/**
 * The service as `npm start` runs it (node with the start script's flags,
 * dist/src/server.js, no tsx, no IPC), for the figures a deployment sees:
 * how long a (re)started process takes to answer /healthz and /readyz, its
 * first report, and its peak RSS
 * read from the kernel (VmHWM in /proc/<pid>/status, the high-water mark of
 * the whole life of the process). The ingest instance stays bench/server.ts
 * (IPC stats, CPU profiles); restarts and extra instances use this.
 *
 * `npm run bench` builds dist/ first (prebench); run directly, build it
 * with `npm run build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY, startFlags } from './harness.js';
import { freePort } from './ports.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = join(ROOT, 'dist', 'src', 'server.js');

/** Polled this often while waiting for /healthz or /readyz: fine enough for a 5 s target. */
const POLL_MS = 25;

export interface ServiceProcess {
  name: string;
  port: number;
  child: ChildProcess;
  /** performance.now() at the spawn. */
  spawnedAt: number;
  /** The last 20,000 characters it printed, for failure messages. */
  output(): string;
}

/** Spawns one service process on `db` (a SQLite path or a postgres:// URL); it is still starting when this returns. */
export async function spawnService(name: string, db: string, env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npm run build\` first (npm run bench does)`);
  const port = await freePort();
  let output = '';
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...startFlags(), SERVER], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', SPENDBOOK_DB: db, SPENDBOOK_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, port, child, spawnedAt, output: () => output };
}

const alive = (service: ServiceProcess) => service.child.exitCode === null && service.child.signalCode === null;

/**
 * Polls GET `path` until it answers 200; resolves with performance.now() at
 * that answer. A process that exits, or `timeoutMs` after the spawn, is an error.
 */
export async function waitFor(service: ServiceProcess, path: '/healthz' | '/readyz', timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if (!alive(service)) throw new Error(`${service.name} exited (${service.child.exitCode ?? service.child.signalCode}) before ${path} answered:\n${service.output()}`);
    const status = await fetch(`http://127.0.0.1:${service.port}${path}`, { signal: AbortSignal.timeout(5_000) }).then(
      async (res) => {
        await res.arrayBuffer();
        return res.status;
      },
      () => 0,
    );
    if (status === 200) return performance.now();
    if (performance.now() - service.spawnedAt > timeoutMs) throw new Error(`${service.name}: ${path} did not answer 200 within ${timeoutMs} ms:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The process's RSS high-water mark so far, bytes (VmHWM); null where /proc is not there. */
export function peakRssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** SIGTERM to its pid (a graceful close), SIGKILL after 15 s; resolves once it has exited. */
export async function stopService(service: ServiceProcess): Promise<void> {
  if (!alive(service)) return;
  const exited = new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
  process.kill(service.child.pid!, 'SIGTERM');
  const timer = setTimeout(() => {
    if (alive(service)) process.kill(service.child.pid!, 'SIGKILL');
  }, 15_000);
  await exited;
  clearTimeout(timer);
}
