import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Project as MorphProject, ts, type Node, type Project, type SourceFile } from 'ts-morph';
import { ProgramModel } from './core/program.ts';
import { loadProjects, type LoadRequest } from './core/project.ts';
import { rulePrefilters } from './core/prefilter.ts';
import { allRules } from './index.ts';
import type { Rule, RuleContext, RuleReport } from './rule.ts';
import { applySuppressions } from './suppressions.ts';
import type { AnalysisOptions, Finding, Position, SourceRange, Severity } from './types.ts';

export interface LintRequest extends LoadRequest {
  options: AnalysisOptions;
  /** Parse every file, as if no rule had a prefilter (to check that the prefilters lose nothing). */
  parseAll?: boolean;
  /** Called after each project is analysed (for progress output). */
  onProgress?: (done: number, total: number) => void;
}

/** A rule that threw: the other rules still report. */
export interface InternalError {
  ruleId: string;
  message: string;
  file?: string;
}

export interface LintResult {
  /** Every finding, suppressed ones included (they carry `suppression`). */
  findings: Finding[];
  /** Absolute paths of the files analysed (those the prefilter read and found nothing to parse for included). */
  files: string[];
  internalErrors: InternalError[];
  /** Where the time went (for `FAULTLINE_TIMING=1` and the benchmark). */
  timing?: { loadMs: number; selectMs: number; analyseMs: number; parsedFiles: number; skippedFiles: number; ruleMs: Record<string, number> };
}

/** Formats a rule message: `{name}` placeholders take values from `data`. */
export function formatMessage(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in data ? String(data[key]) : whole));
}

export function rangeOf(node: Node): SourceRange {
  const sf = node.getSourceFile();
  const start = node.getStart();
  const end = node.getEnd();
  return { file: sf.getFilePath(), start, end, startPos: positionAt(sf, start), endPos: positionAt(sf, end) };
}

export function positionAt(sf: SourceFile, offset: number): Position {
  const lc = sf.compilerNode.getLineAndCharacterOfPosition(offset);
  return { line: lc.line + 1, column: lc.character + 1 };
}

/** Rules that run under the given options, with the severity each reports at. */
export function enabledRules(options: AnalysisOptions, rules: readonly Rule[] = allRules): { rule: Rule; severity: Severity }[] {
  const out: { rule: Rule; severity: Severity }[] = [];
  for (const rule of rules) {
    const setting = options.rules[rule.id] ?? rule.defaultSeverity;
    if (setting !== 'off') out.push({ rule, severity: setting });
  }
  return out;
}

/** What the CLI adds to an analysis of one project. */
export interface AnalyzeExtras {
  /** Adds each rule's milliseconds here. */
  ruleMs?: Record<string, number>;
  /**
   * Paths whose reports count besides the files analysed: files of the
   * requested paths that were not parsed up front and may be parsed when the
   * analysis reaches them (the CLI's prefilter leaves them out).
   */
  alsoReportable?: ReadonlySet<string>;
}

/**
 * Runs the enabled rules over the files of one ts-morph project. This is the
 * entry point the language server uses on its long-lived projects.
 */
export function analyzeProject(
  project: Project,
  files: readonly SourceFile[],
  options: AnalysisOptions,
  root: string,
  rules: readonly Rule[] = allRules,
  model: ProgramModel = new ProgramModel(project, options),
  { ruleMs, alsoReportable }: AnalyzeExtras = {},
): { findings: Finding[]; internalErrors: InternalError[] } {
  const findings: Finding[] = [];
  const internalErrors: InternalError[] = [];
  const upFront = new Set<string>(files.map((f): string => f.getFilePath()));
  const isReportable = (file: string): boolean => upFront.has(file) || (alsoReportable?.has(file) ?? false);
  const wanted = { has: isReportable };
  for (const { rule, severity } of enabledRules(options, rules)) {
    const reports: RuleReport[] = [];
    const ctx: RuleContext = { files, program: model, options, report: (r) => reports.push(r), isReportable };
    const started = ruleMs ? performance.now() : 0;
    try {
      rule.check(ctx);
    } catch (err) {
      internalErrors.push({ ruleId: rule.id, message: errorText(err) });
      continue;
    } finally {
      if (ruleMs) ruleMs[rule.id] = (ruleMs[rule.id] ?? 0) + (performance.now() - started);
    }
    for (const report of reports) {
      if (!wanted.has(report.node.getSourceFile().getFilePath())) continue;
      try {
        // The user's setting for the rule wins over a report's own severity.
        const configured = options.rules[rule.id];
        findings.push(toFinding(rule, configured ? severity : (report.severity ?? severity), report, ctx));
      } catch (err) {
        internalErrors.push({ ruleId: rule.id, message: errorText(err), file: report.node.getSourceFile().getFilePath() });
      }
    }
  }
  assignFingerprints(findings, root);
  findings.sort(compareFindings);
  // A comment that names a rule switched off is not "unused": the rule did not run.
  const disabledRuleIds = Object.entries(options.rules).filter(([, s]) => s === 'off').map(([id]) => id);
  const suppressionOptions = { disabledRuleIds, ...(options.rules['unused-suppression'] ? { unusedSeverity: options.rules['unused-suppression'] } : {}) };
  // Suppression comments are read where there are findings: files parsed on first use included.
  const texts: { file: string; text: string }[] = files.map((f) => ({ file: f.getFilePath(), text: f.getFullText() }));
  for (const file of new Set(findings.map((f) => f.location.file))) {
    if (upFront.has(file)) continue;
    const late = project.getSourceFile(file as string);
    if (late) texts.push({ file, text: late.getFullText() });
  }
  return { findings: applySuppressions(findings, texts, root, suppressionOptions), internalErrors };
}

