import * as path from 'node:path';
import { Node, SyntaxKind, ts, type Project, type SourceFile } from 'ts-morph';
import type { AnalysisOptions } from '../types.ts';

/**
 * Where a value comes from, as far as the code says without running it.
 * Rules ask "is this expression the axios default instance? the result of
 * `axios.create(...)`? a parameter of the enclosing function?" and read the
 * answer from an origin.
 */
export type Origin =
  /** A library's export; `path` is the property path below the module (default imports count as the module itself). */
  | { kind: 'module'; module: string; path: string[] }
  /** A name no declaration in scope defines (`fetch`, `AbortSignal`), with the property path below it. */
  | { kind: 'global'; name: string; path: string[] }
  /** The value a call returns. */
  | { kind: 'call'; callee: Origin; node: Node & { getArguments(): Node[] } }
  /** The value a `new` expression makes. */
  | { kind: 'new'; ctor: Origin; node: Node & { getArguments(): Node[] } }
  /** A property read from a value that is not a module or a global. */
  | { kind: 'member'; object: Origin; name: string }
  /** A parameter of a function; `path` is the property path read from it (destructuring included). */
  | { kind: 'param'; param: Node; fn: Node; index: number; path: string[]; declaredType?: TypeRef }
  /** A declaration with a type annotation but no value we can follow (`private http: AxiosInstance`). */
  | { kind: 'typed'; type: TypeRef; node: Node }
  | { kind: 'object'; node: Node }
  | { kind: 'function'; node: Node }
  | { kind: 'class'; node: Node }
  | { kind: 'literal'; node: Node }
  | { kind: 'unknown' };

/** A type named by an import: `AxiosInstance` from `axios`. */
export interface TypeRef {
  module: string;
  name: string;
}

/** Files read but not parsed, that the analysis may parse when it first reaches one. */
export interface UnparsedFiles {
  has(file: string): boolean;
  /** The text of a file not parsed yet (undefined once parsed, or when unknown). */
  text(file: string): string | undefined;
  parse(file: string): SourceFile | undefined;
}

export type ImportBinding = { readonly module: string; readonly name: string; readonly node: Node };

/** An import binding whose node is wrapped only when asked for: most files' imports are read for their modules alone. */
class LazyBinding implements ImportBinding {
  constructor(
    readonly module: string,
    readonly name: string,
    private readonly sf: SourceFile,
    private readonly id: ts.Node,
  ) {}

  get node(): Node {
    return wrap(this.sf, this.id);
  }
}

const MAX_DEPTH = 10;

/** `node:http` and `http` are the same module. */
export function normalizeModule(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
}

/** Ts-morph wraps compiler nodes lazily; this wraps one we found by walking the compiler AST. */
export function wrap<T extends Node = Node>(sf: SourceFile, node: ts.Node): T {
  return (sf as unknown as { _getNodeFromCompilerNode(n: ts.Node): T })._getNodeFromCompilerNode(node);
}

/**
 * Facts about files that outlive one analysis: the language server keeps
 * one per project, so that a keystroke re-derives only the edited file's.
 * Per-file facts are keyed by the compiler's SourceFile, which an edit
 * replaces, so they are never stale; module resolution, the list of the
 * project's files and the indexes below depend on which files exist, and
 * are cleared when files appear or vanish (`filesChanged`, called by the
 * host and by the cache itself when ts-morph reports a file added or
 * removed).
 */
export class ModelCache {
  private perFile = new WeakMap<ts.SourceFile, Map<string, unknown>>();
  readonly moduleResolution = new Map<string, string | undefined>();
  private project: Project | undefined;
  /** Whether ts-morph tells us when files are added or removed (else the file list is not kept). */
  private watching = false;
  private files: SourceFile[] | undefined;
  private readonly indexes = new Map<string, unknown>();

  memo<T>(sf: SourceFile, key: string, compute: () => T): T {
    const parse = sf.compilerNode;
    let map = this.perFile.get(parse);
    if (!map) this.perFile.set(parse, (map = new Map()));
    const hit = map.get(key);
    if (hit !== undefined || map.has(key)) return hit as T;
    const value = compute();
    map.set(key, value);
    return value;
  }

  /** Files were added or removed: resolutions may change. */
  filesChanged(): void {
    this.moduleResolution.clear();
    // Per-file facts include what a file's imports resolved to.
    this.perFile = new WeakMap();
    this.files = undefined;
    this.indexes.clear();
  }

  private quiet = false;
  /**
   * Runs `add`, which adds files the cache's facts already allowed for (a
   * file parsed on first use, whose path module resolution already named):
   * nothing is cleared.
   */
  adding<T>(add: () => T): T {
    this.quiet = true;
    try {
      return add();
    } finally {
      this.quiet = false;
    }
  }

