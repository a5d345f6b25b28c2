import { Node, ts, type SourceFile } from 'ts-morph';
import { wrap } from '../core/program.ts';
import { scanFile } from '../core/scan.ts';
import { analyse as missingTimeoutInventory } from '../missing-timeout.ts';
import type { Finding } from '../types.ts';
import type { ProbeContext, Probe, EvidencePlace } from './evidence.ts';
import { boundName, count, enclosingFunction, fact, functionLabel, isExport, isSuppressed, overlaps, placeOf, rootModule, shortText } from './util.ts';

/**
 * Outbound calls and clients, and whether each has a deadline. The verdict
 * is missing-timeout's (its inventory and its findings); this file adds
 * what the inventory leaves out: calls made through a client (they inherit
 * its deadline), calls to a function that forwards its caller's deadline,
 * and clients the rule recognised but did not judge.
 */

/** `bounded`: has a deadline; `unbounded`: a finding says it has none; `accepted`: such a finding is suppressed; `unjudged`: the rule gave no verdict. */
export type DeadlineState = 'bounded' | 'unbounded' | 'accepted' | 'unjudged';

export interface OutboundClient {
  node: Node;
  library: string;
  /** The variable or property that holds it, when there is one. */
  name?: string;
  state: DeadlineState;
  /** The missing-timeout finding on it, if any. */
  finding?: Finding;
}

export interface OutboundCall {
  node: Node;
  library: string;
  /** `direct`: the call itself is the request; `client`: a method of a client; `wrapper`: a function of ours that forwards its caller's deadline. */
  via: 'direct' | 'client' | 'wrapper';
  client?: OutboundClient;
  state: DeadlineState;
  /** What the call talks to, for a person: `inventoryApi (axios)`, `fetch config.webhookUrl`. */
  dependency: string;
  /** Calls with the same key talk to the same dependency (the same client, or the same URL expression). */
  dependencyKey: string;
  label: string;
}

export interface OutboundFacts {
  calls: OutboundCall[];
  clients: OutboundClient[];
  /** Calls that pass their caller's deadline on (judged at the callers). */
  forwarders: { node: Node; library: string; fn?: Node }[];
  /** missing-timeout findings, suppressed ones included. */
  findings: Finding[];
}

/** Methods of a client that send nothing to the dependency (events, lifecycle, configuration). */
const NOT_REQUESTS = new Set([
  'on', 'once', 'off', 'addListener', 'removeListener', 'removeAllListeners', 'emit', 'listeners', 'setMaxListeners',
  'end', 'release', 'destroy', 'close', 'quit', 'disconnect', 'unref', 'ref', 'duplicate',
  'getUri', 'extend', 'create', 'isAxiosError', 'isCancel', 'middlewareStack', 'defineCommand',
]);

/** Known client constructions, whether or not missing-timeout judged them. */
function clientLibrary(ctx: ProbeContext, node: Node): string | undefined {
  if (Node.isNewExpression(node)) {
    const ctor = ctx.model.origin(node.getExpression());
    const root = ctor.kind === 'module' ? rootModule(ctor) : undefined;
    if (!root) return undefined;
    const name = root.path[0];
    if (root.module === 'pg' && (name === 'Pool' || name === 'Client')) return 'pg';
    if (root.module === 'ioredis' && (name === undefined || name === 'Redis' || name === 'Cluster')) return 'ioredis client';
    if (root.module === 'mongodb' && name === 'MongoClient') return 'MongoClient';
    if (root.module === 'undici' && name && ['Client', 'Pool', 'Agent', 'BalancedPool'].includes(name)) return 'undici';
    if (/^@aws-sdk\/client-/.test(root.module) && name && /Client$/.test(name)) return 'AWS SDK client';
    return undefined;
  }
  if (Node.isCallExpression(node)) {
    const callee = ctx.model.origin(node.getExpression());
    if (isExport(callee, 'axios', 'create')) return 'axios';
    if (isExport(callee, 'got', 'extend')) return 'got';
    if (isExport(callee, 'ky', 'create') || isExport(callee, 'ky', 'extend')) return 'ky';
  }
  return undefined;
}

function stateFromFindings(node: Node, findings: readonly Finding[], matchRelated: boolean): DeadlineState | undefined {
  const covering = findings.filter((f) => overlaps(f.location, node) || (matchRelated && f.related.some((r) => overlaps(r, node))));
  if (covering.length === 0) return undefined;
  return covering.every(isSuppressed) ? 'accepted' : 'unbounded';
}

/** The outbound calls and clients of a unit, computed once and shared by the probes. */
export function outboundFacts(ctx: ProbeContext): OutboundFacts {
  return ctx.memo('outbound', () => computeOutbound(ctx));
}

