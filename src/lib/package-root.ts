/**
 * The package's own folder, found the same way from the TypeScript sources
 * (src/lib/) and from the compiled code (dist/src/lib/): the nearest folder
 * above this file holding package.json. Files the service reads at run time
 * (db/migrations, fixtures/demo/*.json, package.json) live there and are
 * not copied into dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  for (let dir = start; ; ) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, from its root: `packagePath('db', 'migrations')`. */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}
