/**
 * The plain data that the analysis produces. Nothing here knows of LSP, of the
 * CLI, or of ts-morph: the front doors (server/) map these to diagnostics,
 * text, JSON and SARIF.
 */

/** How loud a finding is. `off` exists only in configuration. */
export type Severity = 'error' | 'warning' | 'info';
export type SeveritySetting = Severity | 'off';

/**
 * Whether a fix may be applied without a person looking at it (ruff's model).
 * - `safe`: keeps the program's behaviour (applied by `--fix`, joins fix-all).
 * - `unsafe`: changes runtime behaviour, for example by adding a deadline
 *   (applied only with `--unsafe-fixes`; offered as a quick fix in the editor).
 * - `displayOnly`: shown, never applied automatically.
 */
export type Applicability = 'safe' | 'unsafe' | 'displayOnly';

/** 1-based line and column, as editors and SARIF count them. */
export interface Position {
  line: number;
  column: number;
}

/** A span of a file: character offsets (0-based, end exclusive) and the matching positions. */
export interface SourceRange {
  /** Absolute path of the file. */
  file: string;
  start: number;
  end: number;
  startPos: Position;
  endPos: Position;
}

/** Another place that explains a finding, for example each call through an instance. */
export interface RelatedLocation extends SourceRange {
  message: string;
}

/** Replace `[start, end)` of `file` by `newText`. An insertion has `start === end`. */
export interface TextEdit {
  file: string;
  start: number;
  end: number;
  newText: string;
}

export interface Fix {
  /** What the fix does, for a menu: "Add `signal: AbortSignal.timeout(10_000)`". */
  title: string;
  applicability: Applicability;
  edits: TextEdit[];
  /** The one fix an editor should offer first. */
  isPreferred?: boolean;
}

export interface Suppression {
  kind: 'inSource';
  /** The text after `--` in the comment; empty when the comment gave none. */
  justification: string;
  /** Where the suppression comment stands. */
  location: SourceRange;
}

export interface Finding {
  ruleId: string;
  /** Which of the rule's messages this is (stable; the message text may change). */
  messageId: string;
  message: string;
  severity: Severity;
  location: SourceRange;
  related: RelatedLocation[];
  fixes: Fix[];
  /**
   * Stable identity for baselines and SARIF `partialFingerprints`: it does not
   * change when lines are added above the finding.
   */
  fingerprint: string;
  /** Present when a suppression comment silences the finding. */
  suppression?: Suppression;
}

/** Documentation of a rule, in ruff's sections. Examples are executed by the tests. */
export interface RuleDocs {
  whatItDoes: string;
  why: string;
  /** Code for which the rule reports exactly one finding. */
  incorrect: string;
  /** Code for which the rule reports nothing. */
  correct: string;
  fixSafety: string;
  /** Library defaults the rule relies on, each with where it was read. */
  references: string[];
}

/** A rule's metadata, as the README, SARIF `tool.driver.rules` and LSP `codeDescription` use it. */
export interface RuleMeta {
  id: string;
  defaultSeverity: Severity;
  shortDescription: string;
  fullDescription: string;
  /** Message templates by id, with `{name}` placeholders. */
  messages: Record<string, string>;
  docs: RuleDocs;
}

/** Where the docs of a rule live; used for SARIF `helpUri` and LSP `codeDescription.href`. */
export function ruleDocsUrl(ruleId: string): string {
  return `https://github.com/faultline-dev/faultline/blob/main/docs/rules/${ruleId}.md`;
}

/** A function of the user's project that makes an outbound call, named in configuration. */
export interface CustomClient {
  /** The function's name as called: `httpGet`, or `http.get` for a method. */
  name: string;
  /** Module specifier it is imported from (`./lib/http`, `@acme/http`); any when absent. */
  module?: string;
  /** 0-based index of the argument that carries options. */
  optionsArgument: number;
  /** The option that bounds the call, such as `timeoutMs` or `signal`. */
  timeoutOption: string;
}

/** Options that shape the analysis (a resolved `faultline.config.json`). */
export interface AnalysisOptions {
  /** Severity per rule id; a rule that is `off` does not run. */
  rules: Record<string, SeveritySetting>;
  /** Milliseconds that fixes write when the project has no named constant. */
  defaultTimeoutMs: number;
  customClients: CustomClient[];
  /** Names of functions that bound whatever runs inside their arguments (`pTimeout`, `withTimeout`). */
  timeoutWrappers: string[];
}

export const DEFAULT_TIMEOUT_MS = 10_000;

export function defaultAnalysisOptions(): AnalysisOptions {
  return { rules: {}, defaultTimeoutMs: DEFAULT_TIMEOUT_MS, customClients: [], timeoutWrappers: [] };
}
