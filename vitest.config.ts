import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/** test/deploy/rbac.test.ts reads the audit logs the other files' sandboxes wrote: it runs last. */
class AuditLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const last = (f: TestSpecification): boolean => f.moduleId.endsWith('/test/deploy/rbac.test.ts');
    return [...sorted.filter((f) => !last(f)), ...sorted.filter(last)];
  }
}

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
    sequence: { sequencer: AuditLast },
  },
});
