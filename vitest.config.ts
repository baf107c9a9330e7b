import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suite starts real servers, kills them and measures: it
    // runs on its own, one file at a time (vitest.reliability.config.ts).
    exclude: [...configDefaults.exclude, 'test/reliability/**'],
    // One throwaway PostgreSQL for the run (about 2 s), with a migrated template database that
    // test/pg-db.ts copies for each test needing one.
    globalSetup: ['test/pg-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
