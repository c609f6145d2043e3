/**
 * The bad-input corpus (corpus.ts, more than 100 inputs): every hostile or malformed Rollout and
 * AnalysisTemplate gets an error naming the field — from the API server (the CRD schema) or as
 * the Rollout's Invalid status — while a good rollout next to them is promoted (nothing stalls);
 * PromQL arg values are escaped or refused naming the arg, never change a query; PR comments and
 * webhook deliveries get what docs/chatops.md says.
 */
import { sign } from '@octokit/webhooks-methods';
import { parser } from '@prometheus-io/lezer-promql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderQuery } from '../../src/analysis/render.js';
import { parseComment } from '../../src/chatops/parse.js';
import { handleDelivery } from '../../src/chatops/webhook.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { example, exampleApp, startControllerSandbox, type ControllerSandbox } from '../controller/harness.js';
import { eventually } from '../sandbox/helpers.js';
import { BARE_ARGS, COMMENTS, ROLLOUTS, STRING_ARGS, TEMPLATE_CASES, TEMPLATES, WEBHOOKS } from './corpus.js';

let harness: ControllerSandbox;
let sb: Sandbox;
/** What came of each case: the API server's refusal, or the Rollout's Invalid message. */
const outcome = new Map<string, string>();
const kind = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const statusOf = (name: string): any =>
  (sb.server.api.store.get(kind('sluice.dev', 'rollouts').storageKey, 'demo', name) as any)?.status ?? {};

/** A valid Rollout shape for the cases to break: 10%, a pause, no analysis, no notifications. */
function valid(r: any): void {
  r.spec.strategy.canary.steps = [{ setWeight: 10 }, { pause: { duration: '2s' } }];
  delete r.spec.strategy.canary.analysis;
  delete r.spec.notifications;
}

function tryCreate(name: string, create: () => void): void {
  try {
    create();
  } catch (e) {
    outcome.set(name, `refused by the API server: ${(e as Error).message}`);
  }
}

beforeAll(async () => {
  harness = await startControllerSandbox((s) => {
    sb = s;
    const api = s.server.api;
    api.create(kind('', 'namespaces'), undefined, example('namespace.yaml'));
    for (const t of TEMPLATES) api.create(kind('sluice.dev', 'analysistemplates'), 'demo', t);
    exampleApp(api, 'good', valid);
    ROLLOUTS.forEach((c, i) =>
      tryCreate(`rollout-${i}`, () => exampleApp(api, `rollout-${i}`, (r) => (valid(r), c.mutate(r)))),
    );
    TEMPLATE_CASES.forEach((c, i) => {
      const name = `template-${i}`;
      tryCreate(name, () =>
        api.create(kind('sluice.dev', 'analysistemplates'), 'demo', {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'AnalysisTemplate',
          metadata: { name },
          spec: c.spec,
        }),
      );
      if (!outcome.has(name))
        exampleApp(api, name, (r) => (valid(r), (r.spec.strategy.canary.analysis = { templates: [{ name }] })));
    });
  });
  await eventually(
    'every Rollout refused or settled',
    () => {
      for (const name of [
        ...ROLLOUTS.map((_, i) => `rollout-${i}`),
        ...TEMPLATE_CASES.map((_, i) => `template-${i}`),
      ]) {
        if (outcome.has(name) && outcome.get(name)!.startsWith('refused')) continue;
        const s = statusOf(name);
        if (s.phase === 'Invalid' || s.phase === 'Healthy') outcome.set(name, `${s.phase}: ${s.message}`);
        else return false;
      }
      return statusOf('good').phase === 'Healthy';
    },
    60_000,
  );
}, 120_000);
afterAll(() => harness.stop());

describe('hostile and malformed Rollouts and AnalysisTemplates', () => {
  it.each(ROLLOUTS.map((c, i) => [c.name, i, c.error] as const))('%s: a clear error', (_, i, error) => {
    const o = outcome.get(`rollout-${i}`) ?? '';
    expect(o).not.toMatch(/^Healthy/);
    expect(o).toMatch(error);
  });

  it.each(TEMPLATE_CASES.map((c, i) => [c.name, i, c.error] as const))(
    'template with %s: a clear error',
    (_, i, error) => {
      const o = outcome.get(`template-${i}`) ?? '';
      expect(o).not.toMatch(/^Healthy/);
      expect(o).toMatch(error);
    },
  );

  it('promotes a good rollout next to all of them: nothing stalls', async () => {
    sb.server.api.patch({ type: kind('apps', 'deployments'), namespace: 'demo', name: 'good' }, 'strategic', {
      spec: { template: { spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.9.9' }] } } },
    });
    await eventually('the good rollout promoted', () => statusOf('good').reason === 'Promoted', 60_000);
  }, 90_000);
});

/** The decoded value of the only string literal of a query (PromQL strings are JSON-like). */
function stringLiterals(query: string): string[] {
  const out: string[] = [];
  parser.parse(query).iterate({
    enter(node) {
      if (node.name === 'StringLiteral') out.push(JSON.parse(query.slice(node.from, node.to)) as string);
    },
  });
  return out;
}

describe('hostile PromQL arg values', () => {
  const query = 'sum(rate(istio_requests_total{destination_workload="{{ args.v }}"}[1m]))';
  it.each(STRING_ARGS.map((v) => [JSON.stringify(v).slice(0, 60), v] as const))(
    'in a string, %s: kept a string, or refused naming the arg',
    (_, v) => {
      const r = renderQuery(query, { v });
      if (r.ok) expect(stringLiterals(r.query)).toEqual([v]);
      else expect(r.error).toMatch(/arg "v"/);
    },
  );

  it.each(BARE_ARGS.map((v) => [v] as const))('outside a string, %s: refused naming the arg', (v) => {
    const r = renderQuery('sum(rate(istio_requests_total[5m])) > {{ args.v }}', { v });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/arg "v"/) });
  });
});

describe('hostile pull-request comments', () => {
  it.each(
    COMMENTS.map((c) => [String(JSON.stringify(c.body) as string | undefined).slice(0, 60), c.body, c.kind] as const),
  )('%s is read as %s', (_, body, k) => {
    expect(parseComment(body).kind).toBe(k);
  });
});

describe('hostile webhook deliveries', () => {
  const secret = 'corpus-webhook-secret';
  const accepted: unknown[] = [];
  const deps = {
    secret,
    log: pino({ level: 'silent' }),
    accept: (job: unknown) => (accepted.push(job), Promise.resolve(true)),
  };
  it.each(WEBHOOKS.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const signature =
      c.signature === 'none'
        ? undefined
        : c.signature === 'malformed'
          ? 'sha1=abc'
          : await sign(c.signature === 'wrong' ? 'not-the-secret' : secret, c.raw);
    const headers = {
      'x-github-event': 'issue_comment',
      'x-github-delivery': `corpus-${c.name}`,
      'x-hub-signature-256': signature,
      ...c.headers,
    };
    const a = await handleDelivery(headers, c.raw, deps);
    expect(a.status).toBe(c.status);
    expect(a.body.message).toMatch(c.message);
    expect(accepted).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the corpus', () => {
  it('holds at least 100 inputs', () => {
    expect(
      ROLLOUTS.length +
        TEMPLATE_CASES.length +
        STRING_ARGS.length +
        BARE_ARGS.length +
        COMMENTS.length +
        WEBHOOKS.length,
    ).toBeGreaterThanOrEqual(100);
  });
});
