import { Node, SyntaxKind, ts, type PropertyAccessExpression, type SourceFile } from 'ts-morph';
import { wrap } from '../core/program.ts';
import { calleeName, scanFile } from '../core/scan.ts';
import type { EvidencePlace, Probe, ProbeContext } from './evidence.ts';
import { outboundFacts, type OutboundCall } from './outbound.ts';
import { contains, count, enclosingFunction, fact, functionLabel, isExport, placeOf, propertiesNamed, propertyValue, rootModule, shortText } from './util.ts';

/**
 * Resilience policies: circuit breakers (cockatiel, opossum), bulkheads
 * (cockatiel `bulkhead`, p-limit, p-queue, Bottleneck), fallbacks, retry
 * policies, and the concurrency limits of pools and workers. Where a
 * policy runs a function (`policy.execute(fn)`, opossum's `new
 * CircuitBreaker(fn)`), the outbound calls inside it are what it guards.
 */

type PolicyKind = 'breaker' | 'bulkhead' | 'fallback' | 'retry' | 'timeout' | 'wrap';

interface Policy {
  node: Node;
  kind: PolicyKind;
  library: string;
  /** What the policy says of itself: `limit 10`, `handleWhen(isTransient)`. */
  detail: string;
  /** For `wrap(...)`: the policies it combines. */
  parts: Policy[];
  /** Functions it runs: the outbound calls inside them are guarded by it. */
  guarded: Node[];
}

const COCKATIEL_KINDS: Record<string, PolicyKind> = {
  circuitBreaker: 'breaker',
  bulkhead: 'bulkhead',
  fallback: 'fallback',
  retry: 'retry',
  timeout: 'timeout',
  wrap: 'wrap',
};

interface Policies {
  all: Policy[];
  /** The policy a node (a construction) is, when it is one. */
  byNode: Map<Node, Policy>;
}

export function policies(ctx: ProbeContext): Policies {
  return ctx.memo('policies', () => findPolicies(ctx));
}

function findPolicies(ctx: ProbeContext): Policies {
  const byNode = new Map<Node, Policy>();
  const pending: { call: Node; fn: Node | undefined; target: Node }[] = [];
  for (const sf of ctx.files) {
    const scan = scanFile(sf);
    for (const n of scan.news) {
      const node = wrap(sf, n);
      if (!Node.isNewExpression(node)) continue;
      const ctor = ctx.model.origin(node.getExpression());
      const args = node.getArguments();
      if (isExport(ctor, 'opossum') || isExport(ctor, 'opossum', 'CircuitBreaker')) {
        byNode.set(node, { node, kind: 'breaker', library: 'opossum', detail: optionsDetail(args[1], ['timeout', 'errorThresholdPercentage', 'resetTimeout']), parts: [], guarded: args[0] ? [args[0]] : [] });
      } else if (isExport(ctor, 'p-queue') || isExport(ctor, 'p-queue', 'PQueue')) {
        byNode.set(node, { node, kind: 'bulkhead', library: 'p-queue', detail: optionsDetail(args[0], ['concurrency']), parts: [], guarded: [] });
      } else if (isExport(ctor, 'bottleneck') || isExport(ctor, 'bottleneck', 'Bottleneck')) {
        byNode.set(node, { node, kind: 'bulkhead', library: 'Bottleneck', detail: optionsDetail(args[0], ['maxConcurrent']), parts: [], guarded: [] });
      }
    }
    for (const c of scan.calls) {
      const call = wrap(sf, c);
      if (!Node.isCallExpression(call)) continue;
      const callee = call.getExpression();
      const origin = ctx.model.origin(callee);
      const name = calleeName(c.expression);
      const root = rootModule(origin);
      if (root?.module === 'cockatiel' && name && COCKATIEL_KINDS[name]) {
        const kind = COCKATIEL_KINDS[name]!;
        byNode.set(call, { node: call, kind, library: 'cockatiel', detail: cockatielDetail(kind, call), parts: [], guarded: [] });
        continue;
      }
      if (isExport(origin, 'p-limit') || isExport(origin, 'p-limit', 'pLimit')) {
        const limit = call.getArguments()[0];
        byNode.set(call, { node: call, kind: 'bulkhead', library: 'p-limit', detail: limit ? `limit ${limit.getText()}` : '', parts: [], guarded: [] });
        continue;
      }
      // `policy.execute(fn)`, `limit(fn)`, `queue.add(fn)`, `limiter.schedule(fn)`, `breaker.fallback(fn)`: resolved once every policy is known.
      if (Node.isPropertyAccessExpression(callee)) pending.push({ call, fn: call.getArguments()[0], target: callee.getExpression() });
      else pending.push({ call, fn: call.getArguments()[0], target: callee });
    }
  }
  // `wrap(retryPolicy, breakerPolicy)` combines policies made elsewhere.
  for (const p of byNode.values()) {
    if (p.kind !== 'wrap' || !Node.isCallExpression(p.node)) continue;
    for (const arg of p.node.getArguments()) {
      const o = ctx.model.origin(arg);
      const part = o.kind === 'call' || o.kind === 'new' ? byNode.get(o.node) : undefined;
      if (part) p.parts.push(part);
    }
  }
  for (const { call, fn, target } of pending) {
    const o = ctx.model.origin(target);
    const policy = o.kind === 'call' || o.kind === 'new' ? byNode.get(o.node) : undefined;
    if (!policy || !fn) continue;
    const method = Node.isCallExpression(call) ? calleeName(call.compilerNode.expression) : undefined;
    if (policy.library === 'opossum') {
      // `breaker.fallback(fn)` gives the breaker a fallback; `fire` runs the function given to the constructor.
      if (method === 'fallback') byNode.set(call, { node: call, kind: 'fallback', library: 'opossum', detail: 'breaker fallback', parts: [policy], guarded: [] });
      continue;
    }
    const runs =
      (policy.library === 'cockatiel' && method === 'execute') ||
      (policy.library === 'p-limit' && Node.isIdentifier(target)) ||
      (policy.library === 'p-queue' && (method === 'add' || method === 'addAll')) ||
      (policy.library === 'Bottleneck' && (method === 'schedule' || method === 'wrap'));
    if (runs) policy.guarded.push(fn);
  }
  const all = [...byNode.values()].sort((a, b) => a.node.getSourceFile().getFilePath().localeCompare(b.node.getSourceFile().getFilePath()) || a.node.getStart() - b.node.getStart());
  return { all, byNode };
}

