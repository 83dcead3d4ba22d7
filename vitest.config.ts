import { defineConfig } from 'vitest/config';

// Two tiers: unit tests (pure parsing/classification, in-process) and e2e tests that spawn the
// built CLI inside the simulated internet (network namespaces; root only). See test/README.md.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          // Namespaces, dnsmasq and proxies are machine-wide resources: one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
