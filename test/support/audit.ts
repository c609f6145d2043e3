/** The folder where every sandbox of a test run writes its API audit log (see test/setup/global.ts). */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const AUDIT_DIR = join(tmpdir(), `sluice-test-audit-${process.getuid?.() ?? 'user'}`);
