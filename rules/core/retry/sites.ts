import { functionName } from '../program.ts';
export { functionName };
import { Node, SyntaxKind, ts, type SourceFile } from 'ts-morph';
import type { ProgramModel } from '../program.ts';
import { wrap } from '../program.ts';
import { scanFile } from '../scan.ts';
import { classifySignal } from '../signals.ts';
import {
  CONST,
  UNKNOWN,
  arrayDirection,
  calleeLastName,
  growthOf,
  isAwaited,
  isInside,
  join,
  newEnv,
  numberArray,
  parametersOf,
  waitOf,
  type Env,
  type Growth,
  type WaitFacts,
} from './growth.ts';

/**
 * Hand-written retries: loops that repeat an operation after it fails, and
 * functions that call themselves again from their failure path. Polling and
 * pagination loops are not retries: their success path does not leave the
 * loop, or their failure path does not come back for another attempt.
 */

/** Where a statement can go so that it runs on a failure path, before the next attempt. */
export type InsertPoint =
  /** At the end of a block. */
  | { kind: 'append'; block: Node }
  /** Just before a statement of a block (`continue`, `return retry()`). */
  | { kind: 'before'; stmt: Node }
  /** A bare statement (`if (!res.ok) continue;`) that must become a block. */
  | { kind: 'wrap'; stmt: Node };

export interface FailurePath {
  kind: 'catch' | 'check';
  /** The catch clause, or the statement whose branch is the failure path. */
  node: Node;
  insert?: InsertPoint;
}

export interface Wait {
  /** The call (or `new Promise`) that waits. */
  node: Node;
  awaited: boolean;
  facts: WaitFacts;
}

export interface RetrySite {
  kind: 'loop' | 'recursion';
  /** The loop statement, or the function that calls itself. */
  node: Node;
  /** Where a finding about the retry as a whole starts: the loop's keyword, or the call that retries. */
  anchor: Node;
  /** How messages name it: "retry loop", "recursive retry in `fetchWithRetry`". */
  what: string;
  env: Env;
  waits: Wait[];
  bounded: boolean;
  /** Its operation connects or subscribes: a connection loop meant to run as long as the process. */
  reconnect: boolean;
  /** Whether code inserted on its failure path may `await`. */
  canAwait: boolean;
  failures: FailurePath[];
  /** Counters (identifiers) that change by one step per attempt, and which way. */
  counters: Map<string, 'up' | 'down'>;
  /** The function the retry is in (undefined at a module's top level). */
  fn?: Node;
  /** For recursion: the calls that retry. */
  recursiveCalls: Node[];
  /** For loops in the simplest shape (`try { return await op(); } catch …`): the try statement. */
  tryStatement?: Node;
}

const K = SyntaxKind;

// ---- syntactic candidates, cached per file --------------------------------------------------

interface Candidates {
  loops: Node[];
  functions: { fn: Node; name: string; isMethod: boolean }[];
}

const FAILURE_WORDS = /\bok\b|status|\berr(or)?\b/i;

/** Loops that contain a catch or a status check, and functions that call themselves: found by one walk of the compiler AST. */
export function candidates(model: ProgramModel, sf: SourceFile): Candidates {
  return model.cache.memo(sf, 'retry:candidates', () => {
    const loops: ts.Node[] = [];
    const functions: { fn: ts.Node; name: string; isMethod: boolean }[] = [];
    const text = sf.getFullText();
    // The file's loops and functions come from the walk every rule shares (scanFile).
    const scan = scanFile(sf);
    for (const n of scan.loops) if (loopMayRetry(n.statement, text)) loops.push(n);
    for (const n of scan.functions) {
      const name = functionNameOf(n);
      // The body must mention its own name (a call, or `setTimeout(name, …)`) before it is worth a walk.
      if (name && n.body && text.slice(n.body.pos, n.body.end).includes(name) && callsItself(scan.calls, n.body, name, ts.isMethodDeclaration(n))) {
        functions.push({ fn: n, name, isMethod: ts.isMethodDeclaration(n) });
      }
    }
    return { loops: loops.map((l) => wrap(sf, l)), functions: functions.map((f) => ({ ...f, fn: wrap(sf, f.fn) })) };
  });
}

function loopMayRetry(body: ts.Node, text: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isCatchClause(n)) found = true;
    else if (ts.isIfStatement(n) && FAILURE_WORDS.test(text.slice(n.expression.pos, n.expression.end))) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

function functionNameOf(n: ts.Node): string | undefined {
  if ((ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isMethodDeclaration(n)) && n.name && ts.isIdentifier(n.name)) return n.name.text;
  if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)) return n.parent.name.text;
  return undefined;
}

/**
 * Whether a call in `body` calls the function again: by its name, through
 * `this` (a method), or `setTimeout(name, …)`. Read from the calls the
 * shared walk collected (in document order) rather than by walking the body again.
 */
