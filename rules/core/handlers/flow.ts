import { Node, SyntaxKind, ts } from 'ts-morph';
import { wrap, type ProgramModel } from '../program.ts';
import { CLAIM_RE, MARKER_RE, READ_RE, classifyCall, exits, type Effect } from './effects.ts';
import { functionName, projectFunctionOf } from './receivers.ts';

/**
 * What a message handler does once the calls into the project's own
 * functions are followed (to a bounded depth, across files), with the
 * effects a duplicate cannot reach taken out:
 *
 * - effects after an early exit whose condition looks the message up in a
 *   processed store, checks a claim (`SET key NX`, `INSERT … ON CONFLICT DO
 *   NOTHING` and its row count), finds the record the effect would create,
 *   or checks a status (`if (order.status !== 'pending') return`);
 * - effects in a branch that runs only on a first delivery (`if (!seen) {…}`);
 * - effects after an insert of a message marker into a unique-keyed table
 *   (`processed_messages`, `inbox`…): a duplicate fails there;
 * - effects inside the callback of a guard (`runOnce`, configured guards).
 */

export interface EffectHit {
  effect: Effect;
  /** The calls from the analysed root down to the function that has the effect, outermost first. */
  path: Node[];
}

export interface Summary {
  /** Unsafe effects that a duplicate reaches. */
  effects: EffectHit[];
  /** Whether anything is written at all (safe or not, guarded or not): a read-only handler has none. */
  writes: boolean;
  /** Whether it claims a key or writes a marker (for functions of ours used in a guard's condition). */
  claims: boolean;
  /** Whether it reads a processed-message store. */
  readsMarker: boolean;
  /** Whether it reads anything (a function of ours that reads and writes nothing is a lookup). */
  reads: boolean;
}

type Polarity = 'T' | 'F' | 'E';
type Source = { kind: 'marker' | 'claim' | 'entity'; prop?: string };

const EMPTY: Summary = { effects: [], writes: false, claims: false, readsMarker: false, reads: false };

/** How far down a summary followed calls: it holds at another depth too when that depth leaves as many levels and nothing was cut off. */
interface Extent {
  /** Levels of calls followed below the summarised function (0: it follows none). */
  reach: number;
  /** Whether a call was left unfollowed because the depth ran out or it closed a cycle, here or further down. */
  truncated: boolean;
}
/** Names of functions of ours that look something up: `findOrder`, `invoiceExists`, `isProcessed`. */
const LOOKUP_NAME = /^(find|get|count|exists|has|is|was|select|lookup|load|fetch|read|check)[A-Z_]|^(exists|has)$|(Exists?|Seen|Processed|Handled|Count)$/;
const COUNT_PROPS = new Set(['length', 'rowCount', 'count', 'affectedRows', 'changes', 'numUpdatedRows', 'numInsertedOrUpdatedRows', 'modifiedCount', 'upsertedCount', 'matchedCount']);
const WRITE_NAMES = /^(save|update\w*|set|hset|put\w*|upsert\w*|write\w*|store\w*|persist\w*)$/;

function isFunctionLike(node: Node): boolean {
  return Node.isArrowFunction(node) || Node.isFunctionExpression(node) || Node.isFunctionDeclaration(node) || Node.isMethodDeclaration(node) || Node.isConstructorDeclaration(node) || Node.isGetAccessorDeclaration(node) || Node.isSetAccessorDeclaration(node);
}

function isLoop(node: Node): boolean {
  return Node.isForOfStatement(node) || Node.isForStatement(node) || Node.isForInStatement(node) || Node.isWhileStatement(node) || Node.isDoStatement(node);
}

function strip(node: Node): Node {
  let cur = node;
  while (Node.isParenthesizedExpression(cur) || Node.isAwaitExpression(cur) || Node.isNonNullExpression(cur) || Node.isAsExpression(cur) || Node.isSatisfiesExpression(cur)) cur = cur.getExpression();
  return cur;
}

function within(node: Node, range: { start: number; end: number }): boolean {
  return node.getStart() >= range.start && node.getEnd() <= range.end;
}

