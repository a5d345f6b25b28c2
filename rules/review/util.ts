import { Node, ts, type SourceFile } from 'ts-morph';
import { rangeOf } from '../engine.ts';
import { wrap, type Origin } from '../core/program.ts';
import type { Finding, SourceRange } from '../types.ts';
import type { EvidenceFact, EvidencePlace } from './evidence.ts';

/** Helpers the review's probes share. */

export function placeOf(node: Node, label: string): EvidencePlace {
  return { ...rangeOf(node), label };
}

/** A fact, or nothing when it has no places (an empty list says nothing a count does not). */
export function fact(key: string, label: string, places: EvidencePlace[]): EvidenceFact[] {
  return places.length > 0 ? [{ key, label, places }] : [];
}

/** The library at the root of an origin: `kafka.consumer({...}).run` → `{ module: 'kafkajs', path: ['Kafka'] }`. */
export function rootModule(origin: Origin, depth = 0): { module: string; path: string[] } | undefined {
  if (depth > 12) return undefined;
  switch (origin.kind) {
    case 'module':
      return { module: origin.module, path: origin.path[0] === 'default' ? origin.path.slice(1) : origin.path };
    case 'call':
      return rootModule(origin.callee, depth + 1);
    case 'new':
      return rootModule(origin.ctor, depth + 1);
    case 'member':
      return rootModule(origin.object, depth + 1);
    case 'typed':
      return { module: origin.type.module, path: [origin.type.name] };
    case 'param':
      return origin.declaredType ? { module: origin.declaredType.module, path: [origin.declaredType.name] } : undefined;
    default:
      return undefined;
  }
}

/** Whether `origin` is the export `name` of `module` (default imports count as the module itself). */
export function isExport(origin: Origin, module: string | RegExp, name?: string): boolean {
  if (origin.kind !== 'module') return false;
  if (typeof module === 'string' ? origin.module !== module : !module.test(origin.module)) return false;
  const p = origin.path[0] === 'default' ? origin.path.slice(1) : origin.path;
  return name === undefined ? p.length === 0 : p.length === 1 && p[0] === name;
}

/** Whether `inner` lies within `outer` (same file). */
export function contains(outer: Node | SourceRange, inner: Node | SourceRange): boolean {
  const o = toSpan(outer);
  const i = toSpan(inner);
  return o.file === i.file && o.start <= i.start && i.end <= o.end;
}

/** Whether two spans share a character (same file). */
export function overlaps(a: Node | SourceRange, b: Node | SourceRange): boolean {
  const x = toSpan(a);
  const y = toSpan(b);
  return x.file === y.file && x.start < y.end && y.start < x.end;
}

function toSpan(n: Node | SourceRange): { file: string; start: number; end: number } {
  if (n instanceof Node) return { file: n.getSourceFile().getFilePath(), start: n.getStart(), end: n.getEnd() };
  return n;
}

/** Whether a finding is silenced by a suppression comment (the team accepted it). */
export function isSuppressed(f: Finding): boolean {
  return f.suppression !== undefined;
}

/** The nearest function (declaration, method, arrow, expression) around a node. */
export function enclosingFunction(node: Node): Node | undefined {
  return node.getFirstAncestor((a) => Node.isFunctionLikeDeclaration(a) && !Node.isConstructorDeclaration(a));
}

/** How people call a function: its own name, the variable or property holding it, or `Class.method`. */
export function functionLabel(fn: Node): string {
  if (Node.isMethodDeclaration(fn)) {
    const cls = fn.getFirstAncestor((a) => Node.isClassDeclaration(a));
    const clsName = cls && Node.isClassDeclaration(cls) ? cls.getName() : undefined;
    return clsName ? `${clsName}.${fn.getName()}` : fn.getName();
  }
  if (Node.isFunctionDeclaration(fn)) return fn.getName() ?? 'anonymous function';
  const parent = fn.getParent();
  if (parent && (Node.isVariableDeclaration(parent) || Node.isPropertyAssignment(parent) || Node.isPropertyDeclaration(parent))) return parent.getName();
  if (parent && Node.isCallExpression(parent) && parent.getArguments().includes(fn)) return `callback of ${shortText(parent.getExpression(), 40)}`;
  const outer = fn.getParent() ? enclosingFunction(fn) : undefined;
  return outer ? `callback in ${functionLabel(outer)}` : 'anonymous function';
}

/** A short text of an expression, on one line: for labels. */
export function shortText(node: Node, max = 60): string {
  const text = node.getText().replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The name a construction or call is stored under: `inventoryApi` in `export const inventoryApi = axios.create(…)`. */
export function boundName(node: Node): string | undefined {
  let cur: Node | undefined = node.getParent();
  while (cur && (Node.isAwaitExpression(cur) || Node.isParenthesizedExpression(cur) || Node.isAsExpression(cur) || Node.isSatisfiesExpression(cur))) cur = cur.getParent();
  if (cur && Node.isVariableDeclaration(cur)) return cur.getName();
  if (cur && (Node.isPropertyAssignment(cur) || Node.isPropertyDeclaration(cur))) return cur.getName();
  if (cur && Node.isBinaryExpression(cur)) {
    const left = cur.getLeft();
    if (Node.isPropertyAccessExpression(left)) return left.getName();
    if (Node.isIdentifier(left)) return left.getText();
  }
  return undefined;
}

/** Property assignments and string literals of one file, found in one walk (cached per parse, as scanFile's). */
export interface ReviewScan {
  /** `name: value` and shorthand `name` in object literals, by property name. */
  properties: Map<string, ts.ObjectLiteralElementLike[]>;
  strings: ts.StringLiteralLike[];
}

const scans = new WeakMap<ts.SourceFile, ReviewScan>();

export function reviewScan(sf: SourceFile): ReviewScan {
  const key = sf.compilerNode;
  const cached = scans.get(key);
  if (cached) return cached;
  const scan: ReviewScan = { properties: new Map(), strings: [] };
  const visit = (node: ts.Node): void => {
    if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) && ts.isObjectLiteralExpression(node.parent)) {
      const name = ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) || ts.isNoSubstitutionTemplateLiteral(node.name) ? node.name.text : undefined;
      if (name !== undefined) {
        const list = scan.properties.get(name) ?? [];
        list.push(node);
        scan.properties.set(name, list);
      }
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) scan.strings.push(node);
    ts.forEachChild(node, visit);
  };
  visit(key);
  scans.set(key, scan);
  return scan;
}

/** Property assignments named `name` (or matching `pattern`) in a file, wrapped. */
export function propertiesNamed(sf: SourceFile, match: string | RegExp): Node[] {
  const out: Node[] = [];
  for (const [name, list] of reviewScan(sf).properties) {
    if (typeof match === 'string' ? name !== match : !match.test(name)) continue;
    for (const p of list) out.push(wrap(sf, p));
  }
  return out.sort((a, b) => a.getStart() - b.getStart());
}

/** The value of a property assignment (the name itself for a shorthand). */
export function propertyValue(p: Node): Node | undefined {
  if (Node.isPropertyAssignment(p)) return p.getInitializer();
  if (Node.isShorthandPropertyAssignment(p)) return p.getNameNode();
  return undefined;
}

/** `n` followed by the noun, pluralised with an `s` unless a plural is given. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
