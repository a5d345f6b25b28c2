import { Node, ts } from 'ts-morph';
import type { ProgramModel } from '../program.ts';
import { wrap } from '../program.ts';

/**
 * How a value changes from one attempt of a retry to the next, read from
 * the code without running it: the delay a retry waits is "backoff" when it
 * grows with the attempt, and "jittered" when `Math.random()` feeds it.
 */
export type Direction =
  /** The same value every attempt. */
  | 'const'
  /** Grows with each attempt (`base * 2 ** attempt`, `delay *= 2`, `attempt * 1000`). */
  | 'up'
  /** Shrinks with each attempt (`retries--`). */
  | 'down'
  /** Changes, but not in one direction we can name. */
  | 'varies'
  /** Comes from something we cannot read: assume the author knows. */
  | 'unknown';

export interface Growth {
  dir: Direction;
  /** `Math.random()` (or `crypto.randomInt`) feeds the value. */
  jitter: boolean;
  /** Growth that a `Math.min` caps. */
  capped: boolean;
  /** The value is known to be 0. */
  zero: boolean;
}

export const CONST: Growth = { dir: 'const', jitter: false, capped: false, zero: false };
export const UNKNOWN: Growth = { dir: 'unknown', jitter: false, capped: false, zero: false };
const ZERO: Growth = { ...CONST, zero: true };
/** Noise without a trend: it spreads a delay out, it does not make it grow. */
const RANDOM: Growth = { dir: 'const', jitter: true, capped: false, zero: false };

/** What repeats: a loop (its body runs once per attempt) or a function that calls itself (its body runs once per call). */
export interface Env {
  model: ProgramModel;
  /** Declarations inside this node are computed anew on each attempt. */
  body: Node;
  /** Growth of particular declarations: a helper's parameters bound to what its caller passes, a loop's iteration variable. */
  bindings: Map<Node, Growth>;
  /** How names assigned inside the repeated code change per attempt, keyed by their text (`delay`, `this.delay`). */
  assigned: Map<string, Growth>;
  /** A helper's parameters that no binding names are unknown (its caller decides); a loop's enclosing parameters are constant. */
  paramsUnknown: boolean;
  depth: number;
  visiting: Set<Node>;
}

export function newEnv(model: ProgramModel, body: Node, paramsUnknown = false): Env {
  return { model, body, bindings: new Map(), assigned: new Map(), paramsUnknown, depth: 0, visiting: new Set() };
}

function g(dir: Direction, parts: Growth[], extra: Partial<Growth> = {}): Growth {
  const ups = parts.filter((p) => p.dir === 'up');
  return {
    dir,
    jitter: parts.some((p) => p.jitter),
    capped: dir === 'up' ? ups.length > 0 && ups.every((p) => p.capped) : false,
    zero: false,
    ...extra,
  };
}

/** `a + b`: grows if either part grows and neither shrinks. */
export function sum(a: Growth, b: Growth): Growth {
  if (a.dir === 'unknown' || b.dir === 'unknown') return UNKNOWN;
  const dirs = new Set([a.dir, b.dir]);
  if (dirs.has('varies') || (dirs.has('up') && dirs.has('down'))) return g('varies', [a, b]);
  if (dirs.has('up')) return g('up', [a, b]);
  if (dirs.has('down')) return g('down', [a, b]);
  return { ...g('const', [a, b]), zero: a.zero && b.zero };
}

function invert(a: Growth): Growth {
  if (a.dir === 'up') return { ...a, dir: 'down', capped: false };
  if (a.dir === 'down') return { ...a, dir: 'up', capped: false };
  return a;
}

/** `a * b` with positive factors. */
export function product(a: Growth, b: Growth): Growth {
  if (a.zero || b.zero) return ZERO;
  return sum(a, b);
}

/** Alternatives (`c ? a : b`, `a ?? b`): what either may be. */
export function join(a: Growth, b: Growth): Growth {
  if (a.dir === 'unknown' || b.dir === 'unknown') return UNKNOWN;
  if (a.dir === b.dir) return { ...g(a.dir, [a, b]), zero: a.zero && b.zero };
  const dirs = new Set([a.dir, b.dir]);
  if (dirs.has('up') && !dirs.has('down') && !dirs.has('varies')) return g('up', [a, b]);
  if (dirs.has('down') && !dirs.has('up') && !dirs.has('varies')) return g('down', [a, b]);
  return g('varies', [a, b]);
}