export class FlowAnalysis {
  private readonly cache = new Map<Node, Summary[]>();
  private readonly extents = new WeakMap<Summary, Extent>();
  /** The summary returned where the depth runs out. */
  private readonly cutOff: Summary = { ...EMPTY };
  /** The summary returned for a function already being summarised (a cycle of calls). */
  private readonly cycle: Summary = { ...EMPTY };
  private readonly inProgress = new Set<Node>();

  constructor(
    private readonly model: ProgramModel,
    private readonly guardNames: ReadonlySet<string>,
    /** How many calls deep into functions of ours effects are looked for. */
    readonly maxDepth: number,
    /** Functions not to follow: other handlers, whose effects are reported where they are registered. */
    private readonly stopAt: ReadonlySet<Node> = new Set(),
  ) {}

  /**
   * The summary of a function, or of a statement (a polling loop's body),
   * following calls up to `maxDepth - depth` levels down. Cached per node
   * and depth for one analysis run; a summary made at another depth is
   * reused when everything it followed fits in this depth's levels too.
   */
  summarize(root: Node, depth = 0): Summary {
    if (depth > this.maxDepth) return this.cutOff;
    if (this.inProgress.has(root)) return this.cycle;
    const byDepth = this.cache.get(root);
    const hit = byDepth?.[depth] ?? byDepth?.find((s) => s !== undefined && this.holdsAt(s, depth));
    if (hit) return hit;
    this.inProgress.add(root);
    let result: Summary;
    try {
      result = this.compute(root, depth);
    } finally {
      this.inProgress.delete(root);
    }
    const list = byDepth ?? [];
    list[depth] = result;
    this.cache.set(root, list);
    return result;
  }

  /** Whether a summary computed at another depth is what computing it at `depth` would give: all it followed fits. */
  private holdsAt(summary: Summary, depth: number): boolean {
    const extent = this.extents.get(summary);
    return extent !== undefined && !extent.truncated && depth + extent.reach <= this.maxDepth;
  }

