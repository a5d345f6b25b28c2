import { Node, SyntaxKind, ts, type SourceFile } from 'ts-morph';
import { wrap } from '../core/program.ts';
import { calleeName, scanFile } from '../core/scan.ts';
import type { EvidencePlace, Probe, ProbeContext } from './evidence.ts';
import { outboundFacts, type OutboundCall } from './outbound.ts';
import { contains, count, enclosingFunction, fact, functionLabel, isExport, placeOf, reviewScan, shortText } from './util.ts';

/**
 * What the code shows of observability (loggers, correlation ids, metrics,
 * tracing), of health (health endpoints, draining on SIGTERM) and of
 * caching. Mostly imports and names: the reviewer judges whether they are
 * used well.
 */

const LOGGERS = ['pino', 'winston', 'bunyan', 'log4js', 'loglevel', 'consola', 'tslog', 'roarr', 'signale', '@nestjs/common', '@google-cloud/logging', 'pino-http', 'express-winston', '@aws-lambda-powertools/logger'];
const METRICS = ['prom-client', '@opentelemetry/api', '@opentelemetry/sdk-metrics', 'hot-shots', 'node-statsd', 'statsd-client', 'datadog-metrics', 'express-prom-bundle', 'prometheus-api-metrics', '@aws-lambda-powertools/metrics'];
const TRACING = ['@opentelemetry/api', '@opentelemetry/sdk-node', '@opentelemetry/sdk-trace-node', '@opentelemetry/sdk-trace-base', '@opentelemetry/auto-instrumentations-node', 'dd-trace', 'elastic-apm-node', 'newrelic', '@sentry/node', 'jaeger-client', 'zipkin', '@aws-lambda-powertools/tracer', 'aws-xray-sdk', 'aws-xray-sdk-core'];
const CACHES = ['lru-cache', 'node-cache', 'cache-manager', 'keyv', '@isaacs/ttlcache', 'quick-lru', 'memoizee', 'p-memoize', 'mem', 'apicache', 'node-cache-manager', '@keyv/redis', 'cacheable', 'cacheable-request'];

/** Headers and fields that carry a request's identity across services. */
export const CORRELATION = /^(x-)?(request|correlation|trace|amzn-trace)[-_]?id$|^traceparent$|^x-b3-traceid$|^x-cloud-trace-context$/i;

/** The import bindings of a file whose module is one of `modules`, one place per module and file. */
function importsOf(ctx: ProbeContext, sf: SourceFile, modules: readonly string[], what: string): EvidencePlace[] {
  const out: EvidencePlace[] = [];
  const seen = new Set<string>();
  for (const b of ctx.model.imports(sf).values()) {
    const mod = modules.find((m) => b.module === m || b.module.startsWith(`${m}/`));
    if (!mod || seen.has(mod)) continue;
    seen.add(mod);
    const decl = b.node.getFirstAncestor((a) => Node.isImportDeclaration(a) || Node.isVariableStatement(a)) ?? b.node;
    out.push(placeOf(decl, `${mod} ${what}`));
  }
  return out;
}

/** `console.log(...)` and friends. */
function consoleCalls(ctx: ProbeContext): Node[] {
  return ctx.memo('consoleCalls', () => {
    const out: Node[] = [];
    for (const sf of ctx.files) {
      for (const c of scanFile(sf).calls) {
        const e = c.expression;
        if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'console' && /^(log|info|warn|error|debug|trace)$/.test(e.name.text)) out.push(wrap(sf, c));
      }
    }
    return out;
  });
}

/** Calls of a logger (`logger.info(...)`, `log.error(...)`) or of the console. */
function logCalls(ctx: ProbeContext): Node[] {
  return ctx.memo('logCalls', () => {
    const out: Node[] = [...consoleCalls(ctx)];
    for (const sf of ctx.files) {
      for (const c of scanFile(sf).calls) {
        const e = c.expression;
        if (!ts.isPropertyAccessExpression(e) || !/^(info|warn|error|debug|trace|fatal|log)$/.test(e.name.text)) continue;
        const obj = e.expression;
        if (ts.isIdentifier(obj) && obj.text === 'console') continue;
        if (/log(ger)?$/i.test(obj.getText(sf.compilerNode))) out.push(wrap(sf, c));
      }
    }
    return out;
  });
}

function calleeText(call: Node): string {
  return Node.isCallExpression(call) ? shortText(call.getExpression(), 40) : shortText(call, 40);
}

