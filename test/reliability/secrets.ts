/**
 * Where the controller's secrets must never show up: its log, the Events it recorded, the
 * status of every Rollout, and what it posted to GitHub and Slack. Each secret is looked for as
 * given and base64-encoded (as it sits in a Secret, or in a Basic Authorization header).
 */
import { SECRETS, type World } from './world.js';

function needles(): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const [name, value] of Object.entries(SECRETS)) {
    out.push({ name, value }, { name: `${name} (base64)`, value: Buffer.from(value).toString('base64') });
  }
  out.push({
    name: 'prometheusPassword (Basic auth)',
    value: Buffer.from(`sluice:${SECRETS.prometheusPassword}`).toString('base64'),
  });
  return out;
}

/** Each place a secret was found, as "secret in place". */
export function scan(places: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [place, text] of Object.entries(places))
    for (const n of needles()) if (text.includes(n.value)) found.push(`${n.name} in ${place}`);
  return found;
}

export function findSecrets(w: World): string[] {
  const api = w.sb.server.api;
  const all = (group: string, resource: string): unknown[] => {
    const t = api.registry.all().find((x) => x.group === group && x.resource === resource);
    return t === undefined ? [] : api.store.list(t.storageKey);
  };
  const rollouts = all('sluice.dev', 'rollouts') as { status?: unknown }[];
  return scan({
    'the controller log': w.controller.log(),
    Events: JSON.stringify([...all('', 'events'), ...all('events.k8s.io', 'events')]),
    'Rollout status': JSON.stringify(rollouts.map((r) => r.status)),
    'GitHub comments': JSON.stringify(w.github.comments),
    'GitHub commit statuses': JSON.stringify(w.github.statuses),
    'GitHub deployments': JSON.stringify(w.github.deployments),
    'Slack messages': JSON.stringify(w.slack.messages),
  });
}
