import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The end-to-end files each run a sandbox (API emulator, mesh, real Prometheus) and a
    // controller; on a 2-core machine several at once starve each other and time out. One file
    // at a time keeps their timings honest.
    fileParallelism: false,
  },
});