  /** Binds the cache to the project it describes: a cache handed another project (a reloaded tsconfig) starts afresh. */
  attach(project: Project): void {
    if (this.project === project) return;
    this.project = project;
    this.filesChanged();
    const factory = (project as unknown as { _context?: { compilerFactory?: { onSourceFileAdded?(cb: () => void): void; onSourceFileRemoved?(cb: () => void): void } } })._context?.compilerFactory;
    this.watching = typeof factory?.onSourceFileAdded === 'function' && typeof factory.onSourceFileRemoved === 'function';
    if (this.watching) {
      const changed = (): void => {
        if (this.project === project && !this.quiet) this.filesChanged();
      };
      factory!.onSourceFileAdded!(changed);
      factory!.onSourceFileRemoved!(changed);
    }
  }

  /** The project's analysable files, kept until a file is added or removed. */
  sourceFiles(compute: () => SourceFile[]): SourceFile[] {
    if (!this.watching) return compute();
    return (this.files ??= compute());
  }

  /** A program-wide index (a `FileIndex` and what derives from it), kept across analyses and cleared with `filesChanged`. */
  index<T>(key: string, make: () => T): T {
    let index = this.indexes.get(key) as T | undefined;
    if (index === undefined) this.indexes.set(key, (index = make()));
    return index;
  }
}

/**
 * One fact per file of the program, brought up to date by `refresh`: a
 * file's entry is recomputed only when the file was parsed anew (an edit
 * gives it a new compiler SourceFile), and `changed` hears of each update,
 * so that derived maps (who imports whom) change by the edited file's part.
 */
export class FileIndex<T> {
  private readonly entries = new Map<SourceFile, { parse: ts.SourceFile; value: T }>();

  constructor(private readonly changed?: (sf: SourceFile, before: T | undefined, after: T) => void) {}

  refresh(files: readonly SourceFile[], compute: (sf: SourceFile) => T): void {
    for (const sf of files) {
      const parse = sf.compilerNode;
      const entry = this.entries.get(sf);
      if (entry && entry.parse === parse) continue;
      const value = compute(sf);
      this.changed?.(sf, entry?.value, value);
      this.entries.set(sf, { parse, value });
    }
  }
}

/**
 * The program as the rules see it: the project's files, their imports, and
 * a resolver that follows values across files without the type checker:
 * import specifiers say which library a value comes from, and type
 * annotations (`http: AxiosInstance`) say what a declared value is. That
 * keeps a bare clone without `node_modules` as precise as an installed one,
 * keeps the cost near the parse, and gives the editor and CI the same
 * answers (a type checker would be rebuilt on every keystroke).
 */
export class ProgramModel {
  private readonly originCache = new Map<Node, Origin>();
  private readonly runState = new Map<string, unknown>();

  /**
   * State a rule keeps for this analysis only (a cache of per-file answers
   * that depend on other files), made on first use under `key`. Unlike
   * `cache`, which the language server keeps across edits, it goes with the model.
   */
  perRun<T>(key: string, create: () => T): T {
    let state = this.runState.get(key) as T | undefined;
    if (state === undefined) this.runState.set(key, (state = create()));
    return state;
  }

  constructor(
    readonly project: Project,
    readonly options: AnalysisOptions,
    readonly cache: ModelCache = new ModelCache(),
    /** Files of the project read but not parsed (the CLI's prefilter left them out), parsed when resolution first reaches one. */
    private readonly unparsed?: UnparsedFiles,
  ) {
    cache.attach(project);
  }

  /** The project's files, declaration files and dependencies left out (shared: do not modify). */
  sourceFiles(): SourceFile[] {
    return this.cache.sourceFiles(() => this.project.getSourceFiles().filter((sf) => !sf.isDeclarationFile() && !sf.isInNodeModules()));
  }

  /** Local names bound by imports and `require` calls at the top of a file. */
  imports(sf: SourceFile): Map<string, ImportBinding> {
    return this.cache.memo(sf, 'imports', () => this.readImports(sf));
  }

