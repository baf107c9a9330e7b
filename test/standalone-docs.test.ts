/**
 * The repository stands alone: a clone has its README and docs/, and
 * nothing else beside it, so they must not send a reader to a file outside
 * the repository (the `../shared` folder or its PRODUCT.md), and every link
 * between them must lead to a file that exists.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What is checked: files or folders (every file below them), from the root. */
const CHECKED = ['README.md', 'docs', 'src', 'bench', 'fixtures', 'db', 'test'];

/** This file names what it looks for; nothing else may. */
const SELF = fileURLToPath(import.meta.url);

/** The steering folder beside a checkout, and its two documents. */
const OUTSIDE = [/\.\.\/shared/, /PRODUCT\.md/, /STYLE\.md/];

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

const files = CHECKED.flatMap((entry) => filesUnder(join(ROOT, entry))).filter((file) => file !== SELF);

describe('README, docs/ and the code stand alone', () => {
  it('checks the README and at least one page in docs/', () => {
    expect(files.map((file) => relative(ROOT, file))).toContain('README.md');
    expect(files.some((file) => relative(ROOT, file).startsWith('docs/'))).toBe(true);
  });

  it('never mention ../shared or PRODUCT.md', () => {
    const mentions = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (OUTSIDE.some((pattern) => pattern.test(line)) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(mentions).toEqual([]);
  });

  it('link only to files that exist', () => {
    const broken = files
      .filter((file) => file.endsWith('.md'))
      .flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
          .map((match) => match[1]!)
          .filter((target) => !/^[a-z]+:/.test(target))
          .filter((target) => !existsSync(join(dirname(file), target)))
          .map((target) => `${relative(ROOT, file)} -> ${target}`),
      );
    expect(broken).toEqual([]);
  });
});
