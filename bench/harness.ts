/**
 * What the benchmarks share: the service in a child process (bench/server.ts)
 * and plain node:http requests to it, one at a time on a keep-alive socket,
 * and the printing of figures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import type { ServerReady } from './server.js';

export const ADMIN_KEY = 'sb_bench_admin_key_0123456789abcdef';


export interface Answer {
  status: number;
  body: string;
}

export function post(agent: http.Agent, port: number, path: string, body: Buffer): Promise<Answer> {
  return send(agent, port, 'POST', path, body);
}

/** One request with the admin key; a body is sent as JSON. */
export function send(agent: http.Agent, port: number, method: string, path: string, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export interface StartOptions {
  /**
   * Node options of the child. The default, process.execArgv, carries tsx's
   * loader when the caller runs under tsx (`npm run bench`); a caller that
   * does not (a vitest worker) passes ['--import', 'tsx'].
   */
  execArgv?: string[];
  /** The child's environment (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The Node flags package.json's start script gives the service (the words
 * between `node` and the script): every service process the bench starts
 * gets them, so it measures what `npm start` runs.
 */
export function startFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = scripts.start!.split(/\s+/);
  const node = words.indexOf('node');
  const script = words.indexOf('dist/src/server.js');
  if (node < 0 || script < node) throw new Error(`package.json's start script does not run node dist/src/server.js: ${scripts.start}`);
  return words.slice(node + 1, script);
}

/** A child started from a vitest worker (the reliability suite): tsx's loader, and a rate limit it never reaches. */
export const WORKER_CHILD: StartOptions = { execArgv: ['--import', 'tsx'], env: { ...process.env, SPENDBOOK_RATE_LIMIT: '1000000' } };

/** `dbPath`: a SQLite file, or a postgres:// URL (read as SPENDBOOK_DB is). */
export function startServer(
  dbPath: string,
  profileDir: string | null,
  options: StartOptions = {},
): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./server.ts', import.meta.url));
  const child = fork(script, [dbPath, ADMIN_KEY], {
    // process.execArgv carries tsx's loader, so the child runs TypeScript too.
    execArgv: [...(options.execArgv ?? process.execArgv), ...startFlags(), ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])],
    ...(options.env ? { env: options.env } : {}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the service exited with code ${code} before it was ready`)));
    child.once('message', (message: ServerReady) => resolve({ child, port: message.port }));
  });
}

export function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (message: T) => resolve(message));
    child.send({ type });
  });
}

export function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.send({ type: 'close' });
  });
}

/** Kills the service with `signal` (default SIGKILL: no close, no checkpoint) and resolves once it has exited. */
export function killServer(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export const fmtInt = (n: number | bigint) => n.toLocaleString('en-US');
export const fmtRate = (rows: number, seconds: number) => fmtInt(Math.round(rows / seconds));
export const fmtMiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export function table(rows: [string, string][]): string {
  const left = Math.max(...rows.map(([a]) => a.length));
  const right = Math.max(...rows.map(([, b]) => b.length));
  const line = `+${'-'.repeat(left + 2)}+${'-'.repeat(right + 2)}+`;
  return [line, ...rows.map(([a, b]) => `| ${a.padEnd(left)} | ${b.padStart(right)} |`), line].join('\n');
}