function toFinding(rule: Rule, severity: Severity, report: RuleReport, ctx: RuleContext): Finding {
  const template = rule.messages[report.messageId];
  if (template === undefined) throw new Error(`rule ${rule.id} has no message '${report.messageId}'`);
  return {
    ruleId: rule.id,
    messageId: report.messageId,
    message: formatMessage(template, report.data),
    severity,
    location: rangeOf(report.node),
    related: (report.related ?? []).map((r) => ({ ...rangeOf(r.node), message: r.message })),
    fixes: rule.fixes(report, ctx),
    fingerprint: '',
    // The node's text feeds the fingerprint; kept off the finding itself.
    ...({ [NODE_TEXT]: report.node.getText() } as object),
  };
}

const NODE_TEXT = Symbol('nodeText');

/**
 * Fingerprints survive edits elsewhere in the file: rule, file (relative to
 * the root), message id and the reported code with whitespace collapsed, plus
 * an occurrence counter for identical code in the same file.
 */
function assignFingerprints(findings: Finding[], root: string): void {
  const seen = new Map<string, number>();
  const ordered = [...findings].sort((a, b) => a.location.file.localeCompare(b.location.file) || a.location.start - b.location.start);
  for (const f of ordered) {
    const rel = path.relative(root, f.location.file).split(path.sep).join('/');
    const text = String((f as unknown as Record<symbol, string>)[NODE_TEXT] ?? '').replace(/\s+/g, ' ');
    const key = `${f.ruleId}\0${rel}\0${f.messageId}\0${text}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    f.fingerprint = createHash('sha256').update(`${key}\0${n}`).digest('hex').slice(0, 32);
    delete (f as unknown as Record<symbol, string>)[NODE_TEXT];
  }
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.location.file.localeCompare(b.location.file) ||
    a.location.start - b.location.start ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.messageId.localeCompare(b.messageId)
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Loads the projects for the requested paths and runs every enabled rule: the CLI's engine. */
export function lint(req: LintRequest): LintResult {
  const prefilter = req.parseAll ? undefined : rulePrefilters(enabledRules(req.options).map(({ rule }) => rule.prefilter?.(req.options)));
  const started = performance.now();
  const projects = loadProjects({ ...req, ...(prefilter ? { prefilter } : {}) });
  const loadedAt = performance.now();
  const parsedCount = (): number => projects.reduce((n, p) => n + p.project.getSourceFiles().length, 0);
  const parsedUpFront = parsedCount();
  const findings: Finding[] = [];
  const internalErrors: InternalError[] = [];
  const files: string[] = [];
  const ruleMs: Record<string, number> = {};
  projects.forEach((loaded, i) => {
    const sourceFiles = loaded.files.map((f) => loaded.project.getSourceFileOrThrow(f));
    const model = new ProgramModel(loaded.project, req.options, undefined, loaded.unparsed);
    const alsoReportable = new Set(loaded.skippedFiles.map((f) => f.replace(/\\/g, '/')));
    const result = analyzeProject(loaded.project, sourceFiles, req.options, req.cwd, allRules, model, { ruleMs, alsoReportable });
    findings.push(...result.findings);
    internalErrors.push(...result.internalErrors);
    files.push(...loaded.files, ...loaded.skippedFiles);
    req.onProgress?.(i + 1, projects.length);
  });
  findings.sort(compareFindings);
  const parsedAfter = parsedCount();
  const timing = {
    loadMs: Math.round(loadedAt - started),
    selectMs: Math.round(projects.reduce((n, p) => n + p.selectMs, 0)),
    analyseMs: Math.round(performance.now() - loadedAt),
    // Counted after the analysis: files parsed on first use included.
    parsedFiles: parsedAfter,
    skippedFiles: projects.reduce((n, p) => n + p.skipped, 0) - (parsedAfter - parsedUpFront),
    ruleMs: Object.fromEntries(Object.entries(ruleMs).map(([id, ms]) => [id, Math.round(ms)])),
  };
  return { findings, files, internalErrors, timing };
}

/**
 * Analyses source text held in memory (rule docs' examples, unit tests,
 * editors' unsaved buffers). Paths are virtual; `/virtual/` by default.
 */
export function lintSources(sources: Record<string, string>, options: AnalysisOptions, rules: readonly Rule[] = allRules): LintResult {
  const project = new MorphProject({
    useInMemoryFileSystem: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, allowJs: true },
    skipLoadingLibFiles: true,
  });
  const files = Object.entries(sources).map(([name, text]) => project.createSourceFile(path.posix.resolve('/virtual', name), text));
  const result = analyzeProject(project, files, options, '/virtual', rules);
  return { ...result, files: files.map((f) => f.getFilePath()) };
}