function callsItself(calls: readonly ts.CallExpression[], body: ts.Node, name: string, method: boolean): boolean {
  let lo = 0;
  let hi = calls.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (calls[mid]!.pos < body.pos) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < calls.length && calls[i]!.pos < body.end; i++) {
    const n = calls[i]!;
    const c = n.expression;
    if (!method && ts.isIdentifier(c) && c.text === name) return true;
    if (method && ts.isPropertyAccessExpression(c) && c.expression.kind === ts.SyntaxKind.ThisKeyword && c.name.text === name) return true;
    if (!method && ts.isIdentifier(c) && c.text === 'setTimeout' && n.arguments[0] && ts.isIdentifier(n.arguments[0]) && n.arguments[0].text === name) return true;
  }
  return false;
}

// ---- shared facts ----------------------------------------------------------------------------

function stripExpr(node: Node): Node {
  let cur = node;
  while (Node.isParenthesizedExpression(cur) || Node.isAsExpression(cur) || Node.isNonNullExpression(cur)) cur = cur.getExpression();
  return cur;
}

/** Whether a condition says the attempt failed, or succeeded (`!res.ok`, `res.status >= 500`, `error`). */
export function checkKind(expr: Node): 'success' | 'failure' | undefined {
  const e = stripExpr(expr);
  if (Node.isPrefixUnaryExpression(e) && e.getOperatorToken() === K.ExclamationToken) {
    const inner = checkKind(e.getOperand());
    return inner === 'success' ? 'failure' : inner === 'failure' ? 'success' : undefined;
  }
  if (Node.isPropertyAccessExpression(e) && e.getName() === 'ok') return 'success';
  if ((Node.isIdentifier(e) && /^(err|error)$/.test(e.getText())) || (Node.isPropertyAccessExpression(e) && /^(err|error)$/.test(e.getName()))) return 'failure';
  if (!Node.isBinaryExpression(e)) return undefined;
  const op = e.getOperatorToken().getKind();
  if (op === K.AmpersandAmpersandToken || op === K.BarBarToken) {
    const l = checkKind(e.getLeft());
    const r = checkKind(e.getRight());
    if (l !== undefined && l === r) return l;
    // `!res.ok && retries > 0`: the branch runs only after a failure.
    if (op === K.AmpersandAmpersandToken && (l === 'failure' || r === 'failure') && l !== 'success' && r !== 'success') return 'failure';
    return undefined;
  }
  const left = stripExpr(e.getLeft());
  const right = stripExpr(e.getRight());
  // `res.ok === false`
  const isOk = (n: Node): boolean => Node.isPropertyAccessExpression(n) && n.getName() === 'ok';
  if ((isOk(left) && (right.getKind() === K.FalseKeyword || right.getKind() === K.TrueKeyword)) || (isOk(right) && (left.getKind() === K.FalseKeyword || left.getKind() === K.TrueKeyword))) {
    const value = (isOk(left) ? right : left).getKind() === K.TrueKeyword;
    const positive = op === K.EqualsEqualsEqualsToken || op === K.EqualsEqualsToken;
    const negative = op === K.ExclamationEqualsEqualsToken || op === K.ExclamationEqualsToken;
    if (!positive && !negative) return undefined;
    return value === positive ? 'success' : 'failure';
  }
  const isStatus = (n: Node): boolean =>
    (Node.isPropertyAccessExpression(n) && /^(status|statusCode)$/.test(n.getName())) || (Node.isIdentifier(n) && /^(status|statusCode)$/.test(n.getText()));
  let statusOnLeft: boolean;
  let num: Node;
  if (isStatus(left) && Node.isNumericLiteral(right)) {
    statusOnLeft = true;
    num = right;
  } else if (isStatus(right) && Node.isNumericLiteral(left)) {
    statusOnLeft = false;
    num = left;
  } else return undefined;
  const n = Node.isNumericLiteral(num) ? num.getLiteralValue() : NaN;
  const flip: Partial<Record<SyntaxKind, SyntaxKind>> = { [K.LessThanToken]: K.GreaterThanToken, [K.GreaterThanToken]: K.LessThanToken, [K.LessThanEqualsToken]: K.GreaterThanEqualsToken, [K.GreaterThanEqualsToken]: K.LessThanEqualsToken };
  const o = statusOnLeft ? op : (flip[op] ?? op);
  switch (o) {
    case K.GreaterThanEqualsToken:
      return n >= 400 ? 'failure' : undefined;
    case K.GreaterThanToken:
      return n >= 399 ? 'failure' : undefined;
    case K.LessThanToken:
      return n >= 300 && n <= 500 ? 'success' : undefined;
    case K.LessThanEqualsToken:
      return n >= 299 && n <= 499 ? 'success' : undefined;
    case K.EqualsEqualsEqualsToken:
    case K.EqualsEqualsToken:
      return n >= 200 && n < 300 ? 'success' : n >= 400 ? 'failure' : undefined;
    case K.ExclamationEqualsEqualsToken:
    case K.ExclamationEqualsToken:
      return n >= 200 && n < 300 ? 'failure' : undefined;
    default:
      return undefined;
  }
}

type ExitKind = 'return' | 'throw' | 'break' | 'continue';

