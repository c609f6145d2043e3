/** `sluice get [NAME] [-n NS] [-A] [-o json] [-w]` */
import { Command, Option } from 'commander';
import type { Rollout } from '../api/schema/rollout.js';
import { ResourceCache, ROLLOUTS } from '../controller/cache.js';
import { kubeClients, loadKubeConfig, statusOf, type Kube } from '../kube/client.js';
import { VERSION } from '../version.js';
import type { Io } from './lint-command.js';
import { LiveView, type ViewOutput } from './live-view.js';
import { renderRollouts } from './render-rollouts.js';

interface GetOptions {
  namespace?: string;
  allNamespaces: boolean;
  kubeconfig?: string;
  output: 'table' | 'json';
  watch: boolean;
}

/** Follows the rollouts with an informer and shows them in the live view until `stop` resolves. */
export async function watchRollouts(
  kube: Kube,
  w: {
    namespace: string | undefined;
    name: string | undefined;
    view: LiveView;
    stop: Promise<unknown>;
    onError: (e: unknown) => void;
  },
): Promise<void> {
  const show = (): void =>
    w.view.update(cache.list().filter((r) => w.name === undefined || r.metadata.name === w.name));
  const cache: ResourceCache<Rollout> = new ResourceCache<Rollout>(kube, ROLLOUTS, w.namespace, show, {
    onError: w.onError,
  });
  await cache.start();
  show();
  await w.stop;
  await cache.stop();
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
}

export function getCommand(io: Io, setExitCode: (code: number) => void, out: ViewOutput = process.stdout): Command {
  return new Command('get')
    .description('show rollouts: phase, step, weight, the latest check values')
    .argument('[name]', 'one rollout')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context namespace)')
    .option('-A, --all-namespaces', 'rollouts of every namespace', false)
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
    .option(
      '-w, --watch',
      'keep showing the rollouts as they change (redrawn in place on a terminal, a line per change otherwise) until Ctrl-C',
      false,
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (name: string | undefined, opts: GetOptions) => {
      try {
        const kube = kubeClients(loadKubeConfig(opts.kubeconfig, `sluice-cli/${VERSION}`));
        const namespace = opts.allNamespaces
          ? undefined
          : (opts.namespace ?? kube.config.getContextObject(kube.config.getCurrentContext())?.namespace ?? 'default');
        if (opts.watch) {
          if (opts.output === 'json') throw new Error('--watch shows the live view; leave out -o json');
          await watchRollouts(kube, {
            namespace,
            name,
            view: new LiveView(out),
            stop: untilSignal(),
            onError: (e) => io.err(`sluice get: watch failed, retrying: ${(e as Error).message}`),
          });
          return;
        }
        const gvr = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };
        let rollouts: Rollout[];
        if (name !== undefined)
          rollouts = [
            (await kube.custom.getNamespacedCustomObject({
              ...gvr,
              namespace: namespace ?? 'default',
              name,
            })) as Rollout,
          ];
        else if (namespace === undefined)
          rollouts = ((await kube.custom.listClusterCustomObject(gvr)) as { items: Rollout[] }).items;
        else
          rollouts = ((await kube.custom.listNamespacedCustomObject({ ...gvr, namespace })) as { items: Rollout[] })
            .items;
        io.out(
          opts.output === 'json'
            ? JSON.stringify(name === undefined ? { items: rollouts } : rollouts[0], null, 2)
            : renderRollouts(rollouts, namespace === undefined),
        );
      } catch (e) {
        io.err(`sluice get: ${statusOf(e) === 404 ? `rollout ${name ?? ''} not found` : (e as Error).message}`);
        setExitCode(1);
      }
    });
}
