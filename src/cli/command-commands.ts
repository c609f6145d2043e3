/** `sluice promote|abort|retry|pause|resume NAME`: manual commands, recorded on the Rollout's status. */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { COMMAND_ACTIONS, COMMAND_ACTION_NAMES, type CommandAction } from '../api/phases.js';
import type { Command as RolloutCommand } from '../api/schema/rollout-status.js';
import { kubeClients, loadKubeConfig, statusOf, type Kube } from '../kube/client.js';
import type { Rollout } from '../api/schema/rollout.js';
import { parseDuration } from '../api/duration.js';
import { recordCommand } from '../kube/rollout-writes.js';
import { VERSION } from '../version.js';
import type { Io } from './lint-command.js';

function who(kube: Kube): string {
  return kube.config.getCurrentUser()?.name ?? userInfo().username;
}

const POLL_MS = 250;

/** Waits for the controller to handle command `id` (polling the Rollout); undefined when it did not in `waitMs`. */
export async function handled(
  kube: Kube,
  ref: { namespace: string; name: string },
  id: string,
  waitMs: number,
): Promise<RolloutCommand | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = (await kube.custom.getNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      plural: 'rollouts',
      ...ref,
    })) as Rollout;
    const c = r.status?.commands?.find((x) => x.id === id);
    if (c?.handledAt !== undefined) return c;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

interface CommandOptions {
  namespace?: string;
  kubeconfig?: string;
  reason?: string;
  force: boolean;
  wait: string | boolean;
}

/** What the CLI says once the controller handled the command (or did not); the exit code with it. */
function outcome(action: CommandAction, name: string, c: RolloutCommand | undefined, waited: string): [string, number] {
  if (c === undefined)
    return [
      `rollout.sluice.dev/${name}: ${action} recorded, but not acted on within ${waited} (is the controller running? sluice get ${name} shows when it is)`,
      1,
    ];
  const text = c.outcome ?? 'done.';
  return c.accepted === false
    ? [`rollout.sluice.dev/${name}: ${action} refused: ${text}`, 1]
    : [`rollout.sluice.dev/${name}: ${action} done: ${text}`, 0];
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
      .option('--wait <duration>', 'how long to wait for the controller to act on it and tell the outcome', '15s')
      .option('--no-wait', 'only record the command (exit 0 once it is recorded)')
      .action(async (name: string, opts: CommandOptions) => {
        try {
          const kube = kubeClients(loadKubeConfig(opts.kubeconfig, `sluice-cli/${VERSION}`));
          const namespace =
            opts.namespace ?? kube.config.getContextObject(kube.config.getCurrentContext())?.namespace ?? 'default';
          if (opts.force && action !== 'promote') throw new Error('--force applies to promote only');
          const waitMs = opts.wait === false ? 0 : parseDuration(String(opts.wait));
          if (waitMs === undefined) throw new Error(`--wait ${String(opts.wait)}: not a duration (e.g. 15s, 1m)`);
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
          if (opts.wait === false) {
            io.out(`rollout.sluice.dev/${name}: ${action} requested`);
            return;
          }
          const c = await handled(kube, { namespace, name }, command.id, waitMs);
          const [line, code] = outcome(action, name, c, String(opts.wait));
          if (code === 0) io.out(line);
          else {
            io.err(line);
            setExitCode(code);
          }
        } catch (e) {
          const code = statusOf(e);
          io.err(`sluice ${action}: ${code === 404 ? `rollout ${name} not found` : (e as Error).message}`);
          setExitCode(1);
        }
      }),
  );
}
