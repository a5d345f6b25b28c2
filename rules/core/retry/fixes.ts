import { Node, type SourceFile } from 'ts-morph';
import { indentOf, insertAt, replaceNode } from '../edits.ts';
import type { ProgramModel } from '../program.ts';
import type { Applicability, TextEdit } from '../../types.ts';
import { helperFacts, newEnv, parametersOf, waitOf } from './growth.ts';
import type { InsertPoint } from './sites.ts';

/** A fix as a rule's report carries it, before the engine makes it a `Fix`. */
export interface FixPlan {
  title: string;
  applicability: Applicability;
  edits: TextEdit[];
}

/** Values the fixes write: a first delay of 100 ms, doubling, capped at 30 s (as the AWS SDK and cockatiel do), and 5 attempts. */
export const BASE_MS = '100';
export const CAP_MS = '30_000';
export const MAX_ATTEMPTS = 5;

/** `Math.random() * Math.min(30_000, base * 2 ** attempt)`: exponential backoff with full jitter and a cap. */
export function backoffExpression(base: string, exponent: string): string {
  return `Math.random() * Math.min(${CAP_MS}, ${operand(base)} * 2 ** ${exponentOperand(exponent)})`;
}

/** Full jitter on a delay that already grows. */
export function jitterExpression(delay: string, capped: boolean): string {
  return capped ? `Math.random() * ${operand(delay)}` : `Math.random() * Math.min(${CAP_MS}, ${delay})`;
}

/** Wraps an expression in parentheses unless it is a name, a number, a call or already parenthesised. */
function operand(text: string): string {
  const t = text.trim();
  if (/^[\w$.]+$/.test(t) || /^\(.*\)$/s.test(t) || /^[\w$.]+\([^()]*\)$/.test(t)) return t;
  return `(${t})`;
}

function exponentOperand(text: string): string {
  const t = text.trim();
  return /^[\w$.]+(\+\+|--)?$/.test(t) || /^\([^()]*\)$/.test(t) ? t : `(${t})`;
}

/** The indentation one level adds in this file: a tab, or the smallest run of spaces that indents a line. */
export function indentUnit(sf: SourceFile): string {
  const text = sf.getFullText();
  let min = Infinity;
  for (const m of text.matchAll(/\n([ \t]+)\S/g)) {
    const ws = m[1]!;
    if (ws.startsWith('\t')) return '\t';
    min = Math.min(min, ws.length);
    if (min === 2) break;
  }
  return ' '.repeat(Number.isFinite(min) ? min : 2);
}

/** Puts a statement at an insertion point, on its own line, indented as its neighbours. */
export function insertStatement(point: InsertPoint, statement: string): TextEdit {
  switch (point.kind) {
    case 'before': {
      const text = point.stmt.getSourceFile().getFullText();
      return insertAt(point.stmt, point.stmt.getStart(), `${statement}\n${indentOf(text, point.stmt.getStart())}`);
    }
    case 'append': {
      const block = point.block;
      const sf = block.getSourceFile();
      const text = sf.getFullText();
      const stmts = Node.isBlock(block) ? block.getStatements() : [];
      const last = stmts[stmts.length - 1];
      if (last) return insertAt(block, last.getEnd(), `\n${indentOf(text, last.getStart())}${statement}`);
      const outer = indentOf(text, block.getStart());
      return replaceNode(block, `{\n${outer}${indentUnit(sf)}${statement}\n${outer}}`);
    }
    case 'wrap':
      return replaceNode(point.stmt, `{ ${statement} ${point.stmt.getText()} }`);
  }
}

/** Inserts a statement just before a statement of a block (`let attempt = 0;` before a loop). */
export function insertBefore(stmt: Node, statement: string): TextEdit | undefined {
  let target = stmt;
  while (target.getParent() && Node.isLabeledStatement(target.getParent()!)) target = target.getParent()!;
  const parent = target.getParent();
  if (!parent || !(Node.isBlock(parent) || Node.isSourceFile(parent) || Node.isCaseClause(parent) || Node.isDefaultClause(parent) || Node.isModuleBlock(parent))) return undefined;
  return insertStatement({ kind: 'before', stmt: target }, statement);
}

/** A name not used in the code around: `attempt`, else `retryAttempt`, `retryAttempt2`… */
export function freshName(scope: Node, wanted: string, fallback: string): string {
  const text = scope.getText();
  const used = (n: string): boolean => new RegExp(`(^|[^\\w$])${n}(?![\\w$])`).test(text);
  if (!used(wanted)) return wanted;
  if (!used(fallback)) return fallback;
  for (let i = 2; ; i++) if (!used(`${fallback}${i}`)) return `${fallback}${i}`;
}

/** Whether the file quotes module specifiers with double quotes, and ends statements with semicolons. */
function fileStyle(sf: SourceFile): { quote: string; semi: string } {
  const imports = sf.getImportDeclarations();
  const first = imports[0];
  const quote = first && first.getModuleSpecifier().getText().startsWith('"') ? '"' : "'";
  const semi = first ? (first.getText().trimEnd().endsWith(';') ? ';' : '') : /;\s*$/m.test(sf.getFullText()) ? ';' : '';
  return { quote, semi };
}

