/**
 * The reliability suite (`npm run test:reliability`): crash, load, the
 * authorization matrix and the fuzzing. Its files start real server
 * processes, kill them and measure, so they run one after another, never
 * side by side, and each may take minutes.
 */
import { defineConfig } from 'vitest/config';

const TEN_MINUTES = 10 * 60_000;

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: TEN_MINUTES,
    hookTimeout: TEN_MINUTES,
    teardownTimeout: 60_000,
  },
});