function minOf(parts: Growth[]): Growth {
  if (parts.some((p) => p.dir === 'unknown')) return UNKNOWN;
  if (parts.some((p) => p.dir === 'up')) {
    const capped = parts.some((p) => p.dir === 'const') || parts.filter((p) => p.dir === 'up').every((p) => p.capped);
    return { ...g('up', parts), capped };
  }
  return parts.reduce(join);
}

function strip(node: Node): Node {
  let cur = node;
  while (Node.isParenthesizedExpression(cur) || Node.isAsExpression(cur) || Node.isNonNullExpression(cur) || Node.isSatisfiesExpression(cur) || Node.isTypeAssertion(cur)) {
    cur = cur.getExpression();
  }
  return cur;
}

export function isInside(node: Node, container: Node): boolean {
  return node.getSourceFile() === container.getSourceFile() && node.getStart() >= container.getPos() && node.getEnd() <= container.getEnd();
}

const MATH_SAME = new Set(['floor', 'ceil', 'round', 'trunc', 'abs', 'fround']);

function isGlobal(model: ProgramModel, node: Node, name: string): boolean {
  return Node.isIdentifier(node) && node.getText() === name && model.resolveIdentifier(node) === undefined;
}

/** `Math.x` (the global Math): `x`, else undefined. */
function mathMember(model: ProgramModel, callee: Node): string | undefined {
  if (!Node.isPropertyAccessExpression(callee)) return undefined;
  return isGlobal(model, callee.getExpression(), 'Math') ? callee.getName() : undefined;
}

/** How an expression's value changes from one attempt to the next. */
export function growthOf(expr: Node, env: Env): Growth {
  if (env.depth > 12 || env.visiting.has(expr)) return UNKNOWN;
  env.visiting.add(expr);
  env.depth++;
  try {
    return compute(strip(expr), env);
  } finally {
    env.depth--;
    env.visiting.delete(expr);
  }
}

function compute(e: Node, env: Env): Growth {
  if (Node.isNumericLiteral(e)) return e.getLiteralValue() === 0 ? ZERO : CONST;
  if (Node.isIdentifier(e)) return identifierGrowth(e, env);
  if (Node.isPropertyAccessExpression(e)) return propertyGrowth(e, env);
  if (Node.isElementAccessExpression(e)) return elementGrowth(e, env);
  if (Node.isPrefixUnaryExpression(e)) {
    const op = e.getOperatorToken();
    const inner = growthOf(e.getOperand(), env);
    if (op === ts.SyntaxKind.MinusToken) return invert(inner);
    if (op === ts.SyntaxKind.PlusToken) return inner;
    return UNKNOWN;
  }
  if (Node.isConditionalExpression(e)) return join(growthOf(e.getWhenTrue(), env), growthOf(e.getWhenFalse(), env));
  if (Node.isBinaryExpression(e)) return binaryGrowth(e, env);
  if (Node.isCallExpression(e)) return callGrowth(e, env);
  if (Node.isAwaitExpression(e)) return growthOf(e.getExpression(), env);
  return UNKNOWN;
}

function binaryGrowth(e: Node, env: Env): Growth {
  if (!Node.isBinaryExpression(e)) return UNKNOWN;
  const op = e.getOperatorToken().getKind();
  const K = ts.SyntaxKind;
  const left = (): Growth => growthOf(e.getLeft(), env);
  const right = (): Growth => growthOf(e.getRight(), env);
  switch (op) {
    case K.PlusToken:
      return sum(left(), right());
    case K.MinusToken:
      return sum(left(), invert(right()));
    case K.AsteriskToken:
      return product(left(), right());
    case K.SlashToken:
      return product(left(), invert(right()));
    case K.AsteriskAsteriskToken:
      return power(left(), right(), e.getLeft());
    case K.LessThanLessThanToken:
      return sum(left(), right());
    case K.QuestionQuestionToken:
    case K.BarBarToken:
      return join(left(), right());
    default:
      return UNKNOWN;
  }
}

/** `base ** exponent` (and `base << exponent`): follows the exponent, unless the base is 0 or 1. */
function power(base: Growth, exponent: Growth, baseNode: Node): Growth {
  const b = strip(baseNode);
  if (Node.isNumericLiteral(b) && b.getLiteralValue() <= 1) return base.zero ? ZERO : CONST;
  return sum(base, exponent);
}