/** How a statement always ends, as seen from the loop: undefined when it may fall through. */
function exitOf(stmt: Node | undefined, loop: Node | undefined): ExitKind | undefined {
  if (!stmt) return undefined;
  if (Node.isReturnStatement(stmt)) return 'return';
  if (Node.isThrowStatement(stmt)) return 'throw';
  if (Node.isContinueStatement(stmt)) return 'continue';
  if (Node.isBreakStatement(stmt)) {
    const label = stmt.getLabel();
    if (!label) return 'break';
    const labelled = loop?.getParent();
    return labelled && Node.isLabeledStatement(labelled) && labelled.getLabel().getText() === label.getText() ? 'break' : undefined;
  }
  if (Node.isBlock(stmt)) {
    const stmts = stmt.getStatements();
    return exitOf(stmts[stmts.length - 1], loop);
  }
  if (Node.isIfStatement(stmt)) {
    const a = exitOf(stmt.getThenStatement(), loop);
    const b = exitOf(stmt.getElseStatement(), loop);
    return a && b && a !== 'continue' && b !== 'continue' ? a : undefined;
  }
  return undefined;
}

function statementsOf(stmt: Node): Node[] {
  return Node.isBlock(stmt) ? stmt.getStatements() : [stmt];
}

/** Identifiers and property paths assigned or stepped inside some code (not in nested functions), with how each changes per pass. */
function collectAssignments(regions: Node[], env: Env): { assigned: Map<string, Growth>; counters: Map<string, 'up' | 'down'> } {
  const counters = new Map<string, 'up' | 'down'>();
  const raw: { key: string; node: Node; kind: 'step-up' | 'step-down' | 'scale-up' | 'scale-down' | 'set'; value?: Node }[] = [];
  for (const region of regions) {
    const sf = region.getSourceFile();
    const visit = (n: ts.Node): void => {
      // A Promise executor runs at once, as part of the attempt: `new Promise((r) => setTimeout(r, 2 ** attempt++))`.
      if (ts.isFunctionLike(n) && !isPromiseExecutor(n)) return;
      if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
        if (ts.isIdentifier(n.operand) || ts.isPropertyAccessExpression(n.operand)) {
          raw.push({ key: n.operand.getText(), node: wrap(sf, n), kind: n.operator === ts.SyntaxKind.PlusPlusToken ? 'step-up' : 'step-down' });
        }
      } else if (ts.isBinaryExpression(n) && (ts.isIdentifier(n.left) || ts.isPropertyAccessExpression(n.left))) {
        const key = n.left.getText();
        switch (n.operatorToken.kind) {
          case ts.SyntaxKind.PlusEqualsToken:
            raw.push({ key, node: wrap(sf, n), kind: 'step-up', value: wrap(sf, n.right) });
            break;
          case ts.SyntaxKind.MinusEqualsToken:
            raw.push({ key, node: wrap(sf, n), kind: 'step-down', value: wrap(sf, n.right) });
            break;
          case ts.SyntaxKind.AsteriskEqualsToken:
          case ts.SyntaxKind.LessThanLessThanEqualsToken:
          case ts.SyntaxKind.AsteriskAsteriskEqualsToken:
            raw.push({ key, node: wrap(sf, n), kind: 'scale-up', value: wrap(sf, n.right) });
            break;
          case ts.SyntaxKind.SlashEqualsToken:
          case ts.SyntaxKind.GreaterThanGreaterThanEqualsToken:
            raw.push({ key, node: wrap(sf, n), kind: 'scale-down', value: wrap(sf, n.right) });
            break;
          case ts.SyntaxKind.EqualsToken:
            raw.push({ key, node: wrap(sf, n), kind: 'set', value: wrap(sf, n.right) });
            break;
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(region.compilerNode);
  }
  const assigned = new Map<string, Growth>();
  const perKey = new Map<string, Growth[]>();
  const add = (key: string, growth: Growth): void => {
    const list = perKey.get(key) ?? [];
    list.push(growth);
    perKey.set(key, list);
  };
  // Steps and scales first: they say how a name moves whatever its value.
  for (const r of raw) {
    if (r.kind === 'set') continue;
    const up = r.kind === 'step-up' || r.kind === 'scale-up';
    const jitter = r.value ? growthOf(r.value, env).jitter : false;
    add(r.key, { ...CONST, dir: up ? 'up' : 'down', jitter });
    if ((r.kind === 'step-up' || r.kind === 'step-down') && /^[A-Za-z_$][\w$]*$/.test(r.key)) counters.set(r.key, up ? 'up' : 'down');
  }
  for (const r of raw) if (r.kind === 'set') add(r.key, selfGrowth(r.key, r.value!) ?? UNKNOWN);
  for (const [key, list] of perKey) if (list.some((x) => x.dir !== 'unknown')) assigned.set(key, mergeAssignments(list));
  // Plain assignments from other values (`delay = base * 2 ** attempt`): read once the steps are known.
  env.assigned = assigned;
  for (const r of raw) {
    if (r.kind !== 'set' || selfGrowth(r.key, r.value!)) continue;
    if (references(r.value!, r.key)) continue;
    const list = perKey.get(r.key)!;
    const idx = list.findIndex((x) => x === UNKNOWN);
    if (idx >= 0) list[idx] = growthOf(r.value!, env);
    assigned.set(r.key, mergeAssignments(list));
  }
  for (const [key, list] of perKey) if (!assigned.has(key)) assigned.set(key, mergeAssignments(list));
  return { assigned, counters };
}

/** A value set several times per pass: resets to a constant (`delay = base` on success) do not stop it from growing. */
function mergeAssignments(list: Growth[]): Growth {
  const moving = list.filter((x) => x.dir !== 'const');
  if (moving.length === 0) return list.reduce(join);
  const merged = moving.reduce(join);
  return { ...merged, jitter: list.some((x) => x.jitter) };
}

function containsCall(n: ts.Node): boolean {
  let found = false;
  const visit = (c: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(c) || ts.isNewExpression(c)) found = true;
    else ts.forEachChild(c, visit);
  };
  visit(n);
  return found;
}

/** Whether some code indexes with a name (`items[i]`): the loop walks a list. */
function indexesWith(region: Node, name: string): boolean {
  const sf = region.getSourceFile().compilerNode;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isElementAccessExpression(n) && new RegExp(`(^|[^\\w$.])${name}(?![\\w$])`).test(n.argumentExpression.getText(sf))) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(region.compilerNode);
  return found;
}

