/** The closed vocabularies of the API, one documentation line each (STYLE.md #6). */

export const ROLLOUT_PHASES = {
  Initializing: 'Sluice is creating the primary, the services and the routing for the first time.',
  Healthy: 'The stable revision serves all traffic; no run is in progress.',
  Progressing: 'A canary run is moving through its steps.',
  Paused: 'A run is holding its weight: a pause step, a manual pause, a closed window or an inconclusive analysis.',
  Promoting: 'The canary passed; its template is being copied to the primary.',
  RolledBack: 'The last run was aborted or failed; the stable revision serves all traffic.',
  Invalid: 'The Rollout cannot be acted on (bad spec, missing target or template); the message says what to fix.',
} as const;
export type RolloutPhase = keyof typeof ROLLOUT_PHASES;
export const ROLLOUT_PHASE_NAMES = Object.keys(ROLLOUT_PHASES) as RolloutPhase[];

export const MEASUREMENT_PHASES = {
  Pending: 'Not measured yet.',
  Running: 'Measurements are being taken.',
  Successful: 'The value is within its thresholds.',
  Failed: 'The value is outside its thresholds.',
  Inconclusive: 'No verdict: no data, or fewer requests than the minimum sample.',
  Error: 'The metric provider could not be queried or returned something unusable.',
} as const;
export type MeasurementPhase = keyof typeof MEASUREMENT_PHASES;
export const MEASUREMENT_PHASE_NAMES = Object.keys(MEASUREMENT_PHASES) as MeasurementPhase[];

export const COMMAND_ACTIONS = {
  promote: 'Skip the remaining steps (or a pause gate) and promote the canary.',
  abort: 'Roll the canary back now.',
  retry: 'Run a rolled-back revision again.',
  pause: 'Hold the run at its current weight.',
  resume: 'Continue a run held by a pause command.',
} as const;
export type CommandAction = keyof typeof COMMAND_ACTIONS;
export const COMMAND_ACTION_NAMES = Object.keys(COMMAND_ACTIONS) as CommandAction[];
