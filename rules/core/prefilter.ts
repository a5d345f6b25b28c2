import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ts } from 'ts-morph';
import type { RelevanceTest } from './scan.ts';

/**
 * What a rule tells the CLI about the files it can need, read from their
 * text before anything is parsed. A file is *direct* when it imports a
 * module the rule knows (`module`), mentions one of its `words`, or passes
 * its finer `text` test. The files parsed for the rule are then: the direct
 * files, the files that import them (directly or through a re-exporting
 * index), and the files they import, followed `importDepth` levels down
 * (from the direct files and their importers). Everything else is read but
 * not parsed: it can hold nothing the rule reports and nothing the rule's
 * findings depend on.
 *
 * Every test here must be a superset of what the rule's analysis looks at:
 * a file left out is a finding lost. The fixture tests run each rule alone
 * with and without its prefilter and require the same findings.
 */
export interface Prefilter extends RelevanceTest {
  /** A finer test of a file's text: a file for which it holds is direct. */
  text?(text: string): boolean;
  /** How many levels of imports to follow from the direct files and their importers (default 1). */
  importDepth?: number;
  /**
   * Which direct files pass relevance on to the files that import them: all
   * (default), or only those direct by an imported module (a queue configured
   * in one file gets its jobs in another; a hand-written retry does not reach
   * out to its importers).
   */
  importersOf?: 'all' | 'module';
  /** Whether direct files can name other files by path (a BullMQ sandboxed processor: `path.join(__dirname, 'processor.js')`). */
  namesFiles?: boolean;
  /**
   * Whether the rule follows a declared type only to a class of ours
   * (`private readonly repo: OrdersRepository`): then an `import type` links
   * only to a file that may declare a class, not to one of interfaces.
   */
  typeImportsOfClassesOnly?: boolean;
  /**
   * Words that make a file worth parsing though not direct: files the rule
   * looks for across the whole program (the idempotency helper that exports
   * `runOnce`), whose importers and imports need nothing.
   */
  alsoParse?: readonly string[];
}

/**
 * A file that may declare a class or pass one on (a superset: the word in a
 * comment counts): a class, any re-export or export list, a default export of
 * a name, an exported variable (`export const OrdersRepository = PgOrdersRepository`),
 * `export =`, `export import`, and CommonJS exports.
 */
