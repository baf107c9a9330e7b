#!/usr/bin/env node
// The `spendbook` command (package.json "bin"): runs the compiled CLI in
// dist/, which `npm run build` writes and `npm install` / `npm ci` run.
// Compiled JavaScript starts in a fraction of the time a TypeScript loader takes.
const CLI = new URL('../dist/src/cli/main.js', import.meta.url);

let runCli;
try {
  ({ runCli } = await import(CLI.href));
} catch (error) {
  // Only the CLI itself missing is "not built"; any other failure is shown as it is.
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(CLI.pathname)) {
    process.stderr.write('spendbook: the compiled code (dist/) is missing: run `npm run build` in the spendbook folder first\n');
    process.exit(2);
  }
  throw error;
}

// `spendbook report ... | head` closes stdout early: not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
