/**
 * Several service processes, as `npm start` runs them (node dist/src/server.js),
 * on one database: start them, wait until they are ready, talk to them over
 * HTTP with a bounded time per request, and stop them by pid. Shared by the
 * instances and nginx reliability tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../build.js';
import { ADMIN_KEY } from '../helper.js';
import { freePort } from '../../bench/ports.js';

export interface Instance {
  name: string;
  port: number;
  child: ChildProcess;
  /** The last 20,000 characters it printed, for failure messages. */
  output(): string;
}

/** Starts one instance on `db` (a path or a postgres:// URL); it may still be starting when this returns. */
export async function startInstance(name: string, db: string, env: Record<string, string> = {}): Promise<Instance> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'server.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SPENDBOOK_DB: db,
      SPENDBOOK_ADMIN_KEY: ADMIN_KEY,
      // Far above what a test sends: the limit is not what these tests are about.
      SPENDBOOK_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, port, child, output: () => output };
}

const alive = (instance: Instance) => instance.child.exitCode === null && instance.child.signalCode === null;

/** Waits until the instance answers GET /readyz with 200 (at most `timeoutMs`). */
export async function waitReady(instance: Instance, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive(instance)) throw new Error(`${instance.name} exited (${instance.child.exitCode ?? instance.child.signalCode}) before it was ready:\n${instance.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${instance.port}/readyz`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${instance.name} was not ready within ${timeoutMs} ms:\n${instance.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Ends the process with `signal` (SIGTERM: a graceful close, SIGKILL after 15 s) and waits until it has exited. */
export async function stopInstance(instance: Instance, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!alive(instance)) return;
  const exited = new Promise<void>((resolve) => instance.child.once('exit', () => resolve()));
  instance.child.kill(signal);
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or null. */
  json: any;
  /** How long the answer took, in milliseconds. */
  ms: number;
}

export interface CallOptions {
  body?: unknown;
  key?: string | null;
  headers?: Record<string, string>;
  /** Longest wait for the answer (default 30 s); a request that takes longer fails the test. */
  timeoutMs?: number;
}

/** One request to 127.0.0.1:port, with the admin key unless told otherwise. */
export async function call(port: number, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const { body, key = ADMIN_KEY, headers = {}, timeoutMs = 30_000 } = options;
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON.
  }
  return { status: res.status, headers: res.headers, text, json, ms: performance.now() - started };
}