function computeOutbound(ctx: ProbeContext): OutboundFacts {
  const findings = ctx.findings('missing-timeout') ?? [];
  const inFiles = new Set<string>(ctx.files.map((f) => f.getFilePath()));
  const inventory = missingTimeoutInventory({ files: ctx.files, program: ctx.model, options: ctx.options, report: () => {}, isReportable: (file) => inFiles.has(file) });

  const clients = new Map<Node, OutboundClient>();
  const calls = new Map<Node, OutboundCall>();
  const forwarders: OutboundFacts['forwarders'] = [];
  for (const e of inventory) {
    if (!inFiles.has(e.node.getSourceFile().getFilePath())) continue;
    if (e.bounded === 'caller') {
      forwarders.push({ node: e.node, library: e.library, fn: enclosingFunction(e.node) });
      continue;
    }
    const state: DeadlineState = e.bounded ? 'bounded' : (stateFromFindings(e.node, findings, false) ?? 'unbounded');
    if (e.kind === 'client') {
      const name = boundName(e.node);
      clients.set(e.node, { node: e.node, library: e.library, ...(name ? { name } : {}), state, ...findingOn(e.node, findings) });
    } else {
      const fn = enclosingFunction(e.node);
      const target = urlTarget(e.node);
      const dependency = target ? `${e.library} ${target}` : `${e.library}${fn ? ` in ${functionLabel(fn)}` : ''}`;
      const label = `${e.library}${target ? ` ${target}` : ''}${fn ? ` in ${functionLabel(fn)}` : ''}`;
      calls.set(e.node, { node: e.node, library: e.library, via: 'direct', state, dependency, dependencyKey: target ? `${e.library}|${target}` : `call|${keyOf(e.node)}`, label });
    }
  }

  // Clients the rule recognised but left out of its inventory: exempt, or configured where it cannot read.
  for (const sf of ctx.files) {
    const scan = scanFile(sf);
    const candidates: ts.Node[] = [...scan.news, ...scan.calls];
    for (const c of candidates) {
      const node = wrap(sf, c);
      if (clients.has(node)) continue;
      const library = clientLibrary(ctx, node);
      if (!library) continue;
      const name = boundName(node);
      clients.set(node, { node, library, ...(name ? { name } : {}), state: 'unjudged' });
    }
  }

  // Calls the inventory judged that go through a client: name the client as their dependency.
  for (const call of [...calls.values()]) {
    const callee = Node.isCallExpression(call.node) ? call.node.getExpression() : undefined;
    if (!callee || !Node.isPropertyAccessExpression(callee)) continue;
    const target = ctx.model.origin(callee.getExpression());
    const client = target.kind === 'call' || target.kind === 'new' ? clients.get(target.node) : undefined;
    if (client) calls.set(call.node, { ...throughClient(call.node, callee.getName(), client), state: call.state });
  }

  const wrapperFns = new Map<Node, string>();
  for (const f of forwarders) if (f.fn) wrapperFns.set(f.fn, f.library);

  for (const sf of ctx.files) {
    for (const c of scanFile(sf).calls) {
      const call = wrap(sf, c);
      if (!Node.isCallExpression(call) || calls.has(call)) continue;
      const callee = call.getExpression();
      // A method of a client: `inventoryApi.post(...)`, `pool.query(...)`, `this.sqs.send(...)`.
      if (Node.isPropertyAccessExpression(callee) && !NOT_REQUESTS.has(callee.getName())) {
        const target = ctx.model.origin(callee.getExpression());
        const client = target.kind === 'call' || target.kind === 'new' ? clients.get(target.node) : undefined;
        if (client) {
          calls.set(call, throughClient(call, callee.getName(), client));
          continue;
        }
      }
      // A function of ours that passes its caller's deadline on: its callers are the outbound calls.
      const fnOrigin = ctx.model.origin(callee);
      if (fnOrigin.kind === 'function' && wrapperFns.has(fnOrigin.node)) {
        const library = wrapperFns.get(fnOrigin.node)!;
        const fn = enclosingFunction(call);
        const name = shortText(callee, 40);
        const target = urlTarget(call);
        calls.set(call, {
          node: call,
          library,
          via: 'wrapper',
          state: stateFromFindings(call, findings, false) ?? 'bounded',
          dependency: `${library} ${target ?? `through ${name}`}`,
          dependencyKey: target ? `${library}|${target}` : `call|${keyOf(call)}`,
          label: `${name}${target ? ` ${target}` : ''}${fn ? ` in ${functionLabel(fn)}` : ''} (${library}, passes its deadline on)`,
        });
      }
    }
  }

  const byPosition = (a: { node: Node }, b: { node: Node }): number =>
    a.node.getSourceFile().getFilePath().localeCompare(b.node.getSourceFile().getFilePath()) || a.node.getStart() - b.node.getStart();
  return {
    calls: [...calls.values()].sort(byPosition),
    clients: [...clients.values()].sort(byPosition),
    forwarders: forwarders.sort(byPosition),
    findings,
  };

  function throughClient(call: Node, method: string, client: OutboundClient): OutboundCall {
    const who = client.name ?? shortText(client.node, 30);
    const dependency = `${who} (${client.library})`;
    let state: DeadlineState;
    if (client.state === 'bounded' || client.state === 'unjudged') state = client.state;
    else {
      // The client's finding lists the calls through it that set no deadline of their own; the others set one.
      const related = client.finding?.related.some((r) => overlaps(r, call)) ?? false;
      state = related ? client.state : 'bounded';
    }
    return { node: call, library: client.library, via: 'client', client, state, dependency, dependencyKey: `client|${keyOf(client.node)}`, label: `${method} through ${dependency}` };
  }
}