  private compute(root: Node, depth: number): Summary {
    const body = isFunctionLike(root) ? (root as Node & { getBody(): Node | undefined }).getBody() : root;
    if (!body) return EMPTY;
    const items: ({ kind: 'effect'; node: Node; effect: Effect } | { kind: 'follow'; node: Node; fn: Node })[] = [];
    const barriers: { scope: { start: number; end: number }; pos: number }[] = [];
    const guarded: { start: number; end: number }[] = [];
    const readVars = new Set<Node>();
    let writes = false;
    let claims = false;
    let readsMarker = false;
    let reads = false;
    let reach = 0;
    let truncated = false;

    const scopeOf = (node: Node, loopToo: boolean): { start: number; end: number } => {
      for (let cur = node.getParent(); cur && cur !== root; cur = cur.getParent()) {
        if (isFunctionLike(cur) || (loopToo && isLoop(cur))) return { start: cur.getStart(), end: cur.getEnd() };
      }
      return { start: root.getStart(), end: root.getEnd() };
    };

    const visitCall = (node: Node): void => {
      if (Node.isCallExpression(node)) {
        const callee = node.getExpression();
        const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
        if (this.guardNames.has(name) || this.guardNames.has(callee.getText())) {
          guarded.push({ start: node.getStart(), end: node.getEnd() });
          return;
        }
        const fn = projectFunctionOf(this.model, callee);
        if (fn) {
          items.push({ kind: 'follow', node, fn });
          this.readModifyWriteAtCall(node, readVars, items);
          return;
        }
      }
      const c = classifyCall(this.model, node, this.guardNames);
      if (!c) {
        this.readModifyWriteAtCall(node, readVars, items);
        return;
      }
      switch (c.kind) {
        case 'guard':
          guarded.push({ start: node.getStart(), end: node.getEnd() });
          claims = true;
          break;
        case 'effect':
          items.push({ kind: 'effect', node: c.effect.node, effect: c.effect });
          writes = true;
          break;
        case 'marker':
          // A duplicate fails on the unique key here, before anything after it in this function.
          barriers.push({ scope: scopeOf(node, false), pos: node.getEnd() });
          writes = true;
          claims = true;
          break;
        case 'claim':
          writes = true;
          claims = true;
          break;
        case 'write':
          writes = true;
          this.readModifyWriteAtCall(node, readVars, items);
          break;
        case 'read':
          reads = true;
          if (c.marker) readsMarker = true;
          break;
      }
    };

    // Walk the compiler's nodes and wrap only those read below: wrapping every node of a body costs more than the rest.
    const sf = body.getSourceFile();
    const visit = (c: ts.Node): void => {
      switch (c.kind) {
        // Declarations nested in the body run only when called, and calls to them are followed.
        case SyntaxKind.FunctionDeclaration:
        case SyntaxKind.ClassDeclaration:
        case SyntaxKind.InterfaceDeclaration:
        case SyntaxKind.TypeAliasDeclaration:
          return;
        case SyntaxKind.IfStatement:
          this.guardOfIf(wrap(sf, c), barriers, guarded, scopeOf);
          break;
        case SyntaxKind.VariableDeclaration:
          this.trackRead(wrap(sf, c), readVars);
          break;
        case SyntaxKind.CallExpression:
        case SyntaxKind.NewExpression:
        case SyntaxKind.TaggedTemplateExpression: {
          const node = wrap(sf, c);
          visitCall(node);
          // Functions of ours passed by reference (`items.forEach(applyItem)`) run too.
          if (Node.isCallExpression(node)) {
            for (const arg of node.getArguments()) {
              if (!Node.isIdentifier(arg) && !Node.isPropertyAccessExpression(arg)) continue;
              const fn = projectFunctionOf(this.model, arg);
              if (fn) items.push({ kind: 'follow', node: arg, fn });
            }
          }
          break;
        }
        case SyntaxKind.ExpressionStatement:
          this.readModifyWriteAssignment(wrap(sf, c), readVars, items);
          break;
      }
      ts.forEachChild(c, visit);
    };
    ts.forEachChild(body.compilerNode, visit);

    const isGuarded = (node: Node): boolean => guarded.some((r) => within(node, r)) || barriers.some((b) => node.getStart() >= b.pos && within(node, b.scope));
    const effects: EffectHit[] = [];
    const seen = new Set<Node>();
    for (const item of items) {
      if (isGuarded(item.node)) continue;
      if (item.kind === 'effect') {
        if (seen.has(item.effect.node)) continue;
        seen.add(item.effect.node);
        effects.push({ effect: item.effect, path: [] });
        continue;
      }
      if (this.stopAt.has(item.fn) && item.fn !== root) continue;
      const sub = this.summarize(item.fn, depth + 1);
      const subExtent = this.extents.get(sub);
      reach = Math.max(reach, 1 + (subExtent?.reach ?? 0));
      // A summary that met the depth limit or a cycle depends on where it was asked from: it is not reused elsewhere.
      truncated ||= sub === this.cutOff || sub === this.cycle || (subExtent?.truncated ?? false);
      writes ||= sub.writes;
      reads ||= sub.reads;
      for (const h of sub.effects) {
        if (seen.has(h.effect.node)) continue;
        seen.add(h.effect.node);
        effects.push({ effect: h.effect, path: [item.node, ...h.path] });
      }
    }
    // A guarded effect still writes (the trap checks want to know).
    for (const item of items) if (item.kind === 'effect') writes = true;
    const summary: Summary = { effects, writes, claims, readsMarker, reads };
    this.extents.set(summary, { reach, truncated });
    return summary;
  }

  // ---- guards ----

  /** Records what an `if` statement guards: the code after an early exit, or a branch that runs only on a first delivery. */
  private guardOfIf(
    stmt: Node,
    barriers: { scope: { start: number; end: number }; pos: number }[],
    guarded: { start: number; end: number }[],
    scopeOf: (node: Node, loopToo: boolean) => { start: number; end: number },
  ): void {
    if (!Node.isIfStatement(stmt)) return;
    const p = this.polarity(stmt.getExpression(), 0);
    if (!p) return;
    const then = stmt.getThenStatement();
    const otherwise = stmt.getElseStatement();
    const loopExit = (s: Node): boolean => s.getDescendantsOfKind(SyntaxKind.ContinueStatement).length > 0 || s.getDescendantsOfKind(SyntaxKind.BreakStatement).length > 0 || Node.isContinueStatement(s) || Node.isBreakStatement(s);
    if ((p === 'T' || p === 'E') && exits(then)) barriers.push({ scope: scopeOf(stmt, loopExit(then)), pos: stmt.getEnd() });
    if (p === 'F' || p === 'E') guarded.push({ start: then.getStart(), end: then.getEnd() });
    if (otherwise) {
      if ((p === 'F' || p === 'E') && exits(otherwise)) barriers.push({ scope: scopeOf(stmt, loopExit(otherwise)), pos: stmt.getEnd() });
      if (p === 'T' || p === 'E') guarded.push({ start: otherwise.getStart(), end: otherwise.getEnd() });
    }
  }

