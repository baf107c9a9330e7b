import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects: every test file on SQLite (the default store), and the HTTP
 * suite again on PostgreSQL (test/helper.ts's makeApp then gives each app a
 * fresh database on the run's throwaway server). The global setup starts
 * that server once for the run and stops it at the end.
 */
export default defineConfig({
  test: {
    globalSetup: ['test/pg-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          // The reliability suite starts real servers, kills them and measures: it
          // runs on its own, one file at a time (vitest.reliability.config.ts).
          exclude: [...configDefaults.exclude, 'test/reliability/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/http/**/*.test.ts'],
          env: { SPENDBOOK_TEST_STORE: 'postgres' },
        },
      },
    ],
  },
});
