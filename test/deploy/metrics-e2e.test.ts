/**
 * The controller's /metrics during an end-to-end run: `sluice controller` (the process, on Redis,
 * with real Prometheus, a fake GitHub and a fake Slack) promotes a release; every metric the
 * docs list shows up with samples — rollouts by phase, canary weight, step, measurements by
 * result, reconcile duration, queue depth and job latency, requests and errors towards the
 * Kubernetes API, Prometheus, GitHub and Slack — and every metric the Grafana dashboard queries
 * exists on the controller or in Istio's metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { freePort } from '../../src/sandbox/processes/child.js';
import { installAnalysedPodinfo } from '../controller/harness.js';
import { eventually, root } from '../sandbox/helpers.js';
import { FakeGitHub } from '../support/fake-github.js';
import { FakeSlack } from '../support/fake-slack.js';
import { CRD_FILES } from '../../src/api/crd.js';

const REPO = 'example-org/podinfo';
const GOOD = 'a'.repeat(40);
const github = new FakeGitHub();
const slack = new FakeSlack();
let sb: Sandbox;
let controller: ChildProcess | undefined;
let metricsUrl: string;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const status = (): any =>
  sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo')?.status ?? {};

/** Samples of the exposition text: `name{labels} value` lines, by metric name. */
function samples(text: string): Map<string, { labels: string; value: number }[]> {
  const out = new Map<string, { labels: string; value: number }[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (m === null) continue;
    const list = out.get(m[1]!) ?? [];
    list.push({ labels: m[2] ?? '', value: Number(m[3]) });
    out.set(m[1]!, list);
  }
  return out;
}

beforeAll(async () => {
  github.addRepo(REPO, { commits: [GOOD], pulls: { 11: [GOOD] } });
  await Promise.all([github.start(), slack.start()]);
  sb = await startSandbox({ rps: 100, readyDelayMs: 100 });
  const api = sb.server.api;
  for (const f of CRD_FILES)
    api.create(
      type('apiextensions.k8s.io', 'customresourcedefinitions'),
      undefined,
      parse(readFileSync(join(root, 'crds', f), 'utf8')),
    );
  installAnalysedPodinfo(api, { SANDBOX_ERROR_RATE: '0.001', SANDBOX_P99_MS: '100' });
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const log = openSync(join(sb.dir, 'controller.log'), 'a');
  controller = spawn(
    process.execPath,
    [
      join(root, 'bin/sluice.js'),
      'controller',
      '--kubeconfig',
      sb.kubeconfig,
      '--redis-url',
      sb.redis!,
      '--prometheus-url',
      sb.prometheus!,
      '--scrape-interval',
      sb.scrapeInterval,
      '--listen',
      `127.0.0.1:${port}`,
      '--github-api-url',
      github.url,
      '--slack-api-url',
      slack.url,
    ],
    {
      stdio: ['ignore', log, log],
      env: { ...process.env, SLUICE_GITHUB_TOKEN: 'test-token', SLUICE_SLACK_TOKEN: 'xoxb-test-token' },
    },
  );
  await eventually('Healthy', () => status().phase === 'Healthy', 30_000);
}, 90_000);

afterAll(async () => {
  controller?.kill('SIGKILL');
  await sb.stop();
  await Promise.all([github.stop(), slack.stop()]);
});

