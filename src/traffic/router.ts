/** The seam between a rollout and whatever splits its traffic (Istio today). */
import type { Rollout } from '../api/schema/rollout.js';
import type { Written } from '../kube/client.js';

export interface TrafficRouter {
  /** Creates the routing objects that are missing (a new VirtualService routes 100% to the primary). */
  ensure(rollout: Rollout): Promise<void>;
  /** Routes `canaryWeight`% to the canary and the rest to the primary; tells what it wrote. */
  setWeight(rollout: Rollout, canaryWeight: number): Promise<Written[]>;
  /** The canary weight in effect, from the cache; undefined when no routing to the canary exists. */
  weight(rollout: Rollout): number | undefined;
  /** The resourceVersion of the object holding the weights, from the cache (changes with every write to it). */
  version(rollout: Rollout): string | undefined;
  /** The routing objects Sluice generates for this rollout that do not exist, as `Kind/name`. */
  missing(rollout: Rollout): string[];
  /**
   * Objects with the names Sluice generates that Sluice did not make, and an adopted object it
   * cannot route with, as `Kind/name: why`: Sluice never routes with them (nor scales for them).
   */
  conflicts(rollout: Rollout): string[];
  /**
   * On deletion: routes all traffic to the Service clients call (spec.service.name) instead of
   * the generated `-primary`/`-canary` Services, which go with the Rollout; tells what it wrote.
   */
  handOver(rollout: Rollout): Promise<Written[]>;
  /** Whether nothing routes to the generated Services any more (from the cache). */
  handedOver(rollout: Rollout): boolean;
  /**
   * The generated routing objects (Sluice's own) whose settings differ from what spec.service says
   * now, as `Kind/name` (from the cache; an adopted object is never Sluice's to converge).
   */
  drift(rollout: Rollout): string[];
  /** Puts them right: only the fields spec.service decides, the weights where they are; tells what it wrote. */
  converge(rollout: Rollout): Promise<Written[]>;
  /** On deletion without a hand-over: the generated routing objects stay, no longer owned by the Rollout. */
  disown(rollout: Rollout): Promise<void>;
}
