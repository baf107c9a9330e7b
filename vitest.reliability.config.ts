/**
 * The reliability suite (`npm run test:reliability`): crash, load, the
 * authorization matrix and the fuzzing. Its files start real server
 * processes, kill them and measure, so they run one after another, never
 * side by side, and each may take minutes.
 *
 * Two projects, as in vitest.config.ts: every file on SQLite, then again on
 * PostgreSQL (SPENDBOOK_TEST_STORE=postgres: each file's servers get fresh
 * databases on the run's throwaway server, started once by the global
 * setup). `fileParallelism: false` at the root holds across projects (one
 * worker for the run), and `groupOrder` runs the SQLite files first.
 */
import { configDefaults, defineConfig } from 'vitest/config';

const TEN_MINUTES = 10 * 60_000;

export default defineConfig({
  test: {
    globalSetup: ['test/pg-global-setup.ts'],
    fileParallelism: false,
    testTimeout: TEN_MINUTES,
    hookTimeout: TEN_MINUTES,
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/reliability/**/*.test.ts'],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/reliability/**/*.test.ts'],
          // `npm start` as the README's first command runs it: on its SQLite default.
          exclude: [...configDefaults.exclude, 'test/reliability/npm-start.test.ts'],
          env: { SPENDBOOK_TEST_STORE: 'postgres' },
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