function identifierGrowth(e: Node, env: Env): Growth {
  const text = e.getText();
  if (text === 'Infinity' || text === 'undefined' || text === 'NaN') return CONST;
  const decl = env.model.resolveIdentifier(e);
  if (decl && env.bindings.has(decl)) return env.bindings.get(decl)!;
  const assigned = env.assigned.get(text);
  const inBody = decl !== undefined && isInside(decl, env.body);
  if (assigned && !inBody) return assigned;
  if (!decl) return CONST;
  if (Node.isVariableDeclaration(decl)) {
    const init = decl.getInitializer();
    // A loop's iteration variable the caller did not bind: unknown.
    const holder = decl.getParent()?.getParent();
    if (holder && (Node.isForOfStatement(holder) || Node.isForInStatement(holder))) return UNKNOWN;
    if (inBody) return init ? growthOf(init, env) : UNKNOWN;
    return CONST;
  }
  if (Node.isParameterDeclaration(decl) || (Node.isBindingElement(decl) && decl.getFirstAncestor((a) => Node.isParameterDeclaration(a)))) {
    if (env.paramsUnknown && inBody) return UNKNOWN;
    return CONST;
  }
  // Anything else made during the attempt (a destructured result, say) may change; what was made before it does not.
  return inBody ? UNKNOWN : CONST;
}

function rootIdentifier(e: Node): Node | undefined {
  let cur = strip(e);
  while (Node.isPropertyAccessExpression(cur) || Node.isElementAccessExpression(cur)) cur = strip(cur.getExpression());
  return Node.isIdentifier(cur) || Node.isThisExpression(cur) ? cur : undefined;
}

function propertyGrowth(e: Node, env: Env): Growth {
  const assigned = env.assigned.get(e.getText());
  if (assigned) return assigned;
  const root = rootIdentifier(e);
  if (!root) return UNKNOWN;
  if (Node.isThisExpression(root)) return CONST;
  if (isGlobal(env.model, root, 'Number') || isGlobal(env.model, root, 'Math')) return CONST;
  // A property of something made during the attempt (`err.retryAfterMs`, `res.headers`): it may change.
  const rootGrowth = identifierGrowth(root, env);
  if (rootGrowth.dir === 'const') {
    const decl = env.model.resolveIdentifier(root);
    if (decl && isInside(decl, env.body) && !Node.isParameterDeclaration(decl)) return UNKNOWN;
    return CONST;
  }
  return rootGrowth.dir === 'unknown' ? UNKNOWN : g('varies', [rootGrowth]);
}

function elementGrowth(e: Node, env: Env): Growth {
  if (!Node.isElementAccessExpression(e)) return UNKNOWN;
  const arg = e.getArgumentExpression();
  if (!arg) return UNKNOWN;
  const index = growthOf(arg, env);
  if (index.dir === 'const') return propertyGrowth(e.getExpression(), env).dir === 'const' ? CONST : UNKNOWN;
  const values = numberArray(env.model, e.getExpression());
  if (!values || (index.dir !== 'up' && index.dir !== 'down')) return UNKNOWN;
  const dir = arrayDirection(values);
  return index.dir === 'up' ? { ...CONST, dir } : invert({ ...CONST, dir });
}

/** The numbers of an array literal (directly or through a const), if every element is one. */
export function numberArray(model: ProgramModel, node: Node): number[] | undefined {
  let arr: Node | undefined = strip(node);
  if (Node.isIdentifier(arr)) {
    const decl = model.resolveIdentifier(arr);
    arr = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    if (arr) arr = strip(arr);
  }
  if (!arr || !Node.isArrayLiteralExpression(arr)) return undefined;
  const out: number[] = [];
  for (const el of arr.getElements()) {
    const s = strip(el);
    if (!Node.isNumericLiteral(s)) return undefined;
    out.push(s.getLiteralValue());
  }
  return out;
}

/** Whether a list of delays grows, stays, or neither. */
export function arrayDirection(values: number[]): Direction {
  if (values.length < 2) return 'const';
  if (values.every((v) => v === values[0])) return 'const';
  if (values.every((v, i) => i === 0 || v >= values[i - 1]!)) return 'up';
  if (values.every((v, i) => i === 0 || v <= values[i - 1]!)) return 'down';
  return 'varies';
}

