import type { Severity } from '../../types.ts';
import { Node, SyntaxKind, type SourceFile } from 'ts-morph';
import { declaredDependency } from '../packages.ts';
import type { ProgramModel } from '../program.ts';
import { insertAt, replaceNode } from '../edits.ts';
import type { Fix, TextEdit } from '../../types.ts';
import type { RuleContext, RuleReport } from '../../rule.ts';
import { Relevance, type RelevanceTest } from '../scan.ts';
import {
  BASE_MS,
  MAX_ATTEMPTS,
  backoffExpression,
  ensureDefaultImport,
  ensureNamedImports,
  freshName,
  insertBefore,
  insertStatement,
  jitterExpression,
  sleepStatement,
  type FixPlan,
} from './fixes.ts';
import { RETRY_LIBRARIES, libraryFindings } from './libraries.ts';
import { retrySites, type FailurePath, type InsertPoint, type RetrySite, type Wait } from './sites.ts';

/** What the two retry rules report, computed together once per file and analysis. */
export interface RetryFinding {
  ruleId: 'retry-without-backoff' | 'unbounded-retry';
  node: Node;
  messageId: string;
  data: Record<string, string>;
  fixes: FixPlan[];
}

/** Every retry finding of a file, both rules' (cached for the analysis, so the second rule pays nothing). */
export function retryFindings(model: ProgramModel, sf: SourceFile): RetryFinding[] {
  const byFile = model.perRun('retry:findings', () => new Map<SourceFile, RetryFinding[]>());
  let out = byFile.get(sf);
  if (out) return out;
  out = [];
  for (const site of retrySites(model, sf)) {
    const backoff = backoffFinding(model, site);
    if (backoff) out.push(backoff);
    const limit = limitFinding(model, site);
    if (limit) out.push(limit);
  }
  out.push(...libraryFindings(model, sf));
  byFile.set(sf, out);
  return out;
}

// ---- retry-without-backoff on hand-written retries ----

function delayText(w: Wait): string {
  const arg = w.facts.delayArg;
  const text = arg?.getText().replace(/\s+/g, ' ');
  return text && text.length <= 40 ? `\`${text}\`` : 'the same time';
}

