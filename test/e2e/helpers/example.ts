import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXAMPLE, OUT, ROOT } from './tools.ts';

export interface LintEdit {
  file: string;
  start: number;
  end: number;
  newText: string;
}
export interface LintFix {
  title: string;
  applicability: 'safe' | 'unsafe' | 'displayOnly';
  isPreferred?: boolean;
  edits: LintEdit[];
}
/** One entry of `faultline lint --format json` (paths relative to the folder it ran in). */
export interface LintFinding {
  ruleId: string;
  messageId: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fixes: LintFix[];
  suppression: unknown;
}

/**
 * A fresh copy of examples/orders-service for one test run: the tests apply
 * fixes and save, and the example itself must stay as it is. The copy lives
 * inside the repository (test-output/, gitignored) so that imports resolve
 * to the repository's node_modules exactly as they do for the example.
 */
export function prepareWorkspace(name: string): string {
  const dir = path.join(OUT, 'workspace', name, 'orders-service');
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
  return dir;
}

/** `faultline lint . --format json` run in `dir`: what the CLI says, the reference the editors are held to. */
export function lint(dir: string): LintFinding[] {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'faultline.js'), 'lint', '.', '--format', 'json'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`faultline lint failed in ${dir} (exit ${r.status}):\n${r.stderr}`);
  try {
    return (JSON.parse(r.stdout) as LintFinding[]).filter((f) => !f.suppression);
  } catch (err) {
    throw new Error(`faultline lint --format json printed no JSON: ${(err as Error).message}\n${r.stdout.slice(0, 500)}\n${r.stderr}`);
  }
}

/** A finding as the editors show it: where, which rule, what message. */
export const findingKey = (f: { file: string; line: number; ruleId: string }): string => `${f.file}:${f.line} ${f.ruleId}`;

/** Applies the CLI's offset-based edits of one file to its text. */
export function applyEdits(text: string, edits: readonly LintEdit[], file = edits[0]?.file): string {
  const sorted = edits.filter((e) => e.file === file).sort((a, b) => b.start - a.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.end > sorted[i - 1]!.start) throw new Error(`overlapping edits in the expected fix: ${JSON.stringify(sorted)}`);
  }
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/** The fix a user picks first: the preferred one, else the first with edits. */
export function preferredFix(f: LintFinding): LintFix | undefined {
  const withEdits = f.fixes.filter((x) => x.edits.length > 0);
  return withEdits.find((x) => x.isPreferred) ?? withEdits[0];
}

/** The title the editor's quick-fix menu shows for a fix (the server marks behaviour changes). */
export function menuTitle(fix: LintFix): string {
  return fix.applicability === 'unsafe' ? `${fix.title} (changes behaviour)` : fix.title;
}

/**
 * The targets of the quick-fix and fix-all steps, chosen from what the CLI
 * reports so that the tests follow the example as it grows:
 * - fix-all: the file with the most fixable findings (webhooks.ts today: two `fetch` calls);
 * - quick fix: a call (not a client construction) missing a timeout, in another file
 *   (pricing.ts's `fetchJson(url)` today), else any fixable call.
 */
export function chooseTargets(findings: readonly LintFinding[]): { quickFix: LintFinding; fixAllFile: string } {
  // Fixes that edit only their own file (not, say, one that creates a helper module): the expected text is exact.
  const fixable = findings.filter((f) => preferredFix(f)?.edits.every((e) => e.file === f.file));
  const byFile = new Map<string, LintFinding[]>();
  for (const f of fixable) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  const fixAllFile = [...byFile].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]?.[0];
  if (!fixAllFile) throw new Error(`the example has no fixable finding: ${JSON.stringify(findings.map(findingKey))}`);
  const calls = fixable.filter((f) => f.ruleId === 'missing-timeout' && !/^client/i.test(f.messageId));
  const quickFix = calls.find((f) => f.file !== fixAllFile) ?? calls[0] ?? fixable.find((f) => f.file !== fixAllFile) ?? fixable[0]!;
  return { quickFix, fixAllFile };
}
