// Used only by `npm run bench` (scripts/bench.mjs): the full-run benchmark inside the simulated internet.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/bench/**/*.bench.test.ts'], testTimeout: 600_000, hookTimeout: 180_000 },
});
