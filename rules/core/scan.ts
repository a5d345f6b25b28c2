import { ts, type SourceFile } from 'ts-morph';
import { FileIndex, type ProgramModel } from './program.ts';

/** Calls and constructions of one file, found in one walk of the compiler AST (no wrapping). */
export interface FileScan {
  calls: ts.CallExpression[];
  news: ts.NewExpression[];
  /** `a.b.c = value` assignments (for `axios.defaults.timeout = …`). */
  propertyAssignments: ts.BinaryExpression[];
  /** Names of variables initialised by a call (`const api = got.extend(...)`): possible clients called directly. */
  callInitialized: Set<string>;
  /** `for`, `for…of`, `while` and `do` statements (the retry rules' loops). */
  loops: (ts.ForStatement | ts.ForOfStatement | ts.WhileStatement | ts.DoStatement)[];
  /** Function declarations, methods, function expressions and arrow functions. */
  functions: (ts.FunctionDeclaration | ts.MethodDeclaration | ts.FunctionExpression | ts.ArrowFunction)[];
}

/**
 * Scans are cached by the compiler's SourceFile: an edited file is parsed
 * anew and gets a new one, so a cached scan is never stale, and files that
 * did not change are not walked again (the language server relies on this).
 */
const scans = new WeakMap<ts.SourceFile, FileScan>();
const K = ts.SyntaxKind;

export function scanFile(sf: SourceFile): FileScan {
  const key = sf.compilerNode;
  let scan = scans.get(key);
  if (scan) return scan;
  const statements = key.statements;
  if (statements.length < STATEMENT_SCANS_FROM) {
    scan = emptyScan();
    scanInto(key, scan);
  } else {
    // A big file, edited: the language server reparses it incrementally, and the statements outside the edit
    // are the same nodes as before. Their walks are kept per statement and reused.
    scan = emptyScan();
    for (const stmt of statements) {
      let part = statementScans.get(stmt);
      if (!part) {
        part = emptyScan();
        scanInto(stmt, part, true);
        statementScans.set(stmt, part);
      }
      append(scan, part);
    }
    // The end-of-file token holds nothing a scan collects.
  }
  scans.set(key, scan);
  return scan;
}

/** Files with at least this many statements are scanned statement by statement (see scanFile). */
const STATEMENT_SCANS_FROM = 64;
const statementScans = new WeakMap<ts.Statement, FileScan>();

function emptyScan(): FileScan {
  return { calls: [], news: [], propertyAssignments: [], callInitialized: new Set(), loops: [], functions: [] };
}

function append(to: FileScan, part: FileScan): void {
  for (const c of part.calls) to.calls.push(c);
  for (const n of part.news) to.news.push(n);
  for (const a of part.propertyAssignments) to.propertyAssignments.push(a);
  for (const name of part.callInitialized) to.callInitialized.add(name);
  for (const l of part.loops) to.loops.push(l);
  for (const f of part.functions) to.functions.push(f);
}

/** Walks `root`'s descendants (and `root` itself with `self`) into `s`, with one visitor for the whole walk. */
function scanInto(root: ts.Node, s: FileScan, self = false): void {
  const visit = (node: ts.Node): void => {
    if (collect(node, s)) ts.forEachChild(node, visit);
  };
  if (self) visit(root);
  else ts.forEachChild(root, visit);
}

/** Records what the scan collects of `node`; false when its subtree is not worth a walk (types). */
function collect(node: ts.Node, s: FileScan): boolean {
  switch (node.kind) {
    case K.CallExpression:
      s.calls.push(node as ts.CallExpression);
      break;
    case K.NewExpression:
      s.news.push(node as ts.NewExpression);
      break;
    case K.VariableDeclaration: {
      const decl = node as ts.VariableDeclaration;
      if (ts.isIdentifier(decl.name) && decl.initializer && ts.isCallExpression(decl.initializer)) s.callInitialized.add(decl.name.text);
      break;
    }
    case K.BinaryExpression: {
      const b = node as ts.BinaryExpression;
      if (b.operatorToken.kind === K.EqualsToken && ts.isPropertyAccessExpression(b.left)) s.propertyAssignments.push(b);
      break;
    }
    case K.ForStatement:
    case K.ForOfStatement:
    case K.WhileStatement:
    case K.DoStatement:
      s.loops.push(node as FileScan['loops'][number]);
      break;
    case K.FunctionDeclaration:
    case K.MethodDeclaration:
    case K.FunctionExpression:
    case K.ArrowFunction:
      s.functions.push(node as FileScan['functions'][number]);
      break;
    // Types hold no calls, constructions, assignments, loops or functions: not worth a walk.
    case K.InterfaceDeclaration:
    case K.TypeAliasDeclaration:
      return false;
    default:
      if (node.kind >= K.FirstTypeNode && node.kind <= K.LastTypeNode) return false;
  }
  return true;
}

export interface RelevanceTest {
  /** Whether importing this (normalised) module specifier makes a file worth walking. */
  module(specifier: string): boolean;
  /** Words whose presence in a file's text makes it worth walking (`fetch`). */
  words: readonly string[];
  /**
   * Whether the rule follows only values across files (imported bindings,
   * instances, functions), never a type annotation into a file of ours: then
   * an `import type` links nothing, in the analysis and in the prefilter.
   */
  valueImportsOnly?: boolean;
}

/**
 * The syntactic prefilter: a file is walked only if it imports a library
 * the rule knows, mentions one of its words, or imports a file of ours that
 * does (two levels deep, for a client module re-exported through an index).
 * Everything else costs only its parse.
 */
