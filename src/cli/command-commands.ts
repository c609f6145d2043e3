/** `sluice promote|abort|retry|pause|resume NAME`: manual commands, recorded on the Rollout's status. */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { COMMAND_ACTIONS, COMMAND_ACTION_NAMES, type CommandAction } from '../api/phases.js';
import type { Command as RolloutCommand } from '../api/schema/rollout-status.js';
import { kubeClients, loadKubeConfig, statusOf, type Kube } from '../kube/client.js';
import { recordCommand } from '../kube/rollout-writes.js';
import { VERSION } from '../version.js';
import type { Io } from './lint-command.js';

function who(kube: Kube): string {
  return kube.config.getCurrentUser()?.name ?? userInfo().username;
}

export function manualCommands(io: Io, setExitCode: (code: number) => void): Command[] {
  return COMMAND_ACTION_NAMES.map((action: CommandAction) =>
    new Command(action)
      .description(`${COMMAND_ACTIONS[action]} (recorded on the Rollout status, never in spec)`)
      .argument('<name>', 'name of the Rollout')
      .option('-n, --namespace <ns>', 'namespace of the Rollout')
      .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
      .option('--reason <text>', 'why, recorded with the command')
      .option(
        '--force',
        action === 'promote'
          ? 'promote even while the promotion window is closed (recorded with who did it)'
          : 'only for promote',
        false,
      )
      .action(
        async (name: string, opts: { namespace?: string; kubeconfig?: string; reason?: string; force: boolean }) => {
          try {
            const kube = kubeClients(loadKubeConfig(opts.kubeconfig, `sluice-cli/${VERSION}`));
            const namespace =
              opts.namespace ?? kube.config.getContextObject(kube.config.getCurrentContext())?.namespace ?? 'default';
            if (opts.force && action !== 'promote') throw new Error('--force applies to promote only');
            const command: RolloutCommand = {
              id: randomUUID(),
              action,
              user: who(kube),
              source: 'cli',
              at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              ...(opts.reason === undefined ? {} : { reason: opts.reason }),
              ...(opts.force ? { force: true } : {}),
            };
            await recordCommand(kube, { namespace, name }, command);
            io.out(`rollout.sluice.dev/${name}: ${action} requested`);
          } catch (e) {
            const code = statusOf(e);
            io.err(`sluice ${action}: ${code === 404 ? `rollout ${name} not found` : (e as Error).message}`);
            setExitCode(1);
          }
        },
      ),
  );
}
