/**
 * `sluice demo --scenario error-regression` as CI would run it (output not a terminal): the
 * printed lines tell the story, the report holds the run's chart, the exit code is 0, and no
 * process it started is left behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../sandbox/helpers.js';
import { attr, classes, parseStrict } from './html.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sluice demo', () => {
  it('plays one scenario in plain-line mode, writes the report and leaves nothing running', async () => {
    const report = join(dir, 'report.html');
    const sandboxDir = join(dir, 'sandbox');
    const { stdout } = await exec(
      process.execPath,
      [join(root, 'bin/sluice.js'), 'demo', '--scenario', 'error-regression', '--dir', sandboxDir, '--report', report],
      { timeout: 240_000 },
    );
    const lines = stdout.split('\n');
    expect(stdout).not.toContain('\x1b');
    expect(lines).toContain(
      '== 1/1 error-regression: podinfo 6.7.2 answers 20% of requests with 5xx: rolled back by the error-rate check (expected: RolledBack)',
    );
    expect(
      lines.some((l) =>
        l.startsWith('  $ kubectl -n demo set image deployment/podinfo podinfo=ghcr.io/stefanprodan/podinfo:6.7.2'),
      ),
    ).toBe(true);
    expect(
      lines.some((l) => /^\d\d:\d\d:\d\d demo\/podinfo Progressing step 1\/5 weight 10% \| .*WeightSet/.test(l)),
    ).toBe(true);
    expect(
      lines.some((l) =>
        /^\d\d:\d\d:\d\d demo\/podinfo RolledBack weight 0% \| error-rate [\d.]+ > 0.01 FAILED \|.* AnalysisFailed: /.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('ok: error-regression ended RolledBack after '))).toBe(true);
    expect(lines.some((l) => /^error-regression +RolledBack +RolledBack +\d+ s +ok$/.test(l))).toBe(true);
    expect(lines).toContain(`report: ${report}`);

    const elements = parseStrict(readFileSync(report, 'utf8'));
    expect(elements.filter((e) => e.tagName === 'svg' && classes(e).includes('timeline'))).toHaveLength(1);
    const reasons = elements
      .filter((e) => e.tagName === 'g' && classes(e).includes('decision'))
      .map((e) => attr(e, 'data-reason'));
    expect(reasons).toEqual(expect.arrayContaining(['NewRevision', 'WeightSet', 'AnalysisFailed']));
    expect(elements.some((e) => e.tagName === 'circle' && classes(e).includes('failed'))).toBe(true);

    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(sandboxDir));
    expect(left).toEqual([]);
  }, 300_000);

  it('refuses an unknown scenario with the list of known ones', async () => {
    const r = await exec(process.execPath, [join(root, 'bin/sluice.js'), 'demo', '--scenario', 'nope']).catch(
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(r).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        '--scenario nope: no such scenario; choose one of good-release, error-regression, latency-regression, manual-gate',
      ),
    });
  });
});
