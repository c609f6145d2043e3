/**
 * The reduced reliability run (`npm run test:reliability` runs the full one): a few rollouts,
 * good and bad, through SIGKILLs of the controller and every kind of fault at once. Nothing may
 * break an invariant, crash, end otherwise than its profile says, lose or repeat a report, or
 * show a secret.
 */
import { describe, expect, it } from 'vitest';
import { REDUCED } from './run.js';
import { runScenario, summary } from './scenario.js';

describe('reliability (reduced run)', () => {
  it('keeps every invariant through kills and faults, and loses nothing', async () => {
    const results = [];
    for (const o of REDUCED) results.push(await runScenario({ ...o, say: (line) => console.log(line) }));
    console.log(summary(results));
    for (const r of results) {
      expect(r.kills).toBeGreaterThanOrEqual(o(r.name).kills);
      expect({
        violations: r.violations,
        crashes: r.crashes,
        late: r.late,
        lost: r.lost,
        duplicated: r.duplicated,
        secrets: r.secrets,
        failedRequests: r.failedRequests.details,
      }).toEqual({ violations: [], crashes: 0, late: [], lost: [], duplicated: [], secrets: [], failedRequests: [] });
      expect(r.faults.apiErrors + r.faults.apiConflicts).toBeGreaterThan(0);
      expect(r.webhooks.wrong).toEqual([]);
      expect(r.webhooks.answered).toBeGreaterThan(0);
      expect(r.checked.virtualServices).toBeGreaterThan(r.runs);
    }
  }, 300_000);
});

function o(name: string): (typeof REDUCED)[number] {
  return REDUCED.find((x) => x.name === name)!;
}