function keyOf(node: Node): string {
  return `${node.getSourceFile().getFilePath()}:${node.getStart()}`;
}

/**
 * The expression a call's URL starts from, naming the dependency:
 * `config.webhookUrl`, `config.pricingApiUrl` in `${config.pricingApiUrl}/quotes`,
 * `PaymentsClient.baseUrl` in `new URL(path, this.baseUrl)`.
 */
export function urlTarget(call: Node): string | undefined {
  if (!Node.isCallExpression(call)) return undefined;
  let arg: Node | undefined = call.getArguments()[0];
  if (arg && Node.isNewExpression(arg) && arg.getExpression().getText() === 'URL') arg = arg.getArguments()[1] ?? arg.getArguments()[0];
  if (arg && Node.isTemplateExpression(arg)) arg = arg.getTemplateSpans()[0]?.getExpression();
  if (!arg || !(Node.isPropertyAccessExpression(arg) || Node.isIdentifier(arg))) return undefined;
  const text = arg.getText();
  if (text.startsWith('this.')) {
    const cls = arg.getFirstAncestor((a) => Node.isClassDeclaration(a));
    const name = cls && Node.isClassDeclaration(cls) ? cls.getName() : undefined;
    return name ? `${name}.${text.slice(5)}` : text;
  }
  return text;
}

function findingOn(node: Node, findings: readonly Finding[]): { finding?: Finding } {
  const f = findings.find((x) => overlaps(x.location, node));
  return f ? { finding: f } : {};
}

const callPlace = (c: OutboundCall): EvidencePlace => placeOf(c.node, c.label);
const clientPlace = (c: OutboundClient, what: string): EvidencePlace => placeOf(c.node, `${c.name ?? shortText(c.node, 30)} (${c.library})${what}`);

