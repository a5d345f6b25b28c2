import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { lint } from '../rules/engine.ts';
import { ProjectLoadError } from '../rules/core/project.ts';
import { allRules } from '../rules/index.ts';
import { unusedSuppressionRule } from '../rules/suppressions.ts';
import type { Severity } from '../rules/types.ts';
import { BaselineError } from './baseline.ts';
import { ConfigError } from './config.ts';
import { EXIT, runLint, UsageError, type CommandIO, type EngineDeps, type LintCommandOptions } from './lint-command.ts';
import { FORMATS, type Format } from './reporters/index.ts';
import { ReviewFileError } from './review/file.ts';
import { REVIEW_FORMATS, runReview } from './review/command.ts';
import { VERSION } from './version.ts';

/** The real engine and rules. */
export function defaultDeps(): EngineDeps {
  return { lint, rules: [...allRules, unusedSuppressionRule], version: VERSION };
}

export function processIO(): CommandIO {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

/**
 * `faultline`'s command line. `argv` is `process.argv` (node, script, args…).
 * Returns the exit code: 0 clean, 1 failing findings, 2 usage, config,
 * project or internal error (one line on stderr, starting `faultline: `).
 */
export function main(argv: readonly string[], io: CommandIO = processIO(), deps: EngineDeps = defaultDeps()): number {
  let code: number = EXIT.clean;
  const program = new Command('faultline')
    .description('Failure-mode linter for TypeScript services: missing timeouts, retries that hammer, handlers unsafe to repeat.')
    .version(deps.version, '-v, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // Errors are printed by the catch below, as one `faultline: ` line.
      outputError: () => {},
    })
    .showSuggestionAfterError(true);

  program
    .command('lint')
    .description('Report failure modes in TypeScript and JavaScript files.')
    .argument('[paths...]', 'files or folders to lint', ['.'])
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fix', 'apply safe fixes and write the files')
    .option('--unsafe-fixes', 'with --fix, also apply fixes that change runtime behaviour')
    .option('--rule <id=severity>', 'set a rule to off|info|warn|error (repeatable)', collect)
    .option('-c, --config <file>', 'configuration file (default: faultline.config.json in the cwd or above the first path)')
    .option('-p, --project <tsconfig>', 'tsconfig to analyse instead of discovering them (repeatable)', collect)
    .option('--quiet', 'report errors only')
    .option('--max-warnings <n>', 'exit with 1 when there are more warnings than this', parseCount)
    .option('--baseline <file>', 'ignore findings recorded in this baseline file')
    .option('--baseline-write <file>', 'record the current findings in a baseline file')
    .addOption(new Option('--fail-on <severity>', 'lowest severity that makes the exit code 1').choices(['error', 'warning', 'warn', 'info']).default('error'))
    .action((paths: string[], raw: RawLintOptions) => {
      code = runLint(toLintOptions(paths, raw), io, deps);
    });

  program
    .command('review')
    .description('Print the design-review checklist with the evidence from the code and the answers of .faultline/review.json; exit 1 while a required item is not met.')
    .argument('[paths...]', 'files or folders to take evidence from', ['.'])
    .addOption(new Option('-f, --format <format>', 'output format (markdown for a pull request comment or $GITHUB_STEP_SUMMARY)').choices(REVIEW_FORMATS).default('markdown'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('-c, --config <file>', 'configuration file (default: faultline.config.json in the cwd or above the first path)')
    .option('-p, --project <tsconfig>', 'tsconfig to analyse instead of discovering them (repeatable)', collect)
    .option('--link-base <url>', 'link places to <url>/<path>#L<line> (default in GitHub Actions: the commit on github.com)')
    .action((paths: string[], raw: { format: 'markdown' | 'json'; output?: string; config?: string; project?: string[]; linkBase?: string }) => {
      code = runReview({ paths: paths.length > 0 ? paths : ['.'], format: raw.format, output: raw.output, config: raw.config, project: raw.project ?? [], linkBase: raw.linkBase }, io);
    });

  try {
    program.parse(argv as string[], { from: 'node' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end in a CommanderError too, with exit code 0.
      if (err.exitCode === 0) return EXIT.clean;
      if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed') return EXIT.error;
      io.stderr(`faultline: ${oneLine(err.message.replace(/^error: /, ''))}\n`);
      return EXIT.error;
    }
    io.stderr(`${describeError(err, io.env.FAULTLINE_DEBUG !== undefined)}\n`);
    return EXIT.error;
  }
}

interface RawLintOptions {
  format: Format;
  output?: string;
  fix?: boolean;
  unsafeFixes?: boolean;
  rule?: string[];
  config?: string;
  project?: string[];
  quiet?: boolean;
  maxWarnings?: number;
  baseline?: string;
  baselineWrite?: string;
  failOn: 'error' | 'warning' | 'warn' | 'info';
}

function toLintOptions(paths: string[], raw: RawLintOptions): LintCommandOptions {
  const failOn: Severity = raw.failOn === 'warn' ? 'warning' : raw.failOn;
  return {
    paths: paths.length > 0 ? paths : ['.'],
    format: raw.format,
    output: raw.output,
    fix: raw.fix === true,
    unsafeFixes: raw.unsafeFixes === true,
    rule: raw.rule ?? [],
    config: raw.config,
    project: raw.project ?? [],
    quiet: raw.quiet === true,
    maxWarnings: raw.maxWarnings,
    baseline: raw.baseline,
    baselineWrite: raw.baselineWrite,
    failOn,
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer.');
  return Number(value);
}

/** The one line printed for an error: expected ones by their message, others as internal errors. */
function describeError(err: unknown, debug: boolean): string {
  const expected =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    err instanceof BaselineError ||
    err instanceof ReviewFileError ||
    err instanceof ProjectLoadError ||
    // A file system error (`EACCES: permission denied, open 'out.sarif'`) says what went wrong.
    (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string');
  const message = err instanceof Error ? err.message : String(err);
  const line = `faultline: ${expected ? '' : 'internal error: '}${oneLine(message)}`;
  return debug && err instanceof Error && err.stack ? `${line}\n${err.stack}` : line;
}

function oneLine(s: string): string {
  return s.trim().replace(/\s*\r?\n\s*/g, ' ');
}