describe('/metrics during a run', () => {
  let text = '';
  let during = '';

  it('promotes a release reported on GitHub and Slack, while /metrics shows the canary', async () => {
    sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
      spec: {
        template: {
          metadata: { annotations: { 'sluice.dev/commit': GOOD } },
          spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.8.0' }] },
        },
      },
    });
    during = await eventually(
      'the canary weight on /metrics',
      async () => {
        const t = await (await fetch(metricsUrl)).text();
        return /sluice_rollout_canary_weight\{namespace="demo",rollout="podinfo"\} [1-9]/.test(t) ? t : undefined;
      },
      60_000,
    );
    await eventually('promoted', () => status().reason === 'Promoted', 120_000);
    await eventually(
      'reported on GitHub and Slack',
      () => github.comments.length > 0 && slack.roots().length > 0,
      30_000,
    );
    text = await eventually(
      'requests to Slack on /metrics',
      async () => {
        const t = await (await fetch(metricsUrl)).text();
        return /sluice_upstream_requests_total\{upstream="slack"/.test(t) &&
          /sluice_upstream_requests_total\{upstream="github"/.test(t)
          ? t
          : undefined;
      },
      30_000,
    );
    expect(
      samples(during)
        .get('sluice_rollout_step')
        ?.find((s) => s.labels.includes('rollout="podinfo"'))?.value,
    ).toBeGreaterThanOrEqual(0);
  }, 180_000);

  it('shows every metric the docs list, with samples', () => {
    const m = samples(text);
    const sum = (name: string, label = ''): number =>
      (m.get(name) ?? []).filter((s) => s.labels.includes(label)).reduce((a, s) => a + s.value, 0);
    expect(sum('sluice_rollouts', 'phase="Healthy"')).toBe(1);
    expect(m.get('sluice_rollouts')?.map((s) => s.labels)).toEqual(
      expect.arrayContaining(['{phase="Progressing"}', '{phase="RolledBack"}']),
    );
    expect(m.get('sluice_rollout_canary_weight')).toEqual([
      { labels: '{namespace="demo",rollout="podinfo"}', value: 0 },
    ]);
    expect(m.get('sluice_rollout_step')).toHaveLength(1);
    expect(sum('sluice_analysis_measurements_total', 'result="Successful"')).toBeGreaterThan(0);
    expect(sum('sluice_reconcile_duration_seconds_count')).toBeGreaterThan(0);
    expect(m.has('sluice_reconcile_failures_total')).toBe(true);
    expect(m.has('sluice_queue_depth')).toBe(true);
    expect(sum('sluice_queue_job_latency_seconds_count')).toBeGreaterThan(0);
    for (const upstream of ['kubernetes', 'prometheus', 'github', 'slack']) {
      expect(sum('sluice_upstream_requests_total', `upstream="${upstream}"`), upstream).toBeGreaterThan(0);
      expect(sum('sluice_upstream_request_duration_seconds_count', `upstream="${upstream}"`), upstream).toBeGreaterThan(
        0,
      );
    }
    expect(m.get('sluice_upstream_requests_total')?.map((s) => s.labels)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/upstream="kubernetes",operation="patch rollouts\/status",code="200"/),
        expect.stringMatching(
          /upstream="kubernetes",operation="watch rollouts",code="200"|upstream="kubernetes",operation="list rollouts",code="200"/,
        ),
        expect.stringMatching(/upstream="prometheus",operation="query",code="200"/),
        expect.stringMatching(
          /upstream="github",operation="POST \/repos\/\{owner\}\/\{repo\}\/statuses\/\{sha\}",code="201"/,
        ),
        expect.stringMatching(/upstream="slack",operation="chat.postMessage",code="200"/),
      ]),
    );
    expect(m.has('sluice_upstream_request_errors_total')).toBe(true);
    expect(sum('sluice_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it("has every metric the Grafana dashboard queries (on the controller, or Istio's from the mesh)", async () => {
    const dashboard = JSON.parse(readFileSync(join(root, 'charts/sluice/dashboards/sluice.json'), 'utf8'));
    const exprs: string[] = [
      ...dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr as string)),
      ...dashboard.templating.list
        .filter((v: any) => v.type === 'query')
        .map((v: any) => (v.query.query as string).replace(/^label_values\(([^,]+),.*\)$/, '$1')),
    ];
    expect(exprs.length).toBeGreaterThan(10);
    const names = new Set<string>();
    for (const expr of exprs) {
      const tree = parser.parse(expr);
      tree.iterate({
        enter: (n) => {
          if (n.type.isError) throw new Error(`dashboard query does not parse: ${expr}`);
          if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') names.add(expr.slice(n.from, n.to));
        },
      });
    }
    const mesh = samples(await (await fetch(`${sb.mesh}/metrics`)).text());
    const known = new Set([...samples(text).keys(), ...mesh.keys()]);
    expect([...names].filter((n) => !known.has(n)).sort()).toEqual([]);
    expect([...names]).toEqual(
      expect.arrayContaining(['sluice_rollouts', 'istio_requests_total', 'istio_request_duration_milliseconds_bucket']),
    );
  });
});
