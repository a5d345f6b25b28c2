import * as path from 'node:path';
/**
 * Applying a rule's fixes to files on disk, as `--fix` would: one fix per
 * finding (the preferred one), non-overlapping edits per file, from the end
 * of the file to its start.
 */
import * as fs from 'node:fs';
import { ts } from 'ts-morph';
import type { Finding, Fix, TextEdit } from '../../rules/types.ts';

export interface ChosenFix {
  finding: Finding;
  fix: Fix;
}

export interface FixPlan {
  /** Findings whose fix was applied. */
  applied: ChosenFix[];
  /** Findings that have fixes, none applied because it overlapped an applied one. */
  conflicting: ChosenFix[];
  /** Findings without any fix. */
  withoutFix: Finding[];
  /** Fixes whose own edits overlap each other (a rule bug). */
  malformed: ChosenFix[];
  /** The accepted edits, by file. */
  editsByFile: Map<string, TextEdit[]>;
}

export function preferredFix(finding: Finding): Fix | undefined {
  return finding.fixes.find((f) => f.isPreferred) ?? finding.fixes[0];
}

/** Two edits touch the same text, or insert at the same point (their order would be arbitrary). */
export function editsOverlap(a: TextEdit, b: TextEdit): boolean {
  if (a.file !== b.file) return false;
  if (a.start === a.end && b.start === b.end) return a.start === b.start;
  return a.start < b.end && b.start < a.end;
}

/** Chooses one fix per finding, in source order, skipping any fix that overlaps one already chosen. */
export function planFixes(findings: readonly Finding[]): FixPlan {
  const plan: FixPlan = { applied: [], conflicting: [], withoutFix: [], malformed: [], editsByFile: new Map() };
  const ordered = [...findings].sort((a, b) => a.location.file.localeCompare(b.location.file) || a.location.start - b.location.start);
  for (const finding of ordered) {
    const fix = preferredFix(finding);
    if (!fix) {
      plan.withoutFix.push(finding);
      continue;
    }
    const own = fix.edits;
    const selfOverlap = own.some((e, i) => own.some((o, j) => j > i && editsOverlap(e, o)));
    if (selfOverlap) {
      plan.malformed.push({ finding, fix });
      continue;
    }
    const clash = own.some((e) => (plan.editsByFile.get(e.file) ?? []).some((o) => editsOverlap(e, o)));
    if (clash) {
      plan.conflicting.push({ finding, fix });
      continue;
    }
    for (const e of own) {
      const list = plan.editsByFile.get(e.file) ?? [];
      list.push(e);
      plan.editsByFile.set(e.file, list);
    }
    plan.applied.push({ finding, fix });
  }
  return plan;
}

/** Applies edits to a text, from the end to the start. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of sorted) {
    if (e.start < 0 || e.end > out.length || e.start > e.end) throw new Error(`edit out of range: [${e.start}, ${e.end}) in ${e.file}`);
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  }
  return out;
}

/** Writes the planned edits to disk. Returns the original texts by file. */
export function applyPlan(plan: FixPlan): Map<string, string> {
  const originals = new Map<string, string>();
  for (const [file, edits] of plan.editsByFile) {
    // A fix may create a file (start = end = 0 on a path that does not exist yet).
    const exists = fs.existsSync(file);
    if (!exists) fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = exists ? fs.readFileSync(file, 'utf8') : '';
    originals.set(file, text);
    fs.writeFileSync(file, applyEdits(text, edits));
  }
  return originals;
}

/** Where an offset of the original text lands after the edits (text inserted at the offset goes before it). */
export function mapOffset(offset: number, edits: readonly TextEdit[]): number {
  let delta = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start || a.end - b.end)) {
    if (e.end <= offset) delta += e.newText.length - (e.end - e.start);
    else if (e.start < offset) return e.start + delta; // inside replaced text: where the replacement starts
    else break;
  }
  return offset + delta;
}

/** 1-based line of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export type Library = 'fetch' | 'axios' | 'got';

/**
 * Which library a finding's expression calls, read from its leading name and
 * the file's imports: `fetch` (global, undici's, node-fetch, cross-fetch),
 * `axios` or `got`. Undefined for anything else.
 */
export function libraryOf(finding: Finding, text: string): Library | undefined {
  const snippet = text.slice(finding.location.start, finding.location.end);
  const m = /^(?:await\s+|new\s+)?([A-Za-z_$][\w$]*)/.exec(snippet);
  if (!m) return undefined;
  const name = m[1]!;
  const binding = importBindings(finding.location.file, text).get(name);
  if (!binding) return name === 'fetch' ? 'fetch' : undefined;
  const mod = binding.module;
  if (mod === 'axios') return 'axios';
  if (mod === 'got') return 'got';
  if ((mod === 'node-fetch' || mod === 'cross-fetch') && (binding.imported === 'default' || binding.imported === 'fetch')) return 'fetch';
  if (mod === 'undici' && binding.imported === 'fetch') return 'fetch';
  return undefined;
}

function importBindings(file: string, text: string): Map<string, { module: string; imported: string }> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out = new Map<string, { module: string; imported: string }>();
  for (const stmt of sf.statements) {
    if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier) || !stmt.importClause) continue;
    const module = stmt.moduleSpecifier.text.replace(/^node:/, '');
    const clause = stmt.importClause;
    if (clause.name) out.set(clause.name.text, { module, imported: 'default' });
    const nb = clause.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) out.set(nb.name.text, { module, imported: '*' });
    if (nb && ts.isNamedImports(nb)) {
      for (const el of nb.elements) out.set(el.name.text, { module, imported: (el.propertyName ?? el.name).text });
    }
  }
  return out;
}