function where(node: Node): string {
  const fn = enclosingFunction(node);
  return fn ? ` in ${functionLabel(fn)}` : '';
}

const logging: Probe = {
  id: 'logging',
  collect(ctx) {
    const loggers = ctx.files.flatMap((sf) => importsOf(ctx, sf, LOGGERS, 'logger'));
    const consoles = consoleCalls(ctx).map((c) => placeOf(c, `${calleeText(c)}${where(c)}`));
    return {
      counts: { loggerImports: loggers.length, consoleCalls: consoles.length },
      facts: [...fact('loggers', 'Structured loggers imported', loggers), ...fact('console', 'console calls (free text)', consoles)],
    };
  },
  conclude({ counts }) {
    const loggers = counts.loggerImports ?? 0;
    const consoles = counts.consoleCalls ?? 0;
    if (loggers === 0) return { summary: `No structured logger (pino, winston, bunyan…); ${count(consoles, 'console call')}.` };
    return { summary: `A structured logger is imported in ${count(loggers, 'file')}; ${count(consoles, 'console call')} remain.` };
  },
};

const correlation: Probe = {
  id: 'correlation',
  collect(ctx) {
    const { calls } = outboundFacts(ctx);
    const headers: EvidencePlace[] = [];
    const context: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const [name, props] of reviewScan(sf).properties) if (CORRELATION.test(name)) for (const p of props) headers.push(placeOf(wrap(sf, p), `header or field ${name}`));
      for (const s of reviewScan(sf).strings) {
        const isKey = ts.isPropertyAssignment(s.parent) && s.parent.name === s;
        if (!isKey && CORRELATION.test(s.text)) headers.push(placeOf(wrap(sf, s), `'${s.text}'`));
      }
      for (const n of scanFile(sf).news) {
        const node = wrap(sf, n);
        if (Node.isNewExpression(node) && isExport(ctx.model.origin(node.getExpression()), 'async_hooks', 'AsyncLocalStorage')) context.push(placeOf(node, 'AsyncLocalStorage (request context)'));
      }
      context.push(...importsOf(ctx, sf, ['cls-hooked', 'cls-rtracer', 'express-http-context', 'nestjs-cls'], 'request context'));
    }
    const carrying = (c: OutboundCall) => headers.some((h) => contains(c.node, h));
    const outboundWith = calls.filter(carrying).length;
    const logs = logCalls(ctx);
    const logsWith = logs.filter((l) => /\b(request|correlation|trace)[-_]?id\b/i.test(l.getText())).map((l) => placeOf(l, `${calleeText(l)}${where(l)}`));
    return {
      counts: { outboundCalls: calls.length, outboundWithId: outboundWith, logCalls: logs.length, logCallsWithId: logsWith.length, idMentions: headers.length, context: context.length },
      facts: [
        ...fact('ids', 'Correlation ids in headers and fields', headers),
        ...fact('logs', 'Log calls that carry one', logsWith),
        ...fact('context', 'Request context propagation', context),
      ],
    };
  },
  conclude({ counts }) {
    if (!counts.idMentions && !counts.logCallsWithId && !counts.context) {
      return { summary: `No correlation id found: none of ${count(counts.outboundCalls ?? 0, 'outbound call')} and none of ${count(counts.logCalls ?? 0, 'log call')} carries one.` };
    }
    return {
      summary: `Correlation id in ${counts.outboundWithId ?? 0} of ${count(counts.outboundCalls ?? 0, 'outbound call')} (in the call itself) and ${counts.logCallsWithId ?? 0} of ${count(counts.logCalls ?? 0, 'log call')}; ${count(counts.idMentions ?? 0, 'mention')} in all${counts.context ? `; request context propagated (${counts.context})` : ''}.`,
    };
  },
};

