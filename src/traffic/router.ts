/** The seam between a rollout and whatever splits its traffic (Istio today). */
import type { Rollout } from '../api/schema/rollout.js';

export interface TrafficRouter {
  /** Creates the routing objects if they are missing (100% to the primary). */
  ensure(rollout: Rollout): Promise<void>;
  /** Routes `canaryWeight`% to the canary and the rest to the primary. */
  setWeight(rollout: Rollout, canaryWeight: number): Promise<void>;
  /** The canary weight in effect, from the cache; undefined when no routing exists. */
  weight(rollout: Rollout): number | undefined;
}