function backoffFinding(model: ProgramModel, site: RetrySite): RetryFinding | undefined {
  const awaited = site.waits.filter((w) => w.awaited);
  const floating = site.waits.filter((w) => !w.awaited);
  const base = { ruleId: 'retry-without-backoff' as const };
  if (awaited.length === 0) {
    const f = floating[0];
    if (f) {
      const fixes: FixPlan[] = site.canAwait ? [{ title: 'Await it', applicability: 'safe', edits: [insertAt(f.node, f.node.getStart(), 'await ')] }] : [];
      return { ...base, node: f.node, messageId: 'sleepNotAwaited', data: { what: site.what, call: shorten(f.node.getText()) }, fixes: [...fixes, ...policyFixes(model, site)] };
    }
    return { ...base, node: site.anchor, messageId: 'noDelay', data: { what: site.what }, fixes: [...noDelayFixes(model, site), ...policyFixes(model, site)] };
  }
  if (awaited.some((w) => w.facts.growth.dir === 'unknown')) return undefined;
  const growing = awaited.filter((w) => w.facts.growth.dir === 'up');
  if (growing.length > 0) {
    if (awaited.some((w) => w.facts.growth.jitter)) return undefined;
    const w = growing[0]!;
    const arg = w.facts.delayArg;
    const fixes: FixPlan[] = arg && arg.getSourceFile() === site.node.getSourceFile() ? [{ title: 'Add full jitter: `Math.random() * delay`', applicability: 'safe', edits: [replaceNode(arg, jitterExpression(arg.getText(), w.facts.growth.capped))] }] : [];
    return { ...base, node: w.node, messageId: 'noJitter', data: { what: site.what }, fixes };
  }
  const w = awaited.find((x) => !x.facts.growth.zero);
  const target = w ?? awaited[0]!;
  const counter = counterFor(site);
  const arg = target.facts.delayArg;
  const fixes: FixPlan[] = [];
  if (counter && arg && arg.getSourceFile() === site.node.getSourceFile()) {
    const baseMs = target.facts.growth.zero ? BASE_MS : withoutJitter(arg);
    fixes.push({ title: `Back off exponentially from ${target.facts.growth.zero ? `${BASE_MS} ms` : `\`${shorten(baseMs)}\``}, with full jitter, capped at 30 s`, applicability: 'safe', edits: [...counter.edits, replaceNode(arg, backoffExpression(baseMs, counter.expr))] });
  }
  fixes.push(...policyFixes(model, site));
  if (!w) return { ...base, node: site.anchor, messageId: 'noDelay', data: { what: site.what }, fixes };
  return { ...base, node: target.node, messageId: 'constantDelay', data: { what: site.what, delay: delayText(target) }, fixes };
}

/** `Math.random() * 1_000` → `1_000`: the base of a delay that is already spread out. */
function withoutJitter(arg: Node): string {
  const a = Node.isParenthesizedExpression(arg) ? arg.getExpression() : arg;
  if (Node.isBinaryExpression(a) && a.getOperatorToken().getKind() === SyntaxKind.AsteriskToken) {
    if (/^Math\.random\(\)$/.test(a.getLeft().getText())) return a.getRight().getText();
    if (/^Math\.random\(\)$/.test(a.getRight().getText())) return a.getLeft().getText();
  }
  return arg.getText();
}

function shorten(text: string): string {
  const t = text.replace(/\s+/g, ' ');
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

/**
 * The attempt number a fix can raise 2 to: a counter the loop already steps
 * up (or a parameter the recursion passes up), else a new `let attempt = 0`
 * before the loop, stepped where the delay is computed.
 */
function counterFor(site: RetrySite): { expr: string; edits: TextEdit[] } | undefined {
  if (site.kind === 'recursion') {
    for (const [decl, gr] of site.env.bindings) {
      if (!Node.isParameterDeclaration(decl) || !Node.isIdentifier(decl.getNameNode())) continue;
      if (gr.dir === 'up') return { expr: decl.getName(), edits: [] };
      const init = decl.getInitializer();
      if (gr.dir === 'down' && init && Node.isNumericLiteral(init)) return { expr: `(${init.getText()} - ${decl.getName()})`, edits: [] };
    }
    return undefined;
  }
  const body = (site.node as unknown as { getStatement(): Node }).getStatement();
  const bodyText = body.getText();
  const ups = [...site.counters].filter(([name, dir]) => dir === 'up' && !new RegExp(`\\b(let|const|var)\\s+${name}\\b`).test(bodyText)).map(([name]) => name);
  const init = Node.isForStatement(site.node) ? site.node.getInitializer() : undefined;
  const forNames = init && Node.isVariableDeclarationList(init) ? init.getDeclarations().map((d) => d.getName()) : [];
  const chosen = ups.find((n) => forNames.includes(n)) ?? ups[0];
  if (chosen) return { expr: chosen, edits: [] };
  const name = freshName(site.fn ?? site.node.getSourceFile(), 'attempt', 'retryAttempt');
  const edit = insertBefore(site.node, `let ${name} = 0;`);
  return edit ? { expr: `${name}++`, edits: [edit] } : undefined;
}

function preferredFailure(site: RetrySite): (FailurePath & { insert: InsertPoint }) | undefined {
  const withInsert = site.failures.filter((f): f is FailurePath & { insert: InsertPoint } => f.insert !== undefined);
  return withInsert.find((f) => f.kind === 'catch') ?? withInsert[0];
}

function noDelayFixes(model: ProgramModel, site: RetrySite): FixPlan[] {
  if (!site.canAwait) return [];
  const failure = preferredFailure(site);
  const counter = counterFor(site);
  if (!failure || !counter) return [];
  const sf = site.node.getSourceFile();
  const stmt = sleepStatement(model, sf, backoffExpression(BASE_MS, counter.expr));
  return [{ title: 'Wait between attempts: exponential backoff from 100 ms, with full jitter, capped at 30 s', applicability: 'safe', edits: [...counter.edits, insertStatement(failure.insert, stmt)] }];
}

// ---- unbounded-retry on hand-written retries ----

function limitFinding(model: ProgramModel, site: RetrySite): RetryFinding | undefined {
  if (site.bounded) return undefined;
  // A connection loop that waits between attempts is meant to run as long as the process does.
  if (site.reconnect && site.waits.some((w) => w.awaited)) return undefined;
  const base = { ruleId: 'unbounded-retry' as const, node: site.anchor, data: { what: site.what } };
  if (site.kind === 'recursion') return { ...base, messageId: 'recursionNoLimit', fixes: [] };
  return { ...base, messageId: 'loopNoLimit', fixes: [...limitFixes(site), ...policyFixes(model, site)] };
}

function limitFixes(site: RetrySite): FixPlan[] {
  const failure = preferredFailure(site);
  if (!failure) return [];
  const body = (site.node as unknown as { getStatement(): Node }).getStatement();
  const bodyText = body.getText();
  const existing = [...site.counters].find(([name, dir]) => dir === 'up' && !new RegExp(`\\b(let|const|var)\\s+${name}\\b`).test(bodyText))?.[0];
  const edits: TextEdit[] = [];
  let guardCounter: string;
  if (existing) guardCounter = existing;
  else {
    const name = freshName(site.fn ?? site.node.getSourceFile(), 'attempt', 'retryAttempt');
    const decl = insertBefore(site.node, `let ${name} = 0;`);
    if (!decl) return [];
    edits.push(decl);
    guardCounter = `++${name}`;
  }
  const title = `Give up after ${MAX_ATTEMPTS} attempts`;
  if (failure.kind === 'catch' && Node.isCatchClause(failure.node)) {
    const clause = failure.node;
    const v = clause.getVariableDeclaration();
    let err: string;
    if (v) {
      if (!Node.isIdentifier(v.getNameNode())) return [];
      err = v.getName();
    } else {
      err = freshName(site.fn ?? site.node.getSourceFile(), 'err', 'error');
      edits.push(insertAt(clause, clause.getStart() + 'catch'.length, ` (${err})`));
    }
    const block = clause.getBlock();
    const first = block.getStatements()[0];
    const guard = `if (${guardCounter} >= ${MAX_ATTEMPTS}) throw ${err};`;
    edits.push(insertStatement(first ? { kind: 'before', stmt: first } : { kind: 'append', block }, guard));
    return [{ title, applicability: 'unsafe', edits }];
  }
  edits.push(insertStatement(failure.insert, `if (${guardCounter} >= ${MAX_ATTEMPTS}) throw new Error('Gave up after ${MAX_ATTEMPTS} attempts');`));
  return [{ title, applicability: 'unsafe', edits }];
}

// ---- replacing a loop by a library policy ----

const PLUMBING_CALL = /^(sleep|delay|wait|pause|setTimeout)$/;

/** Whether a catch statement only serves the loop (waits, counters, bounds), so that a policy can take its place. */
function isPlumbing(stmt: Node, site: RetrySite): boolean {
  if (Node.isContinueStatement(stmt)) return true;
  if (Node.isExpressionStatement(stmt)) {
    const e = stmt.getExpression();
    if (Node.isAwaitExpression(e)) return site.waits.some((w) => w.node === unwrap(e.getExpression())) || isSleepCall(e.getExpression());
    if (Node.isPostfixUnaryExpression(e) || Node.isPrefixUnaryExpression(e)) return true;
    if (Node.isBinaryExpression(e) && e.getOperatorToken().getKind() >= SyntaxKind.FirstAssignment && e.getOperatorToken().getKind() <= SyntaxKind.LastAssignment) return true;
    return false;
  }
  if (Node.isIfStatement(stmt) && !stmt.getElseStatement()) {
    const then = stmt.getThenStatement();
    const inner = Node.isBlock(then) ? then.getStatements() : [then];
    const cond = stmt.getExpression().getText();
    const aboutAttempts = [...site.counters.keys()].some((c) => new RegExp(`\\b${c}\\b`).test(cond)) || /attempt|retr|tries/i.test(cond);
    return aboutAttempts && inner.every((s) => Node.isThrowStatement(s) || isPlumbing(s, site));
  }
  return false;
}

function unwrap(n: Node): Node {
  return Node.isParenthesizedExpression(n) ? unwrap(n.getExpression()) : n;
}

function isSleepCall(n: Node): boolean {
  const e = unwrap(n);
  if (Node.isNewExpression(e)) return /setTimeout/.test(e.getText());
  if (!Node.isCallExpression(e)) return false;
  const callee = e.getExpression();
  const name = Node.isIdentifier(callee) ? callee.getText() : Node.isPropertyAccessExpression(callee) ? callee.getName() : '';
  return PLUMBING_CALL.test(name);
}

/** The number of retries (attempts after the first) a `for` loop allows: `for (let i = 0; i < 3; i++)` → `2`. */
function loopRetries(loop: Node): string | undefined {
  if (Node.isWhileStatement(loop) || Node.isDoStatement(loop)) {
    return loop.getExpression().getKind() === SyntaxKind.TrueKeyword ? String(MAX_ATTEMPTS - 1) : undefined;
  }
  if (!Node.isForStatement(loop)) return undefined;
  const cond = loop.getCondition();
  const init = loop.getInitializer();
  if (!cond) return String(MAX_ATTEMPTS - 1);
  if (!init || !Node.isVariableDeclarationList(init) || init.getDeclarations().length !== 1 || !Node.isBinaryExpression(cond)) return undefined;
  const decl = init.getDeclarations()[0]!;
  const start = decl.getInitializer();
  if (!start || !Node.isNumericLiteral(start) || cond.getLeft().getText() !== decl.getName()) return undefined;
  const s = start.getLiteralValue();
  const op = cond.getOperatorToken().getKind();
  const limit = cond.getRight();
  // attempts = limit - s (for <) or limit - s + 1 (for <=); retries = attempts - 1.
  const minus = op === SyntaxKind.LessThanToken ? s + 1 : op === SyntaxKind.LessThanEqualsToken ? s : undefined;
  if (minus === undefined) return undefined;
  if (Node.isNumericLiteral(limit)) return String(Math.max(0, limit.getLiteralValue() - minus));
  if (!/^[\w$.]+$/.test(limit.getText())) return undefined;
  return minus === 0 ? limit.getText() : `${limit.getText()} - ${minus}`;
}

/**
 * When the project depends on cockatiel or p-retry: replace a loop of the
 * simplest shape (`try { return await op(); } catch { …waits and counts… }`)
 * by the library's policy, which backs off with jitter and counts attempts.
 */
function policyFixes(model: ProgramModel, site: RetrySite): FixPlan[] {
  if (site.kind !== 'loop' || !site.canAwait || !site.tryStatement || !Node.isTryStatement(site.tryStatement)) return [];
  const sf = site.node.getSourceFile();
  const wantsCockatiel = declaredDependency(sf, 'cockatiel') !== undefined;
  const wantsPRetry = declaredDependency(sf, 'p-retry') !== undefined;
  if (!wantsCockatiel && !wantsPRetry) return [];
  const body = (site.node as unknown as { getStatement(): Node }).getStatement();
  const bodyStmts = Node.isBlock(body) ? body.getStatements() : [body];
  if (bodyStmts.length !== 1 || bodyStmts[0] !== site.tryStatement || site.tryStatement.getFinallyBlock()) return [];
  const tryStmts = site.tryStatement.getTryBlock().getStatements();
  const ret = tryStmts[0];
  if (tryStmts.length !== 1 || !ret || !Node.isReturnStatement(ret)) return [];
  const returned = ret.getExpression();
  if (!returned) return [];
  const op = Node.isAwaitExpression(returned) ? returned.getExpression() : returned;
  const clause = site.tryStatement.getCatchClause();
  if (!clause || !clause.getBlock().getStatements().every((s) => isPlumbing(s, site))) return [];
  const retries = loopRetries(site.node);
  if (retries === undefined) return [];

  // What goes: the loop (with its label), the throws after it, and the variables before it that only the loop used.
  let first: Node = site.node;
  while (first.getParent() && Node.isLabeledStatement(first.getParent()!)) first = first.getParent()!;
  const parent = first.getParent();
  if (!parent || !Node.isBlock(parent)) return [];
  const siblings = parent.getStatements();
  const index = siblings.indexOf(first as never);
  let last: Node = first;
  for (const s of siblings.slice(index + 1)) {
    if (!Node.isThrowStatement(s)) return [];
    last = s;
  }
  const fnText = (site.fn ?? parent).getText();
  const fnStart = (site.fn ?? parent).getStart();
  let start: Node = first;
  for (let i = index - 1; i >= 0; i--) {
    const s = siblings[i]!;
    if (!Node.isVariableStatement(s)) break;
    const names = s.getDeclarations().map((d) => d.getName());
    const outside = fnText.slice(0, s.getStart() - fnStart) + fnText.slice(last.getEnd() - fnStart);
    if (names.some((n) => new RegExp(`(^|[^\\w$.])${n}(?![\\w$])`).test(outside))) break;
    start = s;
  }
  // The operation may not use what goes away (the loop's counter, say).
  const removed = sf.getFullText().slice(start.getStart(), site.tryStatement.getStart()) + clause.getText();
  const declared = [...removed.matchAll(/\b(?:let|const|var)\s+([\w$]+)/g)].map((m) => m[1]!);
  if (declared.some((n) => new RegExp(`(^|[^\\w$.])${n}(?![\\w$])`).test(op.getText()))) return [];
  const replace = (text: string): TextEdit => ({ file: sf.getFilePath(), start: start.getStart(), end: last.getEnd(), newText: text });
  const opText = op.getText();
  const out: FixPlan[] = [];
  if (wantsCockatiel) {
    const imports = ensureNamedImports(model, sf, 'cockatiel', ['ExponentialBackoff', 'handleAll', 'retry']);
    if (imports) {
      const n = imports.names;
      out.push({
        title: `Replace the loop by a cockatiel policy: \`retry(handleAll, { maxAttempts: ${retries}, backoff: new ExponentialBackoff() })\``,
        applicability: 'unsafe',
        edits: [replace(`return await ${n.get('retry')}(${n.get('handleAll')}, { maxAttempts: ${retries}, backoff: new ${n.get('ExponentialBackoff')}() }).execute(() => ${opText});`), ...imports.edits],
      });
    }
  }
  if (wantsPRetry) {
    const imp = ensureDefaultImport(model, sf, 'p-retry', 'pRetry');
    if (imp) {
      out.push({
        title: `Replace the loop by \`pRetry\` (exponential backoff from 1 s), with \`retries: ${retries}\``,
        applicability: 'unsafe',
        edits: [replace(`return await ${imp.name}(() => ${opText}, { retries: ${retries} });`), ...imp.edits],
      });
    }
  }
  return out;
}

