/** The Kubernetes API emulator: `startApiServer()` serves it on 127.0.0.1. */
export { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';
export { kubeconfigFor } from './kubeconfig.js';
export type { AuditEntry } from './audit.js';
export type { FaultConfig } from './faults.js';