function callGrowth(e: Node, env: Env): Growth {
  if (!Node.isCallExpression(e)) return UNKNOWN;
  const callee = e.getExpression();
  const args = e.getArguments();
  const math = mathMember(env.model, callee);
  if (math === 'random') return RANDOM;
  if (math === 'min') return args.length === 0 ? UNKNOWN : minOf(args.map((a) => growthOf(a, env)));
  if (math === 'max') return args.length === 0 ? UNKNOWN : args.map((a) => growthOf(a, env)).reduce(join);
  if (math === 'pow' && args.length === 2) return power(growthOf(args[0]!, env), growthOf(args[1]!, env), args[0]!);
  if (math && MATH_SAME.has(math) && args[0]) return growthOf(args[0], env);
  if ((isGlobal(env.model, callee, 'Number') || isGlobal(env.model, callee, 'parseInt') || isGlobal(env.model, callee, 'parseFloat')) && args[0]) {
    return growthOf(args[0], env);
  }
  const origin = env.model.origin(callee);
  if (origin.kind === 'module' && (origin.module === 'crypto' || origin.module === 'node:crypto') && origin.path[origin.path.length - 1] === 'randomInt') return RANDOM;
  if (origin.kind === 'function') return helperReturnGrowth(origin.node, e, env);
  return UNKNOWN;
}

/** The parameters of a function of ours. */
export function parametersOf(fn: Node): Node[] {
  return (fn as unknown as { getParameters?(): Node[] }).getParameters?.() ?? [];
}

/** The environment in which a helper's body is read for one call: its parameters take the growth of the arguments. */
export function helperEnv(fn: Node, call: Node, env: Env): Env {
  const bindings = new Map<Node, Growth>();
  const args = (call as unknown as { getArguments(): Node[] }).getArguments();
  const spread = args.some((a) => Node.isSpreadElement(a));
  parametersOf(fn).forEach((p, i) => {
    if (spread || !Node.isParameterDeclaration(p)) return;
    const arg = args[i];
    if (arg) bindings.set(p, growthOf(arg, env));
    else {
      const init = p.getInitializer();
      bindings.set(p, init ? CONST : UNKNOWN);
    }
  });
  const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.() ?? fn;
  return { model: env.model, body, bindings, assigned: new Map(), paramsUnknown: true, depth: env.depth + 1, visiting: env.visiting };
}

function helperReturnGrowth(fn: Node, call: Node, env: Env): Growth {
  const returns = helperFacts(env.model, fn).returns;
  if (returns.length === 0) return UNKNOWN;
  const inner = helperEnv(fn, call, env);
  return returns.map((r) => growthOf(r, inner)).reduce(join);
}

// ---- helpers of the project: what their bodies return and await ----------------------------

export interface HelperFacts {
  /** Expressions the function returns (the body of an expression-bodied arrow). */
  returns: Node[];
  /** Calls and `new` expressions the function awaits or returns: where a sleep helper waits. */
  awaited: Node[];
}

/** Syntactic facts about a function's body, cached in its own file (so they are never stale). */
export function helperFacts(model: ProgramModel, fn: Node): HelperFacts {
  const sf = fn.getSourceFile();
  return model.cache.memo(sf, `retry:helper:${fn.getPos()}:${fn.getKind()}`, () => {
    const returns: Node[] = [];
    const awaited: Node[] = [];
    const c = fn.compilerNode as ts.FunctionLikeDeclaration;
    const body = c.body;
    if (!body) return { returns, awaited };
    if (!ts.isBlock(body)) {
      returns.push(wrap(sf, body));
      const inner = skipParens(body);
      if (ts.isCallExpression(inner) || ts.isNewExpression(inner)) awaited.push(wrap(sf, inner));
      return { returns, awaited };
    }
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n)) return;
      if (ts.isReturnStatement(n) && n.expression) {
        returns.push(wrap(sf, n.expression));
        const inner = skipParens(n.expression);
        const target = ts.isAwaitExpression(inner) ? skipParens(inner.expression) : inner;
        if (ts.isCallExpression(target) || ts.isNewExpression(target)) awaited.push(wrap(sf, target));
      } else if (ts.isAwaitExpression(n)) {
        const target = skipParens(n.expression);
        if (ts.isCallExpression(target) || ts.isNewExpression(target)) awaited.push(wrap(sf, target));
      }
      ts.forEachChild(n, visit);
    };
    ts.forEachChild(body, visit);
    return { returns, awaited };
  });
}

export function skipParens(n: ts.Expression): ts.Expression {
  let cur = n;
  while (ts.isParenthesizedExpression(cur) || ts.isAsExpression(cur) || ts.isNonNullExpression(cur)) cur = cur.expression;
  return cur;
}

// ---- waits: the calls that pause between attempts ------------------------------------------

export interface WaitFacts {
  growth: Growth;
  /** The argument at this call that sets the delay, when a fix can replace it. */
  delayArg?: Node;
}

