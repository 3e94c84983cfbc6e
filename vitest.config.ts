import { configDefaults, defineConfig } from 'vitest/config';

// Tests that need the dev cluster's real node (Sluice installed from its image, running for
// real): run with SLUICE_E2E_REAL_NODE=1 against a cluster that has one. They fail, never skip,
// when it is missing.
const REAL_NODE_TESTS = ['test/e2e/install-real.test.ts'];
const realNode = process.env['SLUICE_E2E_REAL_NODE'] === '1';

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
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...(realNode ? [] : REAL_NODE_TESTS)],
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