function cockatielDetail(kind: PolicyKind, call: Node): string {
  if (!Node.isCallExpression(call)) return '';
  const [first, second] = call.getArguments();
  switch (kind) {
    case 'bulkhead':
      return [first ? `limit ${first.getText()}` : '', second ? `queue ${second.getText()}` : ''].filter(Boolean).join(', ');
    case 'retry':
    case 'breaker':
    case 'fallback':
      return first ? shortText(first, 40) : '';
    case 'timeout':
      return first ? `${first.getText()} ms` : '';
    default:
      return '';
  }
}

function optionsDetail(opts: Node | undefined, keys: string[]): string {
  if (!opts || !Node.isObjectLiteralExpression(opts)) return '';
  const out: string[] = [];
  for (const k of keys) {
    const p = opts.getProperty(k);
    const v = p ? propertyValue(p) : undefined;
    if (v) out.push(`${k} ${v.getText()}`);
  }
  return out.join(', ');
}

/** The kinds a policy applies, wraps flattened. */
function kindsOf(p: Policy, seen = new Set<Policy>()): Set<PolicyKind> {
  const out = new Set<PolicyKind>();
  if (seen.has(p)) return out;
  seen.add(p);
  if (p.kind !== 'wrap') out.add(p.kind);
  for (const part of p.parts) for (const k of kindsOf(part, seen)) out.add(k);
  return out;
}

/** The functions that run under a policy of `kind`, directly or through a wrap that contains one. */
function guardedBy(all: readonly Policy[], kind: PolicyKind): Map<Policy, Node[]> {
  const out = new Map<Policy, Node[]>();
  for (const p of all) {
    if (p.kind !== kind) continue;
    const fns = [...p.guarded];
    for (const w of all) if (w.kind === 'wrap' && kindsOf(w).has(kind) && reaches(w, p)) fns.push(...w.guarded);
    out.set(p, fns);
  }
  return out;
}

function reaches(w: Policy, target: Policy, seen = new Set<Policy>()): boolean {
  if (seen.has(w)) return false;
  seen.add(w);
  return w.parts.some((p) => p === target || reaches(p, target, seen));
}