function isPromiseExecutor(n: ts.Node): boolean {
  const p = n.parent;
  return p !== undefined && ts.isNewExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === 'Promise' && p.arguments?.[0] === n;
}

function references(node: Node, key: string): boolean {
  const re = new RegExp(`(^|[^\\w$.])${key.replace(/[.$]/g, (c) => `\\${c}`)}(?![\\w$])`);
  return re.test(node.getText());
}

/** `x = x * 2`, `x = Math.min(x * 2, max)`, `x = x + step`: how `x` moves. Undefined when the value does not use `x`. */
function selfGrowth(key: string, value: Node): Growth | undefined {
  const v = stripExpr(value);
  if (v.getText() === key) return CONST;
  if (Node.isBinaryExpression(v)) {
    const op = v.getOperatorToken().getKind();
    const l = stripExpr(v.getLeft()).getText();
    const r = stripExpr(v.getRight()).getText();
    const jitter = /Math\.random\(/.test(v.getText());
    if (l === key || r === key) {
      if (op === K.AsteriskToken || op === K.PlusToken || op === K.LessThanLessThanToken || op === K.AsteriskAsteriskToken) return { ...CONST, dir: 'up', jitter };
      if (l === key && (op === K.MinusToken || op === K.SlashToken || op === K.GreaterThanGreaterThanToken)) return { ...CONST, dir: 'down', jitter };
    }
    const inner = selfGrowth(key, v.getLeft()) ?? selfGrowth(key, v.getRight());
    if (inner && (op === K.AsteriskToken || op === K.PlusToken)) return { ...inner, jitter: inner.jitter || jitter };
  }
  if (Node.isCallExpression(v)) {
    const callee = v.getExpression().getText();
    if (/^Math\.(min|max|round|floor|ceil|trunc)$/.test(callee)) {
      for (const a of v.getArguments()) {
        const inner = selfGrowth(key, a);
        if (inner && inner.dir !== 'const') return callee === 'Math.min' ? { ...inner, capped: true } : inner;
      }
    }
  }
  return references(v, key) ? { ...CONST, dir: 'varies' } : undefined;
}

const TIME = /\bDate\.now\(|\bperformance\.now\(|\bnew Date\(|\bhrtime\b/;

/** Whether a condition limits attempts: it reads a counter or other value that changes per attempt, the clock, or an abort signal with a deadline. */
function limits(cond: Node, keys: Set<string>, model: ProgramModel, scope: Node): boolean {
  const text = cond.getText();
  if (TIME.test(text)) return true;
  for (const key of keys) if (references(cond, key)) return true;
  let found = false;
  const sf = cond.getSourceFile();
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n)) {
      // `elapsed > MAX` where `const elapsed = Date.now() - start`.
      const decl = model.resolveIdentifier(wrap(sf, n));
      if (decl && Node.isVariableDeclaration(decl) && isInside(decl, scope)) {
        const init = decl.getInitializer();
        if (init && TIME.test(init.getText())) found = true;
      }
    } else if (ts.isPropertyAccessExpression(n) && n.name.text === 'aborted') {
      const v = classifySignal(model, wrap(sf, n.expression));
      if (v.kind === 'deadline' || v.kind === 'caller' || v.kind === 'unknown') found = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(cond.compilerNode);
  return found;
}

/** Conditions under which the code gives up: a loop's own condition and each `if` whose branch leaves by `throw`, `return` or `break`. */
function exitConditions(regions: Node[], loop: Node | undefined, intoCallbacks = false): Node[] {
  const out: Node[] = [];
  for (const region of regions) {
    const sf = region.getSourceFile();
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n) && !intoCallbacks) return;
      if (ts.isIfStatement(n)) {
        const stmt = wrap(sf, n);
        if (Node.isIfStatement(stmt)) {
          const thenExit = exitOf(stmt.getThenStatement(), loop);
          const elseExit = exitOf(stmt.getElseStatement(), loop);
          if ((thenExit && thenExit !== 'continue') || (elseExit && elseExit !== 'continue')) out.push(stmt.getExpression());
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(region.compilerNode);
  }
  return out;
}

/** Whether some code calls `signal.throwIfAborted()`. */
function throwsIfAborted(regions: Node[]): boolean {
  return regions.some((r) => /\.throwIfAborted\(/.test(r.getText()));
}

const RECONNECT_CALL = /^(re)?connect|^p?subscribe$|^consume$|^listen$/i;
const RECONNECT_FN = /connect|consume|subscribe|listen/i;

function looksLikeReconnect(regions: Node[], fn: Node | undefined): boolean {
  const fnName = fn ? functionName(fn) : undefined;
  if (fnName && RECONNECT_FN.test(fnName)) return true;
  for (const region of regions) {
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found || ts.isFunctionLike(n)) return;
      if (ts.isCallExpression(n)) {
        const name = ts.isIdentifier(n.expression) ? n.expression.text : ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : undefined;
        if (name && RECONNECT_CALL.test(name)) found = true;
      } else if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && /^(WebSocket|EventSource)$/.test(n.expression.text)) found = true;
      ts.forEachChild(n, visit);
    };
    visit(region.compilerNode);
    if (found) return true;
  }
  return false;
}


function enclosingFunction(node: Node): Node | undefined {
  return node.getFirstAncestor((a) => Node.isFunctionDeclaration(a) || Node.isFunctionExpression(a) || Node.isArrowFunction(a) || Node.isMethodDeclaration(a) || Node.isConstructorDeclaration(a) || Node.isGetAccessorDeclaration(a) || Node.isSetAccessorDeclaration(a));
}

function isAsync(fn: Node | undefined): boolean {
  if (!fn) return false;
  return (fn as unknown as { isAsync?(): boolean }).isAsync?.() ?? false;
}

/** Whether code at this place may `await`: inside an async function, or at the top level of a module. */
function mayAwait(node: Node): boolean {
  const fn = enclosingFunction(node);
  if (fn) return isAsync(fn);
  const sf = node.getSourceFile();
  return sf.getImportDeclarations().length > 0 || sf.getExportDeclarations().length > 0 || sf.getExportAssignments().length > 0 || /^\s*export\s/m.test(sf.getFullText());
}

const WAIT_WORD = /sleep|delay|wait|pause|snooze|backoff|throttle|setTimeout/i;

/**
 * Whether a call can be a wait, judged from its syntax before anything is
 * resolved: `new Promise(...)`, a plain function call (a helper of ours, or
 * an import), or a method whose name says it waits or that hangs off an
 * imported namespace (`timing.pause()`).
 */
function mayWait(n: ts.CallExpression | ts.NewExpression, imports: Map<string, unknown>): boolean {
  const e = n.expression;
  if (ts.isNewExpression(n)) return ts.isIdentifier(e) && e.text === 'Promise';
  if (ts.isIdentifier(e)) return true;
  if (!ts.isPropertyAccessExpression(e)) return false;
  if (WAIT_WORD.test(e.name.text)) return true;
  let root: ts.Expression = e;
  while (ts.isPropertyAccessExpression(root)) root = root.expression;
  return ts.isIdentifier(root) && imports.has(root.text);
}

/** Calls that wait, in some code (not in nested functions, except Promise executors, which `waitOf` reads). */
function findWaits(regions: Node[], env: Env, exclude?: Node): Wait[] {
  const out: Wait[] = [];
  for (const region of regions) {
    const sf = region.getSourceFile();
    const imports = env.model.imports(sf);
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n)) return;
      if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && mayWait(n, imports)) {
        const node = wrap(sf, n);
        if (node !== exclude) {
          const facts = waitOf(node, env);
          if (facts) {
            out.push({ node, awaited: isAwaited(node), facts });
            return;
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    if (ts.isFunctionLike(region.compilerNode)) ts.forEachChild(region.compilerNode, visit);
    else visit(region.compilerNode);
  }
  return out;
}

// ---- loops -----------------------------------------------------------------------------------

function loopCondition(loop: Node): Node | undefined {
  if (Node.isForStatement(loop)) return loop.getCondition();
  if (Node.isWhileStatement(loop) || Node.isDoStatement(loop)) return loop.getExpression();
  return undefined;
}

/** The loop's first token (`for`, `while`, `do`): where a finding about the whole loop goes. */
function loopKeyword(loop: Node): Node {
  const sf = loop.getSourceFile();
  const token = loop.compilerNode.getFirstToken(sf.compilerNode);
  return token ? wrap(sf, token) : loop;
}

/** Names a loop condition reads (for success flags: `while (!done)`). */
function conditionNames(cond: Node | undefined): Set<string> {
  const out = new Set<string>();
  if (!cond) return out;
  const sf = cond.getSourceFile().compilerNode;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) || ts.isPropertyAccessExpression(n)) out.add(n.getText(sf));
    ts.forEachChild(n, visit);
  };
  visit(cond.compilerNode);
  return out;
}