export const MAY_DECLARE_CLASS = /\bclass\b|\bexport\s*(?:\*|\{|=)|\bexport\s+default\s+[A-Za-z_$]|\bexport\s+(?:declare\s+)?(?:const|let|var|import)\b|\bexports\b/;

/** Import and re-export specifiers, `require` and dynamic `import()`, read from text without parsing. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"\n]+)['"]/g;
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/** String literals that look like a path to a script: `'./processor.js'`, `` `${__dirname}/worker.ts` ``. */
const SCRIPT_PATH = /['"`]([^'"`\n]*\.(?:m|c)?[jt]s)['"`]/g;
/** What stands before a module specifier: `from`, `import` or `import(`, `require(`. */
const MODULE_SPECIFIER_BEFORE = /(?:\bfrom|\bimport\s*\(?|\brequire\s*\()\s*$/;

/** The module specifiers a file's text names (`node:` prefixes removed). */
export function textSpecifiers(text: string): string[] {
  return textImports(text).map((i) => i.spec);
}

/** A specifier a file's text names, and whether the statement brings in types only. */
export interface TextImport {
  spec: string;
  /** `import type …`, `import { type A, type B } …`, `export type { … } from`: no runtime value comes through. */
  typeOnly: boolean;
}

/** The module specifiers a file's text names, with whether each brings in types only. */
export function textImports(text: string): TextImport[] {
  const out: TextImport[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1]!.startsWith('node:') ? m[1]!.slice(5) : m[1]!;
    const keyword = m[0].startsWith('from') ? statementKeyword(text, m.index) : -1;
    out.push({ spec, typeOnly: keyword >= 0 && isTypeOnlyClause(text.slice(keyword + 6, m.index)) });
  }
  return out;
}

/** Where the `import` or `export` keyword of the statement whose `from` is at `fromIndex` starts; -1 when there is none. */
function statementKeyword(text: string, fromIndex: number): number {
  const whole = (at: number): boolean => !isIdentifierCode(text.charCodeAt(at - 1)) && !isIdentifierCode(text.charCodeAt(at + 6));
  // The last whole `import` before `from` (not `reimport`), read backwards: it is usually just before.
  let keyword = -1;
  for (let at = text.lastIndexOf('import', fromIndex); at >= 0; at = at > 0 ? text.lastIndexOf('import', at - 1) : -1) {
    if (whole(at)) {
      keyword = at;
      break;
    }
  }
  // A whole `export` between it and `from` is the statement's keyword (`export { a } from`), read forwards:
  // reading backwards for one would go through the whole file before its first export.
  for (let at = text.indexOf('export', keyword + 1); at >= 0 && at < fromIndex; at = text.indexOf('export', at + 6)) {
    if (whole(at)) keyword = at;
  }
  return keyword;
}

/** `export * from '…'`, `export { a, b } from '…'`, `export type { A } from '…'`, read at an `export`. */
const REEXPORT_AT = /export\s*(?:type\s*)?(?:\*|\{[^}]*\})\s*from\s*['"]/y;

/** Whether the file passes another module's exports on. A comment inside the braces (even one that says `import`) does not matter. */
function reexports(text: string): boolean {
  for (let at = text.indexOf('export'); at >= 0; at = text.indexOf('export', at + 6)) {
    // `\bexport`: not the end of a longer word.
    if (isWordCode(text.charCodeAt(at - 1))) continue;
    REEXPORT_AT.lastIndex = at;
    if (REEXPORT_AT.test(text)) return true;
  }
  return false;
}

/** An identifier's character: an ASCII letter or digit, `_` or `$`. */
export function isIdentifierCode(code: number): boolean {
  return isWordCode(code) || code === 36;
}

/** A regular expression's word character (`\w`): what `\b` tells apart (`$` is not one). */
export function isWordCode(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;
}

/**
 * Whether an import or export clause (the text between the keyword and
 * `from`) names types only. Whenever it is not plainly types (a default
 * import, a namespace, a value binding, anything unexpected), it is not.
 */
function isTypeOnlyClause(raw: string): boolean {
  // Most clauses bring in a value: no `type` anywhere.
  if (!raw.includes('type')) return false;
  const clause = raw.trim();
  // `type { A }`, `type * as ns`, `type A` (a default import of a type).
  if (/^type\s*[{*]|^type\s+[A-Za-z_$][\w$]*$/.test(clause)) return true;
  // `{ type A, type B as C }`: every binding a type.
  if (!clause.startsWith('{') || !clause.endsWith('}')) return false;
  const names = clause.slice(1, -1).split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  return names.length > 0 && names.every((n) => /^type\s+[A-Za-z_$][\w$]*(\s+as\s+[A-Za-z_$][\w$]*)?$/.test(n));
}

/** `path.resolve(dir, spec)` for an absolute, normalised POSIX folder and a relative specifier, without normalising the whole path again. */
function joinRelative(dir: string, spec: string): string {
  if (path.sep !== '/' || !dir.startsWith('/') || spec.includes('\\')) return path.resolve(dir, spec);
  let out = dir;
  for (const part of spec.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out = out.slice(0, Math.max(1, out.lastIndexOf('/'))) || '/';
    else out = out === '/' ? `/${part}` : `${out}/${part}`;
  }
  return out;
}

function probe(base: string, known: Set<string>): string | undefined {
  if (known.has(base)) return base;
  const stem = base.replace(/\.(m|c)?[jt]sx?$/, '');
  for (const e of EXTENSIONS) if (known.has(stem + e)) return stem + e;
  const index = base + path.sep + 'index';
  for (const e of EXTENSIONS) if (known.has(index + e)) return index + e;
  return undefined;
}

/**
 * Resolves a specifier to one of the project's files, by path alone: relative
 * specifiers, and the tsconfig's `paths` patterns and `baseUrl` (the same
 * aliases the program model follows). Packages resolve to nothing.
 */
export function specifierResolver(options: ts.CompilerOptions, configDir: string | undefined, known: Set<string>): (from: string, spec: string) => string | undefined {
  const base = options.baseUrl ?? (options.paths ? (options.pathsBasePath as string | undefined) ?? configDir : undefined);
  const patterns = Object.entries(options.paths ?? {}).map(([pattern, targets]) => {
    const star = pattern.indexOf('*');
    return { prefix: star < 0 ? pattern : pattern.slice(0, star), suffix: star < 0 ? '' : pattern.slice(star + 1), exact: star < 0, targets };
  });
  // Files of one folder import the same specifiers over and over: resolve each (folder, specifier) once.
  // A file's imports are asked for one after another: its folder's table is kept at hand.
  const byFolder = new Map<string, Map<string, string | undefined>>();
  let lastFrom = '';
  let lastDir = '';
  let table = new Map<string, string | undefined>();
  return (from, spec) => {
    if (spec.startsWith('.')) {
      if (from !== lastFrom) {
        lastFrom = from;
        const dir = path.dirname(from);
        if (dir !== lastDir) {
          lastDir = dir;
          let t = byFolder.get(dir);
          if (!t) byFolder.set(dir, (t = new Map()));
          table = t;
        }
      }
      let hit = table.get(spec);
      if (hit === undefined && !table.has(spec)) table.set(spec, (hit = probe(joinRelative(lastDir, spec), known)));
      return hit;
    }
    if (!base) return undefined;
    for (const p of patterns) {
      let matched: string | undefined;
      if (p.exact) matched = spec === p.prefix ? '' : undefined;
      else if (spec.startsWith(p.prefix) && spec.endsWith(p.suffix) && spec.length >= p.prefix.length + p.suffix.length) matched = spec.slice(p.prefix.length, spec.length - p.suffix.length);
      if (matched === undefined) continue;
      for (const t of p.targets) {
        const hit = probe(path.resolve(base, t.replace('*', matched)), known);
        if (hit) return hit;
      }
    }
    return options.baseUrl ? probe(path.resolve(options.baseUrl, spec), known) : undefined;
  };
}

interface FileFacts {
  text: string;
  specs: string[];
  /** The project's files it imports. */
  imports: string[];
  /** The project's files it imports values from (not by `import type` alone). */
  valueImports: string[];
  /** The project's files it imports values from, or types from when the file may declare a class. */
  classImports: string[];
  reexports: boolean;
}

/**
 * The files worth parsing for rules whose prefilters are `tests` (the union
 * of each test's selection), and the text of each file read, so nothing is
 * read twice.
 */
export function selectFilesToParse(
  files: readonly string[],
  tests: readonly Prefilter[],
  resolve: (from: string, spec: string) => string | undefined = specifierResolver({}, undefined, new Set(files)),
  /**
   * Whether to select what the files import (`importDepth`). A loader that
   * parses a file when the analysis first resolves an import to it turns
   * this off: imports are then parsed only when reached.
   */
  followImports = true,
): { selected: Set<string>; texts: Map<string, string> } {
  const facts = new Map<string, FileFacts>();
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // Unreadable: the loader reports it when it tries to parse.
    }
    const found = textImports(text);
    const imports: string[] = [];
    const valueImports: string[] = [];
    for (const i of found) {
      const target = resolve(file, i.spec);
      if (!target || target === file) continue;
      imports.push(target);
      if (!i.typeOnly) valueImports.push(target);
    }
    facts.set(file, { text, specs: found.map((i) => i.spec), imports, valueImports, classImports: valueImports, reexports: reexports(text) });
  }
  if (tests.some((t) => t.typeImportsOfClassesOnly && !t.valueImportsOnly)) {
    const mayDeclareClass = new Map<string, boolean>();
    const declaresClass = (file: string): boolean => {
      let v = mayDeclareClass.get(file);
      if (v === undefined) mayDeclareClass.set(file, (v = MAY_DECLARE_CLASS.test(facts.get(file)?.text ?? 'class')));
      return v;
    };
    for (const f of facts.values()) {
      const values = new Set(f.valueImports);
      f.classImports = f.imports.filter((t) => values.has(t) || declaresClass(t));
    }
  }
  const importersBy = (key: 'imports' | 'valueImports' | 'classImports'): Map<string, string[]> => {
    const importers = new Map<string, string[]>();
    for (const [file, f] of facts) {
      for (const t of f[key]) {
        const list = importers.get(t);
        if (list) list.push(file);
        else importers.set(t, [file]);
      }
    }
    return importers;
  };
  const graphs = new Map<ImportKind, Map<string, string[]>>();
  const selected = new Set<string>();
  // Tests with a finer text test last: it need not run on files already selected (see selectionOf).
  for (const test of [...tests].sort((a, b) => (a.text ? 1 : 0) - (b.text ? 1 : 0))) {
    const kind = importKind(test);
    let graph = graphs.get(kind);
    if (!graph) graphs.set(kind, (graph = importersBy(kind)));
    for (const file of selectionOf(followImports ? test : { ...test, importDepth: 0 }, facts, graph, resolve, selected)) selected.add(file);
  }
  return { selected, texts: new Map([...facts].map(([file, f]) => [file, f.text])) };
}

type ImportKind = 'imports' | 'valueImports' | 'classImports';

/** Which imports link files for a rule. */
function importKind(test: Prefilter): ImportKind {
  return test.valueImportsOnly ? 'valueImports' : test.typeImportsOfClassesOnly ? 'classImports' : 'imports';
}

function selectionOf(
  test: Prefilter,
  facts: Map<string, FileFacts>,
  importers: Map<string, string[]>,
  resolve: (from: string, spec: string) => string | undefined,
  /** Files other tests selected already. */
  already: ReadonlySet<string>,
): Set<string> {
  const depth = test.importDepth ?? 1;
  // When being direct by text only selects the file itself (it passes nothing on to importers, imports or
  // named files), the text test is moot for a file selected already: skip it there.
  const textSelectsOnlyItself = test.importersOf === 'module' && depth === 0 && !test.namesFiles;
  const direct = new Set<string>();
  const byModule = new Set<string>();
  for (const [file, f] of facts) {
    if (f.specs.some((s) => test.module(s))) byModule.add(file);
    if (byModule.has(file) || test.words.some((w) => f.text.includes(w)) || (test.text !== undefined && !(textSelectsOnlyItself && already.has(file)) && test.text(f.text))) direct.add(file);
  }
  const selected = new Set(direct);
  if (test.alsoParse?.length) for (const [file, f] of facts) if (test.alsoParse.some((w) => f.text.includes(w))) selected.add(file);
  // Files that import a direct file, directly or through a re-exporting index (an instance made in one file, used in another).
  for (const file of test.importersOf === 'module' ? byModule : direct) {
    for (const importer of importers.get(file) ?? []) {
      selected.add(importer);
      if (facts.get(importer)?.reexports) for (const further of importers.get(importer) ?? []) selected.add(further);
    }
  }
  // Files named by path: a processor file given to a worker.
  const named: string[] = [];
  if (test.namesFiles) {
    for (const file of direct) {
      const text = facts.get(file)!.text;
      for (const m of text.matchAll(SCRIPT_PATH)) {
        // An import's specifier names a module, not a script handed to a worker: imports are followed as imports.
        if (MODULE_SPECIFIER_BEFORE.test(text.slice(Math.max(0, m.index - 24), m.index))) continue;
        const raw = m[1]!.replace(/^\$\{[^}]*\}/, '.');
        const target = resolve(file, raw.startsWith('.') ? raw : `./${raw.replace(/^\/+/, '')}`);
        if (target) named.push(target);
      }
    }
  }
  named.forEach((f) => selected.add(f));
  // What they import: a shared config object, a sleep helper, the functions a handler calls, `importDepth` levels down.
  // A re-exporting index costs no level: it only forwards to the file that holds the code.
  let frontier = depth > 1 ? [...selected] : [...direct];
  const seen = new Set(frontier);
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next: string[] = [];
    const visit = (file: string, stack: Set<string>): void => {
      for (const t of facts.get(file)?.[importKind(test)] ?? []) {
        selected.add(t);
        if (facts.get(t)?.reexports && !stack.has(t)) visit(t, new Set([...stack, t]));
        if (!seen.has(t)) {
          seen.add(t);
          next.push(t);
        }
      }
    };
    for (const file of frontier) visit(file, new Set([file]));
    frontier = next;
  }
  return selected;
}

/** The prefilters of the enabled rules, plus files with suppression comments; undefined when a rule has none (then every file is parsed). */
export function rulePrefilters(tests: (Prefilter | undefined)[]): Prefilter[] | undefined {
  if (tests.length === 0 || tests.some((t) => t === undefined)) return undefined;
  // Rules that share a prefilter (the two retry rules) select once.
  return [...new Set(tests as Prefilter[]), { module: () => false, words: ['faultline-disable'] }];
}
