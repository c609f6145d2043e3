/** `sluice lint PATH...` */
import { Command, Option } from 'commander';
import { lintPaths, formatFinding } from '../lint/lint.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export function runLint(paths: readonly string[], opts: { output: 'text' | 'json'; quiet: boolean }, io: Io): number {
  const report = lintPaths(paths);
  const findings = opts.quiet ? report.findings.filter((f) => f.severity === 'error') : report.findings;
  if (opts.output === 'json') {
    io.out(JSON.stringify({ ...report, findings }, null, 2));
  } else {
    for (const f of findings) io.out(formatFinding(f));
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
    io.err(
      `${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')} in ${plural(report.objects, 'object')} from ${plural(report.files, 'file')}`,
    );
  }
  return report.errors > 0 || report.files === 0 ? 1 : 0;
}

export function lintCommand(io: Io, setExitCode: (code: number) => void): Command {
  return new Command('lint')
    .description(
      'validate Rollout and AnalysisTemplate YAML offline (schema, semantics, PromQL syntax, references, GitOps pitfalls)',
    )
    .argument('<paths...>', 'files or folders (folders are searched for .yaml, .yml and .json files)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'print errors only, no warnings', false)
    .action((paths: string[], opts: { output: 'text' | 'json'; quiet: boolean }) => {
      setExitCode(runLint(paths, opts, io));
    });
}