const outboundDeadlines: Probe = {
  id: 'outbound-deadlines',
  collect(ctx) {
    const { calls, clients, forwarders, findings } = outboundFacts(ctx);
    const by = (s: DeadlineState) => calls.filter((c) => c.state === s);
    const clientsBy = (s: DeadlineState) => clients.filter((c) => c.state === s);
    const active = findings.filter((f) => !isSuppressed(f));
    return {
      counts: {
        calls: calls.length,
        unboundedCalls: by('unbounded').length,
        acceptedCalls: by('accepted').length,
        boundedCalls: by('bounded').length,
        unjudgedCalls: by('unjudged').length,
        clients: clients.length,
        unboundedClients: clientsBy('unbounded').length,
        boundedClients: clientsBy('bounded').length,
        unjudgedClients: clientsBy('unjudged').length,
        forwarders: forwarders.length,
        findings: active.length,
        suppressed: findings.length - active.length,
      },
      facts: [
        ...fact('unbounded-calls', 'Calls without a deadline', by('unbounded').map(callPlace)),
        ...fact('unbounded-clients', 'Clients created without a timeout', clientsBy('unbounded').map((c) => clientPlace(c, ''))),
        ...fact('accepted', 'Accepted without a deadline (suppressed)', [...by('accepted').map(callPlace), ...clientsBy('accepted').map((c) => clientPlace(c, ''))]),
        ...fact('bounded-calls', 'Calls with a deadline', by('bounded').map(callPlace)),
        ...fact('bounded-clients', 'Clients with a timeout', clientsBy('bounded').map((c) => clientPlace(c, ''))),
        ...fact('forwarders', "Functions that pass their caller's deadline on (judged at their callers)", forwarders.map((f) => placeOf(f.node, `${f.library}${f.fn ? ` in ${functionLabel(f.fn)}` : ''}`))),
        ...fact(
          'unjudged',
          'Not reported by missing-timeout, and not in its inventory: with a timeout, exempt (a BullMQ connection), or configured where the analysis cannot follow',
          [...clientsBy('unjudged').map((c) => clientPlace(c, '')), ...by('unjudged').map(callPlace)],
        ),
      ],
    };
  },
  conclude({ counts }) {
    const calls = counts.calls ?? 0;
    const clients = counts.clients ?? 0;
    const findings = counts.findings ?? 0;
    if (calls + clients === 0) {
      return { summary: 'No outbound calls found (fetch, axios, got, ky, superagent, node:http, undici, AWS SDK, pg, ioredis, MongoDB, gRPC, configured clients).' };
    }
    const parts = [`${count(calls, 'outbound call')}, ${counts.unboundedCalls ?? 0} without a deadline`];
    if (counts.acceptedCalls) parts.push(`${counts.acceptedCalls} accepted without one`);
    if (counts.unjudgedCalls) parts.push(`${counts.unjudgedCalls} not judged`);
    const summary = `${parts.join(', ')}; ${count(clients, 'client')}, ${counts.unboundedClients ?? 0} created without a timeout.`;
    if (findings > 0) {
      return { summary, automatic: { status: 'not-met', reason: `missing-timeout reports ${count(findings, 'call or client', 'calls or clients')} without a deadline.` } };
    }
    const unjudged = (counts.unjudgedCalls ?? 0) + (counts.unjudgedClients ?? 0);
    return {
      summary,
      automatic: {
        status: 'met',
        reason: `missing-timeout finds no outbound call without a deadline${unjudged ? ` (${unjudged} not judged: exempt or not followed)` : ''}.`,
      },
    };
  },
};

/** `server.requestTimeout = …`, `createServer({ requestTimeout })`, `server.setTimeout(…)`: how long an inbound request may take. */
const INBOUND_KEYS = new Set(['requestTimeout', 'headersTimeout', 'keepAliveTimeout', 'timeout', 'connectionTimeout', 'pluginTimeout']);

const inboundTimeouts: Probe = {
  id: 'inbound-timeouts',
  collect(ctx) {
    const places: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const a of scanFile(sf).propertyAssignments) {
        const left = a.left as ts.PropertyAccessExpression;
        if (!INBOUND_KEYS.has(left.name.text) || !isServer(ctx, sf, left.expression)) continue;
        places.push(placeOf(wrap(sf, a), shortText(wrap(sf, a))));
      }
      for (const c of scanFile(sf).calls) {
        const call = wrap(sf, c);
        if (!Node.isCallExpression(call)) continue;
        const callee = call.getExpression();
        if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'setTimeout' && isServer(ctx, sf, callee.getExpression().compilerNode)) {
          places.push(placeOf(call, shortText(call)));
          continue;
        }
        const origin = ctx.model.origin(callee);
        const serverFactory = isExport(origin, /^(http|https|http2)$/, 'createServer') || isExport(origin, 'fastify') || isExport(origin, 'fastify', 'fastify');
        const opts = call.getArguments().find((a) => Node.isObjectLiteralExpression(a));
        if (!serverFactory || !opts || !Node.isObjectLiteralExpression(opts)) continue;
        for (const p of opts.getProperties()) {
          if (Node.isPropertyAssignment(p) && INBOUND_KEYS.has(p.getName())) places.push(placeOf(p, shortText(p)));
        }
      }
    }
    return { counts: { settings: places.length }, facts: fact('inbound', 'Inbound request deadlines', places) };
  },
  conclude({ counts }) {
    const n = counts.settings ?? 0;
    return { summary: n === 0 ? 'No inbound request timeout set in the code (Node defaults: requestTimeout 300 s, headersTimeout 60 s).' : `${count(n, 'inbound timeout setting')} found; compare them with the outbound deadlines.` };
  },
};

/** Whether an expression is an HTTP server: made by `createServer`, or named like one. */
function isServer(ctx: ProbeContext, sf: SourceFile, expr: ts.Expression): boolean {
  const node = wrap(sf, expr);
  const origin = ctx.model.origin(node);
  if (origin.kind === 'call' && (isExport(origin.callee, /^(http|https|http2)$/, 'createServer') || isExport(origin.callee, /^(http|https|http2)$/, 'createSecureServer'))) return true;
  return Node.isIdentifier(node) && /server$/i.test(node.getText());
}

export const OUTBOUND_PROBES: readonly Probe[] = [outboundDeadlines, inboundTimeouts];