  private readImports(sf: SourceFile): Map<string, ImportBinding> {
    const map = new Map<string, ImportBinding>();
    for (const stmt of sf.compilerNode.statements) {
      if (ts.isImportDeclaration(stmt) && ts.isStringLiteral(stmt.moduleSpecifier) && stmt.importClause) {
        const module = normalizeModule(stmt.moduleSpecifier.text);
        const clause = stmt.importClause;
        if (clause.name) map.set(clause.name.text, new LazyBinding(module, 'default', sf, clause.name));
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) {
          map.set(bindings.name.text, new LazyBinding(module, '*', sf, bindings.name));
        } else if (bindings) {
          for (const el of bindings.elements) {
            map.set(el.name.text, new LazyBinding(module, (el.propertyName ?? el.name).text, sf, el.name));
          }
        }
      } else if (ts.isImportEqualsDeclaration(stmt) && ts.isExternalModuleReference(stmt.moduleReference)) {
        const expr = stmt.moduleReference.expression;
        if (ts.isStringLiteral(expr)) map.set(stmt.name.text, new LazyBinding(normalizeModule(expr.text), '*', sf, stmt.name));
      } else if (ts.isVariableStatement(stmt)) {
        for (const decl of stmt.declarationList.declarations) {
          const spec = requireSpecifier(decl.initializer);
          if (spec === undefined) continue;
          if (ts.isIdentifier(decl.name)) {
            map.set(decl.name.text, new LazyBinding(spec, '*', sf, decl.name));
          } else if (ts.isObjectBindingPattern(decl.name)) {
            for (const el of decl.name.elements) {
              if (!ts.isIdentifier(el.name)) continue;
              const prop = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text;
              map.set(el.name.text, new LazyBinding(spec, prop, sf, el.name));
            }
          }
        }
      }
    }
    return map;
  }

  /** Module specifiers a file imports (normalised), for cheap prefilters. */
  importedModules(sf: SourceFile): Set<string> {
    return this.cache.memo(sf, 'importedModules', () => new Set([...this.imports(sf).values()].map((b) => b.module)));
  }

  /**
   * The project file a module specifier names, if it is one of ours:
   * relative paths, tsconfig `paths`, workspace packages. Library
   * specifiers resolve to nothing (we read them by name).
   */
  resolveModule(from: SourceFile, specifier: string, load = true): SourceFile | undefined {
    const file = this.resolveModulePath(from, specifier);
    return file === undefined ? undefined : this.fileAt(file, load);
  }

  /**
   * Whether the project file a module specifier names may hold what `test`
   * looks for in its text: true for a file already parsed (or unknown), and
   * for one not parsed yet whose text passes. Lets a rule skip parsing a file
   * that cannot hold what it follows (a class, for one).
   */
  moduleMayHold(from: SourceFile, specifier: string, test: RegExp): boolean {
    const file = this.resolveModulePath(from, specifier);
    const text = file === undefined || this.parsedLate.has(file) ? undefined : this.unparsed?.text(file);
    return text === undefined || test.test(text);
  }

  /**
   * The path of the project file a module specifier names: one parsed, or
   * one read but not parsed yet. Resolution does not change when such a
   * file is parsed later, so it is cached across the whole analysis.
   */
  resolveModulePath(from: SourceFile, specifier: string): string | undefined {
    // ts-morph's getDirectoryPath standardises the path on every call; its file path is already standard.
    const file = from.getFilePath();
    // At a drive's root (`C:/a.ts`) the folder is `C:/`, not `C:` (the current folder of drive C).
    const dir = path.posix.dirname(file).replace(/^([A-Za-z]:)$/, '$1/');
    const key = `${dir}\0${specifier}`;
    if (this.cache.moduleResolution.has(key)) return this.cache.moduleResolution.get(key);
    let result: string | undefined;
    if (specifier.startsWith('.')) {
      // Relative imports resolve against the files already loaded: no file-system probing.
      const files = this.filesByPath();
      const base = path.resolve(dir, specifier).replace(/\\/g, '/');
      const stem = base.replace(/\.(m|c)?[jt]sx?$/, '');
      for (const candidate of relativeCandidates(base, stem)) {
        if (this.isProjectFile(candidate, files)) {
          result = candidate;
          break;
        }
      }
    } else if (this.hasPathMappings()) {
      // Path aliases (`@app/clients`) are resolved the way the compiler would.
      const resolved = ts.resolveModuleName(specifier, from.getFilePath(), this.project.getCompilerOptions(), ts.sys).resolvedModule;
      if (resolved && !resolved.isExternalLibraryImport) {
        const file = path.resolve(resolved.resolvedFileName).replace(/\\/g, '/');
        if (this.isProjectFile(file, this.filesByPath())) result = file;
        else result = this.project.getSourceFile(resolved.resolvedFileName)?.getFilePath();
      }
    }
    this.cache.moduleResolution.set(key, result);
    return result;
  }

  /**
   * The file at a path: one parsed up front, else (with `load`) one parsed
   * now from the text the loader read. Without `load`, files parsed on first
   * use are not returned either, so that what a prefilter-like test
   * (`Relevance`) sees does not depend on what other rules reached first.
   */
  fileAt(file: string, load = true): SourceFile | undefined {
    const parsed = this.filesByPath().get(file);
    if (parsed || !this.unparsed) return parsed ?? this.project.getSourceFile(file);
    if (!load) return undefined;
    let late = this.parsedLate.get(file);
    if (late === undefined && this.unparsed.has(file)) {
      late = this.cache.adding(() => this.unparsed!.parse(file));
      if (late) this.parsedLate.set(file, late);
    }
    return late;
  }

  private readonly parsedLate = new Map<string, SourceFile>();

  /** Parsed up front, parsed since on first use, or read and waiting to be. */
  private isProjectFile(file: string, upFront: Map<string, SourceFile>): boolean {
    return upFront.has(file) || this.parsedLate.has(file) || (this.unparsed?.has(file) ?? false);
  }
  private byPath: { files: SourceFile[]; map: Map<string, SourceFile> } | undefined;
  /** The project's files parsed up front, by path as ts-morph writes them (absolute, with `/`). */
  private filesByPath(): Map<string, SourceFile> {
    const files = this.sourceFiles();
    if (this.byPath?.files !== files) this.byPath = { files, map: new Map(files.map((f) => [f.getFilePath() as string, f])) };
    return this.byPath.map;
  }

  private pathMappings: boolean | undefined;
  private hasPathMappings(): boolean {
    if (this.pathMappings === undefined) {
      const o = this.project.getCompilerOptions();
      this.pathMappings = Boolean(o.paths && Object.keys(o.paths).length > 0) || Boolean(o.baseUrl);
    }
    return this.pathMappings;
  }

  /** The declaration a file exports under `name` (`default` for the default export). */
  exportedDeclaration(sf: SourceFile, name: string, depth = 0): Node | undefined {
    if (depth > MAX_DEPTH) return undefined;
    for (const stmt of sf.compilerNode.statements) {
      const exported = hasExportModifier(stmt);
      if (ts.isVariableStatement(stmt) && exported) {
        for (const decl of stmt.declarationList.declarations) {
          if (ts.isIdentifier(decl.name) && decl.name.text === name) return wrap(sf, decl);
        }
      } else if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt)) && exported) {
        const isDefault = stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
        if ((isDefault && name === 'default') || stmt.name?.text === name) return wrap(sf, stmt);
      } else if (ts.isExportAssignment(stmt) && name === 'default') {
        return wrap(sf, stmt.expression);
      } else if (ts.isExportDeclaration(stmt) && stmt.exportClause && ts.isNamedExports(stmt.exportClause)) {
        for (const el of stmt.exportClause.elements) {
          if (el.name.text !== name) continue;
          const local = (el.propertyName ?? el.name).text;
          if (stmt.moduleSpecifier && ts.isStringLiteral(stmt.moduleSpecifier)) {
            const target = this.resolveModule(sf, stmt.moduleSpecifier.text);
            return target ? this.exportedDeclaration(target, local, depth + 1) : undefined;
          }
          return this.topLevelDeclaration(sf, local);
        }
      } else if (ts.isExportDeclaration(stmt) && !stmt.exportClause && stmt.moduleSpecifier && ts.isStringLiteral(stmt.moduleSpecifier)) {
        const target = this.resolveModule(sf, stmt.moduleSpecifier.text);
        const found = target && this.exportedDeclaration(target, name, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  }

  private topLevelDeclaration(sf: SourceFile, name: string): Node | undefined {
    for (const stmt of sf.compilerNode.statements) {
      if (ts.isVariableStatement(stmt)) {
        for (const decl of stmt.declarationList.declarations) {
          if (ts.isIdentifier(decl.name) && decl.name.text === name) return wrap(sf, decl);
        }
      } else if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt)) && stmt.name?.text === name) {
        return wrap(sf, stmt);
      }
    }
    const imported = this.imports(sf).get(name);
    return imported?.node;
  }

  /** Whether `name` is declared in a scope around `node` (a parameter, a local, an import), read on compiler nodes. */
  declaresName(sf: SourceFile, node: ts.Node, name: string): boolean {
    for (let scope = node.parent; scope; scope = scope.parent) if (declarationIn(sf, scope, name)) return true;
    return false;
  }

  /**
   * The declaration an identifier refers to, found by walking its scopes
   * outwards (parameters, block and file declarations, imports).
   */
  resolveIdentifier(id: Node): Node | undefined {
    const node = id.compilerNode;
    const name = ts.isIdentifier(node) ? node.text : id.getText();
    const sf = id.getSourceFile();
    // Up the compiler's parents: wrapping each enclosing node of every identifier looked up cost more than the lookups.
    for (let scope = node.parent; scope; scope = scope.parent) {
      const found = declarationIn(sf, scope, name);
      if (found) return found;
    }
    return undefined;
  }

  /** Where the value of an expression comes from (cached per node). */
  origin(expr: Node, depth = 0): Origin {
    const cached = this.originCache.get(expr);
    if (cached) return cached;
    const result = depth > MAX_DEPTH ? { kind: 'unknown' as const } : this.computeOrigin(expr, depth);
    this.originCache.set(expr, result);
    return result;
  }

  private computeOrigin(expr: Node, depth: number): Origin {
    if (Node.isParenthesizedExpression(expr) || Node.isAsExpression(expr) || Node.isNonNullExpression(expr) || Node.isSatisfiesExpression(expr) || Node.isTypeAssertion(expr) || Node.isAwaitExpression(expr)) {
      return this.origin(expr.getExpression(), depth + 1);
    }
    if (Node.isIdentifier(expr)) return this.identifierOrigin(expr, depth);
    if (Node.isPropertyAccessExpression(expr)) {
      const object = expr.getExpression();
      const name = expr.getName();
      if (Node.isThisExpression(object)) return this.thisMemberOrigin(expr, name, depth);
      return this.memberOf(this.origin(object, depth + 1), name, depth);
    }
    if (Node.isElementAccessExpression(expr)) {
      const arg = expr.getArgumentExpression();
      if (arg && (Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg))) {
        return this.memberOf(this.origin(expr.getExpression(), depth + 1), arg.getLiteralText(), depth);
      }
      return { kind: 'unknown' };
    }
    if (Node.isCallExpression(expr)) {
      const spec = requireSpecifier(expr.compilerNode);
      if (spec !== undefined) return { kind: 'module', module: spec, path: [] };
      const callee = this.origin(expr.getExpression(), depth + 1);
      // A project factory (`export function createHttp() { return axios.create(...) }`) returns what its single return returns.
      if (callee.kind === 'function') {
        const returned = singleReturnedExpression(callee.node);
        if (returned) return this.origin(returned, depth + 1);
      }
      return { kind: 'call', callee, node: expr };
    }
    if (Node.isNewExpression(expr)) return { kind: 'new', ctor: this.origin(expr.getExpression(), depth + 1), node: expr };
    if (Node.isObjectLiteralExpression(expr)) return { kind: 'object', node: expr };
    if (Node.isBinaryExpression(expr)) {
      // `process.env.URL ?? 'redis://localhost'`: a value of the fallback's kind.
      const op = expr.getOperatorToken().getKind();
      if (op === SyntaxKind.QuestionQuestionToken || op === SyntaxKind.BarBarToken) {
        const right = this.origin(expr.getRight(), depth + 1);
        if (right.kind === 'literal') return right;
      }
      if (op === SyntaxKind.PlusToken) {
        const left = this.origin(expr.getLeft(), depth + 1);
        if (left.kind === 'literal' && Node.isStringLiteral(left.node)) return left;
      }
      return { kind: 'unknown' };
    }
    if (Node.isArrowFunction(expr) || Node.isFunctionExpression(expr)) return { kind: 'function', node: expr };
    if (Node.isLiteralExpression(expr) || Node.isTrueLiteral(expr) || Node.isFalseLiteral(expr) || Node.isNoSubstitutionTemplateLiteral(expr) || Node.isTemplateExpression(expr)) {
      return { kind: 'literal', node: expr };
    }
    return { kind: 'unknown' };
  }

  private memberOf(object: Origin, name: string, depth: number): Origin {
    switch (object.kind) {
      case 'module':
        return { kind: 'module', module: object.module, path: [...object.path, name] };
      case 'global':
        return { kind: 'global', name: object.name, path: [...object.path, name] };
      case 'param':
        return { ...object, path: [...object.path, name] };
      case 'object': {
        if (Node.isSourceFile(object.node)) {
          // `import * as clients from './clients'`: a namespace of our own file.
          const exported = this.exportedDeclaration(object.node, name);
          return exported ? this.declarationOrigin(exported, depth + 1) : { kind: 'unknown' };
        }
        const value = objectProperty(object.node, name);
        return value ? this.origin(value, depth + 1) : { kind: 'unknown' };
      }
      case 'new':
        // A method of a class of ours, called on an instance we saw made.
        if (object.ctor.kind === 'class' && Node.isClassDeclaration(object.ctor.node)) {
          const method = object.ctor.node.getMethod(name);
          if (method) return { kind: 'function', node: method };
        }
        return { kind: 'member', object, name };
      default:
        return { kind: 'member', object, name };
    }
  }

  private identifierOrigin(id: Node, depth: number): Origin {
    const name = id.getText();
    if (name === 'undefined') return { kind: 'literal', node: id };
    const decl = this.resolveIdentifier(id);
    if (!decl) return { kind: 'global', name, path: [] };
    return this.declarationOrigin(decl, depth);
  }

  /** The origin of the value a declaration binds. */
  declarationOrigin(decl: Node, depth: number): Origin {
    const sf = decl.getSourceFile();
    // An import binding: a library, or a file of ours whose export we follow.
    const imported = Node.isIdentifier(decl) ? this.imports(sf).get(decl.getText()) : undefined;
    if (imported && imported.node === decl) {
      const target = this.resolveModule(sf, imported.module);
      if (target) {
        if (imported.name === '*') return { kind: 'object', node: target };
        const exported = this.exportedDeclaration(target, imported.name);
        return exported ? this.declarationOrigin(exported, depth + 1) : { kind: 'unknown' };
      }
      return { kind: 'module', module: imported.module, path: imported.name === 'default' || imported.name === '*' ? [] : [imported.name] };
    }
    if (Node.isVariableDeclaration(decl)) {
      const init = decl.getInitializer();
      if (init) return this.origin(init, depth + 1);
      const typeRef = this.typeRefOf(decl);
      return typeRef ? { kind: 'typed', type: typeRef, node: decl } : { kind: 'unknown' };
    }
    if (Node.isBindingElement(decl)) return this.bindingElementOrigin(decl, depth);
    if (Node.isParameterDeclaration(decl)) {
      const fn = decl.getParent();
      const index = (fn as unknown as { getParameters(): Node[] }).getParameters().indexOf(decl);
      const declaredType = this.typeRefOf(decl);
      return { kind: 'param', param: decl, fn, index, path: [], ...(declaredType ? { declaredType } : {}) };
    }
    if (Node.isFunctionDeclaration(decl) || Node.isMethodDeclaration(decl)) return { kind: 'function', node: decl };
    if (Node.isClassDeclaration(decl)) return { kind: 'class', node: decl };
    if (Node.isExpression(decl)) return this.origin(decl, depth + 1);
    return { kind: 'unknown' };
  }

  private bindingElementOrigin(el: Node, depth: number): Origin {
    if (!Node.isBindingElement(el)) return { kind: 'unknown' };
    const pattern = el.getParent();
    const holder = pattern.getParent();
    const key = el.getPropertyNameNode()?.getText() ?? el.getName();
    let base: Origin = { kind: 'unknown' };
    if (Node.isVariableDeclaration(holder)) {
      const init = holder.getInitializer();
      if (init) base = this.origin(init, depth + 1);
    } else if (Node.isParameterDeclaration(holder)) {
      base = this.declarationOrigin(holder, depth + 1);
    } else if (Node.isBindingElement(holder)) {
      base = this.bindingElementOrigin(holder, depth + 1);
    }
    if (Node.isArrayBindingPattern(pattern)) return base.kind === 'param' ? { ...base, path: [...base.path, '[]'] } : { kind: 'unknown' };
    return this.memberOf(base, key, depth);
  }

  /** `this.http`: the class member's initializer, an assignment in the constructor, or its declared type. */
  private thisMemberOrigin(access: Node, name: string, depth: number): Origin {
    const sf = access.getSourceFile();
    const member = thisMember(sf, access.compilerNode, name);
    switch (member?.kind) {
      case undefined:
        return { kind: 'unknown' };
      case 'value':
        return this.origin(wrap(sf, member.value), depth + 1);
      case 'parameter':
        return this.declarationOrigin(wrap(sf, member.param), depth + 1);
      case 'declared': {
        const typeRef = this.typeRefOf(wrap(sf, member.prop));
        if (typeRef) return { kind: 'typed', type: typeRef, node: wrap(sf, member.prop) };
        return member.method ? { kind: 'function', node: wrap(sf, member.method) } : { kind: 'unknown' };
      }
      case 'method':
        return { kind: 'function', node: wrap(sf, member.method) };
    }
  }

  /** The imported type a declaration is annotated with: `http: AxiosInstance` → `{ module: 'axios', name: 'AxiosInstance' }`. */
  typeRefOf(decl: Node): TypeRef | undefined {
    const typeNode = (decl as unknown as { getTypeNode?(): Node | undefined }).getTypeNode?.();
    if (!typeNode || !Node.isTypeReference(typeNode)) return undefined;
    const typeName = typeNode.getTypeName();
    const sf = decl.getSourceFile();
    if (Node.isIdentifier(typeName)) {
      const binding = this.imports(sf).get(typeName.getText());
      if (binding && this.resolveModulePath(sf, binding.module) === undefined) return { module: binding.module, name: binding.name === 'default' ? typeName.getText() : binding.name };
    } else if (Node.isQualifiedName(typeName)) {
      const left = typeName.getLeft();
      const binding = Node.isIdentifier(left) ? this.imports(sf).get(left.getText()) : undefined;
      if (binding) return { module: binding.module, name: typeName.getRight().getText() };
    }
    return undefined;
  }
}

