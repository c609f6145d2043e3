import { describe, expect, it } from 'vitest';
import { commitFromImage, resolveRelease } from '../../src/notify/release.js';

const SHA = '3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39';
const rollout = (extra: { annotations?: Record<string, string>; repository?: string } = {}): any => ({
  metadata: {
    name: 'podinfo',
    namespace: 'demo',
    ...(extra.annotations === undefined ? {} : { annotations: extra.annotations }),
  },
  spec: {
    targetRef: { name: 'podinfo' },
    service: { name: 'podinfo', port: 9898 },
    strategy: { canary: { steps: [] } },
    ...(extra.repository === undefined ? {} : { notifications: { github: { repository: extra.repository } } }),
  },
});
const src = (
  templateAnnotations?: Record<string, string>,
  images: string[] = ['ghcr.io/x/podinfo:6.7.1'],
  r = rollout(),
) => ({ rollout: r, templateAnnotations, images });
const on = { configured: true };

describe('release resolution', () => {
  it('finds a commit in image tags, never in version numbers', () => {
    expect(commitFromImage('ghcr.io/x/app:3f2a9c1')).toBe('3f2a9c1');
    expect(commitFromImage(`ghcr.io/x/app:sha-${SHA}`)).toBe(SHA);
    expect(commitFromImage('registry:5000/app:v1.2.3-3f2a9c1d')).toBe('3f2a9c1d');
    expect(commitFromImage(`app:3f2a9c1@sha256:${'a'.repeat(64)}`)).toBe('3f2a9c1');
    expect(commitFromImage('ghcr.io/x/app:6.7.1')).toBeUndefined();
    expect(commitFromImage('app:20261126')).toBeUndefined();
    expect(commitFromImage('registry:5000/app')).toBeUndefined();
  });

  it("prefers the pod template annotations, then the Rollout's, then the spec and the image tag", () => {
    const annotated = resolveRelease(
      src({ 'sluice.dev/github-repository': 'org/app', 'sluice.dev/commit': SHA, 'sluice.dev/pull-request': '#42' }),
      on,
    );
    expect(annotated).toEqual({
      release: { repository: 'org/app', commit: SHA, pullRequest: 42, source: 'annotations' },
      condition: {
        ok: true,
        reason: 'Reporting',
        message: 'Runs are reported to org/app (pull request #42, commit 3f2a9c1d8e7b).',
      },
    });
    const fromRollout = resolveRelease(
      src(
        undefined,
        [],
        rollout({ annotations: { 'sluice.dev/github-repository': 'org/other', 'sluice.dev/pull-request': '7' } }),
      ),
      on,
    );
    expect(fromRollout.release).toEqual({ repository: 'org/other', pullRequest: 7, source: 'annotations' });
    const fromSpec = resolveRelease(src(undefined, ['app:abc1234'], rollout({ repository: 'org/app' })), on);
    expect(fromSpec).toMatchObject({
      release: { repository: 'org/app', commit: 'abc1234', source: 'spec' },
      condition: { ok: false, reason: 'LookingUp' },
    });
  });

  it('completes a short commit and a missing pull request with what GitHub said', () => {
    const found = resolveRelease(src(undefined, ['app:abc1234'], rollout({ repository: 'org/app' })), {
      configured: true,
      found: { sha: SHA, pullRequest: 12 },
    });
    expect(found).toMatchObject({
      release: { commit: SHA, pullRequest: 12 },
      condition: { ok: true, reason: 'Reporting' },
    });
    const failed = resolveRelease(src(undefined, ['app:abc1234'], rollout({ repository: 'org/app' })), {
      configured: true,
      lookupError: 'HTTP 502',
    });
    expect(failed.condition).toEqual({
      ok: false,
      reason: 'LookupFailed',
      message: 'Looking up commit abc1234 in org/app failed (HTTP 502); retrying.',
    });
  });

  it('says why a release cannot be reported', () => {
    expect(resolveRelease(src(), on).condition).toMatchObject({ ok: false, reason: 'NoRepository' });
    expect(
      resolveRelease(src(undefined, ['app:6.7.1'], rollout({ repository: 'org/app' })), on).condition,
    ).toMatchObject({ ok: false, reason: 'NoCommit' });
    expect(resolveRelease(src({ 'sluice.dev/github-repository': 'not a repo' }), on).condition).toEqual({
      ok: false,
      reason: 'InvalidAnnotation',
      message: 'the pod template\'s sluice.dev/github-repository annotation: "not a repo" is not owner/name.',
    });
    expect(
      resolveRelease(src({ 'sluice.dev/github-repository': 'org/app', 'sluice.dev/commit': 'main' }), on).condition,
    ).toMatchObject({ reason: 'InvalidAnnotation' });
    expect(
      resolveRelease(
        src({ 'sluice.dev/github-repository': 'org/app', 'sluice.dev/commit': SHA, 'sluice.dev/pull-request': '42' }),
        { configured: false },
      ),
    ).toMatchObject({ release: { pullRequest: 42 }, condition: { ok: false, reason: 'NotConfigured' } });
  });
});
