/** `sluice lint` as users run it: the real executable, exit codes and the output format. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const root = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'bin/sluice.js'), ...args], {
      cwd: root,
      timeout: 60_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; signal?: string; stdout: string; stderr: string };
    if (typeof err.code !== 'number')
      throw new Error(`sluice did not exit normally (signal ${String(err.signal)}): ${err.stderr}`);
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('sluice lint', () => {
  it('passes the shipped templates and examples', async () => {
    const { code, stdout, stderr } = await sluice('lint', 'analysis-templates', 'examples');
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^0 errors, 0 warnings in 14 objects from 14 files/);
    expect(code).toBe(0);
  });

  it('prints file:line: path: message and exits 1 on errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const rollout = parse(readFileSync(join(root, 'examples/podinfo/rollout.yaml'), 'utf8'));
    rollout.spec.strategy.canary.steps[0].setWeight = 101;
    const text = `# a comment\n${stringify(rollout)}`;
    writeFileSync(join(dir, 'rollout.yaml'), text);
    const line = text.split('\n').findIndex((l) => l.includes('setWeight: 101')) + 1;
    const { code, stdout } = await sluice('lint', dir, 'analysis-templates');
    expect(code).toBe(1);
    expect(stdout.trim()).toBe(
      `${join(dir, 'rollout.yaml')}:${line}: spec.strategy.canary.steps[0].setWeight: must be at most 100, not 101`,
    );
  });

  it('reports GitOps pitfalls as warnings and still exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const deployment = parse(readFileSync(join(root, 'examples/podinfo/deployment.yaml'), 'utf8'));
    deployment.spec.replicas = 3;
    writeFileSync(join(dir, 'deployment.yaml'), stringify(deployment));
    const { code, stdout } = await sluice('lint', dir, 'examples/podinfo/rollout.yaml', 'analysis-templates');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /deployment\.yaml:\d+: spec\.replicas: warning: is set on a Deployment that Rollout "podinfo" manages/,
    );
  });

  it('warns about autoscaling pitfalls: replicas under an HPA, minReplicas 1 for a released service, canaryScale an HPA overrides', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const deployment = parse(readFileSync(join(root, 'examples/podinfo/deployment.yaml'), 'utf8'));
    deployment.spec.replicas = 3;
    const rollout = parse(readFileSync(join(root, 'examples/podinfo/rollout.yaml'), 'utf8'));
    rollout.spec.strategy.canary.canaryScale = { percent: 50 };
    rollout.spec.strategy.canary.dynamicStableScale = true;
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'podinfo', namespace: 'demo' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, maxReplicas: 8 },
    };
    writeFileSync(join(dir, 'deployment.yaml'), stringify(deployment));
    writeFileSync(join(dir, 'rollout.yaml'), stringify(rollout));
    writeFileSync(join(dir, 'hpa.yaml'), stringify(hpa));
    const { code, stdout } = await sluice('lint', dir, 'analysis-templates');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(stdout).toMatch(
      /deployment\.yaml:\d+: spec\.replicas: warning: is set, and HorizontalPodAutoscaler "podinfo" scales this Deployment: Argo CD \/ Flux would set it back/,
    );
    expect(stdout).toMatch(
      /hpa\.yaml:\d+: spec\.minReplicas: warning: is 1 for Deployment "podinfo", which Rollout "podinfo" releases/,
    );
    expect(stdout).toMatch(
      /rollout\.yaml:\d+: spec\.strategy\.canary\.canaryScale: warning: is not used: HorizontalPodAutoscaler "podinfo" scales podinfo/,
    );
    expect(stdout).toMatch(/rollout\.yaml:\d+: spec\.strategy\.canary\.dynamicStableScale: warning: is not used/);
    // minReplicas 2 and no canaryScale: only the replicas warning is left
    writeFileSync(join(dir, 'hpa.yaml'), stringify({ ...hpa, spec: { ...hpa.spec, minReplicas: 2 } }));
    delete rollout.spec.strategy.canary.canaryScale;
    delete rollout.spec.strategy.canary.dynamicStableScale;
    writeFileSync(join(dir, 'rollout.yaml'), stringify(rollout));
    expect((await sluice('lint', dir, 'analysis-templates')).stdout.trim().split('\n')).toHaveLength(1);
  });

  it("warns about a KEDA ScaledObject's headroom, a pause annotation in Git and a trigger query naming the target", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const scaledObject = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'podinfo', namespace: 'demo', annotations: { 'autoscaling.keda.sh/paused-replicas': '0' } },
      spec: {
        scaleTargetRef: { name: 'podinfo' },
        triggers: [
          { type: 'prometheus', metadata: { query: 'sum(rate(http_requests_total{deployment="podinfo"}[1m]))' } },
        ],
      },
    };
    writeFileSync(join(dir, 'scaledobject.yaml'), stringify(scaledObject));
    const { code, stdout } = await sluice('lint', dir, 'examples/podinfo/rollout.yaml', 'analysis-templates');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /metadata\.annotations\["autoscaling\.keda\.sh\/paused-replicas"\]: warning: is in Git: Sluice pauses/,
    );
    expect(lines[1]).toMatch(/scaledobject\.yaml:\d+: spec\.minReplicaCount: warning: is 0 for Deployment "podinfo"/);
    expect(lines[2]).toMatch(/spec\.triggers\[0\]\.metadata\.query: warning: names "podinfo".*primaryScalerQueries/);
  });

  it('warns when the Service clients call selects only the target, which is at 0 replicas between runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const service = parse(readFileSync(join(root, 'examples/podinfo/service.yaml'), 'utf8'));
    service.spec.selector = { app: 'podinfo' };
    writeFileSync(join(dir, 'service.yaml'), stringify(service));
    const { code, stdout } = await sluice(
      'lint',
      dir,
      'examples/podinfo/deployment.yaml',
      'examples/podinfo/rollout.yaml',
      'analysis-templates',
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /service\.yaml:\d+: spec\.selector: warning: selects only the pods of Deployment "podinfo", which Rollout "podinfo" scales to 0 between runs/,
    );
  });

  it('answers in JSON with -o json', async () => {
    const { code, stdout } = await sluice('lint', '-o', 'json', 'does-not-exist.yaml');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { errors: number; findings: { file: string; message: string }[] };
    expect(report.errors).toBe(1);
    expect(report.findings[0]).toMatchObject({
      file: 'does-not-exist.yaml',
      message: expect.stringMatching(/no such file/),
    });
  });

  it('never crashes on hostile files: each gets a line, the run ends with exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0, 1, 2, 255]));
    writeFileSync(join(dir, 'empty.yaml'), '');
    writeFileSync(
      join(dir, 'bomb.yaml'),
      'a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
    );
    writeFileSync(join(dir, 'huge.yaml'), 'x'.repeat(10 * 1024 * 1024));
    writeFileSync(join(dir, 'deep.yaml'), `a: ${'{b: '.repeat(50_000)}1${'}'.repeat(50_000)}\n`);
    const { code, stdout } = await sluice('lint', dir);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    for (const name of ['binary', 'empty', 'bomb', 'huge', 'deep'])
      expect(lines.some((l) => l.startsWith(join(dir, `${name}.yaml`)))).toBe(true);
    for (const line of lines) expect(line).toMatch(/^\S+:\d+: /);
  });

  it('needs at least one path', async () => {
    const { code, stderr } = await sluice('lint');
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing required argument/);
  });
});