/** Outbound calls a guarded function makes: inside it, or one call deep inside a function of ours it calls. */
function callsUnder(ctx: ProbeContext, fn: Node, calls: readonly OutboundCall[]): OutboundCall[] {
  let body: Node | undefined = fn;
  if (!Node.isArrowFunction(fn) && !Node.isFunctionExpression(fn)) {
    const o = ctx.model.origin(fn);
    body = o.kind === 'function' ? o.node : undefined;
  }
  if (!body) return [];
  const out = new Set(calls.filter((c) => contains(body!, c.node)));
  for (const inner of body.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const o = ctx.model.origin(inner.getExpression());
    if (o.kind === 'function') for (const c of calls) if (contains(o.node, c.node)) out.add(c);
  }
  return [...out];
}

function dependencies(calls: readonly OutboundCall[]): string[] {
  return [...new Set(calls.map((c) => c.dependency))];
}

function policyLabel(p: Policy, what: string): string {
  return `${p.library} ${what}${p.detail ? ` (${p.detail})` : ''}`;
}

/** Per breaker or bulkhead: the dependencies it guards; and the dependencies no such policy guards. */
function guardEvidence(ctx: ProbeContext, kind: 'breaker' | 'bulkhead', what: string) {
  const { all } = policies(ctx);
  const { calls } = outboundFacts(ctx);
  const guarded = guardedBy(all, kind);
  const covered = new Set<OutboundCall>();
  const places: EvidencePlace[] = [];
  for (const [p, fns] of guarded) {
    const under = fns.flatMap((fn) => callsUnder(ctx, fn, calls));
    under.forEach((c) => covered.add(c));
    const deps = dependencies(under);
    places.push(placeOf(p.node, `${policyLabel(p, what)}${deps.length ? `, guarding ${deps.join(', ')}` : fns.length ? '' : ', not seen running anything'}`));
  }
  const coveredKeys = new Set([...covered].map((c) => c.dependencyKey));
  const unguarded = new Map<string, OutboundCall>();
  for (const c of calls) if (!coveredKeys.has(c.dependencyKey) && !unguarded.has(c.dependencyKey)) unguarded.set(c.dependencyKey, c);
  return {
    policies: places,
    guardedDependencies: coveredKeys.size,
    unguarded: [...unguarded.values()].map((c) => placeOf(c.client?.node ?? c.node, c.dependency)),
    guardedNames: dependencies([...covered]),
  };
}

const circuitBreakers: Probe = {
  id: 'circuit-breakers',
  collect(ctx) {
    const e = guardEvidence(ctx, 'breaker', 'circuit breaker');
    return {
      counts: { breakers: e.policies.length, guardedDependencies: e.guardedDependencies, unguardedDependencies: e.unguarded.length },
      facts: [...fact('breakers', 'Circuit breakers', e.policies), ...fact('unguarded', 'Dependencies without a circuit breaker', e.unguarded)],
    };
  },
  conclude({ counts, facts }) {
    const n = counts.breakers ?? 0;
    const unguarded = counts.unguardedDependencies ?? 0;
    if (n === 0) return { summary: `No circuit breaker found (cockatiel, opossum); ${count(unguarded, 'dependency', 'dependencies')} called without one.` };
    const labels = facts.find((f) => f.key === 'breakers')?.places.map((p) => p.label) ?? [];
    return { summary: `${count(n, 'circuit breaker')}: ${labels.join('; ')}. ${count(unguarded, 'dependency', 'dependencies')} without one.` };
  },
};

const bulkheads: Probe = {
  id: 'bulkheads',
  collect(ctx) {
    const e = guardEvidence(ctx, 'bulkhead', 'bulkhead');
    return {
      counts: { bulkheads: e.policies.length, guardedDependencies: e.guardedDependencies, unguardedDependencies: e.unguarded.length },
      facts: [...fact('bulkheads', 'Bulkheads (concurrency limits around a dependency)', e.policies), ...fact('unguarded', 'Dependencies without a bulkhead', e.unguarded)],
    };
  },
  conclude({ counts, facts }) {
    const n = counts.bulkheads ?? 0;
    if (n === 0) return { summary: 'No bulkhead found (cockatiel bulkhead, p-limit, p-queue, Bottleneck); see the pool and worker limits under bulkheads.pools.' };
    const labels = facts.find((f) => f.key === 'bulkheads')?.places.map((p) => p.label) ?? [];
    return { summary: `${count(n, 'bulkhead')}: ${labels.join('; ')}.` };
  },
};

