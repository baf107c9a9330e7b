/**
 * Tests that run what a user runs (`npm start`, `bin/spendbook.mjs`) need
 * the compiled code in dist/, and it must be the code of the sources beside
 * it: `npm test` builds first (pretest), and a test file run on its own
 * calls ensureBuilt(), which builds when a source is newer than the last
 * build, so no test ever runs yesterday's dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Every build writes every output again (no incremental build: tsc's
 * incremental mode does not notice deleted outputs), so the server's
 * compiled file dates the last build.
 */
const STAMP = join(ROOT, 'dist', 'src', 'server.js');
const LOCK = join(ROOT, 'dist', '.building');

/** What tsconfig.build.json compiles, and the configuration itself. */
const SOURCES = ['src', 'db/schema.ts', 'fixtures/demo', 'tsconfig.json', 'tsconfig.build.json'];

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestSource(join(path, name))), stat.mtimeMs);
}

function isCurrent(): boolean {
  if (!existsSync(STAMP)) return false;
  const built = statSync(STAMP).mtimeMs;
  return SOURCES.every((source) => newestSource(join(ROOT, source)) <= built);
}

export async function ensureBuilt(): Promise<void> {
  if (isCurrent()) return;
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  // Two test files may find dist/ stale at once: one builds, the other waits for it.
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A build killed half-way leaves its lock behind: a build takes well under two minutes.
      const since = statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > 120_000) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (isCurrent()) return;
    }
  }
  try {
    const started = new Date();
    // The build script itself, so the test builds exactly what `npm start` runs.
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch (error) {
      // tsc prints its errors on stdout.
      const { stdout } = error as { stdout?: Buffer };
      throw new Error(`npm run build failed:\n${stdout?.toString('utf8') ?? String(error)}`);
    }
    // The time the build started: a source saved while it ran stays newer than the stamp.
    utimesSync(STAMP, started, started);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
