/**
 * The nginx configuration the repository ships (deploy/nginx.conf), with the
 * test's ports and a temp folder for its logs, in front of three instances on
 * one PostgreSQL: requests spread over the instances, a write through it is
 * read back through it, /healthz and /readyz answer through it, and stopping
 * one instance fails no GET (nginx passes it to the next instance).
 *
 * nginx comes from the Debian package `nginx-light`; without it this test
 * fails saying so, rather than being skipped.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../build.js';
import { startPgServer, type PgServer } from '../pg-server.js';
import { freePort } from '../../bench/ports.js';
import { call, startInstance, stopInstance, waitReady, type Instance } from './fleet.js';

function findNginx(): string {
  for (const path of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) if (existsSync(path)) return path;
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('nginx is not installed: this test needs the Debian package `nginx-light` (apt-get install -y nginx-light)');
  }
}

/** deploy/nginx.conf with the instances' ports, the proxy's port, and logs in `dir`. */
function nginxConfig(template: string, proxyPort: number, instancePorts: number[], dir: string): string {
  const servers = instancePorts.map((port) => `        server 127.0.0.1:${port} max_fails=1 fail_timeout=10s;`).join('\n');
  const out = template
    // The shipped upstream lists 127.0.0.1:3001..3003: one line per instance of the test instead.
    .replace(/(?:^[ \t]*server 127\.0\.0\.1:\d+[^\n]*\n)+/m, `${servers}\n`)
    .replace(/^(\s*)listen 8080;/m, `$1listen 127.0.0.1:${proxyPort};`)
    .replaceAll('/var/log/nginx/', `${dir}/`);
  if (out === template || !out.includes(`listen 127.0.0.1:${proxyPort};`) || !out.includes(`127.0.0.1:${instancePorts[0]}`)) {
    throw new Error('deploy/nginx.conf no longer has the upstream servers and `listen 8080;` this test substitutes');
  }
  return out;
}

let server: PgServer | undefined;
const instances: Instance[] = [];
let nginx: ChildProcess | undefined;
let nginxOutput = '';
let dir: string;
let proxyPort: number;