  /**
   * When a condition says "this message was handled before": `T` when it is
   * true for a duplicate, `F` when false, `E` for either (a status check),
   * undefined when the condition is no such check (`if (!order) return` is
   * validation: a missing record, not a repeat).
   */
  private polarity(expr: Node, depth: number): Polarity | undefined {
    if (depth > 6) return undefined;
    const e = strip(expr);
    if (Node.isPrefixUnaryExpression(e) && e.getOperatorToken() === SyntaxKind.ExclamationToken) {
      const inner = this.polarity(e.getOperand(), depth + 1);
      return inner === 'T' ? 'F' : inner === 'F' ? 'T' : inner;
    }
    if (Node.isBinaryExpression(e)) {
      const op = e.getOperatorToken().getKind();
      if (op === SyntaxKind.AmpersandAmpersandToken || op === SyntaxKind.BarBarToken) {
        const l = this.polarity(e.getLeft(), depth + 1);
        const r = this.polarity(e.getRight(), depth + 1);
        return l && r && l !== r ? 'E' : (l ?? r);
      }
      const comparisons = [SyntaxKind.EqualsEqualsEqualsToken, SyntaxKind.ExclamationEqualsEqualsToken, SyntaxKind.EqualsEqualsToken, SyntaxKind.ExclamationEqualsToken, SyntaxKind.GreaterThanToken, SyntaxKind.LessThanToken, SyntaxKind.GreaterThanEqualsToken, SyntaxKind.LessThanEqualsToken];
      if (!comparisons.includes(op)) return undefined;
      const leftLiteral = isLiteral(e.getLeft());
      const valueSide = leftLiteral ? e.getRight() : e.getLeft();
      const literal = leftLiteral ? e.getLeft() : e.getRight();
      const src = this.source(valueSide, depth + 1);
      if (!src) return undefined;
      if (src.kind !== 'entity') return 'E';
      const lit = strip(literal).getText();
      const negated = op === SyntaxKind.ExclamationEqualsEqualsToken || op === SyntaxKind.ExclamationEqualsToken;
      if (src.prop === undefined || lit === 'null' || lit === 'undefined') {
        // `existing === null`: a duplicate has the record, so the comparison is false for it.
        if (lit === 'null' || lit === 'undefined') return negated ? 'T' : 'F';
        return 'E';
      }
      if (COUNT_PROPS.has(src.prop)) {
        const zero = lit === '0';
        if (op === SyntaxKind.GreaterThanToken || (op === SyntaxKind.GreaterThanEqualsToken && lit === '1') || (negated && zero)) return 'T';
        if ((!negated && zero) || (op === SyntaxKind.LessThanToken && lit === '1')) return 'F';
        return undefined;
      }
      return 'E';
    }
    const src = this.source(e, depth + 1);
    if (!src) return undefined;
    if (src.kind === 'marker') return 'T';
    // A claim's result (or its row count) is truthy for the first delivery only.
    if (src.kind === 'claim') return 'F';
    if (src.prop === undefined || COUNT_PROPS.has(src.prop)) return 'T';
    return 'E';
  }