function isFlagAssignment(stmt: Node, names: Set<string>): boolean {
  if (!Node.isExpressionStatement(stmt)) return false;
  const e = stmt.getExpression();
  if (!Node.isBinaryExpression(e) || e.getOperatorToken().getKind() !== K.EqualsToken) return false;
  const v = e.getRight().getKind();
  return names.has(e.getLeft().getText()) && (v === K.TrueKeyword || v === K.FalseKeyword);
}

/** A statement that ends the loop when the attempt succeeded. */
function isSuccessExit(stmt: Node, loop: Node, flags: Set<string>): boolean {
  const exit = exitOf(stmt, loop);
  if (Node.isReturnStatement(stmt) || (Node.isBreakStatement(stmt) && exit === 'break')) return true;
  if (isFlagAssignment(stmt, flags)) return true;
  if (Node.isIfStatement(stmt)) {
    const kind = checkKind(stmt.getExpression());
    const thenExit = exitOf(stmt.getThenStatement(), loop);
    const elseExit = exitOf(stmt.getElseStatement(), loop);
    const leaves = (x: ExitKind | undefined, branch: Node | undefined): boolean =>
      x === 'return' || x === 'break' || (branch !== undefined && statementsOf(branch).some((s) => isFlagAssignment(s, flags)));
    if (kind === 'success' && leaves(thenExit, stmt.getThenStatement())) return true;
    if (kind === 'failure' && leaves(elseExit, stmt.getElseStatement())) return true;
  }
  return false;
}

