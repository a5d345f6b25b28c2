import type { Applicability, Finding, Fix, TextEdit } from '../rules/types.ts';

/**
 * Applying fixes, shared by the CLI (`--fix`) and the language server
 * (fix-all): choose one fix per finding, keep the fixes whose edits do not
 * collide (ESLint's rule: an overlapping fix waits for the next pass), and
 * splice the edits into the text.
 */

/** An edit within one text: replace `[start, end)` by `newText`. */
export interface Edit {
  start: number;
  end: number;
  newText: string;
}

/**
 * Applies non-overlapping edits to `text`. Offsets refer to the original
 * text; edits at the same offset apply in the order given. Throws on
 * overlapping or out-of-range edits (a planning bug).
 */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i);
  let out = '';
  let pos = 0;
  for (const { e } of sorted) {
    if (e.start < pos || e.end < e.start || e.end > text.length) {
      throw new RangeError(`overlapping or invalid edit [${e.start}, ${e.end}) (text length ${text.length}, previous edit ends at ${pos})`);
    }
    out += text.slice(pos, e.start) + e.newText;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/**
 * Whether two edits of one file collide: their ranges intersect, or both
 * start at the same offset (which goes first would be a guess).
 */
export function editsConflict(a: Edit, b: Edit): boolean {
  return (a.start < b.end && b.start < a.end) || a.start === b.start;
}

/** Which fixes `--fix` may apply: `safe` only, or `safe` and `unsafe` with `--unsafe-fixes`. Never `displayOnly`. */
export function allowedApplicabilities(unsafe: boolean): ReadonlySet<Applicability> {
  return new Set<Applicability>(unsafe ? ['safe', 'unsafe'] : ['safe']);
}

/** The fix to apply for a finding: the preferred allowed one, else the first allowed one. Suppressed findings get none. */
export function chooseFix(finding: Finding, unsafe: boolean): Fix | undefined {
  if (finding.suppression) return undefined;
  const allowed = allowedApplicabilities(unsafe);
  const candidates = finding.fixes.filter((f) => allowed.has(f.applicability) && f.edits.length > 0);
  return candidates.find((f) => f.isPreferred) ?? candidates[0];
}

export interface FixPlan {
  /** The edits to apply, by absolute file path, non-overlapping within each file. */
  edits: Map<string, TextEdit[]>;
  /** Fixes taken into the plan. */
  applied: { finding: Finding; fix: Fix }[];
  /** Fixes left out because they collide with one taken earlier (a later pass may apply them). */
  deferred: { finding: Finding; fix: Fix }[];
}

/**
 * Chooses one fix per finding and keeps those whose edits collide with no
 * fix kept before (in finding order). A fix is taken whole or not at all,
 * across every file it edits.
 */
export function planFixes(findings: readonly Finding[], options: { unsafe: boolean }): FixPlan {
  const plan: FixPlan = { edits: new Map(), applied: [], deferred: [] };
  for (const finding of findings) {
    const fix = chooseFix(finding, options.unsafe);
    if (!fix) continue;
    if (!selfConsistent(fix.edits) || fix.edits.some((e) => (plan.edits.get(e.file) ?? []).some((taken) => editsConflict(taken, e)))) {
      plan.deferred.push({ finding, fix });
      continue;
    }
    for (const e of fix.edits) {
      const list = plan.edits.get(e.file);
      if (list) list.push(e);
      else plan.edits.set(e.file, [e]);
    }
    plan.applied.push({ finding, fix });
  }
  return plan;
}

/** A fix whose own edits overlap cannot be applied at all. */
function selfConsistent(edits: readonly TextEdit[]): boolean {
  for (let i = 0; i < edits.length; i++) {
    for (let j = i + 1; j < edits.length; j++) {
      const a = edits[i]!;
      const b = edits[j]!;
      if (a.file === b.file && a.start < b.end && b.start < a.end) return false;
    }
  }
  return true;
}

/** Unsuppressed findings that only an unsafe fix would fix (ruff's "hidden fixes"). */
export function countHiddenUnsafeFixes(findings: readonly Finding[]): number {
  return findings.filter((f) => !f.suppression && !chooseFix(f, false) && chooseFix(f, true) !== undefined).length;
}
