/**
 * Events are stored once and served by two APIs, as in Kubernetes: core/v1 Event (what
 * `kubectl get events` reads) and events.k8s.io/v1 Event (what controllers write). These map
 * one shape onto the other, field by field as the API server's conversion does.
 */
import type { KubeObject } from './store.js';

/** core/v1 field <-> events.k8s.io/v1 field */
const RENAMES: readonly [string, string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

function rename(obj: KubeObject, pairs: readonly [string, string][], apiVersion: string): KubeObject {
  const out: Record<string, unknown> = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out as KubeObject;
}

export function eventToCore(obj: KubeObject): KubeObject {
  return rename(
    obj,
    RENAMES.map(([core, v1]) => [v1, core]),
    'v1',
  );
}

export function eventToEventsV1(obj: KubeObject): KubeObject {
  return rename(obj, RENAMES, 'events.k8s.io/v1');
}