/** The files a relative specifier may name, in the order the compiler tries them. */
function* relativeCandidates(base: string, stem: string): Generator<string> {
  yield base;
  for (const ext of ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx']) yield stem + ext;
  for (const dir of [base, stem]) for (const index of ['/index.ts', '/index.tsx', '/index.js']) yield dir + index;
}

function hasExportModifier(stmt: ts.Statement): boolean {
  return ts.canHaveModifiers(stmt) && (ts.getModifiers(stmt)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false);
}

/** `require('x')` → `x` (normalised), otherwise undefined. */
export function requireSpecifier(expr: ts.Node | undefined): string | undefined {
  if (!expr) return undefined;
  if (ts.isCallExpression(expr) && ts.isIdentifier(expr.expression) && expr.expression.text === 'require' && expr.arguments.length === 1) {
    const arg = expr.arguments[0]!;
    if (ts.isStringLiteral(arg)) return normalizeModule(arg.text);
  }
  return undefined;
}

/** A property's value in an object literal (`{ a: 1 }`, shorthand `{ a }`), ignoring spreads. */
export function objectProperty(obj: Node, name: string): Node | undefined {
  if (!Node.isObjectLiteralExpression(obj)) return undefined;
  // The last assignment wins, as at run time.
  const props = obj.getProperties();
  for (let i = props.length - 1; i >= 0; i--) {
    const p = props[i]!;
    if (Node.isPropertyAssignment(p) && propertyNameText(p) === name) return p.getInitializer();
    if (Node.isShorthandPropertyAssignment(p) && p.getName() === name) return p.getNameNode();
  }
  return undefined;
}

/** The plain text of a property's name (`timeout`, `'timeout'` and `["timeout"]` alike). */
export function propertyNameText(p: Node): string | undefined {
  if (!Node.isPropertyAssignment(p) && !Node.isShorthandPropertyAssignment(p) && !Node.isMethodDeclaration(p)) return undefined;
  const nameNode = p.getNameNode();
  if (Node.isIdentifier(nameNode)) return nameNode.getText();
  if (Node.isStringLiteral(nameNode) || Node.isNoSubstitutionTemplateLiteral(nameNode)) return nameNode.getLiteralText();
  if (Node.isComputedPropertyName(nameNode)) {
    const e = nameNode.getExpression();
    if (Node.isStringLiteral(e)) return e.getLiteralText();
  }
  return undefined;
}

function singleReturnedExpression(fn: Node): Node | undefined {
  if (Node.isArrowFunction(fn)) {
    const body = fn.getBody();
    if (!Node.isBlock(body)) return body;
  }
  if (!(Node.isFunctionDeclaration(fn) || Node.isFunctionExpression(fn) || Node.isArrowFunction(fn) || Node.isMethodDeclaration(fn))) return undefined;
  const body = fn.getBody();
  if (!body || !Node.isBlock(body)) return undefined;
  // The function's own returns, found on the compiler's nodes (nested functions' returns are theirs).
  const returns: ts.ReturnStatement[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isReturnStatement(n)) returns.push(n);
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body.compilerNode, visit);
  if (returns.length !== 1 || !returns[0]!.expression) return undefined;
  return wrap(fn.getSourceFile(), returns[0]!.expression);
}