/** Where to insert before the next attempt, at the end of a branch: before its `continue`, or at its end. */
function branchInsert(branch: Node): InsertPoint {
  if (Node.isBlock(branch)) {
    const stmts = branch.getStatements();
    const last = stmts[stmts.length - 1];
    if (last && Node.isContinueStatement(last)) return { kind: 'before', stmt: last };
    return { kind: 'append', block: branch };
  }
  return { kind: 'wrap', stmt: branch };
}

function analyseLoop(model: ProgramModel, loop: Node): RetrySite | undefined {
  const body = (loop as unknown as { getStatement(): Node }).getStatement();
  const stmts = statementsOf(body);
  const cond = loopCondition(loop);
  const flags = conditionNames(cond);
  const failures: FailurePath[] = [];
  let success = false;
  let tryStatement: Node | undefined;
  const scanLevel = (list: Node[]): void => {
    list.forEach((stmt, i) => {
      if (isSuccessExit(stmt, loop, flags)) success = true;
      if (!Node.isIfStatement(stmt)) return;
      const kind = checkKind(stmt.getExpression());
      const then = stmt.getThenStatement();
      const elseStmt = stmt.getElseStatement();
      if (kind === 'failure' && exitOf(then, loop) === 'continue') failures.push({ kind: 'check', node: stmt, insert: branchInsert(then) });
      else if (kind === 'failure' && !exitOf(then, loop) && elseStmt && exitOf(elseStmt, loop) && exitOf(elseStmt, loop) !== 'continue') {
        failures.push({ kind: 'check', node: stmt, insert: Node.isBlock(then) ? { kind: 'append', block: then } : { kind: 'wrap', stmt: then } });
      } else if (kind === 'success' && !elseStmt && (exitOf(then, loop) === 'return' || exitOf(then, loop) === 'break')) {
        // `if (res.ok) return res;` and then the loop comes round again, unless what follows always leaves.
        const rest = list.slice(i + 1);
        if (!rest.some((s) => exitOf(s, loop) && exitOf(s, loop) !== 'continue')) {
          failures.push({ kind: 'check', node: stmt, ...(Node.isBlock(body) ? { insert: { kind: 'append', block: body } as InsertPoint } : {}) });
        }
      }
    });
  };
  scanLevel(stmts);
  for (const stmt of stmts) {
    if (!Node.isTryStatement(stmt)) continue;
    const tryBlock = stmt.getTryBlock();
    const tryStmts = tryBlock.getStatements();
    if (!containsCall(tryBlock.compilerNode)) continue;
    scanLevel(tryStmts);
    const clause = stmt.getCatchClause();
    if (!clause) continue;
    const block = clause.getBlock();
    const exit = exitOf(block, loop);
    if (!exit || exit === 'continue') {
      failures.push({ kind: 'catch', node: clause, insert: branchInsert(block) });
      tryStatement ??= stmt;
    }
  }
  if (failures.length === 0 || !success) return undefined;

  const env = newEnv(model, body);
  const regions = [body, ...(Node.isForStatement(loop) && loop.getIncrementor() ? [loop.getIncrementor()!] : []), ...(cond ? [cond] : [])];
  const { counters } = collectAssignments(regions, env);

  // A loop over items (`for (const host of hosts)`, `items[i]`) that tries the next one is failover or batching, not a retry.
  const opRegion = tryStatement && Node.isTryStatement(tryStatement) ? tryStatement.getTryBlock() : body;
  if (Node.isForOfStatement(loop)) {
    const decl = loop.getInitializer();
    const values = numberArray(model, loop.getExpression());
    if (values && Node.isVariableDeclarationList(decl)) {
      for (const d of decl.getDeclarations()) env.bindings.set(d, { ...CONST, dir: arrayDirection(values), capped: true });
    } else {
      const names = Node.isVariableDeclarationList(decl) ? decl.getDeclarations().map((d) => d.getName()) : [];
      if (names.some((n) => references(opRegion, n))) return undefined;
    }
  }
  if (Node.isForStatement(loop)) {
    const init = loop.getInitializer();
    const names = init && Node.isVariableDeclarationList(init) ? init.getDeclarations().map((d) => d.getName()) : [];
    for (const n of names) {
      if (indexesWith(opRegion, n)) return undefined;
    }
  }

  const waits = findWaits([body], env);
  const keys = new Set([...env.assigned].filter(([, gr]) => gr.dir === 'up' || gr.dir === 'down').map(([k]) => k));
  const bounded =
    Node.isForOfStatement(loop) ||
    (cond !== undefined && limits(cond, keys, model, body)) ||
    exitConditions([body], loop).some((c) => limits(c, keys, model, body)) ||
    throwsIfAborted([body]);
  const fn = enclosingFunction(loop);
  return {
    kind: 'loop',
    node: loop,
    anchor: loopKeyword(loop),
    what: 'retry loop',
    env,
    waits,
    bounded,
    reconnect: looksLikeReconnect([opRegion], fn),
    canAwait: mayAwait(loop),
    failures,
    counters,
    ...(fn ? { fn } : {}),
    recursiveCalls: [],
    ...(tryStatement ? { tryStatement } : {}),
  };
}