// ---- what the two rules share ----

/**
 * Files worth walking: those that import a retry library or could hold a
 * hand-written retry (a catch, a status check) or one of its helpers (a
 * `setTimeout` sleep, a backoff), and the files that import them (a queue
 * made in one file gets its jobs in another).
 */
export const RETRY_RELEVANCE: RelevanceTest = {
  module: (m: string) => RETRY_LIBRARIES.has(m),
  words: ['catch', '.ok', 'status', 'setTimeout', 'ackoff'],
  // Helpers and queues are values: the retry analysis never follows a type of ours.
  valueImportsOnly: true,
};

/** Reports one rule's share of the retry findings of the files to report on. */
export function reportRetryFindings(ctx: RuleContext, ruleId: RetryFinding['ruleId'], severities: Record<string, Severity> = {}): void {
  const relevance = new Relevance(ctx.program, RETRY_RELEVANCE, 'retry');
  for (const sf of ctx.files) {
    if (!relevance.isRelevant(sf)) continue;
    for (const f of retryFindings(ctx.program, sf)) {
      if (f.ruleId !== ruleId) continue;
      const severity = severities[f.messageId];
      ctx.report({ node: f.node, messageId: f.messageId, data: f.data, state: { fixes: f.fixes } satisfies RetryState, ...(severity ? { severity } : {}) });
    }
  }
}

export type RetryState = { fixes: FixPlan[] };

/** The report's fixes as the engine wants them: the first one preferred. */
export function retryFixes(report: RuleReport<RetryState>): Fix[] {
  return (report.state?.fixes ?? []).map((f, i): Fix => ({ title: f.title, applicability: f.applicability, edits: f.edits, ...(i === 0 ? { isPreferred: true } : {}) }));
}
