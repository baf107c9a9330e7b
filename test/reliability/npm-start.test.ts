/**
 * `npm start` as a user runs it: the real npm, the compiled service, an
 * empty SQLite file in a temp folder, a free port on 127.0.0.1. It must
 * answer /healthz, and SIGTERM to the PID npm start gave (what a process
 * manager or `kill` sends) must stop the service: every process npm started
 * ends and the port is free again. Before the start script exec'd node, the
 * shell (or the TypeScript loader) between npm and the server died and left
 * the server running, still holding the port.
 *
 * How fast it answers is a benchmark figure (`npm run bench -- --suite
 * start`), not asserted here: this machine's load would make it flaky.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../build.js';
import { ADMIN_KEY } from '../helper.js';
import { freePort, portIsFree } from '../../bench/ports.js';



interface Proc {
  pid: number;
  ppid: number;
  /** ps's state letters: Z is a zombie, already dead. */
  stat: string;
  command: string;
}

function processes(): Proc[] {
  const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' });
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [pid, ppid, stat, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), stat: stat!, command: args.join(' ') };
    });
}

/** Every process below `root`, children first found by their parent. */
function descendants(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  let parents = new Set([root]);
  while (parents.size > 0) {
    const children = all.filter((proc) => parents.has(proc.ppid));
    found.push(...children);
    parents = new Set(children.map((proc) => proc.pid));
  }
  return found;
}

function alive(pid: number): boolean {
  const proc = processes().find((p) => p.pid === pid);
  return proc !== undefined && !proc.stat.startsWith('Z');
}

let dir: string;
let npm: ChildProcess | undefined;
let started: Proc[] = [];

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'spendbook-npm-start-'));
});

afterAll(() => {
  // Only if the test failed: nothing it started outlives it.
  for (const proc of [...started, ...(npm?.pid ? [{ pid: npm.pid }] : [])]) {
    try {
      if (alive(proc.pid)) process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('answers /healthz on an empty database, and SIGTERM to its PID stops every process it started and frees the port', async () => {
    const port = await freePort();
    let output = '';
    npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SPENDBOOK_DB: join(dir, 'empty.db'), SPENDBOOK_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      npm!.once('exit', (code, signal) => resolve({ code, signal })),
    );

    const deadline = Date.now() + 30_000;
    let body: unknown;
    while (body === undefined) {
      if (npm.exitCode !== null) throw new Error(`npm start exited with ${npm.exitCode}: ${output}`);
      if (Date.now() > deadline) throw new Error(`npm start did not answer /healthz within 30 s: ${output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) body = await res.json();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(body).toEqual({ status: 'ok' });

    started = descendants(npm.pid!);
    // At least the service itself: a node process running the compiled server.
    expect(started.some((proc) => proc.command.includes('dist/src/server.js'))).toBe(true);

    process.kill(npm.pid!, 'SIGTERM');
    // npm passes the signal on and ends with the service's status: 0, a clean close.
    expect(await exited).toEqual({ code: 0, signal: null });

    const gone = Date.now() + 5_000;
    while (started.some((proc) => alive(proc.pid)) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started.filter((proc) => alive(proc.pid)).map((proc) => `${proc.pid} ${proc.command}`)).toEqual([]);
    expect(await portIsFree(port)).toBe(true);
  });
});
