/** Which KEDA trigger queries measure the target's own pods (their copy for the primary would measure the canary). */
import { describe, expect, it } from 'vitest';
import { measuresTarget } from '../../src/lint/autoscaling.js';

describe('a trigger query that measures the target', () => {
  it('selects its pods by a workload or pod label', () => {
    expect(measuresTarget('sum(rate(x{deployment="podinfo"}[1m]))', 'podinfo')).toBe(true);
    expect(measuresTarget('x{destination_workload = "podinfo"}', 'podinfo')).toBe(true);
    expect(measuresTarget('x{pod=~"podinfo-.*"}', 'podinfo')).toBe(true);
  });

  it('not by the Service (all traffic), nor the -primary / -canary names, nor another name', () => {
    expect(measuresTarget('rate(istio_requests_total{destination_service_name="podinfo"}[1m])', 'podinfo')).toBe(false);
    expect(measuresTarget('x{destination_workload="podinfo-primary"}', 'podinfo')).toBe(false);
    expect(measuresTarget('x{app="podinfox"}', 'podinfo')).toBe(false);
    // a name with regex characters is taken literally
    expect(measuresTarget('x{deployment="web.v2"}', 'web.v2')).toBe(true);
    expect(measuresTarget('x{deployment="webxv2"}', 'web.v2')).toBe(false);
  });
});