const metrics: Probe = {
  id: 'metrics',
  collect(ctx) {
    const libs = ctx.files.flatMap((sf) => importsOf(ctx, sf, METRICS.filter((m) => m !== '@opentelemetry/api'), 'metrics'));
    const histograms: EvidencePlace[] = [];
    const counters: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const n of scanFile(sf).news) {
        const node = wrap(sf, n);
        if (!Node.isNewExpression(node)) continue;
        const o = ctx.model.origin(node.getExpression());
        if (isExport(o, 'prom-client', 'Histogram') || isExport(o, 'prom-client', 'Summary')) histograms.push(placeOf(node, shortText(node, 50)));
        else if (isExport(o, 'prom-client', 'Counter')) counters.push(placeOf(node, shortText(node, 50)));
      }
      for (const c of scanFile(sf).calls) {
        const name = calleeName(c.expression);
        if (name === 'createHistogram' || name === 'histogram' || name === 'timing' || name === 'distribution') histograms.push(placeOf(wrap(sf, c), shortText(wrap(sf, c), 50)));
        else if (name === 'createCounter' || name === 'increment') counters.push(placeOf(wrap(sf, c), shortText(wrap(sf, c), 50)));
      }
    }
    return {
      counts: { libraries: libs.length, histograms: histograms.length, counters: counters.length },
      facts: [...fact('libraries', 'Metrics libraries', libs), ...fact('histograms', 'Latency histograms and summaries', histograms), ...fact('counters', 'Counters (for error rates)', counters)],
    };
  },
  conclude({ counts }) {
    if (!counts.libraries && !counts.histograms && !counts.counters) return { summary: 'No metrics found (prom-client, OpenTelemetry metrics, StatsD): latency percentiles and error rates must come from elsewhere (the platform, a proxy), if at all.' };
    return { summary: `${count(counts.libraries ?? 0, 'metrics import')}, ${count(counts.histograms ?? 0, 'latency histogram')}, ${count(counts.counters ?? 0, 'counter')}.` };
  },
};

const tracing: Probe = {
  id: 'tracing',
  collect(ctx) {
    const libs = ctx.files.flatMap((sf) => importsOf(ctx, sf, TRACING, 'tracing'));
    const spans: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const c of scanFile(sf).calls) {
        const name = calleeName(c.expression);
        if (name === 'startActiveSpan' || name === 'startSpan') spans.push(placeOf(wrap(sf, c), shortText(wrap(sf, c), 50)));
      }
    }
    return { counts: { libraries: libs.length, spans: spans.length }, facts: [...fact('libraries', 'Tracing libraries', libs), ...fact('spans', 'Spans started by hand', spans)] };
  },
  conclude({ counts }) {
    if (!counts.libraries && !counts.spans) return { summary: 'No tracing found (OpenTelemetry, Datadog, Elastic APM, New Relic, Sentry, X-Ray).' };
    return { summary: `Tracing: ${count(counts.libraries ?? 0, 'import')}, ${count(counts.spans ?? 0, 'span')} started by hand.` };
  },
};

/** Paths health checks use. */
const HEALTH_PATH = /^\/(health|healthz|healthcheck|health-check|_health|livez?|liveness|readyz?|readiness|ping|status)(\/.*)?$/i;

const healthEndpoints: Probe = {
  id: 'health-endpoints',
  collect(ctx) {
    const { calls } = outboundFacts(ctx);
    const checking: EvidencePlace[] = [];
    const staticOnes: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const s of reviewScan(sf).strings) {
        if (!HEALTH_PATH.test(s.text)) continue;
        const lit = wrap(sf, s);
        const call = lit.getParent();
        // A route: `router.get('/healthz', handler)`; the handler is the last function argument.
        const handler = call && Node.isCallExpression(call) && call.getArguments()[0] === lit ? [...call.getArguments()].reverse().find((a) => Node.isArrowFunction(a) || Node.isFunctionExpression(a)) : undefined;
        const method = call && Node.isCallExpression(call) ? calleeName(call.compilerNode.expression) : undefined;
        const label = `${method && /^(get|head|post|all|use|route)$/.test(method) ? `${method.toUpperCase()} ` : ''}${s.text}`;
        if (!handler) {
          staticOnes.push(placeOf(lit, `${label} (what it checks is not followed)`));
          continue;
        }
        const deps = checksDependencies(ctx, handler, calls);
        (deps.length > 0 ? checking : staticOnes).push(placeOf(lit, deps.length > 0 ? `${label}, checks ${deps.join(', ')}` : `${label}, answers without checking any dependency`));
      }
    }
    return {
      counts: { endpoints: checking.length + staticOnes.length, checkingDependencies: checking.length },
      facts: [...fact('checking', 'Health endpoints that check dependencies', checking), ...fact('static', 'Health endpoints that check nothing (liveness only)', staticOnes)],
    };
  },
  conclude({ counts }) {
    const n = counts.endpoints ?? 0;
    if (n === 0) return { summary: 'No health endpoint found in the code (/health, /healthz, /livez, /readyz, /ping…).' };
    return { summary: `${count(n, 'health endpoint')}, ${counts.checkingDependencies ?? 0} checking a dependency.` };
  },
};