async function waitForProxy(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (nginx!.exitCode !== null) throw new Error(`nginx exited with ${nginx!.exitCode}: ${nginxOutput}\n${readLog('error.log')}`);
    try {
      if ((await call(proxyPort, 'GET', '/healthz', { key: null, timeoutMs: 5_000 })).status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`nginx did not answer within ${timeoutMs} ms: ${nginxOutput}\n${readLog('error.log')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readLog(name: string): string {
  const path = join(dir, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** The upstream addresses of the access log's lines from `from` on (a retried request names several). */
function upstreams(from: number): string[][] {
  return readLog('access.log')
    .split('\n')
    .slice(from)
    .map((line) => /upstream=(\S+(?:, \S+)*) upstream_status/.exec(line)?.[1])
    .filter((value): value is string => value !== undefined)
    .map((value) => value.split(', '));
}

const logLines = () => readLog('access.log').split('\n').length - 1;

beforeAll(async () => {
  const binary = findNginx();
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'spendbook-nginx-'));
  server = await startPgServer();
  // One first (it migrates and makes the admin key), then the two others.
  instances.push(await startInstance('A', server.url));
  await waitReady(instances[0]!);
  instances.push(...(await Promise.all(['B', 'C'].map((name) => startInstance(name, server!.url)))));
  await Promise.all(instances.map((instance) => waitReady(instance)));

  proxyPort = await freePort();
  const conf = join(dir, 'nginx.conf');
  const template = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
  writeFileSync(conf, nginxConfig(template, proxyPort, instances.map((instance) => instance.port), dir));
  nginx = spawn(binary, ['-p', dir, '-c', conf, '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout!.on('data', (chunk: Buffer) => (nginxOutput += chunk.toString('utf8')));
  nginx.stderr!.on('data', (chunk: Buffer) => (nginxOutput += chunk.toString('utf8')));
  await waitForProxy();
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
    const exited = new Promise((resolve) => nginx!.once('exit', resolve));
    // SIGTERM: nginx's fast shutdown; its workers end with the master.
    nginx.kill('SIGTERM');
    const timer = setTimeout(() => nginx!.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await Promise.all(instances.map((instance) => stopInstance(instance, 'SIGKILL')));
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('deploy/nginx.conf in front of three instances', () => {
  it('answers /healthz and /readyz through the proxy', async () => {
    expect((await call(proxyPort, 'GET', '/healthz', { key: null })).json).toEqual({ status: 'ok' });
    expect((await call(proxyPort, 'GET', '/readyz', { key: null })).json).toEqual({ status: 'ready' });
  });

  it('spreads requests over every instance', async () => {
    const from = logLines();
    for (let i = 0; i < 30; i++) expect((await call(proxyPort, 'GET', '/v1/settings')).status).toBe(200);
    const served = new Map<string, number>();
    for (const [address] of upstreams(from)) served.set(address!, (served.get(address!) ?? 0) + 1);
    console.log('requests per instance through nginx:', Object.fromEntries(served));
    expect([...served.keys()].sort()).toEqual(instances.map((instance) => `127.0.0.1:${instance.port}`).sort());
    // 30 requests one after another, none in flight: least_conn falls back to round robin, 10 each.
    for (const count of served.values()) expect(count).toBeGreaterThanOrEqual(5);
  });

  it('a write through the proxy is read back through it, whichever instance answers', async () => {
    const created = await call(proxyPort, 'POST', '/v1/campaigns', { body: { items: [{ id: 'P', name: 'Proxied', channel: 'email', startDate: '2026-01-01' }] } });
    expect(created.status, created.text).toBe(200);
    const spend = await call(proxyPort, 'POST', '/v1/spend', {
      body: { items: [{ campaignId: 'P', date: '2026-03-01', amount: '42.50', currency: 'USD', source: 'manual' }] },
    });
    expect(spend.json).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    // Six reads: two per instance, round robin.
    for (let i = 0; i < 6; i++) {
      expect((await call(proxyPort, 'GET', '/v1/campaigns')).json.items.map((item: { id: string }) => item.id)).toEqual(['P']);
      expect((await call(proxyPort, 'GET', '/v1/reports/burn?month=2026-03&asOf=2026-03-10')).json.totals.actual).toBe('42.50');
    }
  });

  it('with one instance killed, no GET fails: nginx passes it to the next', async () => {
    const victim = instances[1]!;
    await stopInstance(victim, 'SIGKILL');
    const from = logLines();
    for (let i = 0; i < 30; i++) {
      const res = await call(proxyPort, 'GET', '/v1/campaigns', { timeoutMs: 10_000 });
      expect(res.status, res.text).toBe(200);
      expect(res.ms).toBeLessThan(5_000);
    }
    expect((await call(proxyPort, 'GET', '/healthz', { key: null })).status).toBe(200);
    const lines = upstreams(from);
    // The killed instance was tried (and failed over from) at least once, and answered nothing.
    const dead = `127.0.0.1:${victim.port}`;
    expect(lines.some((tried) => tried.length > 1 && tried[0] === dead)).toBe(true);
    expect(lines.every((tried) => tried[tried.length - 1] !== dead)).toBe(true);
    // A POST, which nginx has not sent to the dead instance (it refuses connections), is passed on too.
    const written = await call(proxyPort, 'POST', '/v1/spend', {
      body: { items: [{ campaignId: 'P', date: '2026-03-02', amount: '7.50', currency: 'USD', source: 'manual' }] },
    });
    expect(written.status, written.text).toBe(200);
    // 42.50 + 7.50 = 50.00
    expect((await call(proxyPort, 'GET', '/v1/reports/burn?month=2026-03&asOf=2026-03-10')).json.totals.actual).toBe('50.00');
  });
});