/** Names a binding pattern declares, with their binding elements. */
function bindingNames(name: ts.BindingName, out: ts.Identifier[] = []): ts.Identifier[] {
  if (ts.isIdentifier(name)) out.push(name);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bindingNames(el.name, out);
  return out;
}

/** The declaration of `name` that the compiler node `c` introduces (a scope: a file, block, function, catch clause or loop). */
/**
 * What `this.name` stands for at `at`, read on the compiler's nodes (ts-morph's
 * getProperty wraps every member of the class), in the order a reader would
 * look: a property's initializer, a constructor's parameter property, a
 * constructor's `this.name = …`, a property declared without a value, then a
 * method (the implementation of an overloaded one, else its first
 * declaration). Undefined outside a class or for a name it does not have.
 */
export function thisMember(
  sf: SourceFile,
  at: ts.Node,
  name: string,
):
  | { kind: 'value'; value: ts.Expression }
  | { kind: 'parameter'; param: ts.ParameterDeclaration }
  | { kind: 'declared'; prop: ts.PropertyDeclaration; method?: ts.MethodDeclaration }
  | { kind: 'method'; method: ts.MethodDeclaration }
  | undefined {
  let c: ts.Node | undefined = at.parent;
  while (c && !ts.isClassDeclaration(c) && !ts.isClassExpression(c)) c = c.parent;
  if (!c) return undefined;
  const members = (c as ts.ClassLikeDeclaration).members;
  const memberName = (n: ts.PropertyName): string => (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) ? n.text : n.getText(sf.compilerNode));
  const prop = members.find((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && memberName(m.name) === name);
  if (prop?.initializer) return { kind: 'value', value: prop.initializer };
  for (const ctor of members) {
    if (!ts.isConstructorDeclaration(ctor)) continue;
    for (const param of ctor.parameters) {
      if (ts.isIdentifier(param.name) && param.name.text === name && ts.isParameterPropertyDeclaration(param, ctor)) return { kind: 'parameter', param };
    }
    for (const stmt of ctor.body?.statements ?? []) {
      if (!ts.isExpressionStatement(stmt)) continue;
      const e = stmt.expression;
      if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const left = e.left;
        if (ts.isPropertyAccessExpression(left) && left.expression.kind === ts.SyntaxKind.ThisKeyword && memberName(left.name) === name) return { kind: 'value', value: e.right };
      }
    }
  }
  const methods = members.filter((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && memberName(m.name) === name);
  const method = methods.find((m) => m.body !== undefined) ?? methods[0];
  // A property declared without a value (and, in code that does not compile, a method of the same name).
  if (prop) return method ? { kind: 'declared', prop, method } : { kind: 'declared', prop };
  return method ? { kind: 'method', method } : undefined;
}

