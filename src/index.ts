/** The public surface of Sluice as a library (STYLE.md #9): the API types, validation and lint. */
export { VERSION } from './version.js';
export { API_GROUP, API_VERSION, API_GROUP_VERSION, KINDS, buildCrd, renderCrd } from './api/crd.js';
export type { Rollout, RolloutSpec, Step, AnalysisRef } from './api/schema/rollout.js';
export type { RolloutStatus, MetricStatus, Measurement, Command } from './api/schema/rollout-status.js';
export type { AnalysisTemplate, Metric } from './api/schema/analysis-template.js';
export { ROLLOUT_PHASES, MEASUREMENT_PHASES, COMMAND_ACTIONS } from './api/phases.js';
export type { RolloutPhase, MeasurementPhase, CommandAction } from './api/phases.js';
export { classify, validateRollout, validateAnalysisTemplate } from './api/validate-object.js';
export type { TemplateCatalog } from './api/semantics/references.js';
export type { Problem } from './api/problem.js';
export { parseDuration, formatDuration } from './api/duration.js';
export { lintPaths } from './lint/lint.js';
