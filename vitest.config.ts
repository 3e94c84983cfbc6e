import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure functions, beside the code, seconds) and `e2e` (against one real dev
// cluster started for the whole run by test/e2e/global-setup.ts; a fresh namespace per test).
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          environment: 'node',
          // Some run real tools (helm, git, kustomize); on two busy cores 5 s is too tight.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores: the control plane needs one of them.
          maxWorkers: 2,
        },
      },
    ],
  },
});
