/**
 * Which GitHub repository, commit and pull request a release comes from. Pure: the sources are
 * the target's pod template (annotations, images), the Rollout's annotations and
 * spec.notifications.github; what GitHub says about the commit (its full SHA, its pull request)
 * is looked up by the shell and passed in.
 */
import type { Release } from '../api/schema/rollout-status.js';
import type { Rollout } from '../api/schema/rollout.js';

export const RELEASE_ANNOTATIONS = {
  repository: 'sluice.dev/github-repository',
  commit: 'sluice.dev/commit',
  pullRequest: 'sluice.dev/pull-request',
} as const;

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const SHA = /^[0-9a-f]{7,40}$/;

/** What the shell found on GitHub for a repository and commit. */
export interface Found {
  /** The commit's full SHA. */
  sha: string;
  /** The pull request the commit belongs to, if any. */
  pullRequest?: number;
}

/** The GitHubReporting condition: whether runs of this Rollout are reported, and why not. */
export interface ReportingCondition {
  ok: boolean;
  reason:
    'Reporting' | 'NotConfigured' | 'NoRepository' | 'NoCommit' | 'InvalidAnnotation' | 'LookingUp' | 'LookupFailed';
  message: string;
}

export interface ReleaseObservation {
  release?: Release;
  condition: ReportingCondition;
}

/** The commit an image tag names: `:3f2a9c1`, `:sha-3f2a9c1...`, `:v1.2.3-3f2a9c1` (7 to 40 hex digits). */
export function commitFromImage(image: string): string | undefined {
  const tag = /:([^:/@]+)(?:@|$)/.exec(image)?.[1];
  if (tag === undefined) return undefined;
  const m = /(?:^|[-_.])(?:sha-|g)?([0-9a-f]{7,40})$/.exec(tag);
  // A tag of digits only (a date, a build number) is not a commit.
  return m?.[1] !== undefined && /[a-f]/.test(m[1]) ? m[1] : undefined;
}

interface Sources {
  rollout: Rollout;
  templateAnnotations: Record<string, string> | undefined;
  images: string[];
}

function annotation(src: Sources, key: string): { value: string; where: string } | undefined {
  const t = src.templateAnnotations?.[key];
  if (t !== undefined) return { value: t.trim(), where: `the pod template's ${key} annotation` };
  const r = src.rollout.metadata.annotations?.[key];
  return r === undefined ? undefined : { value: r.trim(), where: `the Rollout's ${key} annotation` };
}

function withPullRequest(src: Sources, base: Release): Release | { problem: ReportingCondition } {
  const pr = annotation(src, RELEASE_ANNOTATIONS.pullRequest);
  if (pr === undefined) return base;
  const n = pr.value.replace(/^#/, '');
  if (!/^[1-9]\d{0,9}$/.test(n))
    return {
      problem: {
        ok: false,
        reason: 'InvalidAnnotation',
        message: `${pr.where}: "${pr.value}" is not a pull request number.`,
      },
    };
  return { ...base, pullRequest: Number(n) };
}

/** The release as far as the Kubernetes objects tell, or why it cannot be reported. */
export function releaseOf(src: Sources): { release: Release; commitFrom: string } | { problem: ReportingCondition } {
  const annotated = annotation(src, RELEASE_ANNOTATIONS.repository);
  const repository = annotated?.value ?? src.rollout.spec.notifications?.github?.repository;
  if (repository === undefined)
    return {
      problem: {
        ok: false,
        reason: 'NoRepository',
        message: `No GitHub repository: set the ${RELEASE_ANNOTATIONS.repository} annotation on the pod template or spec.notifications.github.repository.`,
      },
    };
  if (!REPOSITORY.test(repository))
    return {
      problem: {
        ok: false,
        reason: 'InvalidAnnotation',
        message: `${annotated?.where ?? 'spec.notifications.github.repository'}: "${repository}" is not owner/name.`,
      },
    };
  const withPr = withPullRequest(src, { repository, source: annotated === undefined ? 'spec' : 'annotations' });
  if ('problem' in withPr) return withPr;
  const commit = annotation(src, RELEASE_ANNOTATIONS.commit);
  if (commit !== undefined) {
    const sha = commit.value.toLowerCase();
    if (!SHA.test(sha))
      return {
        problem: {
          ok: false,
          reason: 'InvalidAnnotation',
          message: `${commit.where}: "${commit.value}" is not a commit SHA (7 to 40 hex digits).`,
        },
      };
    return { release: { ...withPr, commit: sha }, commitFrom: commit.where };
  }
  const fromImage = src.images.map(commitFromImage).find((c) => c !== undefined);
  if (fromImage !== undefined) return { release: { ...withPr, commit: fromImage }, commitFrom: 'the image tag' };
  if (withPr.pullRequest !== undefined) return { release: withPr, commitFrom: '' };
  return {
    problem: {
      ok: false,
      reason: 'NoCommit',
      message: `No commit for ${repository}: set the ${RELEASE_ANNOTATIONS.commit} annotation, tag the image with the commit SHA, or set ${RELEASE_ANNOTATIONS.pullRequest}.`,
    },
  };
}

/**
 * The release with what GitHub said about it, and the condition to show. `found` is undefined
 * while the lookup has not answered; `lookupError` when it failed.
 */
export function resolveRelease(
  src: Sources,
  github: { configured: boolean; found?: Found; lookupError?: string },
): ReleaseObservation {
  const own = releaseOf(src);
  if ('problem' in own) return { condition: own.problem };
  let release = own.release;
  if (github.found !== undefined)
    release = {
      ...release,
      commit: github.found.sha,
      ...(release.pullRequest === undefined && github.found.pullRequest !== undefined
        ? { pullRequest: github.found.pullRequest }
        : {}),
    };
  if (!github.configured)
    return {
      release,
      condition: {
        ok: false,
        reason: 'NotConfigured',
        message:
          'The controller has no GitHub credentials (--github-token or a GitHub App): runs are not reported on GitHub.',
      },
    };
  const needsLookup = release.commit !== undefined && (release.commit.length < 40 || release.pullRequest === undefined);
  if (needsLookup && github.found === undefined) {
    if (github.lookupError !== undefined)
      return {
        release,
        condition: {
          ok: false,
          reason: 'LookupFailed',
          message: `Looking up commit ${release.commit ?? ''} in ${release.repository} failed (${github.lookupError}); retrying.`,
        },
      };
    return {
      release,
      condition: {
        ok: false,
        reason: 'LookingUp',
        message: `Looking up commit ${release.commit ?? ''} in ${release.repository}.`,
      },
    };
  }
  const what = [
    release.pullRequest === undefined ? 'no pull request' : `pull request #${release.pullRequest}`,
    release.commit === undefined ? undefined : `commit ${release.commit.slice(0, 12)}`,
  ]
    .filter((x) => x !== undefined)
    .join(', ');
  return {
    release,
    condition: { ok: true, reason: 'Reporting', message: `Runs are reported to ${release.repository} (${what}).` },
  };
}
