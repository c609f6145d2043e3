/**
 * `npm audit --omit=dev`: no high or critical advisory in what the controller ships with. Where
 * the registry has no audit endpoint (a mirror answers 405), the test says so and is skipped:
 * it cannot pass without an answer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number> };
  error?: { summary?: string };
}

async function audit(): Promise<AuditReport | string> {
  const run = await exec('npm', ['audit', '--omit=dev', '--json'], { cwd: root, timeout: 120_000 }).catch(
    (e: unknown) => {
      const out = e as { stdout?: string; stderr?: string };
      return { stdout: out.stdout ?? '', stderr: out.stderr ?? '' };
    },
  );
  try {
    return JSON.parse(run.stdout) as AuditReport;
  } catch {
    return `npm audit gave no report: ${(run.stderr || run.stdout).trim().split('\n').slice(-2).join(' ')}`;
  }
}

describe('npm audit --omit=dev', () => {
  it('shows no high or critical advisory', async (ctx) => {
    const report = await audit();
    const unavailable =
      typeof report === 'string'
        ? report
        : report.metadata?.vulnerabilities === undefined
          ? `npm audit: ${report.error?.summary === undefined || report.error.summary === '' ? 'the audit endpoint returned an error' : report.error.summary}`
          : undefined;
    if (unavailable !== undefined) {
      console.warn(
        `${unavailable} — the registry this machine uses has no audit endpoint; run npm audit --omit=dev where it has one`,
      );
      ctx.skip();
      return;
    }
    const v = (report as AuditReport).metadata?.vulnerabilities ?? {};
    expect({ high: v['high'] ?? 0, critical: v['critical'] ?? 0 }).toEqual({ high: 0, critical: 0 });
  }, 150_000);
});