const SLEEP_NAME = /^(sleep|delay|wait|pause|snooze)$/i;
const WAIT_LIKE = /sleep|delay|wait|pause|snooze|backoff|throttle/i;

/** The last name of a callee: `sleep` in `sleep()`, `wait` in `this.backoff.wait()`. */
export function calleeLastName(callee: Node): string | undefined {
  const c = strip(callee);
  if (Node.isIdentifier(c)) return c.getText();
  if (Node.isPropertyAccessExpression(c)) return c.getName();
  return undefined;
}

/**
 * Whether a call (or `new Promise(...)`) waits before it settles, and for
 * how long: `new Promise((r) => setTimeout(r, ms))`, `setTimeout(ms)` from
 * `timers/promises`, a helper of ours whose body does one of these, or a
 * library function named like a sleep.
 */
export function waitOf(node: Node, env: Env): WaitFacts | undefined {
  if (env.depth > 8) return undefined;
  if (Node.isNewExpression(node)) {
    const ctor = node.getExpression();
    if (!isGlobal(env.model, ctor, 'Promise')) return undefined;
    const executor = node.getArguments()[0];
    if (!executor || !(Node.isArrowFunction(executor) || Node.isFunctionExpression(executor))) return undefined;
    const timer = findTimer(env.model, executor);
    if (!timer) return undefined;
    const delay = timer.getArguments()[1];
    return delay ? { growth: growthOf(delay, env), delayArg: delay } : { growth: ZERO };
  }
  if (!Node.isCallExpression(node)) return undefined;
  const callee = node.getExpression();
  const args = node.getArguments();
  const origin = env.model.origin(callee);
  if (origin.kind === 'module' && origin.module === 'timers/promises') {
    const last = origin.path[origin.path.length - 1];
    if (last === 'setTimeout' || last === 'wait') {
      const delay = args[0];
      return delay ? { growth: growthOf(delay, env), delayArg: delay } : { growth: ZERO };
    }
    return undefined;
  }
  if (origin.kind === 'function') {
    const facts = helperFacts(env.model, origin.node);
    const inner = helperEnv(origin.node, node, env);
    for (const a of facts.awaited) {
      const w = waitOf(a, inner);
      if (!w) continue;
      // The helper sleeps for one of its parameters: the argument here is what to change.
      let delayArg: Node | undefined;
      if (w.delayArg && Node.isIdentifier(strip(w.delayArg))) {
        const decl = env.model.resolveIdentifier(strip(w.delayArg));
        const index = decl ? parametersOf(origin.node).indexOf(decl) : -1;
        if (index >= 0 && args[index] && !args.some((x) => Node.isSpreadElement(x))) delayArg = args[index];
      }
      return { growth: w.growth, ...(delayArg ? { delayArg } : {}) };
    }
    return undefined;
  }
  const name = calleeLastName(callee) ?? (origin.kind === 'module' && origin.path.length === 0 ? origin.module : undefined);
  if (!name || !WAIT_LIKE.test(name)) return undefined;
  // A library's sleep (`delay(ms)` from 'delay') or an injected one (`options.sleep(ms)`): its first argument is the delay.
  if (SLEEP_NAME.test(name) && args[0] && !Node.isArrowFunction(args[0]) && !Node.isFunctionExpression(args[0])) {
    return { growth: growthOf(args[0], env), delayArg: args[0] };
  }
  return { growth: UNKNOWN };
}

/** The `setTimeout(resolve, ms)` inside a Promise executor (global `setTimeout` only). */
function findTimer(model: ProgramModel, executor: Node): (Node & { getArguments(): Node[] }) | undefined {
  const sf = executor.getSourceFile();
  let found: ts.CallExpression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'setTimeout') found = n;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(executor.compilerNode, visit);
  if (!found) return undefined;
  const call = wrap(sf, found);
  if (!Node.isCallExpression(call)) return undefined;
  return model.origin(call.getExpression()).kind === 'global' ? call : undefined;
}

/** Whether the promise a call returns is waited for: awaited, returned, chained with `.then`, or passed on; not a bare statement. */
export function isAwaited(call: Node): boolean {
  let cur: Node = call;
  let parent = cur.getParent();
  while (parent && Node.isParenthesizedExpression(parent)) {
    cur = parent;
    parent = parent.getParent();
  }
  if (!parent) return false;
  if (Node.isExpressionStatement(parent)) return false;
  if (Node.isVoidExpression(parent)) return false;
  return true;
}
