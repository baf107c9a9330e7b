#!/usr/bin/env node
// The `spendbook` command (package.json "bin"): registers tsx so that the
// TypeScript sources run as they are, then runs src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();

const { runCli } = await import('../src/cli/main.ts');

// `spendbook report ... | head` closes stdout early: not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