  /** Where a value in a condition comes from: a processed-store read, a claim, or a record read (with the property read from it). */
  private source(expr: Node, depth: number): Source | undefined {
    if (depth > 8) return undefined;
    const e = strip(expr);
    if (Node.isPropertyAccessExpression(e)) {
      const inner = this.source(e.getExpression(), depth + 1);
      return inner ? { kind: inner.kind, prop: e.getName() } : undefined;
    }
    if (Node.isElementAccessExpression(e)) return this.source(e.getExpression(), depth + 1);
    if (Node.isCallExpression(e)) {
      const kind = this.lookupKind(e);
      return kind ? { kind } : undefined;
    }
    if (Node.isIdentifier(e)) {
      const decl = this.model.resolveIdentifier(e);
      if (!decl) return undefined;
      if (Node.isVariableDeclaration(decl)) {
        const init = decl.getInitializer();
        return init ? this.source(init, depth + 1) : undefined;
      }
      if (Node.isBindingElement(decl)) {
        const holder = decl.getParent()?.getParent();
        if (holder && Node.isVariableDeclaration(holder)) {
          const init = holder.getInitializer();
          const inner = init ? this.source(init, depth + 1) : undefined;
          const key = decl.getPropertyNameNode()?.getText() ?? decl.getName();
          return inner ? { kind: inner.kind, ...(Node.isObjectBindingPattern(decl.getParent()!) ? { prop: key } : {}) } : undefined;
        }
      }
    }
    return undefined;
  }

  /** What a call in a condition reads: a processed store (`marker`), a claim, or a record (`entity`). */
  private lookupKind(call: Node): Source['kind'] | undefined {
    if (!Node.isCallExpression(call)) return undefined;
    const callee = call.getExpression();
    const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
    if (this.guardNames.has(name) || this.guardNames.has(callee.getText())) return 'claim';
    const fn = projectFunctionOf(this.model, callee);
    if (fn) {
      const fnName = functionName(fn) ?? name;
      if (CLAIM_RE.test(fnName)) return 'claim';
      const sub = this.summarize(fn, this.maxDepth - 1);
      if (sub.claims) return 'claim';
      if (MARKER_RE.test(fnName) || MARKER_RE.test(callee.getText()) || sub.readsMarker) return 'marker';
      return READ_RE.test(fnName) || LOOKUP_NAME.test(fnName) || (sub.reads && !sub.writes) ? 'entity' : undefined;
    }
    const c = classifyCall(this.model, call, this.guardNames);
    if (!c) return undefined;
    if (c.kind === 'claim' || c.kind === 'guard' || c.kind === 'marker') return 'claim';
    if (c.kind === 'read') return c.marker ? 'marker' : 'entity';
    return undefined;
  }

  // ---- read, then write a value computed from it ----

  /** `const account = await accounts.findUnique(...)`: remember the bound names as read results. */
  private trackRead(decl: Node, readVars: Set<Node>): void {
    if (!Node.isVariableDeclaration(decl)) return;
    const init = decl.getInitializer();
    if (!init) return;
    const call = strip(init);
    const fromLookup = Node.isCallExpression(call) && this.lookupKind(call) === 'entity';
    // `const current = rows[0]?.balance ?? 0`: derived from a value read before.
    const derived = !fromLookup && readVars.size > 0 && [init, ...init.getDescendantsOfKind(SyntaxKind.Identifier)].some((id) => Node.isIdentifier(id) && readVars.has(this.model.resolveIdentifier(id) as Node));
    if (!fromLookup && !derived) return;
    const nameNode = decl.getNameNode();
    if (Node.isIdentifier(nameNode)) readVars.add(decl);
    else for (const el of nameNode.getDescendantsOfKind(SyntaxKind.BindingElement)) readVars.add(el);
  }

  /** Whether an expression is arithmetic on a value read before (`account.balance + amount`). */
  private computedFromRead(expr: Node, readVars: ReadonlySet<Node>): Node | undefined {
    if (readVars.size === 0) return undefined;
    const arith = [SyntaxKind.PlusToken, SyntaxKind.MinusToken, SyntaxKind.AsteriskToken];
    const candidates = Node.isBinaryExpression(expr) ? [expr, ...expr.getDescendantsOfKind(SyntaxKind.BinaryExpression)] : expr.getDescendantsOfKind(SyntaxKind.BinaryExpression);
    for (const bin of candidates) {
      if (!arith.includes(bin.getOperatorToken().getKind())) continue;
      for (const side of [bin.getLeft(), bin.getRight()]) {
        let root = strip(side);
        while (Node.isPropertyAccessExpression(root) || Node.isElementAccessExpression(root)) root = strip(root.getExpression());
        if (!Node.isIdentifier(root)) continue;
        const decl = this.model.resolveIdentifier(root);
        if (decl && readVars.has(decl)) return root;
      }
    }
    return undefined;
  }

