/**
 * How a simulated pod answers, from its container env: `SANDBOX_ERROR_RATE` (share of 5xx),
 * `SANDBOX_LATENCY_MS` (median) and `SANDBOX_P99_MS` (99th percentile). Latencies are drawn from a
 * log-normal distribution fitted to both, so a P99 query measures what the env says.
 */

export interface Profile {
  errorRate: number;
  medianMs: number;
  p99Ms: number;
}

const Z99 = 2.3263478740408408; // the standard normal's 99th percentile

function number(value: string | undefined, fallback: number, min: number): number {
  const n = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(n) && n >= min ? n : fallback;
}

export function profileOf(env: Readonly<Record<string, string>>): Profile {
  const medianMs = number(env['SANDBOX_LATENCY_MS'], 20, 0.01);
  const p99Ms = Math.max(medianMs, number(env['SANDBOX_P99_MS'], medianMs * 3, 0.01));
  return { errorRate: Math.min(1, number(env['SANDBOX_ERROR_RATE'], 0, 0)), medianMs, p99Ms };
}

/** A standard normal sample (Box-Muller). */
function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function sampleLatencyMs(p: Profile, random: () => number): number {
  const sigma = Math.log(p.p99Ms / p.medianMs) / Z99;
  return Math.exp(Math.log(p.medianMs) + sigma * normal(random));
}

export function sampleStatus(p: Profile, random: () => number): number {
  return random() < p.errorRate ? 500 : 200;
}
