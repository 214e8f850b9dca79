import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // chdb, the embedded ClickHouse, crashes at exit inside a worker thread: run each test file in a child process.
    pool: 'forks',
    // The fault suite's summary (faults tried and survived, per class) after vitest's own.
    reporters: ['default', './test/helpers/fault-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts a real Kafka broker and FerretDB on free loopback ports, once per run.
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
