import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RelevanceTest } from './scan.ts';

/** Import and re-export specifiers, `require` and dynamic `import()`, read from text without parsing. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"\n]+)['"]/g;
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** The module specifiers a file's text names (`node:` prefixes removed). */
export function textSpecifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) out.push(m[1]!.startsWith('node:') ? m[1]!.slice(5) : m[1]!);
  return out;
}

function resolveRelative(from: string, spec: string, known: Set<string>): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  const stem = base.replace(/\.(m|c)?[jt]sx?$/, '');
  for (const c of [base, ...EXTENSIONS.map((e) => stem + e), ...EXTENSIONS.map((e) => path.join(base, `index${e}`))]) {
    if (known.has(c)) return c;
  }
  return undefined;
}

/**
 * The files worth parsing for rules whose prefilter is `test`: those whose
 * text imports a module the rules know or mentions one of their words, and
 * those that import such a file, directly or through a re-exporting index. Everything else is read but not
 * parsed: it can hold nothing the rules report. Returns the chosen files and
 * the text of each file read, so nothing is read twice.
 */
export function selectFilesToParse(files: readonly string[], test: RelevanceTest): { selected: Set<string>; texts: Map<string, string> } {
  const known = new Set(files);
  const texts = new Map<string, string>();
  const direct = new Set<string>();
  const imports = new Map<string, string[]>();
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // Unreadable: the loader reports it when it tries to parse.
    }
    texts.set(file, text);
    const specs = textSpecifiers(text);
    if (specs.some((s) => test.module(s)) || test.words.some((w) => text.includes(w))) direct.add(file);
    const local: string[] = [];
    for (const s of specs) {
      if (!s.startsWith('.')) continue;
      const target = resolveRelative(file, s, known);
      if (target) local.push(target);
    }
    imports.set(file, local);
  }
  // Re-exporting files (`export { api } from './clients'`) pass relevance on to their importers.
  const reexports = new Set<string>();
  for (const [file, text] of texts) if (/\bexport\s*(?:\*|\{[^}]*\})\s*from\s*['"]/.test(text)) reexports.add(file);
  const selected = new Set(direct);
  for (const file of files) {
    if (selected.has(file)) continue;
    const first = imports.get(file) ?? [];
    if (first.some((t) => direct.has(t) || (reexports.has(t) && (imports.get(t) ?? []).some((u) => direct.has(u))))) selected.add(file);
  }
  // A file that makes the calls may take their options from files it imports (a shared config object).
  for (const file of direct) for (const t of imports.get(file) ?? []) selected.add(t);
  return { selected, texts };
}

/** The union of several rules' prefilters; undefined when one of them has none (then every file is parsed). */
export function unionPrefilter(tests: (RelevanceTest | undefined)[]): RelevanceTest | undefined {
  if (tests.length === 0 || tests.some((t) => t === undefined)) return undefined;
  const all = tests as RelevanceTest[];
  return { module: (m) => all.some((t) => t.module(m)), words: [...new Set(all.flatMap((t) => t.words)), 'faultline-disable'] };
}