// ---- recursion -------------------------------------------------------------------------------

/** The failure path a recursive call sits on, walking out to the function: a catch, a `.catch` callback, or a failed check. */
function failureContext(call: Node, fn: Node): { region: Node; insert?: InsertPoint } | undefined {
  let child: Node = call;
  let region: Node | undefined;
  for (let cur = call.getParent(); cur && cur !== fn && !region; child = cur, cur = cur.getParent()) {
    if (Node.isCatchClause(cur)) region = cur.getBlock();
    else if (Node.isIfStatement(cur)) {
      const kind = checkKind(cur.getExpression());
      if ((kind === 'failure' && child === cur.getThenStatement()) || (kind === 'success' && child === cur.getElseStatement())) region = child;
    } else if (Node.isArrowFunction(cur) || Node.isFunctionExpression(cur)) {
      const parent = cur.getParent();
      // A Promise executor runs at once: `new Promise((resolve) => setTimeout(() => resolve(retry()), ms))`.
      if (parent && Node.isNewExpression(parent) && parent.getExpression().getText() === 'Promise') continue;
      if (!parent || !Node.isCallExpression(parent) || !parent.getArguments().includes(cur)) return undefined;
      const callee = parent.getExpression();
      const name = calleeLastName(callee);
      const index = parent.getArguments().indexOf(cur);
      if (name === 'catch' && Node.isPropertyAccessExpression(callee)) return { region: cur };
      if (name === 'then' && index === 1 && Node.isPropertyAccessExpression(callee)) return { region: cur };
      // A timer or a `.then` between the failure path and the call: keep walking out.
      if (name !== 'setTimeout' && name !== 'then' && name !== 'finally') return undefined;
    }
  }
  if (!region) return undefined;
  if (!Node.isBlock(region)) return { region, insert: { kind: 'wrap', stmt: region } };
  const holder = call.getParent() === region ? call : call.getFirstAncestor((a) => a.getParent() === region);
  return { region, ...(holder ? { insert: { kind: 'before', stmt: holder } as InsertPoint } : {}) };
}

/** How the arguments a function passes to itself change a parameter from one call to the next. */
function parameterGrowth(param: Node, index: number, calls: Node[], env: Env): Growth {
  if (!Node.isParameterDeclaration(param) || !Node.isIdentifier(param.getNameNode())) return UNKNOWN;
  const name = param.getName();
  let out: Growth | undefined;
  for (const call of calls) {
    const args = Node.isCallExpression(call) ? call.getArguments() : [];
    if (args.some((a) => Node.isSpreadElement(a))) return UNKNOWN;
    const arg = args[index];
    let gr: Growth;
    if (!arg) gr = CONST;
    else {
      const a = stripExpr(arg);
      if (Node.isPrefixUnaryExpression(a) && a.getOperand().getText() === name) gr = { ...CONST, dir: a.getOperatorToken() === K.PlusPlusToken ? 'up' : 'down' };
      else if (Node.isPostfixUnaryExpression(a) && a.getOperand().getText() === name) gr = CONST;
      else gr = selfGrowth(name, a) ?? growthOf(a, env);
    }
    out = out ? join(out, gr) : gr;
  }
  return out ?? CONST;
}