/** The dependencies a handler touches: outbound calls in it, or one call deep, and pings or queries. */
function checksDependencies(ctx: ProbeContext, handler: Node, calls: readonly OutboundCall[]): string[] {
  const deps = new Set<string>();
  for (const c of calls) if (contains(handler, c.node)) deps.add(c.dependency);
  for (const inner of handler.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const name = calleeName(inner.compilerNode.expression);
    if (name && /^(ping|query|healthCheck|checkHealth|isReady|isHealthy)$/.test(name)) deps.add(shortText(inner.getExpression(), 40));
    const o = ctx.model.origin(inner.getExpression());
    if (o.kind === 'function') for (const c of calls) if (contains(o.node, c.node)) deps.add(c.dependency);
  }
  return [...deps];
}

const STOPS = /^(close|end|quit|stop|disconnect|drain|destroy|shutdown|close\w+|stop\w+|drain\w+)$/;

const shutdown: Probe = {
  id: 'shutdown',
  collect(ctx) {
    const handlers: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      const text = sf.getFullText();
      if (!text.includes('SIGTERM')) continue;
      for (const c of scanFile(sf).calls) {
        const call = wrap(sf, c);
        if (!Node.isCallExpression(call)) continue;
        const callee = call.getExpression();
        if (!Node.isPropertyAccessExpression(callee) || callee.getExpression().getText() !== 'process' || !/^(on|once|addListener)$/.test(callee.getName())) continue;
        const [sig, fn] = call.getArguments();
        if (!sig || !(Node.isIdentifier(sig) || (Node.isStringLiteral(sig) && sig.getLiteralText() === 'SIGTERM'))) continue;
        const stops = fn ? stopsUnder(ctx, fn) : 0;
        handlers.push(placeOf(call, `SIGTERM handler${stops ? `: stops or closes ${count(stops, 'thing')}` : ', closes nothing it can be seen to'}`));
      }
    }
    return { counts: { handlers: handlers.length }, facts: fact('handlers', 'Signal handlers', handlers) };
  },
  conclude({ counts, facts }) {
    if (!counts.handlers) return { summary: 'No SIGTERM handler found: the process stops without draining requests or jobs.' };
    return { summary: facts[0]?.places.map((p) => p.label).join('; ') ?? '' };
  },
};

/** Calls that stop or close something, in a function or one call deep. */
function stopsUnder(ctx: ProbeContext, fn: Node): number {
  const seen = new Set<Node>();
  const visit = (body: Node, depth: number): void => {
    for (const call of body.getDescendantsOfKind(SyntaxKind.CallExpression)) {
      const name = calleeName(call.compilerNode.expression);
      if (name && STOPS.test(name)) seen.add(call);
      if (depth === 0) {
        const o = ctx.model.origin(call.getExpression());
        if (o.kind === 'function' && !contains(o.node, body)) visit(o.node, depth + 1);
      }
    }
  };
  visit(fn, 0);
  return seen.size;
}

const caches: Probe = {
  id: 'caches',
  collect(ctx) {
    const libs = ctx.files.flatMap((sf) => importsOf(ctx, sf, CACHES, 'cache'));
    const headers: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const s of reviewScan(sf).strings) if (/^cache-control$/i.test(s.text)) headers.push(placeOf(wrap(sf, s), "'cache-control' header"));
      for (const [name, props] of reviewScan(sf).properties) if (/^cache-?control$/i.test(name)) for (const p of props) headers.push(placeOf(wrap(sf, p), `${name} header`));
    }
    return { counts: { libraries: libs.length, cacheHeaders: headers.length }, facts: [...fact('libraries', 'Cache libraries', libs), ...fact('headers', 'HTTP cache headers', headers)] };
  },
  conclude({ counts }) {
    if (!counts.libraries && !counts.cacheHeaders) return { summary: 'No cache found (lru-cache, node-cache, cache-manager, keyv…, Cache-Control headers).' };
    return { summary: `${count(counts.libraries ?? 0, 'cache library import')}, ${count(counts.cacheHeaders ?? 0, 'Cache-Control header')}.` };
  },
};

export const OBSERVABILITY_PROBES: readonly Probe[] = [logging, correlation, metrics, tracing, healthEndpoints, shutdown, caches];
