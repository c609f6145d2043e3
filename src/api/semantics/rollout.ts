/** Semantic checks of a schema-valid Rollout, shared by the controller and `sluice lint`. */
import { parseDuration } from '../duration.js';
import { error, warning, type Problem } from '../problem.js';
import type { Rollout } from '../schema/rollout.js';
import { checkSchedule } from './schedule.js';

const STEPS = ['spec', 'strategy', 'canary', 'steps'];
const HOST = /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$|^\*$/;
const GATEWAY = /^mesh$|^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

function checkSteps(rollout: Rollout): Problem[] {
  const problems: Problem[] = [];
  const steps = rollout.spec.strategy.canary.steps;
  let firstTraffic: number | undefined;
  let lastWeight: { index: number; weight: number } | undefined;
  steps.forEach((step, i) => {
    if (step.setWeight !== undefined) {
      lastWeight = { index: i, weight: step.setWeight };
      if (step.setWeight > 0) firstTraffic ??= i;
    } else if (step.pause?.duration !== undefined && (parseDuration(step.pause.duration) ?? 0) <= 0) {
      problems.push(
        error(
          [...STEPS, i, 'pause', 'duration'],
          'must be longer than 0s; remove the step, or write pause: {} to wait for a promote command',
        ),
      );
    } else if (step.analysis !== undefined && firstTraffic === undefined) {
      problems.push(
        warning(
          [...STEPS, i, 'analysis'],
          'runs before any setWeight sends traffic to the canary, so it measures nothing; move it after a setWeight step',
        ),
      );
    }
  });
  if (firstTraffic === undefined) {
    problems.push(
      error(
        STEPS,
        'no step sends traffic to the canary: add a setWeight step above 0 (e.g. setWeight: 10) before it is promoted',
      ),
    );
  } else if (lastWeight !== undefined && lastWeight.weight === 0) {
    problems.push(
      error(
        [...STEPS, lastWeight.index, 'setWeight'],
        'the canary ends at weight 0 and would be promoted without traffic; end at a weight above 0',
      ),
    );
  }
  const background = rollout.spec.strategy.canary.analysis;
  if (background?.startingStep !== undefined && background.startingStep >= steps.length) {
    problems.push(
      error(
        ['spec', 'strategy', 'canary', 'analysis', 'startingStep'],
        `is ${background.startingStep}, but there are only ${steps.length} steps (0-${steps.length - 1})`,
      ),
    );
  }
  return problems;
}

function checkService(rollout: Rollout): Problem[] {
  const problems: Problem[] = [];
  const svc = rollout.spec.service;
  const base = ['spec', 'service'];
  (svc.hosts ?? []).forEach((h, i) => {
    if (!HOST.test(h))
      problems.push(
        error(
          [...base, 'hosts', i],
          `"${h}" is not a host name; use e.g. podinfo, podinfo.demo.svc.cluster.local or app.example.com`,
        ),
      );
  });
  (svc.gateways ?? []).forEach((g, i) => {
    if (!GATEWAY.test(g))
      problems.push(error([...base, 'gateways', i], `"${g}" is not a gateway; use <namespace>/<name>, <name> or mesh`));
  });
  const timeout = parseDuration(svc.timeout ?? '15s') ?? 0;
  const perTry = svc.retries?.perTryTimeout === undefined ? undefined : parseDuration(svc.retries.perTryTimeout);
  if (perTry !== undefined && perTry > timeout) {
    problems.push(
      warning(
        [...base, 'retries', 'perTryTimeout'],
        `is longer than the route timeout (${svc.timeout ?? '15s'}), so no retry can happen`,
      ),
    );
  }
  if (rollout.spec.virtualServiceRef !== undefined) {
    for (const field of ['hosts', 'gateways', 'match', 'retries', 'headers'] as const) {
      if (svc[field] !== undefined)
        problems.push(
          warning(
            [...base, field],
            'is ignored with spec.virtualServiceRef: the adopted VirtualService keeps its own routing; only weights are edited',
          ),
        );
    }
  }
  return problems;
}

export function checkRolloutSemantics(rollout: Rollout): Problem[] {
  return [
    ...checkSteps(rollout),
    ...checkService(rollout),
    ...checkAutoscalerRef(rollout),
    ...checkSchedule(rollout.spec.schedule, ['spec', 'schedule']),
  ];
}

const AUTOSCALER_API: Record<string, string> = {
  HorizontalPodAutoscaler: 'autoscaling/v2',
  ScaledObject: 'keda.sh/v1alpha1',
};

function checkAutoscalerRef(rollout: Rollout): Problem[] {
  const ref = rollout.spec.autoscalerRef;
  if (ref === undefined) return [];
  const path = ['spec', 'autoscalerRef'];
  const problems: Problem[] = [];
  if (AUTOSCALER_API[ref.kind] !== ref.apiVersion)
    problems.push(error([...path, 'apiVersion'], `a ${ref.kind} is ${AUTOSCALER_API[ref.kind] ?? '?'}`));
  if (ref.primaryScalerQueries !== undefined && ref.kind !== 'ScaledObject')
    problems.push(error([...path, 'primaryScalerQueries'], 'only a ScaledObject has trigger queries; remove it'));
  return problems;
}
