/**
 * Reaction: how fast a bad canary loses its traffic. `sluice sandbox up` (its own process, real
 * Prometheus scraping the mesh every second, 50 rps per service) and `sluice controller`. Three
 * apps release a canary answering 50% 5xx, each judged by background analysis on
 * istio-error-rate every `intervalSeconds` with max 1%: failureLimit 0, failureLimit 2, and
 * failureLimit 2 with fail-fast at 5%. The breach starts when the canary first gets traffic (the
 * audit time of its first VirtualService write) and ends when a write gives it weight 0 again.
 * The floor is what measuring costs: the scrape interval plus one evaluation interval per
 * failed measurement the verdict needs.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort } from '../src/sandbox/processes/child.js';
import { controllerProcess, json, ready, stopProcess, until, type Audit } from './fleet.js';
import { down, post, up } from './sandbox.js';
import { CRD_FILES } from '../src/api/crd.js';

const root = new URL('..', import.meta.url).pathname;
const SCRAPE_SECONDS = 1;

export interface ReactionResult {
  prometheus: 'real';
  intervalSeconds: number;
  scrapeSeconds: number;
  cases: {
    name: string;
    failuresNeeded: number;
    breachToWeightZeroSeconds: number | undefined;
    floorSeconds: number;
  }[];
}

interface Case {
  name: string;
  failureLimit: number;
  failFast: boolean;
}

const CASES: Case[] = [
  { name: 'failureLimit 0', failureLimit: 0, failFast: false },
  { name: 'failureLimit 2', failureLimit: 2, failFast: false },
  { name: 'failureLimit 2 + failFast', failureLimit: 2, failFast: true },
];

async function install(api: string, intervalSeconds: number): Promise<void> {
  for (const f of CRD_FILES)
    await post(
      api,
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      parse(readFileSync(join(root, 'crds', f), 'utf8')),
    );
  await post(api, '/api/v1/namespaces', { metadata: { name: 'reaction' } });
  for (const [i, c] of CASES.entries()) {
    const name = `app${i}`;
    const template = parse(readFileSync(join(root, 'analysis-templates/istio-error-rate.yaml'), 'utf8'));
    template.metadata.name = `error-rate-${i}`;
    const metric = template.spec.metrics[0];
    Object.assign(metric, {
      interval: `${intervalSeconds}s`,
      failureLimit: c.failureLimit,
      ...(c.failFast ? { failFast: { max: '0.05' } } : {}),
    });
    await post(api, '/apis/sluice.dev/v1alpha1/namespaces/reaction/analysistemplates', template);
    const labels = { app: name };
    await post(api, '/apis/apps/v1/namespaces/reaction/deployments', {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{ name: 'app', image: 'podinfo:1', env: [{ name: 'SANDBOX_ERROR_RATE', value: '0' }] }],
          },
        },
      },
    });
    await post(api, '/api/v1/namespaces/reaction/services', {
      metadata: { name },
      spec: { selector: labels, ports: [{ name: 'http', port: 9898 }] },
    });
    const analysis = { templates: [{ name: template.metadata.name }], args: [{ name: 'minRequests', value: '10' }] };
    await post(api, '/apis/sluice.dev/v1alpha1/namespaces/reaction/rollouts', {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        service: { name, port: 9898 },
        progressDeadlineSeconds: 600,
        strategy: { canary: { steps: [{ setWeight: 50 }, { pause: { duration: '10m' } }], analysis } },
      },
    });
  }
}

export async function benchReaction(opts: { intervalSeconds?: number } = {}): Promise<ReactionResult> {
  const intervalSeconds = opts.intervalSeconds ?? 5;
  const sb = await up(50);
  const api = sb.info.apiServer;
  const port = await freePort();
  let controller: ChildProcess | undefined;
  try {
    await install(api, intervalSeconds);
    controller = controllerProcess(sb, port, sb.info.prometheus);
    await ready(port, Date.now() + 60_000);
    const phase = async (): Promise<string[]> =>
      (
        await json<{ items: { status?: { phase?: string } }[] }>(
          `${api}/apis/sluice.dev/v1alpha1/namespaces/reaction/rollouts`,
        )
      ).items.map((r) => r.status?.phase ?? '');
    await until('the apps to be Healthy', Date.now() + 120_000, async () =>
      (await phase()).every((p) => p === 'Healthy'),
    );
    await new Promise((r) => setTimeout(r, 3000)); // a few scrapes of healthy traffic first
    const from = (await json<{ last: number }>(`${api}/sandbox/v1/audit?after=999999999`)).last;
    for (let i = 0; i < CASES.length; i++) {
      await json(`${api}/apis/apps/v1/namespaces/reaction/deployments/app${i}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({
          spec: {
            template: {
              spec: {
                containers: [{ name: 'app', image: 'podinfo:2', env: [{ name: 'SANDBOX_ERROR_RATE', value: '0.5' }] }],
              },
            },
          },
        }),
      });
    }
    await until('every canary rolled back', Date.now() + 180_000, async () =>
      (await phase()).every((p) => p === 'RolledBack'),
    );
    const audit = (await json<{ items: Audit[] }>(`${api}/sandbox/v1/audit?after=${from}`)).items.filter(
      (e) => e.resource === 'virtualservices' && e.verb === 'patch' && e.code < 300,
    );
    return {
      prometheus: 'real',
      intervalSeconds,
      scrapeSeconds: SCRAPE_SECONDS,
      cases: CASES.map((c, i) => {
        const writes = audit.filter((e) => e.name === `app${i}`).map((e) => Date.parse(e.time));
        const [start, end] = writes;
        const failuresNeeded = c.failFast ? 1 : c.failureLimit + 1;
        return {
          name: c.name,
          failuresNeeded,
          breachToWeightZeroSeconds:
            start === undefined || end === undefined ? undefined : Math.round((end - start) / 100) / 10,
          floorSeconds: SCRAPE_SECONDS + failuresNeeded * intervalSeconds,
        };
      }),
    };
  } finally {
    await stopProcess(controller);
    await down(sb);
  }
}
