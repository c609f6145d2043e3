/** The `sluice` executable: one program, one subcommand per capability. */
import { Command } from 'commander';
import { lintCommand, type Io } from './lint-command.js';
import { sandboxCommand } from './sandbox-command.js';
import { controllerCommand } from './controller-command.js';
import { manualCommands } from './command-commands.js';
import { getCommand } from './get-command.js';
import { statusCommand } from './status-command.js';
import { demoCommand } from './demo-command.js';
import { VERSION } from '../version.js';

export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('sluice')
    .description('Sluice: GitOps progressive delivery for Kubernetes and Istio')
    .version(VERSION)
    .showHelpAfterError();
  program.addCommand(lintCommand(io, setExitCode));
  program.addCommand(sandboxCommand(io));
  program.addCommand(controllerCommand(io, setExitCode));
  program.addCommand(getCommand(io, setExitCode));
  program.addCommand(statusCommand(io, setExitCode));
  for (const c of manualCommands(io, setExitCode)) program.addCommand(c);
  program.addCommand(demoCommand(io, setExitCode));
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const io: Io = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  const program = buildProgram(io, (code) => {
    process.exitCode = code;
  });
  await program.parseAsync([...argv]);
}
