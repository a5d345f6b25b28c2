import type { Node, SourceFile } from 'ts-morph';
import type { ProgramModel } from './core/program.ts';
import type { Prefilter } from './core/prefilter.ts';
import type { AnalysisOptions, Fix, RuleMeta, Severity } from './types.ts';

/** What a rule says about one place. The engine turns it into a `Finding`. */
export interface RuleReport<State = unknown> {
  /** The node whose span is the finding's range. */
  node: Node;
  messageId: string;
  /** Values for the `{placeholders}` of the message. */
  data?: Record<string, string | number>;
  related?: { node: Node; message: string }[];
  /**
   * A severity for this report other than the rule's default (a hot loop
   * is worse than a missing jitter). Used only when the user has not set a
   * severity for the rule.
   */
  severity?: Severity;
  /** Whatever the rule's `fixes` needs to build its edits. */
  state?: State;
}

export interface RuleContext {
  /** The files to report on (the program may hold more: they are still read for cross-file facts). */
  readonly files: readonly SourceFile[];
  readonly program: ProgramModel;
  readonly options: AnalysisOptions;
  report(report: RuleReport): void;
  /**
   * Whether a report in this file counts: the files to report on, and those
   * of the requested paths that the CLI parses only when the analysis first
   * reaches one (a processor in a file only its worker imports).
   */
  isReportable(file: string): boolean;
}

/**
 * A rule: its metadata, its detection and its fixes. `check` walks ts-morph
 * nodes and reports; `fixes` turns one report into plain text edits.
 */
export interface Rule<State = unknown> extends RuleMeta {
  /**
   * Which files can hold anything this rule reports or depends on, judged
   * from their text alone (imported modules, words, a finer text test, how
   * far to follow imports: see core/prefilter.ts). When every enabled rule
   * has one, the CLI parses only the files some prefilter selects. A rule
   * that must see every file leaves it out.
   */
  prefilter?(options: AnalysisOptions): Prefilter;
  check(ctx: RuleContext): void;
  fixes(report: RuleReport<State>, ctx: RuleContext): Fix[];
}

/** Identity helper that keeps a rule's state type when it is declared. */
export function defineRule<State>(rule: Rule<State>): Rule<State> {
  return rule;
}
