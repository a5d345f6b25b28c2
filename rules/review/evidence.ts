import type { Project, SourceFile } from 'ts-morph';
import { analyzeProject } from '../engine.ts';
import { ProgramModel } from '../core/program.ts';
import { allRules } from '../index.ts';
import type { Rule } from '../rule.ts';
import type { AnalysisOptions, Finding, SourceRange } from '../types.ts';
import type { EvidenceId } from './catalogue.ts';
import { FINDING_PROBES } from './findings.ts';
import { OBSERVABILITY_PROBES } from './observability.ts';
import { OUTBOUND_PROBES } from './outbound.ts';
import { QUEUE_PROBES } from './queues.ts';
import { RESILIENCE_PROBES } from './resilience.ts';

/**
 * Evidence for the design review: what the code says about each question
 * it can speak to, as counts and places. Plain data out (absolute paths,
 * 1-based positions), ts-morph in; the server turns it into the checklist
 * the CLI prints and the editor shows.
 */

/** One place in the code, with what it is: "call through `inventoryApi` (axios), no deadline". */
export interface EvidencePlace extends SourceRange {
  label: string;
}

/** A list of places that share a meaning: "Without a deadline". */
export interface EvidenceFact {
  /** Stable key, for merging across projects and for tests. */
  key: string;
  label: string;
  places: EvidencePlace[];
}

/** A status the code decides on its own, where that is sound ("every call bounded": met). */
export interface AutomaticStatus {
  status: 'met' | 'not-met';
  reason: string;
}

export interface Evidence {
  id: EvidenceId;
  /** One line: "20 outbound calls, 12 without a deadline". */
  summary: string;
  /** Machine-readable counts behind the summary. */
  counts: Record<string, number>;
  facts: EvidenceFact[];
  /** Caveats: a rule that is not available, what the probe cannot see. */
  notes: string[];
  automatic?: AutomaticStatus;
}

export type EvidenceSet = Partial<Record<EvidenceId, Evidence>>;

/** One ts-morph project to take evidence from. */
export interface EvidenceUnit {
  project: Project;
  /** The files to take evidence from (the project may hold more: they are still read for cross-file facts). */
  files: readonly SourceFile[];
  options: AnalysisOptions;
  /** The folder findings' fingerprints are relative to. */
  root: string;
  /** A model to reuse (the language server keeps its cache between requests). */
  model?: ProgramModel;
}

/** What a probe sees of one unit. */
export interface ProbeContext {
  readonly model: ProgramModel;
  readonly files: readonly SourceFile[];
  readonly options: AnalysisOptions;
  /** Findings (suppressed ones included) of a rule the review reads; undefined when the rule is not available. */
  findings(ruleId: string): Finding[] | undefined;
  /** Facts several probes share, computed once per unit. */
  memo<T>(key: string, compute: () => T): T;
}

/** What a probe finds in one unit; outputs of several units are merged before `conclude`. */
export interface ProbeOutput {
  counts?: Record<string, number>;
  facts?: EvidenceFact[];
  notes?: string[];
}

export interface MergedOutput {
  counts: Record<string, number>;
  facts: EvidenceFact[];
  notes: string[];
}

/** Computes one kind of evidence. */
export interface Probe {
  id: EvidenceId;
  collect(ctx: ProbeContext): ProbeOutput;
  /** The summary line, and a status when the evidence alone decides it. */
  conclude(merged: MergedOutput): { summary: string; automatic?: AutomaticStatus };
}

/** Every probe. A test checks that each evidence id the catalogue names has one. */
export const PROBES: readonly Probe[] = [...OUTBOUND_PROBES, ...FINDING_PROBES, ...RESILIENCE_PROBES, ...QUEUE_PROBES, ...OBSERVABILITY_PROBES];

/** The rules whose findings the review counts; each is used when `allRules` has it. */
export const REVIEW_RULE_IDS = ['missing-timeout', 'retry-without-backoff', 'unbounded-retry', 'non-idempotent-handler'] as const;

/**
 * Runs every probe over every unit and merges the results. The rules the
 * review reads run whatever their configured severity (a rule switched off
 * for linting still answers the review's question); their suppressions
 * still apply, and suppressed findings are counted as accepted.
 */
export function collectEvidence(units: readonly EvidenceUnit[], rules: readonly Rule[] = allRules): EvidenceSet {
  const perProbe = new Map<EvidenceId, ProbeOutput[]>();
  const reviewRules = rules.filter((r) => (REVIEW_RULE_IDS as readonly string[]).includes(r.id));
  const available = new Set(reviewRules.map((r) => r.id));
  for (const unit of units) {
    const model = unit.model ?? new ProgramModel(unit.project, unit.options);
    const forced: AnalysisOptions = { ...unit.options, rules: { ...unit.options.rules } };
    for (const r of reviewRules) if (forced.rules[r.id] === 'off') forced.rules[r.id] = r.defaultSeverity;
    let findings: Finding[] | undefined;
    const memo = new Map<string, unknown>();
    const ctx: ProbeContext = {
      model,
      files: unit.files,
      options: unit.options,
      findings(ruleId) {
        if (!available.has(ruleId)) return undefined;
        findings ??= analyzeProject(unit.project, [...unit.files], forced, unit.root, reviewRules, model).findings;
        return findings.filter((f) => f.ruleId === ruleId);
      },
      memo<T>(key: string, compute: () => T): T {
        if (!memo.has(key)) memo.set(key, compute());
        return memo.get(key) as T;
      },
    };
    for (const probe of PROBES) {
      let out: ProbeOutput;
      try {
        out = probe.collect(ctx);
      } catch (err) {
        // A probe that fails costs its own evidence only; the checklist still shows.
        out = { notes: [`Faultline could not compute this evidence: ${err instanceof Error ? err.message : String(err)}`] };
      }
      const list = perProbe.get(probe.id) ?? [];
      list.push(out);
      perProbe.set(probe.id, list);
    }
  }
  const set: EvidenceSet = {};
  for (const probe of PROBES) {
    const merged = mergeOutputs(perProbe.get(probe.id) ?? []);
    const { summary, automatic } = probe.conclude(merged);
    set[probe.id] = { id: probe.id, summary, counts: merged.counts, facts: merged.facts, notes: merged.notes, ...(automatic ? { automatic } : {}) };
  }
  return set;
}

/** Sums counts, joins facts by key (places in file order), keeps each note once. */
export function mergeOutputs(outputs: readonly ProbeOutput[]): MergedOutput {
  const counts: Record<string, number> = {};
  const facts = new Map<string, EvidenceFact>();
  const notes: string[] = [];
  for (const out of outputs) {
    for (const [k, v] of Object.entries(out.counts ?? {})) counts[k] = (counts[k] ?? 0) + v;
    for (const f of out.facts ?? []) {
      const existing = facts.get(f.key);
      if (existing) existing.places.push(...f.places);
      else facts.set(f.key, { key: f.key, label: f.label, places: [...f.places] });
    }
    for (const n of out.notes ?? []) if (!notes.includes(n)) notes.push(n);
  }
  for (const f of facts.values()) f.places.sort((a, b) => a.file.localeCompare(b.file) || a.start - b.start);
  return { counts, facts: [...facts.values()], notes };
}