function analyseRecursion(model: ProgramModel, fn: Node, name: string, isMethod: boolean): RetrySite[] {
  const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.();
  if (!body) return [];
  const calls: Node[] = [];
  const sfc = body.getSourceFile();
  const selfCalls: ts.CallExpression[] = [];
  const collect = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const e = n.expression;
      if ((ts.isIdentifier(e) && (e.text === name || e.text === 'setTimeout')) || (ts.isPropertyAccessExpression(e) && e.name.text === name)) selfCalls.push(n);
    }
    ts.forEachChild(n, collect);
  };
  collect(body.compilerNode);
  for (const cc of selfCalls) {
    const c = wrap(sfc, cc);
    if (!Node.isCallExpression(c)) continue;
    const callee = c.getExpression();
    if (!isMethod && Node.isIdentifier(callee) && callee.getText() === name && model.resolveIdentifier(callee) === fnDeclarationNode(fn)) calls.push(c);
    else if (isMethod && Node.isPropertyAccessExpression(callee) && Node.isThisExpression(callee.getExpression()) && callee.getName() === name) calls.push(c);
    else if (!isMethod && Node.isIdentifier(callee) && callee.getText() === 'setTimeout') {
      const first = c.getArguments()[0];
      if (first && Node.isIdentifier(first) && first.getText() === name) calls.push(c);
    }
  }
  if (calls.length === 0) return [];
  const env = newEnv(model, body);
  const params = parametersOf(fn);
  const recursive = calls.filter((c) => !(Node.isCallExpression(c) && c.getExpression().getText() === 'setTimeout'));
  params.forEach((p, i) => env.bindings.set(p, parameterGrowth(p, i, recursive, newEnv(model, body))));
  const { counters } = collectAssignments([body], env);
  for (const [p, gr] of env.bindings) {
    if ((gr.dir === 'up' || gr.dir === 'down') && Node.isParameterDeclaration(p)) counters.set(p.getName(), gr.dir);
  }
  const keys = new Set<string>([...[...env.assigned].filter(([, gr]) => gr.dir === 'up' || gr.dir === 'down').map(([k]) => k), ...counters.keys()]);
  const bounded = exitConditions([body], undefined, true).some((c) => limits(c, keys, model, body)) || throwsIfAborted([body]) || boundedByGuard(recursive, keys, model, body);
  const sites: RetrySite[] = [];
  const seen = new Set<Node>();
  for (const call of calls) {
    const ctx = failureContext(call, fn);
    if (!ctx || seen.has(ctx.region)) continue;
    seen.add(ctx.region);
    // The delay: a wait on the failure path, or the timer that schedules the call.
    const waits = findWaits([ctx.region], env, call);
    const timer = call.getFirstAncestor((a) => Node.isCallExpression(a) && a.getExpression().getText() === 'setTimeout' && isInside(a, ctx.region));
    const direct = Node.isCallExpression(call) && call.getExpression().getText() === 'setTimeout' ? call : timer;
    if (direct && Node.isCallExpression(direct)) {
      const delay = direct.getArguments()[1];
      // The timer is the wait: not the Promise around it.
      for (let i = waits.length - 1; i >= 0; i--) if (waits[i]!.node !== direct && isInside(direct, waits[i]!.node)) waits.splice(i, 1);
      if (!waits.some((w) => w.node === direct)) waits.push({ node: direct, awaited: true, facts: delay ? { growth: growthOf(delay, env), delayArg: delay } : { growth: { ...CONST, zero: true } } });
    }
    sites.push({
      kind: 'recursion',
      node: fn,
      anchor: call,
      what: `recursive retry in \`${name}\``,
      env,
      waits,
      bounded,
      reconnect: looksLikeReconnect([body], fn),
      canAwait: isAsync(fn),
      failures: [{ kind: 'check', node: ctx.region, ...(ctx.insert ? { insert: ctx.insert } : {}) }],
      counters,
      fn,
      recursiveCalls: recursive,
    });
  }
  return sites;
}

/** `retries > 0 ? retry(retries - 1) : fail()`, `attempt < max && retry(attempt + 1)`. */
function boundedByGuard(calls: Node[], keys: Set<string>, model: ProgramModel, body: Node): boolean {
  for (const call of calls) {
    for (const a of call.getAncestors()) {
      if (a === body) break;
      if (Node.isConditionalExpression(a) && limits(a.getCondition(), keys, model, body)) return true;
      if (Node.isBinaryExpression(a) && a.getOperatorToken().getKind() === K.AmpersandAmpersandToken && limits(a.getLeft(), keys, model, body)) return true;
    }
  }
  return false;
}

/** The node `resolveIdentifier` returns for a function's name. */
function fnDeclarationNode(fn: Node): Node {
  const parent = fn.getParent();
  if ((Node.isArrowFunction(fn) || Node.isFunctionExpression(fn)) && parent && Node.isVariableDeclaration(parent)) return parent;
  return fn;
}

// ---- entry ---------------------------------------------------------------------------------

/** The hand-written retries of a file (computed once per analysis, shared by the rules that read them). */
export function retrySites(model: ProgramModel, sf: SourceFile): RetrySite[] {
  const byFile = model.perRun('retry:sites', () => new Map<SourceFile, RetrySite[]>());
  let sites = byFile.get(sf);
  if (sites) return sites;
  sites = [];
  const c = candidates(model, sf);
  for (const loop of c.loops) {
    const site = analyseLoop(model, loop);
    if (site) sites.push(site);
  }
  for (const f of c.functions) sites.push(...analyseRecursion(model, f.fn, f.name, f.isMethod));
  byFile.set(sf, sites);
  return sites;
}
