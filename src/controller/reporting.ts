/**
 * What a pass needs from release reporting: the release's GitHub origin and whether Slack takes
 * the Rollout's messages (observations for the planner), the images for reports, and — once per
 * rollout after a start — queueing the reports a crash kept from the outbox.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Rollout } from '../api/schema/rollout.js';
import type { GitHubApi } from '../notify/github/api.js';
import { ReleaseLookup } from '../notify/github/lookup.js';
import type { Notifier } from '../notify/notifier.js';
import type { Observations } from '../rollout/model.js';
import { primaryName } from './generated.js';

export interface ReportingOptions {
  github: GitHubApi | undefined;
  notifier?: Notifier;
  slack?: { defaultChannel?: string };
}

const key = (r: Rollout): string => `${r.metadata.namespace ?? ''}/${r.metadata.name}`;

export class Reporting {
  private readonly releases: ReleaseLookup | undefined;
  /** Rollouts whose reports were checked for what a crash kept from the outbox, since the start. */
  private readonly checked = new Set<string>();

  constructor(
    private readonly opts: ReportingOptions | undefined,
    private readonly deployment: (namespace: string | undefined, name: string) => V1Deployment | undefined,
    enqueue: (key: string) => void,
    private readonly log: Logger,
  ) {
    this.releases = opts === undefined ? undefined : new ReleaseLookup(opts.github, (ks) => ks.forEach(enqueue), log);
  }

  /** The reporting observations of a pass: the release and Slack's state, each absent when not used. */
  async observe(rollout: Rollout): Promise<Pick<Observations, 'release' | 'slack'>> {
    const release = this.releases?.observe(
      rollout,
      this.deployment(rollout.metadata.namespace, rollout.spec.targetRef.name),
    );
    const slack = await this.slack(rollout);
    return { ...(release === undefined ? {} : { release }), ...(slack === undefined ? {} : { slack }) };
  }

  /** Once per rollout after a start: reports a crash kept from the outbox are queued (see Notifier.catchUp). */
  async catchUp(rollout: Rollout): Promise<void> {
    const notifier = this.opts?.notifier;
    const k = key(rollout);
    if (notifier === undefined || this.checked.has(k)) return;
    try {
      await notifier.catchUp(rollout, { images: this.images(rollout) });
      this.checked.add(k);
    } catch (err) {
      this.log.warn(
        { rollout: k, err: (err as Error).message },
        'reports not checked after the start; trying again on the next pass',
      );
    }
  }

  /** Forgets the rollouts that are gone. */
  retain(keys: ReadonlySet<string>): void {
    for (const k of this.checked) if (!keys.has(k)) this.checked.delete(k);
  }

  /** The images of the primary and the canary, for reports. */
  images(rollout: Rollout): { stable?: string; canary?: string } {
    const image = (name: string): string | undefined =>
      this.deployment(rollout.metadata.namespace, name)?.spec?.template.spec?.containers[0]?.image;
    const stable = image(primaryName(rollout));
    const canary = image(rollout.spec.targetRef.name);
    return { ...(stable === undefined ? {} : { stable }), ...(canary === undefined ? {} : { canary }) };
  }

  /** Whether Slack takes the Rollout's messages: undefined when Slack is not used for it. */
  private async slack(rollout: Rollout): Promise<Observations['slack']> {
    const slack = this.opts?.slack;
    const notifier = this.opts?.notifier;
    const channel = rollout.spec.notifications?.slack?.channel ?? slack?.defaultChannel;
    if (slack === undefined || notifier === undefined || channel === undefined) return undefined;
    const problem = await notifier.problem('slack', key(rollout)).catch(() => undefined);
    return problem === undefined
      ? { ok: true, reason: 'Reporting', message: `Runs are reported in Slack channel ${channel}.` }
      : { ok: false, reason: problem.reason, message: problem.message };
  }
}