const fallbacks: Probe = {
  id: 'fallbacks',
  collect(ctx) {
    const places = policies(ctx).all.filter((p) => p.kind === 'fallback').map((p) => placeOf(p.node, policyLabel(p, 'fallback')));
    return { counts: { fallbacks: places.length }, facts: fact('fallbacks', 'Fallback policies', places) };
  },
  conclude({ counts }) {
    const n = counts.fallbacks ?? 0;
    return { summary: n === 0 ? 'No fallback policy found (cockatiel fallback, opossum breaker.fallback); fallbacks written by hand are for the reviewer to point to.' : `${count(n, 'fallback policy', 'fallback policies')} found.` };
  },
};

/** Retry mechanisms: library policies and hand-written loops, and whether each says which errors it retries. */
const retryPolicies: Probe = {
  id: 'retry-policies',
  collect(ctx) {
    const filtered: EvidencePlace[] = [];
    const everything: EvidencePlace[] = [];
    for (const p of policies(ctx).all) {
      if (p.kind !== 'retry') continue;
      const detail = p.detail;
      const all = /^handleAll\b|Policy\.handleAll/.test(detail) || detail === '';
      (all ? everything : filtered).push(placeOf(p.node, `cockatiel retry with ${detail || 'no error filter'}`));
    }
    for (const sf of ctx.files) collectRetryCalls(ctx, sf, filtered, everything);
    return {
      counts: { policies: filtered.length + everything.length, retryEverything: everything.length },
      facts: [...fact('filtered', 'Retries that choose which errors to retry', filtered), ...fact('everything', 'Retries of every error', everything)],
    };
  },
  conclude({ counts }) {
    const n = counts.policies ?? 0;
    if (n === 0) return { summary: 'No retry policy or retry loop found.' };
    return { summary: `${count(n, 'retry mechanism')}, ${counts.retryEverything ?? 0} retrying every error.` };
  },
};

function collectRetryCalls(ctx: ProbeContext, sf: SourceFile, filtered: EvidencePlace[], everything: EvidencePlace[]): void {
  for (const c of scanFile(sf).calls) {
    const call = wrap(sf, c);
    if (!Node.isCallExpression(call)) continue;
    const origin = ctx.model.origin(call.getExpression());
    const args = call.getArguments();
    const opts = (i: number) => (args[i] && Node.isObjectLiteralExpression(args[i]) ? args[i] : undefined);
    const has = (o: Node | undefined, key: string) => Boolean(o && Node.isObjectLiteralExpression(o) && o.getProperty(key));
    if (isExport(origin, 'p-retry')) {
      (has(opts(1), 'shouldRetry') ? filtered : everything).push(placeOf(call, `p-retry${has(opts(1), 'shouldRetry') ? ' with shouldRetry' : ' (every error but AbortError)'}`));
    } else if (isExport(origin, 'async-retry')) {
      everything.push(placeOf(call, 'async-retry (every error unless the function calls bail)'));
    } else if (isExport(origin, 'axios-retry')) {
      // axios-retry's default condition (network errors, idempotent 5xx) is a filter already.
      filtered.push(placeOf(call, `axios-retry${has(opts(1), 'retryCondition') ? ' with retryCondition' : ' (network errors and idempotent 5xx by default)'}`));
    } else if ((calleeName(c.expression) === 'add' || calleeName(c.expression) === 'addBulk') && Node.isPropertyAccessExpression(call.getExpression())) {
      const queue = rootModule(ctx.model.origin((call.getExpression() as PropertyAccessExpression).getExpression()));
      const o = opts(2);
      const attempts = queue?.module === 'bullmq' && o && Node.isObjectLiteralExpression(o) ? o.getProperty('attempts') : undefined;
      if (attempts) everything.push(placeOf(attempts, `BullMQ job ${shortText(attempts)} (every failure, unless the job throws UnrecoverableError)`));
    }
  }
  for (const p of propertiesNamed(sf, 'defaultJobOptions')) {
    const v = propertyValue(p);
    const attempts = v && Node.isObjectLiteralExpression(v) ? v.getProperty('attempts') : undefined;
    if (attempts) everything.push(placeOf(attempts, `BullMQ default job ${shortText(attempts)} (every failure, unless the job throws UnrecoverableError)`));
  }
  // Hand-written loops: a function named like a retry with a loop that catches.
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isMethodDeclaration(n)) {
      const fn = wrap(sf, n);
      const name = functionLabel(fn);
      const loop = /retry/i.test(name) ? fn.getFirstDescendant((d) => Node.isForStatement(d) || Node.isWhileStatement(d) || Node.isDoStatement(d) || Node.isForOfStatement(d)) : undefined;
      if (loop && loop.getFirstDescendantByKind(SyntaxKind.TryStatement) && enclosingFunction(loop) === fn) {
        const decides = /shouldRetry|retryable|isRetriable|isTransient|retryIf|retryOn/i.test(fn.getText());
        (decides ? filtered : everything).push(placeOf(fn, `hand-written retry loop ${name}${decides ? ' with a retry predicate' : ' (retries every error)'}`));
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf.compilerNode);
}

