/**
 * The whole sandbox: API emulator with Istio's CRDs, workload and mesh simulators, a real
 * Prometheus scraping the mesh, and Redis. `startSandbox()` is what `sluice sandbox up`, the demo
 * and the end-to-end tests use; `stop()` stops everything it started.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kubeconfigFor, startApiServer, type ApiServer } from './apiserver/index.js';
import { ISTIO_CRDS } from './mesh/istio-crds.js';
import { KEDA_CRDS } from './keda/crds.js';
import { KedaOperator } from './keda/operator.js';
import { MeshSimulator, type ClientHeader, type MeshOptions } from './mesh/mesh.js';
import { startPrometheus, type PrometheusServer } from './processes/prometheus.js';
import { startRedis, type RedisServer } from './processes/redis.js';
import { WorkloadSimulator } from './workloads/simulator.js';
import { HpaController } from './workloads/hpa-controller.js';
import { JobController } from './workloads/job-controller.js';

export interface SandboxOptions {
  /** Where kubeconfig, sandbox.json and Prometheus data go; a temp folder by default. */
  dir?: string;
  /** Requests per second to every VirtualService host. */
  rps?: number;
  /** How long routing changes take to reach the mesh's proxies (default 1 s, as Istio's config push). */
  propagationDelayMs?: number;
  /** How often Prometheus scrapes the mesh, as a Prometheus duration (default `1s`). */
  scrapeInterval?: string;
  /** How often the HorizontalPodAutoscaler controller syncs (default 15 s, as kube-controller-manager). */
  hpaSyncMs?: number;
  /** Requests per second from clients outside the mesh to each Service the load generator calls (default 0). */
  outsideRps?: number;
  /** Headers the load generator sets on a share of its requests. */
  clientHeaders?: readonly ClientHeader[];
  /** Use this Redis instead of starting one; `false` for no Redis at all. */
  redisUrl?: string | false;
  /** Start Prometheus (default true). */
  prometheus?: boolean;
  apiPort?: number;
  readyDelayMs?: number;
  /**
   * Write the API server's audit log to this file (audit.k8s.io/v1 Events, one per line). By
   * default a file in $SLUICE_SANDBOX_AUDIT_DIR when that is set (the test suite collects every
   * sandbox's log there, to check the controller's RBAC against what it used), else none.
   */
  auditLog?: string;
}

export interface SandboxInfo {
  apiServer: string;
  prometheus: string | undefined;
  redis: string | undefined;
  mesh: string;
  kubeconfig: string;
  /** How often that Prometheus scrapes the mesh: what a controller on this sandbox gets as --scrape-interval. */
  scrapeInterval: string;
}

export interface Sandbox extends SandboxInfo {
  dir: string;
  server: ApiServer;
  meshSimulator: MeshSimulator;
  workloads: WorkloadSimulator;
  /** The Prometheus process, to stop and start it (an outage) in tests. */
  prometheusServer: PrometheusServer | undefined;
  pids(): number[];
  stop(): Promise<void>;
}

function meshOptions(opts: SandboxOptions): MeshOptions {
  return {
    rps: opts.rps ?? 20,
    propagationDelayMs: opts.propagationDelayMs ?? 1000,
    outsideRps: opts.outsideRps ?? 0,
    clientHeaders: opts.clientHeaders ?? [],
  };
}

/** A fresh file in $SLUICE_SANDBOX_AUDIT_DIR, when that is set. */
function defaultAuditLog(): string | undefined {
  const dir = process.env['SLUICE_SANDBOX_AUDIT_DIR'];
  return dir === undefined || dir === ''
    ? undefined
    : join(dir, `audit-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.log`);
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), 'sluice-sandbox-')));
  mkdirSync(dir, { recursive: true });
  const auditLogPath = opts.auditLog ?? defaultAuditLog();
  const server = await startApiServer({
    ...(opts.apiPort === undefined ? {} : { port: opts.apiPort }),
    ...(auditLogPath === undefined ? {} : { auditLogPath }),
  });
  const crdType = server.api.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  if (crdType === undefined) throw new Error('the API emulator serves no CustomResourceDefinitions');
  for (const crd of [...ISTIO_CRDS, ...KEDA_CRDS]) server.api.create(crdType, undefined, crd);
  const workloads = new WorkloadSimulator(server.api, { readyDelayMs: opts.readyDelayMs ?? 500 });
  workloads.start();
  const mesh = new MeshSimulator(server.api, meshOptions(opts));
  mesh.start();
  const autoscaler = new HpaController(server.api, mesh.load, { syncMs: opts.hpaSyncMs });
  autoscaler.start();
  const keda = new KedaOperator(server.api);
  keda.start();
  const jobs = new JobController(server.api, { send: (host, namespace) => mesh.send({ host, namespace }) });
  jobs.start();
  const meshUrl = await mesh.listen();
  let prometheus: PrometheusServer | undefined;
  let redis: RedisServer | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([prometheus?.child.stop(), redis?.child?.stop()]);
    workloads.stop();
    autoscaler.stop();
    keda.stop();
    jobs.stop();
    await mesh.stop();
    await server.close();
  };
  try {
    if (opts.prometheus !== false)
      prometheus = await startPrometheus(dir, [new URL(meshUrl).host], opts.scrapeInterval);
    if (opts.redisUrl !== false) redis = await startRedis(dir, opts.redisUrl);
  } catch (e) {
    await stop();
    throw e;
  }
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigFor(server.url), { mode: 0o600 });
  const info: SandboxInfo = {
    apiServer: server.url,
    prometheus: prometheus?.url,
    redis: redis?.url,
    mesh: meshUrl,
    kubeconfig,
    scrapeInterval: opts.scrapeInterval ?? '1s',
  };
  writeFileSync(join(dir, 'sandbox.json'), `${JSON.stringify(info, null, 2)}\n`);
  return {
    ...info,
    dir,
    server,
    meshSimulator: mesh,
    workloads,
    prometheusServer: prometheus,
    pids: () => [prometheus?.child.proc.pid, redis?.child?.proc.pid].filter((p): p is number => p !== undefined),
    stop,
  };
}