function declarationIn(sf: SourceFile, c: ts.Node, name: string): Node | undefined {
  const matchBinding = (binding: ts.BindingName, holder: ts.Node): Node | undefined => {
    if (ts.isIdentifier(binding)) return binding.text === name ? wrap(sf, holder) : undefined;
    for (const id of bindingNames(binding)) if (id.text === name) return wrap(sf, id.parent);
    return undefined;
  };
  // Parameters of a function are visible in its body and later parameters.
  if (ts.isFunctionLike(c) && !ts.isFunctionTypeNode(c)) {
    for (const p of c.parameters) {
      const found = matchBinding(p.name, p);
      if (found) return found;
    }
    if ((ts.isFunctionExpression(c) || ts.isClassExpression(c as ts.Node)) && (c as ts.FunctionExpression).name?.text === name) return wrap(sf, c);
  }
  if (ts.isCatchClause(c) && c.variableDeclaration) {
    const found = matchBinding(c.variableDeclaration.name, c.variableDeclaration);
    if (found) return found;
  }
  if ((ts.isForStatement(c) || ts.isForOfStatement(c) || ts.isForInStatement(c)) && c.initializer && ts.isVariableDeclarationList(c.initializer)) {
    for (const d of c.initializer.declarations) {
      const found = matchBinding(d.name, d);
      if (found) return found;
    }
  }
  if (ts.isSourceFile(c)) {
    // A file can hold thousands of statements: look its names up in an index built once per parse.
    const holder = topLevelIndex(c).get(name);
    return holder ? declarationInStatements(sf, [holder], name, true) : undefined;
  }
  let statements: readonly ts.Statement[] | undefined;
  if (ts.isBlock(c) || ts.isModuleBlock(c)) statements = c.statements;
  else if (ts.isCaseClause(c) || ts.isDefaultClause(c)) statements = c.statements;
  if (!statements) return undefined;
  return declarationInStatements(sf, statements, name, false);
}