  private readModifyWriteAtCall(call: Node, readVars: ReadonlySet<Node>, items: { kind: string; node: Node }[]): void {
    if (readVars.size === 0 || !Node.isCallExpression(call)) return;
    const callee = call.getExpression();
    const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
    const c = classifyCall(this.model, call, this.guardNames);
    const isWrite = (c?.kind === 'write') || WRITE_NAMES.test(name);
    if (!isWrite) return;
    for (const arg of call.getArguments()) {
      const from = this.computedFromRead(arg, readVars);
      if (!from) continue;
      (items as { kind: 'effect'; node: Node; effect: Effect }[]).push({
        kind: 'effect',
        node: call,
        effect: { category: 'relative', node: call, does: `reads \`${from.getText()}\` and writes back a value computed from it (\`${name}\`)`, consequence: 'a repeat computes from the already-updated value and applies the change twice' },
      });
      return;
    }
  }

  /** `account.balance += amount` (or `= account.balance + amount`, `++`) on a record read before, saved later. */
  private readModifyWriteAssignment(stmt: Node, readVars: ReadonlySet<Node>, items: { kind: string; node: Node }[]): void {
    if (readVars.size === 0 || !Node.isExpressionStatement(stmt)) return;
    const e = stmt.getExpression();
    let target: Node | undefined;
    if (Node.isBinaryExpression(e)) {
      const op = e.getOperatorToken().getKind();
      if (op === SyntaxKind.PlusEqualsToken || op === SyntaxKind.MinusEqualsToken || op === SyntaxKind.AsteriskEqualsToken) target = e.getLeft();
      else if (op === SyntaxKind.EqualsToken && this.computedFromRead(e.getRight(), readVars)) target = e.getLeft();
    } else if ((Node.isPostfixUnaryExpression(e) || Node.isPrefixUnaryExpression(e)) && [SyntaxKind.PlusPlusToken, SyntaxKind.MinusMinusToken].includes(e.getOperatorToken())) {
      target = e.getOperand();
    }
    if (!target || !Node.isPropertyAccessExpression(target)) return;
    let root = target.getExpression();
    while (Node.isPropertyAccessExpression(root)) root = root.getExpression();
    if (!Node.isIdentifier(root)) return;
    const decl = this.model.resolveIdentifier(root);
    if (!decl || !readVars.has(decl)) return;
    (items as { kind: 'effect'; node: Node; effect: Effect }[]).push({
      kind: 'effect',
      node: stmt,
      effect: { category: 'relative', node: stmt, does: `changes \`${target.getText()}\` relative to the value it read`, consequence: 'a repeat reads the already-updated value and applies the change twice' },
    });
  }
}

function isLiteral(node: Node): boolean {
  const n = strip(node);
  return Node.isLiteralExpression(n) || Node.isNoSubstitutionTemplateLiteral(n) || Node.isTrueLiteral(n) || Node.isFalseLiteral(n) || n.getKind() === SyntaxKind.NullKeyword || n.getText() === 'undefined' || (Node.isPrefixUnaryExpression(n) && Node.isNumericLiteral(n.getOperand()));
}

/**
 * Whether a handler can end in an exception: a `throw`, or an `await` that
 * no `try … catch` around it handles (a rejected promise throws there).
 */
export function canThrow(root: Node): boolean {
  // On the compiler's nodes: a handler's whole body, wrapped node by node, cost more than the rest of its checks.
  const visit = (n: ts.Node, caught: boolean): boolean => {
    if (n.kind === SyntaxKind.FunctionDeclaration || n.kind === SyntaxKind.ClassDeclaration) return false;
    if ((n.kind === SyntaxKind.ThrowStatement || n.kind === SyntaxKind.AwaitExpression) && !caught) return true;
    if (ts.isTryStatement(n)) {
      // A try block with a catch clause catches what it throws; the catch and finally blocks do not.
      return visit(n.tryBlock, caught || n.catchClause !== undefined) || (n.catchClause !== undefined && visit(n.catchClause, caught)) || (n.finallyBlock !== undefined && visit(n.finallyBlock, caught));
    }
    return ts.forEachChild(n, (c) => visit(c, caught) || undefined) ?? false;
  };
  return ts.forEachChild(root.compilerNode, (c) => visit(c, false) || undefined) ?? false;
}
