/**
 * The events channel: each run decision as a CloudEvent, POSTed (structured mode,
 * `application/cloudevents+json`) to the Rollout's `spec.notifications.webhook.url` and to the
 * controller's `--event-webhook`, through the outbox — at least once, retried, in order per run,
 * never holding up a rollout. With a secret the body is signed: `X-Sluice-Signature-256:
 * sha256=<HMAC-SHA256 of the body, hex>` (as GitHub signs its webhooks). Receivers drop repeats by
 * the event id (CloudEvents: source + id identify an event).
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Rollout } from '../../api/schema/rollout.js';
import { statusOf, type Kube } from '../../kube/client.js';
import type { OutboxMessage } from '../../queue/outbox.js';
import type { Channel } from '../notifier.js';
import type { RunSnapshot } from '../run-report.js';
import { runEvents, type CloudEvent } from './cloudevents.js';

export const SIGNATURE_HEADER = 'X-Sluice-Signature-256';

/** Where events go: a URL, and the signing secret (a Secret's key, or the controller's own). */
interface Destination {
  url: string;
  secret?: { namespace: string; name: string; key: string } | 'controller';
}

interface Payload extends Destination {
  event: CloudEvent;
}

export interface EventsOptions {
  kube: Pick<Kube, 'core'>;
  log: Logger;
  /** --event-webhook: every Rollout's events. */
  url?: string | undefined;
  /** --event-webhook-secret: signs the events sent to `url`. */
  secret?: string | undefined;
  timeoutMs?: number;
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class EventsChannel implements Channel {
  readonly name = 'events';

  constructor(private readonly opts: EventsOptions) {}

  wants(r: Rollout): boolean {
    return this.opts.url !== undefined || r.spec.notifications?.webhook !== undefined;
  }

  private destinations(snap: RunSnapshot): Destination[] {
    const out: Destination[] = [];
    const own = snap.webhook;
    if (own !== undefined)
      out.push({
        url: own.url,
        ...(own.secretRef === undefined
          ? {}
          : { secret: { namespace: snap.namespace, name: own.secretRef.name, key: own.secretRef.key ?? 'secret' } }),
      });
    if (this.opts.url !== undefined && this.opts.url !== own?.url)
      out.push({ url: this.opts.url, ...(this.opts.secret === undefined ? {} : { secret: 'controller' as const }) });
    return out;
  }

  messages(prev: RunSnapshot | undefined, snap: RunSnapshot): { id: string; stream: string; payload: Payload }[] {
    const destinations = this.destinations(snap);
    if (destinations.length === 0) return [];
    const events = runEvents(prev, snap);
    return destinations.flatMap((d) =>
      events.map((event) => ({
        id: `${snap.key}|events|${d.url}|${event.id}`,
        stream: `events|${d.url}|${snap.key}`,
        payload: { ...d, event },
      })),
    );
  }

  private async secretOf(d: Destination): Promise<string | undefined> {
    if (d.secret === undefined) return undefined;
    if (d.secret === 'controller') return this.opts.secret;
    const { namespace, name, key } = d.secret;
    let data: Record<string, string> | undefined;
    try {
      data = (await this.opts.kube.core.readNamespacedSecret({ name, namespace })).data;
    } catch (e) {
      throw new Error(
        `the signing Secret ${namespace}/${name} (spec.notifications.webhook.secretRef) could not be read (${String(statusOf(e) ?? (e as Error).message)})`,
        { cause: e },
      );
    }
    const value = data?.[key];
    if (value === undefined)
      throw new Error(
        `the signing Secret ${namespace}/${name} has no key ${key} (spec.notifications.webhook.secretRef)`,
      );
    return Buffer.from(value, 'base64').toString('utf8');
  }

  async deliver(m: OutboxMessage): Promise<void> {
    const p = m.payload as Payload;
    const body = JSON.stringify(p.event);
    const secret = await this.secretOf(p);
    const headers: Record<string, string> = { 'Content-Type': 'application/cloudevents+json; charset=utf-8' };
    if (secret !== undefined) headers[SIGNATURE_HEADER] = signature(secret, body);
    let res: Response;
    try {
      res = await fetch(p.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
        redirect: 'manual',
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      throw new Error(`event ${p.event.type} to ${p.url}: ${err.cause?.code ?? err.name}`, { cause: e });
    }
    await res.body?.cancel();
    if (res.status < 200 || res.status > 299)
      throw new Error(`event ${p.event.type} to ${p.url}: answered ${res.status}`);
    this.opts.log.debug({ id: p.event.id, type: p.event.type, url: p.url }, 'event delivered');
  }
}
