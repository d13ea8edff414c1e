import { defineConfig } from 'vitest/config'

// Two projects: `unit` needs nothing but Node and runs fully parallel; `integration` shares one real broker
// (see src/testing/integration-setup.ts), so it runs two files at a time with timeouts sized for JVM
// start-up, group rebalances and a 2-core CI runner.
export default defineConfig({
  test: {
    // Until every area has tests, an empty project must not fail the run.
    passWithNoTests: true,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'examples/**/*.test.ts'],
          globalSetup: ['src/testing/integration-setup.ts'],
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
