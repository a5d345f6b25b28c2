import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LintRequest, LintResult, InternalError } from '../rules/engine.ts';
import { applySuppressions, UNUSED_SUPPRESSION_RULE_ID } from '../rules/suppressions.ts';
import type { AnalysisOptions, Finding, RuleMeta, Severity, SeveritySetting } from '../rules/types.ts';
import { applyBaseline, readBaseline, writeBaseline } from './baseline.ts';
import { loadConfig, parseSeverity } from './config.ts';
import { applyEdits, countHiddenUnsafeFixes, planFixes } from './fixes.ts';
import { report, type Format } from './reporters/index.ts';
import { atLeast, plural } from './reporters/types.ts';

/** `faultline lint`'s options, as the command line gives them. */
export interface LintCommandOptions {
  paths: string[];
  format: Format;
  output?: string;
  fix: boolean;
  unsafeFixes: boolean;
  /** `--rule id=severity`, repeated. */
  rule: string[];
  config?: string;
  project: string[];
  quiet: boolean;
  maxWarnings?: number;
  baseline?: string;
  baselineWrite?: string;
  failOn: Severity;
}

/** Where the command reads and writes; the process in production, buffers in tests. */
export interface CommandIO {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

/** The engine, passed in so that the command can run on a fake one in tests. */
export interface EngineDeps {
  lint(req: LintRequest): LintResult;
  /** Metadata of every rule (`unused-suppression` included): ids for validation, descriptors for SARIF. */
  rules: readonly RuleMeta[];
  version: string;
}

/** A mistake in the command line. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Passes of fix-then-relint, as ESLint's limit: fixes that collide wait for a later pass. */
const MAX_FIX_PASSES = 10;

/** Exit codes: 0 clean, 1 failing findings (or too many warnings), 2 the tool could not do its job. */
export const EXIT = { clean: 0, findings: 1, error: 2 } as const;

/**
 * Runs `faultline lint`: configuration, analysis, fixes, baseline, report
 * and exit code. Throws `UsageError`, `ConfigError`, `BaselineError` or the
 * engine's `ProjectLoadError`; the caller turns them into one line and exit 2.
 */
export function runLint(opts: LintCommandOptions, io: CommandIO, deps: EngineDeps): number {
  if (opts.unsafeFixes && !opts.fix) throw new UsageError('--unsafe-fixes only applies with --fix');
  const knownRules = deps.rules.map((r) => r.id);
  const overrides = parseRuleOverrides(opts.rule, knownRules);
  const config = loadConfig({ cwd: io.cwd, configPath: opts.config, paths: opts.paths, knownRules });
  const root = config.root;
  const options: AnalysisOptions = { ...config.options, rules: { ...config.options.rules, ...overrides } };
  // Read before analysing, so that a broken baseline fails before --fix writes anything.
  const baseline = opts.baseline ? readBaseline(path.resolve(io.cwd, opts.baseline), opts.baseline) : undefined;

  const progress = io.stderrIsTTY
    ? (done: number, total: number) => io.stderr(`\ranalysing ${done}/${total} ${total === 1 ? 'project' : 'projects'}…\u001b[K`)
    : undefined;
  const request: LintRequest = {
    paths: opts.paths.map((p) => path.resolve(io.cwd, p)),
    cwd: root,
    tsconfigs: opts.project.length > 0 ? opts.project.map((p) => path.resolve(io.cwd, p)) : undefined,
    ignore: config.ignore,
    options,
    onProgress: progress,
    // Parse every file, ignoring the rules' prefilters: to check that they lose nothing (the benchmark does).
    ...(process.env.FAULTLINE_PARSE_ALL === '1' ? { parseAll: true } : {}),
  };
  const knownDisabled = knownRules.filter((id) => options.rules[id] === 'off');
  const analyse = (req: LintRequest): LintResult => settleUnusedSuppressions(deps.lint(req), root, options, knownDisabled);
  let result = analyse(request);
  if (progress) io.stderr('\r\u001b[K');
  if (process.env.FAULTLINE_TIMING && result.timing) {
    const t = result.timing;
    const rules = Object.entries(t.ruleMs).map(([id, ms]) => `${id} ${ms}`).join(', ');
    io.stderr(`faultline: load ${t.loadMs} ms (reading and choosing files ${t.selectMs} ms; ${t.parsedFiles} files parsed, ${t.skippedFiles} skipped by the prefilter), analysis ${t.analyseMs} ms (${rules})\n`);
  }

  if (opts.fix) {
    const fixed = fixLoop(result, request, opts.unsafeFixes, analyse);
    result = fixed.result;
    io.stderr(`${fixed.applied} ${fixed.applied === 1 ? 'fix' : 'fixes'} applied\n`);
    const hidden = opts.unsafeFixes ? 0 : countHiddenUnsafeFixes(result.findings);
    if (hidden > 0) io.stderr(`${hidden} hidden ${hidden === 1 ? 'fix' : 'fixes'} can be enabled with --unsafe-fixes\n`);
  }

  let findings = result.findings;
  if (opts.baselineWrite) {
    const file = path.resolve(io.cwd, opts.baselineWrite);
    const written = writeBaseline(file, findings, root);
    io.stderr(`wrote ${plural(written.findings.length, 'finding')} to baseline ${opts.baselineWrite}\n`);
    findings = applyBaseline(findings, written).findings;
  }
  if (baseline) findings = applyBaseline(findings, baseline).findings;

  const active = findings.filter((f) => !f.suppression);
  const failing = active.some((f) => atLeast(f.severity, opts.failOn));
  const warnings = active.filter((f) => f.severity === 'warning').length;
  const tooManyWarnings = opts.maxWarnings !== undefined && warnings > opts.maxWarnings;

  const shown = opts.quiet ? findings.filter((f) => f.severity === 'error') : findings;
  const toFile = opts.output !== undefined;
  const color = opts.format === 'text' && !toFile && io.stdoutIsTTY && io.env.NO_COLOR === undefined;
  const text = report(opts.format, shown, { root, rules: deps.rules, toolVersion: deps.version, color });
  if (toFile) {
    const file = path.resolve(io.cwd, opts.output!);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  } else if (text) {
    io.stdout(text);
  }

  if (tooManyWarnings) io.stderr(`faultline: too many warnings (${warnings}); the maximum allowed is ${opts.maxWarnings}\n`);
  for (const e of result.internalErrors) io.stderr(`${describeInternalError(e, root, io.env.FAULTLINE_DEBUG !== undefined)}\n`);

  if (result.internalErrors.length > 0) return EXIT.error;
  return failing || tooManyWarnings ? EXIT.findings : EXIT.clean;
}

/** `--rule id=severity` values, checked against the known rules. */
export function parseRuleOverrides(values: readonly string[], knownRules: readonly string[]): Record<string, SeveritySetting> {
  const known = new Set([...knownRules, UNUSED_SUPPRESSION_RULE_ID]);
  const out: Record<string, SeveritySetting> = {};
  for (const value of values) {
    const eq = value.lastIndexOf('=');
    const id = eq < 0 ? value : value.slice(0, eq).trim();
    const severity = eq < 0 ? undefined : parseSeverity(value.slice(eq + 1).trim());
    if (severity === undefined) throw new UsageError(`invalid --rule "${value}": expected <rule-id>=off|info|warn|error`);
    if (!known.has(id)) throw new UsageError(`unknown rule "${id}" in --rule (known rules: ${[...known].sort().join(', ')})`);
    out[id] = severity;
  }
  return out;
}

/**
 * Applies fixes, re-lints the files it changed and repeats while fixes
 * apply (at most `MAX_FIX_PASSES` times). Returns the findings of the
 * files as they are now.
 */
function fixLoop(initial: LintResult, request: LintRequest, unsafe: boolean, analyse: (req: LintRequest) => LintResult): { result: LintResult; applied: number } {
  let result = initial;
  let applied = 0;
  for (let pass = 0; pass < MAX_FIX_PASSES; pass++) {
    const plan = planFixes(result.findings, { unsafe });
    if (plan.applied.length === 0) break;
    for (const [file, edits] of plan.edits) writeFixed(file, edits);
    applied += plan.applied.length;
    const changed = new Set(plan.edits.keys());
    // Findings in the files written are stale, and so are those whose fixes edit one of them: a fix
    // planned against the old text (or to create a helper file that now exists) must be planned again.
    const stale = result.findings.filter((f) => changed.has(f.location.file) || f.fixes.some((fix) => fix.edits.some((e) => changed.has(e.file))));
    const reanalysed = new Set([...changed, ...stale.map((f) => f.location.file)]);
    const again = analyse({ ...request, paths: [...reanalysed], onProgress: undefined });
    result = {
      findings: [...result.findings.filter((f) => !reanalysed.has(f.location.file)), ...again.findings].sort(byLocation),
      files: [...new Set([...result.files, ...again.files])],
      internalErrors: dedupeErrors([...result.internalErrors, ...again.internalErrors]),
    };
  }
  return { result, applied };
}

function writeFixed(file: string, edits: { start: number; end: number; newText: string }[]): void {
  // A fix may create a file (an edit at offset 0 of a file that does not exist yet, such as a helper module).
  const exists = fs.existsSync(file);
  if (!exists) fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = exists ? fs.readFileSync(file, 'utf8') : '';
  // TypeScript reads files without their byte order mark: offsets count from after it.
  const bom = raw.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  fs.writeFileSync(file, bom + applyEdits(bom ? raw.slice(1) : raw, edits));
}

/**
 * Recomputes `unused-suppression` findings where the engine reported some,
 * with what only the command knows: their configured severity (`off` drops
 * them) and the rules that did not run (a comment naming a rule that is
 * `off` is not unused, and `--fix` must not delete it). Idempotent, so it
 * stays correct if the engine passes these options itself.
 */
function settleUnusedSuppressions(result: LintResult, root: string, options: AnalysisOptions, disabledRuleIds: string[]): LintResult {
  const files = new Set(result.findings.filter((f) => f.ruleId === UNUSED_SUPPRESSION_RULE_ID).map((f) => f.location.file));
  if (files.size === 0) return result;
  const untouched = result.findings.filter((f) => !files.has(f.location.file));
  const redo = result.findings
    .filter((f) => files.has(f.location.file) && f.ruleId !== UNUSED_SUPPRESSION_RULE_ID)
    .map(({ suppression: _dropped, ...f }) => f as Finding);
  const texts = [...files].map((file) => ({ file, text: fs.readFileSync(file, 'utf8').replace(/^\ufeff/, '') }));
  const settled = applySuppressions(redo, texts, root, { unusedSeverity: options.rules[UNUSED_SUPPRESSION_RULE_ID], disabledRuleIds });
  return { ...result, findings: [...untouched, ...settled].sort(byLocation) };
}

function describeInternalError(e: InternalError, root: string, debug: boolean): string {
  const where = e.file ? ` on ${path.relative(root, e.file) || e.file}` : '';
  const [first, ...stack] = e.message.split('\n');
  const head = `faultline: rule ${e.ruleId} crashed${where}: ${first}`;
  return debug && stack.length > 0 ? `${head}\n${stack.join('\n')}` : head;
}

function dedupeErrors(errors: InternalError[]): InternalError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.ruleId}\0${e.file ?? ''}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function byLocation(a: Finding, b: Finding): number {
  return (
    a.location.file.localeCompare(b.location.file) ||
    a.location.start - b.location.start ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.messageId.localeCompare(b.messageId)
  );
}