/** Pools and workers: the limits that protect a dependency, whether set or left at a default. */
const concurrency: Probe = {
  id: 'concurrency',
  collect(ctx) {
    const set: EvidencePlace[] = [];
    const defaults: EvidencePlace[] = [];
    const limit = (node: Node, opts: Node | undefined, key: string, what: string, dflt: string) => {
      const p = opts && Node.isObjectLiteralExpression(opts) ? opts.getProperty(key) : undefined;
      const v = p ? propertyValue(p) : undefined;
      if (v) set.push(placeOf(p!, `${what} ${key} ${v.getText()}`));
      else if (!opts || Node.isObjectLiteralExpression(opts)) defaults.push(placeOf(node, `${what}: ${key} not set (default ${dflt})`));
    };
    for (const sf of ctx.files) {
      for (const n of scanFile(sf).news) {
        const node = wrap(sf, n);
        if (!Node.isNewExpression(node)) continue;
        const root = rootModule(ctx.model.origin(node.getExpression()));
        const args = node.getArguments();
        if (!root) continue;
        if (root.module === 'pg' && root.path[0] === 'Pool') limit(node, args[0], 'max', 'pg pool', '10');
        else if (root.module === 'bullmq' && root.path[0] === 'Worker') limit(node, args[2], 'concurrency', 'BullMQ worker', '1');
        else if (root.module === 'mongodb' && root.path[0] === 'MongoClient') limit(node, args[1], 'maxPoolSize', 'MongoClient', '100');
        else if (root.module === 'undici' && root.path[0] === 'Pool') limit(node, args[1], 'connections', 'undici pool', 'unlimited');
        else if ((root.module === 'http' || root.module === 'https') && root.path[0] === 'Agent') limit(node, args[0], 'maxSockets', `${root.module} agent`, 'unlimited');
      }
      for (const c of scanFile(sf).calls) {
        const call = wrap(sf, c);
        if (!Node.isCallExpression(call)) continue;
        const origin = ctx.model.origin(call.getExpression());
        if (isExport(origin, 'mysql2', 'createPool') || isExport(origin, 'mysql2/promise', 'createPool')) limit(call, call.getArguments()[0], 'connectionLimit', 'mysql2 pool', '10');
      }
    }
    const bulkheadCount = policies(ctx).all.filter((p) => p.kind === 'bulkhead').length;
    return {
      counts: { limits: set.length, defaults: defaults.length, bulkheads: bulkheadCount },
      facts: [...fact('set', 'Concurrency limits set', set), ...fact('defaults', 'Pools and workers left at their default limit', defaults)],
    };
  },
  conclude({ counts }) {
    const set = counts.limits ?? 0;
    const defaults = counts.defaults ?? 0;
    if (set + defaults === 0) return { summary: `No connection pool or worker limit found${counts.bulkheads ? `; ${count(counts.bulkheads, 'bulkhead')}` : ''}.` };
    return { summary: `${count(set, 'concurrency limit')} set, ${defaults} left at a default; ${count(counts.bulkheads ?? 0, 'bulkhead')}.` };
  },
};

export const RESILIENCE_PROBES: readonly Probe[] = [circuitBreakers, bulkheads, fallbacks, retryPolicies, concurrency];
