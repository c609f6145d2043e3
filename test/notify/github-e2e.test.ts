/**
 * GitHub reporting end to end: the sandbox with real Prometheus, the controller reporting
 * through Octokit to a fake GitHub that checks every request against GitHub's OpenAPI
 * description. A good and a bad release each get one comment on their pull request, commit
 * statuses and a deployment with statuses; a GitHub outage delays the reports, never the run.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubDelivery, githubChannel } from '../../src/notify/github/deliver.js';
import { octokitApi } from '../../src/notify/github/octokit.js';
import { Notifier } from '../../src/notify/notifier.js';
import { MemoryRunStore } from '../../src/notify/run-store.js';
import { MemoryOutbox } from '../../src/queue/memory-outbox.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { installAnalysedPodinfo, startControllerSandbox, type ControllerSandbox } from '../controller/harness.js';
import { eventually } from '../sandbox/helpers.js';
import { FakeGitHub } from '../support/fake-github.js';

const REPO = 'example-org/podinfo';
const sha = (c: string): string => c.repeat(40);
const [GOOD, BAD, LATE] = [sha('a'), sha('b'), sha('c')];
const fake = new FakeGitHub();
let sb: Sandbox;
let harness: ControllerSandbox;
const log =
  process.env['SLUICE_TEST_LOG'] === undefined
    ? pino({ level: 'silent' })
    : pino({ level: 'debug' }, pino.destination(process.env['SLUICE_TEST_LOG']));
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const status = (): any =>
  sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo')?.status ?? {};

function release(commit: string, env: Record<string, string>, annotations: Record<string, string> = {}): void {
  sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: {
      template: {
        metadata: { annotations: { 'sluice.dev/commit': commit, ...annotations } },
        spec: { containers: [{ name: 'podinfo', env: Object.entries(env).map(([name, value]) => ({ name, value })) }] },
      },
    },
  });
}

const statesOf = (commit: string): string[] => fake.statuses.filter((s) => s.sha === commit).map((s) => s.state);
const deploymentOf = (commit: string) => fake.deployments.filter((d) => d.sha === commit);
const commentsOn = (pr: number) => fake.comments.filter((c) => c.repo === REPO && c.issue === pr);

beforeAll(async () => {
  fake.addRepo(REPO, { commits: [GOOD, BAD, LATE], pulls: { 11: [GOOD], 12: [BAD] } });
  await fake.start();
  harness = await startControllerSandbox(
    (s) => {
      sb = s;
      const api = s.server.api;
      installAnalysedPodinfo(api, { SANDBOX_ERROR_RATE: '0.001', SANDBOX_P99_MS: '100' });
    },
    {
      sandbox: { prometheus: true, rps: 100 },
      controller: (s) => {
        const github = octokitApi({ auth: { token: 'test-token' }, baseUrl: fake.url, log, retries: 1 });
        const store = new MemoryRunStore();
        const outbox = new MemoryOutbox({ log, backoffMs: 200, maxBackoffMs: 2000, maxAttempts: 1000 });
        const notifier = new Notifier(
          store,
          outbox,
          [githubChannel(new GitHubDelivery(github, store, log, { cluster: 'sandbox', coalesceMs: 1000 }))],
          log,
        );
        return { prometheusUrl: s.prometheus, reporting: { github, notifier } };
      },
    },
  );
  await eventually('Healthy', () => status().phase === 'Healthy', 30_000);
}, 90_000);
afterAll(async () => {
  await harness.stop();
  await fake.stop();
});

describe('GitHub reporting', () => {
  it('reports a good release on its pull request: one comment, statuses pending -> success, a deployment ending in success', async () => {
    release(GOOD, { SANDBOX_ERROR_RATE: '0.001', SANDBOX_P99_MS: '101' });
    await eventually('promoted', () => status().reason === 'Promoted' && status().release?.commit === GOOD, 90_000);
    expect(status().release).toEqual({ repository: REPO, commit: GOOD, pullRequest: 11, source: 'annotations' });
    expect(status().conditions.find((c: any) => c.type === 'GitHubReporting')).toMatchObject({
      status: 'True',
      reason: 'Reporting',
    });
    await eventually(
      'final reports',
      () =>
        statesOf(GOOD).at(-1) === 'success' &&
        deploymentOf(GOOD)[0]?.statuses.at(-1)?.state === 'success' &&
        /promoted/.test(commentsOn(11)[0]?.body ?? ''),
      30_000,
    );
    expect(statesOf(GOOD)).toEqual(['pending', 'success']);
    expect(fake.statuses.find((s) => s.sha === GOOD)?.context).toBe('sluice/demo/podinfo');
    expect(deploymentOf(GOOD)).toHaveLength(1);
    expect(deploymentOf(GOOD)[0]).toMatchObject({
      environment: 'sandbox/demo',
      statuses: [{ state: 'in_progress' }, { state: 'success' }],
    });
    const comments = commentsOn(11);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.updated).toBeGreaterThan(comments[0]!.created);
    expect(comments[0]!.body).toContain('<!-- sluice:rollout=demo/podinfo -->');
    expect(comments[0]!.body).toContain('```mermaid\nxychart-beta');
    expect(fake.invalid()).toEqual([]);
    // settled: no more status writes (the release's fields come back from the API server in its own order)
    const since = sb.server.audit.last;
    await new Promise((r) => setTimeout(r, 3000));
    expect(sb.server.audit.since(since).filter((e) => e.resource === 'rollouts' && e.verb === 'patch')).toEqual([]);
  }, 150_000);

  it('reports a bad release: statuses pending -> failure naming the check, deployment failure, one comment', async () => {
    release(BAD, { SANDBOX_ERROR_RATE: '0.2', SANDBOX_P99_MS: '100' });
    await eventually('rolled back', () => status().phase === 'RolledBack' && status().release?.commit === BAD, 90_000);
    await eventually(
      'final reports',
      () =>
        statesOf(BAD).at(-1) === 'failure' &&
        deploymentOf(BAD)[0]?.statuses.at(-1)?.state === 'failure' &&
        /rolled back/.test(commentsOn(12)[0]?.body ?? ''),
      30_000,
    );
    expect(statesOf(BAD)).toEqual(['pending', 'failure']);
    expect(fake.statuses.filter((s) => s.sha === BAD).at(-1)?.description).toMatch(
      /^Rolled back: istio-error-rate\/error-rate: [\d.]+ > 0\.01/,
    );
    expect(deploymentOf(BAD)[0]!.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(commentsOn(12)).toHaveLength(1);
    expect(commentsOn(11)).toHaveLength(1);
    expect(fake.invalid()).toEqual([]);
  }, 150_000);

  it('keeps the rollout going through a GitHub outage (500s, then secondary rate limits) and reports the final state after it, once', async () => {
    const outageEnds = Date.now() + 40_000;
    fake.failFor(20_000, '500');
    setTimeout(() => fake.failFor(outageEnds - Date.now(), 'secondary'), 20_000);
    release(LATE, { SANDBOX_ERROR_RATE: '0.001', SANDBOX_P99_MS: '102' }, { 'sluice.dev/pull-request': '13' });
    await eventually(
      'promoted during the outage',
      () => status().reason === 'Promoted' && status().release?.commit === LATE,
      38_000,
    );
    expect(Date.now()).toBeLessThan(outageEnds);
    expect(statesOf(LATE)).toEqual([]);
    await eventually(
      'final reports after the outage',
      () =>
        statesOf(LATE).at(-1) === 'success' &&
        deploymentOf(LATE)[0]?.statuses.at(-1)?.state === 'success' &&
        /promoted/.test(commentsOn(13)[0]?.body ?? ''),
      60_000,
    );
    expect(fake.requests.some((r) => r.status === 500)).toBe(true);
    expect(fake.requests.some((r) => r.status === 403)).toBe(true);
    expect(commentsOn(13)).toHaveLength(1);
    expect(deploymentOf(LATE)).toHaveLength(1);
    expect(fake.invalid()).toEqual([]);
  }, 150_000);
});
