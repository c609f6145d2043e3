/**
 * How busy each pod is: the requests it served (from the mesh and from clients outside it), so
 * that the sandbox's HPA controller can give it a CPU usage — `SANDBOX_CPU_MS_PER_REQUEST` (pod
 * env, default 0) milliseconds of CPU per request, that is millicores at one request a second.
 */
import type { KubeObject } from '../apiserver/store.js';

export class PodLoad {
  private readonly served = new Map<string, number>();

  /** One request answered by `pod`. */
  serve(pod: KubeObject): void {
    const uid = pod.metadata.uid ?? pod.metadata.name;
    this.served.set(uid, (this.served.get(uid) ?? 0) + 1);
  }

  /** Requests served by each pod (by uid) so far. */
  snapshot(): ReadonlyMap<string, number> {
    return new Map(this.served);
  }

  /** Forgets pods that are gone. */
  retain(uids: ReadonlySet<string>): void {
    for (const uid of this.served.keys()) if (!uids.has(uid)) this.served.delete(uid);
  }
}
