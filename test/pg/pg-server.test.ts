/**
 * Where test/pg-server.ts finds PostgreSQL, and what it says when it cannot:
 * an error naming the package to install, never a silently skipped suite.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPgBin } from '../pg-server.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'spendbook-pgbin-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const install = (version: string) => {
  mkdirSync(join(root, version, 'bin'), { recursive: true });
  writeFileSync(join(root, version, 'bin', 'initdb'), '');
};

describe('findPgBin', () => {
  it('names the Debian package and .ci/run when no server binaries are installed', () => {
    expect(() => findPgBin(join(root, 'absent'))).toThrow(/`postgresql`.*`\.ci\/run` installs it/);
    // A version folder without initdb (only the client installed) is not a server either.
    mkdirSync(join(root, '16', 'bin'), { recursive: true });
    expect(() => findPgBin(root)).toThrow(/Debian package `postgresql`/);
  });

  it('takes the newest version, numerically (16 after 9.6)', () => {
    install('9.6');
    install('16');
    install('15');
    expect(findPgBin(root)).toBe(join(root, '16', 'bin'));
  });
});