const topLevel = new WeakMap<ts.SourceFile, Map<string, ts.Statement>>();

/** The statement of a file that declares each top-level name (the first one, as a lookup would find it). */
function topLevelIndex(file: ts.SourceFile): Map<string, ts.Statement> {
  let index = topLevel.get(file);
  if (index) return index;
  index = new Map();
  const add = (n: string, stmt: ts.Statement) => {
    if (!index!.has(n)) index!.set(n, stmt);
  };
  for (const stmt of file.statements) {
    if (ts.isVariableStatement(stmt)) for (const d of stmt.declarationList.declarations) for (const id of bindingNames(d.name)) add(id.text, stmt);
    else if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isEnumDeclaration(stmt)) && stmt.name) add(stmt.name.text, stmt);
    else if (ts.isImportDeclaration(stmt) && stmt.importClause) {
      const clause = stmt.importClause;
      if (clause.name) add(clause.name.text, stmt);
      const b = clause.namedBindings;
      if (b && ts.isNamespaceImport(b)) add(b.name.text, stmt);
      if (b && ts.isNamedImports(b)) for (const el of b.elements) add(el.name.text, stmt);
    } else if (ts.isImportEqualsDeclaration(stmt)) add(stmt.name.text, stmt);
  }
  topLevel.set(file, index);
  return index;
}

