/** Fault injection for tests: latency, a share of failed answers, and watch streams cut short. */
import { ApiError, errors } from './status.js';

export interface FaultConfig {
  /** Added to every request, in ms. */
  latencyMs: number;
  /** Share (0..1) of writes answered 409 Conflict. */
  conflictRate: number;
  /** Share (0..1) of requests answered 500. */
  errorRate: number;
  /** Share (0..1) of requests answered 429 with Retry-After. */
  throttleRate: number;
  /** Cut every watch stream after this many ms (0 = never). */
  dropWatchesAfterMs: number;
  /**
   * Each watch stream delivers its events late by its own delay, drawn once between 0 and this
   * many ms (order kept): clients see a change at different times, as under a loaded API server.
   */
  watchDelayMs: number;
}

export const NO_FAULTS: FaultConfig = {
  latencyMs: 0,
  conflictRate: 0,
  errorRate: 0,
  throttleRate: 0,
  dropWatchesAfterMs: 0,
  watchDelayMs: 0,
};

export class Faults {
  config: FaultConfig = { ...NO_FAULTS };
  private readonly openWatches = new Set<(abrupt: boolean) => void>();

  /** Registers an open watch stream; returns the function that forgets it. */
  watchOpened(cut: (abrupt: boolean) => void): () => void {
    this.openWatches.add(cut);
    return () => this.openWatches.delete(cut);
  }

  /**
   * Ends every open watch stream now: cleanly (as the API server ends a watch at its timeout) or,
   * when `abrupt`, by resetting the connection (a crashed server or a broken proxy).
   */
  cutWatches(abrupt = false): number {
    const cuts = [...this.openWatches];
    this.openWatches.clear();
    for (const cut of cuts) cut(abrupt);
    return cuts.length;
  }

  constructor(private readonly random: () => number = Math.random) {}

  /** The delay of a new watch stream's events. */
  watchDelay(): number {
    return Math.floor(this.random() * this.config.watchDelayMs);
  }

  set(partial: Partial<FaultConfig>): FaultConfig {
    for (const [key, value] of Object.entries(partial)) {
      if (!(key in NO_FAULTS) || typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw errors.badRequest(`fault ${key}: expected a number >= 0`);
    }
    this.config = { ...this.config, ...partial };
    return this.config;
  }

  /** The failure to answer instead of serving this request, if any. Watches are not failed. */
  failure(isWrite: boolean, isWatch: boolean): ApiError | undefined {
    if (isWatch) return undefined;
    const c = this.config;
    if (c.errorRate > 0 && this.random() < c.errorRate) return errors.internal('injected fault');
    if (c.throttleRate > 0 && this.random() < c.throttleRate) return errors.tooManyRequests(1);
    if (isWrite && c.conflictRate > 0 && this.random() < c.conflictRate)
      return new ApiError(
        409,
        'Conflict',
        'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again (injected fault)',
      );
    return undefined;
  }
}
