/** A thin layer over @kubernetes/client-node: configuration, the clients Sluice uses, error reading. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  createConfiguration,
  CustomObjectsApi,
  EventsV1Api,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
  wrapHttpLibrary,
  type ApiConstructor,
  type ApiType,
  type KubernetesObject,
  type RequestContext,
} from '@kubernetes/client-node';
import { kubeOperation, observed, type RequestObserver } from '../telemetry/requests.js';

export interface Kube {
  config: KubeConfig;
  objects: KubernetesObjectApi;
  custom: CustomObjectsApi;
  apps: AppsV1Api;
  core: CoreV1Api;
  events: EventsV1Api;
}

/**
 * A KubeConfig that names its client in every request (`User-Agent`), as kubectl does, so that
 * API server audit logs tell the controller's requests from the CLI's.
 */
class AgentKubeConfig extends KubeConfig {
  /** Keep-alive agents by their TLS settings (client-node makes a new agent, so a new connection, per request). */
  private readonly agents = new Map<string, HttpAgent>();

  /** Told of every API request (watches are told by the informer caches). */
  observer: RequestObserver | undefined;

  constructor(private readonly userAgent: string) {
    super();
  }

  /** client-node's own makeApiClient, with requests timed and told to the observer. */
  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster: set current-context');
    const inner = new IsomorphicFetchHttpLibrary();
    const httpApi = wrapHttpLibrary({
      send: (request) =>
        observed(
          this.observer,
          'kubernetes',
          kubeOperation(request.getHttpMethod(), request.getUrl()),
          () => inner.send(request).toPromise(),
          (r) => ('ok' in r ? r.ok.httpStatusCode : undefined),
        ),
    });
    return new apiClientType(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        httpApi,
      }),
    );
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setHeaderParam('User-Agent', this.userAgent);
    const made = context.getAgent();
    if (made !== undefined) context.setAgent(this.pooled(made));
  }

  /**
   * One keep-alive agent per distinct TLS setting, so requests reuse connections (and TLS
   * sessions) like client-go does; a rotated client certificate gets a new agent. Proxy agents
   * are left as they are.
   */
  private pooled(made: HttpAgent): HttpAgent {
    const plain = made.constructor === HttpAgent || made.constructor === HttpsAgent;
    if (!plain) return made;
    const options = (made as HttpAgent & { options: Record<string, unknown> }).options;
    const tls = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map(
      (k) => options[k] ?? null,
    );
    const id = createHash('sha256')
      .update(JSON.stringify([made.constructor.name, ...tls]))
      .digest('hex');
    let agent = this.agents.get(id);
    if (agent === undefined) {
      const Kind = made.constructor as typeof HttpAgent;
      agent = new Kind({ ...options, keepAlive: true });
      this.agents.set(id, agent);
      const oldest = this.agents.keys().next().value;
      if (this.agents.size > 4 && oldest !== undefined) {
        this.agents.get(oldest)?.destroy();
        this.agents.delete(oldest);
      }
    }
    return agent;
  }

  override async applyToFetchOptions(opts: RequestOptions): ReturnType<KubeConfig['applyToFetchOptions']> {
    const init = await super.applyToFetchOptions(opts);
    // client-node builds a Headers object here (the watch requests go this way)
    (init.headers as { set(name: string, value: string): void } | undefined)?.set('User-Agent', this.userAgent);
    return init;
  }
}

/**
 * Loads a kubeconfig from the given path, $KUBECONFIG, ~/.kube/config or the in-cluster service
 * account — and fails clearly instead of client-node's silent fallback to localhost:8080.
 */
export function loadKubeConfig(path?: string, userAgent = 'sluice'): KubeConfig {
  const kc = new AgentKubeConfig(userAgent);
  const candidate = path ?? process.env['KUBECONFIG'] ?? join(homedir(), '.kube', 'config');
  if (path !== undefined || existsSync(candidate)) {
    if (!existsSync(candidate)) throw new Error(`kubeconfig ${candidate} does not exist`);
    kc.loadFromFile(candidate);
  } else if (process.env['KUBERNETES_SERVICE_HOST'] !== undefined) {
    kc.loadFromCluster();
  } else {
    throw new Error('no kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a cluster');
  }
  return kc;
}

/** Tells `observer` of every request made through clients of this config (loaded by loadKubeConfig). */
export function observeKubeRequests(config: KubeConfig, observer: RequestObserver): void {
  if (config instanceof AgentKubeConfig) config.observer = observer;
}

/** The observer of a config's requests, for watches (which client-node makes outside the API clients). */
export function kubeRequestObserver(config: KubeConfig): RequestObserver | undefined {
  return config instanceof AgentKubeConfig ? config.observer : undefined;
}

export function kubeClients(config: KubeConfig): Kube {
  return {
    config,
    objects: KubernetesObjectApi.makeApiClient(config),
    custom: config.makeApiClient(CustomObjectsApi),
    apps: config.makeApiClient(AppsV1Api),
    core: config.makeApiClient(CoreV1Api),
    events: config.makeApiClient(EventsV1Api),
  };
}

/** The HTTP status of a client-node failure (undefined for network errors and bugs). */
export function statusOf(e: unknown): number | undefined {
  return e instanceof ApiException ? (e as ApiException<unknown>).code : undefined;
}

/**
 * A write refused because its object changed since it was read (a 409 on a resourceVersion, a
 * 422 on a JSON patch's `test`): not a failure, a reason to plan again on what is there now.
 */
export class StaleWrite extends Error {}

/**
 * Runs a guarded write; its precondition failing becomes a StaleWrite naming `what`: a 409
 * (resourceVersion), and a 422 only for a JSON patch whose `test` ops are the precondition
 * (`jsonPatchTests`; elsewhere a 422 is a validation error and stays one).
 */
export async function guarded<T>(what: string, write: () => Promise<T>, jsonPatchTests = false): Promise<T> {
  try {
    return await write();
  } catch (e) {
    const code = statusOf(e);
    if (code === 409 || (jsonPatchTests && code === 422))
      throw new StaleWrite(`${what} changed since it was read; planning again`);
    throw e;
  }
}

/** The field manager of every write Sluice makes (server-side field ownership, audit logs). */
export const FIELD_MANAGER = 'sluice';

/** Creates `obj` unless it exists already (409 is success: someone made it). */
export async function createIfMissing(kube: Pick<Kube, 'objects'>, obj: KubernetesObject): Promise<void> {
  try {
    await kube.objects.create(obj, undefined, undefined, FIELD_MANAGER);
  } catch (e) {
    if (statusOf(e) !== 409) throw e;
  }
}

/**
 * An object a write changed, as `Kind/namespace/name`, with the resourceVersion the cache held
 * for it before (undefined when the write created it). A cache has seen the write once it holds
 * another version (resourceVersions are opaque: only equality is meaningful).
 */
export interface Written {
  object: string;
  before: string | undefined;
}

export function written(
  kind: string,
  namespace: string | undefined,
  name: string,
  before: KubernetesObject | undefined,
): Written {
  return { object: `${kind}/${namespace ?? ''}/${name}`, before: before?.metadata?.resourceVersion };
}
