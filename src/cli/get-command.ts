/** `sluice get [NAME] [-n NS] [-A] [-o json]` */
import { Command, Option } from 'commander';
import type { Rollout } from '../api/schema/rollout.js';
import { kubeClients, loadKubeConfig, statusOf } from '../kube/client.js';
import { VERSION } from '../version.js';
import type { Io } from './lint-command.js';
import { renderRollouts } from './render-rollouts.js';

export function getCommand(io: Io, setExitCode: (code: number) => void): Command {
  return new Command('get')
    .description('show rollouts: phase, step, weight, the latest check values')
    .argument('[name]', 'one rollout')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context namespace)')
    .option('-A, --all-namespaces', 'rollouts of every namespace', false)
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (name: string | undefined, opts: { namespace?: string; allNamespaces: boolean; kubeconfig?: string; output: 'table' | 'json' }) => {
      try {
        const kube = kubeClients(loadKubeConfig(opts.kubeconfig, `sluice-cli/${VERSION}`));
        const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? kube.config.getContextObject(kube.config.getCurrentContext())?.namespace ?? 'default');
        const gvr = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };
        let rollouts: Rollout[];
        if (name !== undefined) rollouts = [(await kube.custom.getNamespacedCustomObject({ ...gvr, namespace: namespace ?? 'default', name })) as Rollout];
        else if (namespace === undefined) rollouts = ((await kube.custom.listClusterCustomObject(gvr)) as { items: Rollout[] }).items;
        else rollouts = ((await kube.custom.listNamespacedCustomObject({ ...gvr, namespace })) as { items: Rollout[] }).items;
        io.out(opts.output === 'json' ? JSON.stringify(name === undefined ? { items: rollouts } : rollouts[0], null, 2) : renderRollouts(rollouts, namespace === undefined));
      } catch (e) {
        io.err(`sluice get: ${statusOf(e) === 404 ? `rollout ${name ?? ''} not found` : (e as Error).message}`);
        setExitCode(1);
      }
    });
}