function declarationInStatements(sf: SourceFile, statements: readonly ts.Statement[], name: string, fileLevel: boolean): Node | undefined {
  const matchBinding = (binding: ts.BindingName, holder: ts.Node): Node | undefined => {
    if (ts.isIdentifier(binding)) return binding.text === name ? wrap(sf, holder) : undefined;
    for (const id of bindingNames(binding)) if (id.text === name) return wrap(sf, id.parent);
    return undefined;
  };
  for (const stmt of statements) {
    if (ts.isVariableStatement(stmt)) {
      for (const d of stmt.declarationList.declarations) {
        const found = matchBinding(d.name, d);
        if (found) {
          // `const x = require('y')` is also an import binding: let imports answer for it.
          if (fileLevel && requireSpecifier(d.initializer) !== undefined && ts.isIdentifier(d.name)) return wrap(sf, d.name);
          if (fileLevel && requireSpecifier(d.initializer) !== undefined && ts.isObjectBindingPattern(d.name)) {
            const el = d.name.elements.find((e) => ts.isIdentifier(e.name) && e.name.text === name);
            if (el) return wrap(sf, el.name);
          }
          return found;
        }
      }
    } else if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isEnumDeclaration(stmt)) && stmt.name?.text === name) {
      return wrap(sf, stmt);
    } else if (ts.isImportDeclaration(stmt) && stmt.importClause) {
      const clause = stmt.importClause;
      if (clause.name?.text === name) return wrap(sf, clause.name);
      const b = clause.namedBindings;
      if (b && ts.isNamespaceImport(b) && b.name.text === name) return wrap(sf, b.name);
      if (b && ts.isNamedImports(b)) for (const el of b.elements) if (el.name.text === name) return wrap(sf, el.name);
    } else if (ts.isImportEqualsDeclaration(stmt) && stmt.name.text === name) {
      return wrap(sf, stmt.name);
    }
  }
  return undefined;
}

/** The name callers use for a function: its own, or the variable or property that holds it. */
export function functionName(fn: Node): string | undefined {
  if (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) return fn.getName();
  const parent = fn.getParent();
  if (parent && (Node.isVariableDeclaration(parent) || Node.isPropertyAssignment(parent) || Node.isPropertyDeclaration(parent))) return parent.getName();
  if (Node.isFunctionExpression(fn)) return fn.getName();
  return undefined;
}
