/**
 * Least privilege, derived from use. Every sandbox of this test run wrote its API audit log
 * (audit.k8s.io/v1 Events, as kube-apiserver writes them) into AUDIT_DIR; this file runs last
 * (vitest.config.ts) and checks the controller's requests — user agent `sluice-controller/…`,
 * across the whole end-to-end suite — against the ClusterRole in deploy/rbac.yaml: nothing used
 * is missing, nothing granted is unused. The same check reads a real cluster's audit log.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_DIR } from '../support/audit.js';
import { find, kustomize } from './manifests.js';

interface AuditEvent {
  verb: string;
  requestURI: string;
  userAgent?: string;
  objectRef?: { apiGroup?: string; resource: string; subresource?: string };
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Granted but not seen in the suite, each with the reason it stays. None today. */
const UNUSED_BUT_NEEDED: Readonly<Record<string, string>> = {};

/** `group resource[/subresource] verb` of a request. */
const permission = (group: string, resource: string, verb: string): string =>
  `${group === '' ? 'core' : group} ${resource} ${verb}`;

function controllerRequests(): AuditEvent[] {
  const files = readdirSync(AUDIT_DIR).filter((f) => f.endsWith('.log'));
  return files.flatMap((f) =>
    readFileSync(join(AUDIT_DIR, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.userAgent?.startsWith('sluice-controller/') === true),
  );
}

const requests = controllerRequests();
const rules = find(kustomize('deploy/'), 'ClusterRole', 'sluice')['rules'] as Rule[];
const granted = new Set(
  rules.flatMap((r) =>
    r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => permission(g, res, v)))),
  ),
);
const used = new Set(
  requests.flatMap((e) =>
    e.objectRef === undefined
      ? []
      : [
          permission(
            e.objectRef.apiGroup ?? '',
            e.objectRef.subresource === undefined
              ? e.objectRef.resource
              : `${e.objectRef.resource}/${e.objectRef.subresource}`,
            e.verb,
          ),
        ],
  ),
);

describe('the ClusterRole against what the controller used in the end-to-end suite', () => {
  it("has the controller's requests to check (run by `npm test`, after the end-to-end files)", () => {
    expect(
      requests.length,
      `no requests of the controller in ${AUDIT_DIR}: run the whole suite (npm test); this file checks what the end-to-end files used`,
    ).toBeGreaterThan(1000);
  });

  it('grants only named groups, resources and verbs (no wildcards)', () => {
    expect(rules.flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs]).filter((x) => x.includes('*'))).toEqual(
      [],
    );
  });

  it('grants everything the controller used', () => {
    expect([...used].filter((p) => !granted.has(p)).sort()).toEqual([]);
  });

  it('grants nothing the controller did not use (documented exceptions aside)', () => {
    expect([...granted].filter((p) => !used.has(p) && UNUSED_BUT_NEEDED[p] === undefined).sort()).toEqual([]);
  });

  it('makes no other requests than discovery, which every authenticated user may (system:discovery)', () => {
    const others = requests.filter((e) => e.objectRef === undefined).map((e) => `${e.verb} ${e.requestURI}`);
    expect(others.filter((r) => !/^get \/(api|apis)(\/[^/]+){0,2}$/.test(r))).toEqual([]);
  });
});