/** Whether a name is bound at the top of a file by something else than an import of `module`. */
function boundElsewhere(model: ProgramModel, sf: SourceFile, name: string, module: string): boolean {
  const binding = model.imports(sf).get(name);
  if (binding) return binding.module !== module;
  return new RegExp(`(^|\\n)\\s*(export\\s+)?(declare\\s+)?(async\\s+)?(const|let|var|function\\*?|class|enum|interface|type)\\s+${name}\\b`).test(sf.getFullText());
}

export interface ImportPlan {
  edits: TextEdit[];
  /** How to refer to each requested export here. */
  names: Map<string, string>;
}

/**
 * Makes named exports of a library available in a file: reuses an import
 * that is already there, adds names to it, or adds an import after the last
 * one. Undefined when a name is taken by something else.
 */
export function ensureNamedImports(model: ProgramModel, sf: SourceFile, module: string, wanted: string[]): ImportPlan | undefined {
  const names = new Map<string, string>();
  const missing: string[] = [];
  const decl = sf.getImportDeclarations().find((d) => d.getModuleSpecifierValue() === module && !d.isTypeOnly());
  for (const name of wanted) {
    const existing = decl?.getNamedImports().find((n) => n.getName() === name && !n.isTypeOnly());
    if (existing) names.set(name, existing.getAliasNode()?.getText() ?? name);
    else if (decl?.getNamespaceImport()) names.set(name, `${decl.getNamespaceImport()!.getText()}.${name}`);
    else {
      if (boundElsewhere(model, sf, name, module)) return undefined;
      names.set(name, name);
      missing.push(name);
    }
  }
  if (missing.length === 0) return { edits: [], names };
  const named = decl?.getNamedImports() ?? [];
  if (decl && named.length > 0) {
    const last = named[named.length - 1]!;
    return { edits: [insertAt(last, last.getEnd(), missing.map((m) => `, ${m}`).join(''))], names };
  }
  if (decl && decl.getDefaultImport() && !decl.getNamespaceImport()) {
    const def = decl.getDefaultImport()!;
    return { edits: [insertAt(def, def.getEnd(), `, { ${missing.join(', ')} }`)], names };
  }
  const { quote, semi } = fileStyle(sf);
  const line = `import { ${[...missing].sort().join(', ')} } from ${quote}${module}${quote}${semi}`;
  return { edits: [newImportEdit(sf, line)], names };
}

/** The local name of a library's default export, importing it when the file does not. */
export function ensureDefaultImport(model: ProgramModel, sf: SourceFile, module: string, wanted: string): { edits: TextEdit[]; name: string } | undefined {
  const decl = sf.getImportDeclarations().find((d) => d.getModuleSpecifierValue() === module && !d.isTypeOnly() && d.getDefaultImport());
  if (decl) return { edits: [], name: decl.getDefaultImport()!.getText() };
  if (boundElsewhere(model, sf, wanted, module)) return undefined;
  const { quote, semi } = fileStyle(sf);
  return { edits: [newImportEdit(sf, `import ${wanted} from ${quote}${module}${quote}${semi}`)], name: wanted };
}

function newImportEdit(sf: SourceFile, line: string): TextEdit {
  const imports = sf.getImportDeclarations();
  const last = imports[imports.length - 1];
  if (last) return insertAt(last, last.getEnd(), `\n${line}`);
  return { file: sf.getFilePath(), start: 0, end: 0, newText: `${line}\n\n` };
}

/** Whether a function of ours sleeps for as many milliseconds as its first parameter says. */
function isSleepHelper(model: ProgramModel, fn: Node): boolean {
  const params = parametersOf(fn);
  if (params.length === 0) return false;
  const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.();
  if (!body) return false;
  const env = newEnv(model, body, true);
  for (const a of helperFacts(model, fn).awaited) {
    const w = waitOf(a, env);
    if (!w?.delayArg || !Node.isIdentifier(w.delayArg)) continue;
    if (model.resolveIdentifier(w.delayArg) === params[0]) return true;
  }
  return false;
}

/**
 * How code in this file can sleep: `timers/promises`' `setTimeout` or a
 * sleep helper of the project when the file has one in scope, else a
 * Promise around the global `setTimeout`.
 */
export function sleepStatement(model: ProgramModel, sf: SourceFile, delay: string): string {
  const call = sleepCallee(model, sf);
  return call ? `await ${call}(${delay});` : `await new Promise((resolve) => setTimeout(resolve, ${delay}));`;
}

/** The name of a sleep in scope at the top of a file, found once per file and analysis. */
function sleepCallee(model: ProgramModel, sf: SourceFile): string | undefined {
  const byFile = model.perRun('retry:sleepCallee', () => new Map<SourceFile, string | undefined>());
  if (!byFile.has(sf)) byFile.set(sf, findSleepCallee(model, sf));
  return byFile.get(sf);
}

function findSleepCallee(model: ProgramModel, sf: SourceFile): string | undefined {
  for (const [local, binding] of model.imports(sf)) {
    if (binding.module === 'timers/promises' && binding.name === 'setTimeout') return local;
    const origin = model.declarationOrigin(binding.node, 0);
    if (origin.kind === 'function' && isSleepHelper(model, origin.node)) return local;
  }
  for (const stmt of sf.getStatements()) {
    if (Node.isFunctionDeclaration(stmt) && stmt.getName() && isSleepHelper(model, stmt)) return stmt.getName();
    if (Node.isVariableStatement(stmt)) {
      for (const d of stmt.getDeclarations()) {
        const init = d.getInitializer();
        if (init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init)) && isSleepHelper(model, init)) return d.getName();
      }
    }
  }
  return undefined;
}
