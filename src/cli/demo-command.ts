/** `sluice demo`: the whole story on one machine (see src/demo/). */
import { Command } from 'commander';
import { runDemo } from '../demo/demo.js';
import { SCENARIOS } from '../demo/scenarios.js';
import type { Io } from './lint-command.js';

export function demoCommand(io: Io, setExitCode: (code: number) => void): Command {
  return new Command('demo')
    .description(
      'run Sluice on a local sandbox: a good release promoted, bad ones rolled back, a manual gate promoted; live view, summary and an HTML report',
    )
    .option('--scenario <name>', `run one scenario: ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option(
      '--keep',
      'leave the sandbox and the controller up at the end (until Ctrl-C) to explore with kubectl and sluice get --watch',
      false,
    )
    .option('--dir <dir>', 'folder for the sandbox files (kubeconfig, logs, Prometheus data); a temp folder by default')
    .option('--report <file>', 'where to write the HTML report', 'demo-report.html')
    .action(async (opts: { scenario?: string; keep: boolean; dir?: string; report: string }) => {
      const interrupted = new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
      });
      try {
        setExitCode(await runDemo({ ...opts, out: process.stdout, interrupted }));
      } catch (e) {
        io.err(`sluice demo: ${(e as Error).message}`);
        setExitCode(1);
      }
    });
}