export class Relevance {
  private readonly relevant = new Map<SourceFile, boolean>();
  // Memo keys built once: a key built per lookup is hashed anew each time, and lookups run per file of the program.
  private readonly directKey: string;
  private readonly importsKey: string;

  /** `id` names the test in the model's cache (a rule id, plus whatever configuration changes the test). */
  constructor(
    private readonly model: ProgramModel,
    private readonly test: RelevanceTest,
    private readonly id: string,
  ) {
    this.directKey = `direct:${id}`;
    this.importsKey = `projectImports:${id}`;
  }

  isKnownModule(specifier: string): boolean {
    return this.test.module(specifier);
  }

  isDirect(sf: SourceFile): boolean {
    return this.model.cache.memo(sf, this.directKey, () => {
      const text = sf.getFullText();
      return [...this.model.importedModules(sf)].some((m) => this.test.module(m)) || this.test.words.some((w) => text.includes(w));
    });
  }

  isRelevant(sf: SourceFile): boolean {
    let v = this.relevant.get(sf);
    if (v !== undefined) return v;
    v = this.isDirect(sf) || this.projectImports(sf).some((t) => this.isDirect(t) || this.projectImports(t).some((t2) => this.isDirect(t2)));
    this.relevant.set(sf, v);
    return v;
  }

  /** The files of ours a file imports or re-exports. */
  projectImports(sf: SourceFile): SourceFile[] {
    return this.projectImportPaths(sf)
      .map((p) => this.model.fileAt(p, false))
      .filter((t): t is SourceFile => t !== undefined);
  }

  private projectImportPaths(sf: SourceFile): string[] {
    return this.model.cache.memo(sf, this.importsKey, () => this.resolveProjectImports(sf).map((t) => t.getFilePath()));
  }

  private resolveProjectImports(sf: SourceFile): SourceFile[] {
    const out: SourceFile[] = [];
    for (const stmt of sf.compilerNode.statements) {
      if ((ts.isImportDeclaration(stmt) || ts.isExportDeclaration(stmt)) && stmt.moduleSpecifier && ts.isStringLiteral(stmt.moduleSpecifier)) {
        if (this.test.valueImportsOnly && isTypeOnlyStatement(stmt)) continue;
        const spec = stmt.moduleSpecifier.text;
        if (spec.startsWith('node:') || this.test.module(spec)) continue;
        // Files parsed on first use are left out: relevance is a question about the files parsed up front.
        const target = this.model.resolveModule(sf, spec, false);
        if (target) out.push(target);
      }
    }
    return out;
  }

  private importers: Map<string, SourceFile[]> | undefined;
  private reverse: Map<string, Set<SourceFile>> | undefined;
  private fileOrder: Map<SourceFile, number> | undefined;

  /**
   * Files that import `target` directly or through one re-exporting file.
   * Who imports whom is kept in the model's cache across analyses and
   * updated by the files parsed anew since (an edit changes the edited
   * file's imports only); the lists asked for are built once per run.
   */
  importersOf(target: SourceFile): SourceFile[] {
    const files = this.model.sourceFiles();
    if (!this.reverse) {
      const index = this.model.cache.index(`importers:${this.id}`, () => new ImportersIndex());
      index.files.refresh(files, (f) => this.projectImportPaths(f));
      this.reverse = index.reverse;
      this.importers = new Map();
    }
    const importers = (p: string): SourceFile[] => {
      let list = this.importers!.get(p);
      if (!list) {
        const set = this.reverse!.get(p);
        list = set ? [...set] : [];
        if (list.length > 1) {
          // In the order of the program's files, as when the index was built per run.
          const order = (this.fileOrder ??= new Map(files.map((f, i) => [f, i])));
          list.sort((a, b) => order.get(a)! - order.get(b)!);
        }
        this.importers!.set(p, list);
      }
      return list;
    };
    const out = new Set<SourceFile>();
    for (const f of importers(target.getFilePath())) {
      if (f === target) continue;
      out.add(f);
      for (const g of importers(f.getFilePath())) if (g !== target) out.add(g);
    }
    return [...out];
  }
}

/** `import type …`, `import { type A }`, `export type { … } from`: a statement through which no value comes. */
export function isTypeOnlyStatement(stmt: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(stmt)) {
    if (stmt.isTypeOnly) return true;
    const clause = stmt.exportClause;
    return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
  }
  const clause = stmt.importClause;
  if (!clause) return false; // `import './polyfill'`: runs the file.
  if (clause.isTypeOnly) return true;
  if (clause.name || !clause.namedBindings || !ts.isNamedImports(clause.namedBindings)) return false;
  const elements = clause.namedBindings.elements;
  return elements.length > 0 && elements.every((e) => e.isTypeOnly);
}

/** The program's import graph, reversed: for each file path, the files that import it. */
class ImportersIndex {
  readonly reverse = new Map<string, Set<SourceFile>>();
  readonly files = new FileIndex<string[]>((f, before, after) => {
    for (const p of before ?? []) this.reverse.get(p)?.delete(f);
    for (const p of after) {
      const set = this.reverse.get(p);
      if (set) set.add(f);
      else this.reverse.set(p, new Set([f]));
    }
  });
}

/** The last name of a callee: `fetch` in `fetch()`, `get` in `a.b.get()`. */
export function calleeName(expr: ts.Expression): string | undefined {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
  if (ts.isElementAccessExpression(expr) && ts.isStringLiteralLike(expr.argumentExpression)) return expr.argumentExpression.text;
  if (ts.isParenthesizedExpression(expr) || ts.isNonNullExpression(expr)) return calleeName(expr.expression);
  return undefined;
}
