import { functionName } from './core/program.ts';
import { Node, SyntaxKind, ts, type SourceFile } from 'ts-morph';
import { addProperty, formatMs, insertArgumentBefore, replaceNode, setArgument } from './core/edits.ts';
import { literalObject, numericValue, readOption, type OptionValue } from './core/options.ts';
import { thisMember, wrap, type Origin, type ProgramModel } from './core/program.ts';
import { calleeName, Relevance, scanFile, type RelevanceTest } from './core/scan.ts';
import { classifySignal } from './core/signals.ts';
import { declaredDependency, majorOf } from './core/packages.ts';
import { defineRule, type RuleContext, type RuleReport } from './rule.ts';
import type { AnalysisOptions, Fix, TextEdit } from './types.ts';

/**
 * missing-timeout: outbound calls that can wait forever, or far longer than
 * anyone meant. Library defaults below were read from the installed sources;
 * docs/library-defaults.md cites file and line for each.
 */

type ParamOrigin = Extract<Origin, { kind: 'param' }>;

/** What each client library does when nobody sets a deadline, and what sets one. */
const LIBRARIES = {
  fetch: {
    api: '`fetch`',
    default: "Node's fetch waits up to 300 s for response headers and without limit for a body that trickles in",
    remedy: '`signal: AbortSignal.timeout(ms)`',
  },
  axios: { api: 'axios', default: 'axios defaults to `timeout: 0`, which means no timeout at all', remedy: '`timeout: ms`' },
  got: { api: 'got', default: 'got sets no timeout by default', remedy: '`timeout: { request: ms }`' },
  superagent: { api: 'superagent', default: 'superagent sets no timeout by default', remedy: '`.timeout(ms)`' },
  http: {
    api: 'node:http',
    default: 'node:http sets no deadline, and a request stays open until something destroys it',
    remedy: '`signal: AbortSignal.timeout(ms)`',
  },
  undici: {
    api: 'undici',
    default: 'undici waits up to 300 s for headers and 300 s between body chunks',
    remedy: '`signal: AbortSignal.timeout(ms)`, or `headersTimeout` and `bodyTimeout`',
  },
  aws: {
    api: 'AWS SDK client',
    default: 'AWS SDK v3 clients have no request, socket or connection timeout by default',
    remedy: '`requestHandler: { requestTimeout, throwOnRequestTimeout: true, connectionTimeout }`',
  },
  pg: { api: 'pg', default: 'pg waits forever for a connection and for a query', remedy: '`connectionTimeoutMillis` and `statement_timeout`' },
  ioredis: {
    api: 'ioredis client',
    default: 'ioredis sets no `commandTimeout`, so a command waits as long as the connection lives',
    remedy: '`commandTimeout: ms`',
  },
  mongodb: {
    api: 'MongoClient',
    default: 'the MongoDB driver sets no socket timeout (`socketTimeoutMS` 0), so an operation can wait forever',
    remedy: '`socketTimeoutMS: ms` (or `maxTimeMS` per operation)',
  },
  grpc: { api: 'gRPC call', default: 'gRPC calls have no deadline by default', remedy: '`{ deadline: Date.now() + ms }` in the call options' },
} as const;
type Library = keyof typeof LIBRARIES;

const AXIOS_CONFIG_SECOND = new Set(['get', 'delete', 'head', 'options']);
const AXIOS_CONFIG_THIRD = new Set(['post', 'put', 'patch', 'postForm', 'putForm', 'patchForm', 'query']);
const AXIOS_MISSPELLINGS = ['timeOut', 'setTimeout', 'timeoutMs', 'timeoutMS', 'time_out', 'Timeout', 'timout'];
const GOT_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'stream']);
const KY_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head']);
const SUPERAGENT_METHODS = new Set(['get', 'post', 'put', 'patch', 'del', 'delete', 'head', 'options']);
const GRPC_NOT_CALLS = new Set(['close', 'getChannel', 'waitForReady', 'makeUnaryRequest', 'makeClientStreamRequest', 'makeServerStreamRequest', 'makeBidiStreamRequest']);
/** Last names of callees that may be a known library's outbound call (or a client's construction). */
/** Global classes whose instances hold data and never a connection: `new Map()` makes no client. */
const BUILT_IN_COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array']);
const API_NAMES = new Set(['fetch', 'axios', 'got', 'ky', 'superagent', 'request', 'get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'postForm', 'putForm', 'patchForm', 'query', 'create', 'extend', 'send', 'stream', 'pipeline', 'connect']);
/** Classes whose instances are clients configured at construction. */
const CLIENT_CLASSES = new Set(['Pool', 'Client', 'Agent', 'BalancedPool', 'Redis', 'Cluster', 'MongoClient']);
const KNOWN_MODULES = new Set(['axios', 'got', 'ky', 'superagent', 'undici', 'node-fetch', 'cross-fetch', 'http', 'https', 'pg', 'ioredis', 'mongodb', '@grpc/grpc-js', 'p-timeout']);

/** State a report carries to `fixes`: the edits, computed while the nodes are at hand. */
interface FixPlan {
  title: string;
  edits: TextEdit[];
}
type State = { fixes: FixPlan[] };

/** The result of looking at one call's options. */
type Verdict =
  | { kind: 'ok' }
  | { kind: 'bad'; messageId: string; data: Record<string, string | number>; fixes: FixPlan[]; node?: Node }
  /** The deadline is the caller's to give: `role` judges what a call site passes. */
  | { kind: 'caller'; param: ParamOrigin; role: Role }
  /** The call sets nothing itself and inherits from its client. */
  | { kind: 'inherit' };

/** How to judge, and fix, the value a wrapper's caller passes. */
interface Role {
  library: Library;
  /** The keys to set under the parameter (after the parameter's own path): `['signal']`. */
  keys: string[];
  valueText(ms: string): string;
  judge(node: Node | undefined): Verdict;
}

interface Client {
  library: Library;
  node: Node;
  /** Why it has no deadline (part of the message), or undefined when it has one. */
  missing?: string;
  fixes: FixPlan[];
  /** Calls through it that set no deadline of their own. */
  calls: Set<Node>;
  /** Calls through it that set their own deadline. */
  boundedCalls: number;
}

function isModule(origin: Origin, module: string | RegExp, path?: string[]): boolean {
  if (origin.kind !== 'module') return false;
  const moduleOk = typeof module === 'string' ? origin.module === module : module.test(origin.module);
  if (!moduleOk) return false;
  if (!path) return true;
  // `import axios from 'axios'` and `import * as axios from 'axios'` both name the module; `.default` is the same value.
  const p = origin.path[0] === 'default' ? origin.path.slice(1) : origin.path;
  return p.length === path.length && p.every((x, i) => x === path[i]);
}

function modulePath(origin: Origin): string[] {
  if (origin.kind !== 'module') return [];
  return origin.path[0] === 'default' ? origin.path.slice(1) : origin.path;
}

function isGlobalFetch(origin: Origin): boolean {
  return (
    (origin.kind === 'global' && origin.path.length === 0 && origin.name === 'fetch') ||
    (origin.kind === 'global' && origin.name === 'globalThis' && origin.path.length === 1 && origin.path[0] === 'fetch') ||
    isModule(origin, 'undici', ['fetch']) ||
    isModule(origin, 'node-fetch', []) ||
    isModule(origin, 'cross-fetch', []) ||
    isModule(origin, 'cross-fetch', ['fetch'])
  );
}

/** One outbound call or client the rule looked at: what the design review counts. */
export interface OutboundEntry {
  library: string;
  kind: 'call' | 'client';
  node: Node;
  /** `caller`: the deadline is the caller's to give (the function forwards it). */
  bounded: boolean | 'caller';
}

class Analysis {
  /** Every outbound call and client seen, bounded or not. */
  readonly inventory: OutboundEntry[] = [];
  private readonly recorded = new Set<Node>();

  private record(node: Node, library: Library, kind: OutboundEntry['kind'], bounded: OutboundEntry['bounded']): void {
    if (this.recorded.has(node)) return;
    this.recorded.add(node);
    this.inventory.push({ library: LIBRARIES[library].api.replace(/`/g, ''), kind, node, bounded });
  }

  private readonly model: ProgramModel;
  private readonly clients = new Map<Node, Client>();
  private readonly wrappers = new Map<Node, { param: ParamOrigin; role: Role }[]>();
  private readonly evaluated = new Set<Node>();
  private readonly reported = new Set<Node>();
  private axiosGlobalTimeout = false;
  private readonly instanceDefaults = new Set<Node>();
  private readonly timeoutWrapperNames: Set<string>;
  private msCache = new Map<SourceFile, string>();
  private candidatesKey: string | undefined;

  constructor(
    private readonly ctx: RuleContext,
    private readonly relevance: Relevance,
  ) {
    this.model = ctx.program;
    this.timeoutWrapperNames = new Set(['pTimeout', ...ctx.options.timeoutWrappers]);
  }

  /**
   * Looks at the files to report on and their neighbourhood: defaults set
   * anywhere in the program, the files they import (where their clients and
   * wrappers are made) and the files that import them (calls through a
   * client made here are related locations of its finding), two levels each
   * way. Given every file, this is the whole-program pass of the CLI; given
   * one, it is the editor's pass for an open file.
   */
  run(): void {
    const all = this.model.sourceFiles();
    for (const sf of all) {
      for (const a of this.defaultsAssignments(sf)) this.defaultsAssignment(wrap(sf, a));
    }
    const targets = this.ctx.files.filter((sf) => this.relevance.isRelevant(sf));
    const scope = this.ctx.files.length < all.length ? this.neighbourhood(targets) : targets;
    for (const sf of scope) this.analyseFile(sf);
    this.resolveWrappers(scope);
    this.reportClients();
  }

  private neighbourhood(targets: SourceFile[]): SourceFile[] {
    const out = new Set(targets);
    let frontier = [...targets];
    for (let depth = 0; depth < 2 && frontier.length > 0; depth++) {
      const next: SourceFile[] = [];
      for (const sf of frontier) {
        for (const n of [...this.relevance.projectImports(sf), ...this.relevance.importersOf(sf)]) {
          if (!out.has(n) && this.relevance.isRelevant(n)) {
            out.add(n);
            next.push(n);
          }
        }
      }
      frontier = next;
    }
    return [...out];
  }

  /** `x.defaults.timeout = …` in a file that imports axios or mentions it (found once per parse of the file). */
  private defaultsAssignments(sf: SourceFile): ts.BinaryExpression[] {
    return this.model.cache.memo(sf, 'missing-timeout:defaults', () => {
      // Text first: most files never name `defaults`, and reading a file's imports costs more than reading its text.
      const text = sf.getFullText();
      if (!text.includes('defaults') || (!text.includes('.defaults.timeout') && !(text.includes('axios') && this.model.importedModules(sf).has('axios')))) return [];
      return scanFile(sf).propertyAssignments.filter((a) => {
        const left = a.left as ts.PropertyAccessExpression;
        return left.name.text === 'timeout' && ts.isPropertyAccessExpression(left.expression) && left.expression.name.text === 'defaults';
      });
    });
  }

  private analyseFile(sf: SourceFile): void {
    for (const n of this.candidateNews(sf)) this.construction(wrap(sf, n));
    for (const c of this.candidateCalls(sf)) this.call(wrap(sf, c));
  }

  /**
   * Calls whose callee may be a library's outbound call, chosen on the
   * compiler AST before anything is wrapped or resolved: a known method
   * name, a name imported from somewhere, a local client (`const api =
   * got.extend()`), a configured client, or a gRPC-style call with a callback.
   */
  private candidateCalls(sf: SourceFile): ts.CallExpression[] {
    const custom = this.ctx.options.customClients.map((c) => c.name.split('.').pop()!);
    return this.model.cache.memo(sf, (this.candidatesKey ??= `missing-timeout:candidates:${custom.join(',')}`), () => {
      const imports = this.model.imports(sf);
      const scan = scanFile(sf);
      const grpc = this.model.importedModules(sf).has('@grpc/grpc-js');
      const names = new Set([...API_NAMES, ...custom]);
      return scan.calls.filter((c) => {
        let e: ts.Expression = c.expression;
        while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
        if (custom.length === 0 && ts.isPropertyAccessExpression(e) && this.noClientThroughThis(sf, e)) return false;
        if (ts.isIdentifier(e)) {
          const binding = imports.get(e.text);
          return names.has(e.text) || scan.callInitialized.has(e.text) || (binding !== undefined && this.relevance.isKnownModule(binding.module));
        }
        const name = calleeName(e);
        if (name !== undefined && names.has(name)) return true;
        const last = c.arguments[c.arguments.length - 1];
        return grpc && last !== undefined && (ts.isArrowFunction(last) || ts.isFunctionExpression(last) || ts.isIdentifier(last));
      });
    });
  }

  /**
   * `this.load(id)`, a method of the class, and `this.cache.get(k)` where the
   * class holds `cache = new Map()`: calls the origin resolver would find to
   * be a function of ours (judged by `resolveWrappers`, which finds its calls
   * by name) or a method of a built-in collection, which makes no client.
   * Read on compiler nodes, so that the hundreds of such calls in a service
   * are not wrapped and resolved one by one. (Configured clients can be named
   * by any callee text: with any configured, nothing is left out here.)
   */
  private noClientThroughThis(sf: SourceFile, callee: ts.PropertyAccessExpression): boolean {
    const object = callee.expression;
    if (object.kind === ts.SyntaxKind.ThisKeyword) return thisMember(sf, callee, callee.name.text)?.kind === 'method';
    if (!ts.isPropertyAccessExpression(object) || object.expression.kind !== ts.SyntaxKind.ThisKeyword) return false;
    const member = thisMember(sf, object, object.name.text);
    if (member?.kind !== 'value' || !ts.isNewExpression(member.value)) return false;
    const made = member.value;
    // `new Map(entries)`: no second argument (gRPC credentials make a client of any class).
    if (!ts.isIdentifier(made.expression) || (made.arguments?.length ?? 0) > 1) return false;
    const ctor = made.expression.text;
    return BUILT_IN_COLLECTIONS.has(ctor) && !this.model.declaresName(sf, made, ctor);
  }

  /** Constructions that may make a client: a known class name, a name imported from a known library, or gRPC credentials. */
  private candidateNews(sf: SourceFile): ts.NewExpression[] {
    return this.model.cache.memo(sf, 'missing-timeout:news', () => {
      const imports = this.model.imports(sf);
      return scanFile(sf).news.filter((n) => {
        const name = calleeName(n.expression);
        if (name === undefined) return false;
        if (CLIENT_CLASSES.has(name) || name.endsWith('Client')) return true;
        const root = ts.isIdentifier(n.expression) ? n.expression.text : ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) ? n.expression.expression.text : undefined;
        const binding = root === undefined ? undefined : imports.get(root);
        if (binding && this.relevance.isKnownModule(binding.module)) return true;
        const creds = n.arguments?.[1];
        return creds !== undefined && /credentials/.test(creds.getText(sf.compilerNode));
      });
    });
  }

  /** Calls of one file by the last name of their callee. */
  private callsByName(sf: SourceFile): Map<string, ts.CallExpression[]> {
    return this.model.cache.memo(sf, 'callsByName', () => {
      const map = new Map<string, ts.CallExpression[]>();
      for (const c of scanFile(sf).calls) {
        const name = calleeName(c.expression);
        if (name === undefined) continue;
        const list = map.get(name);
        if (list) list.push(c);
        else map.set(name, [c]);
      }
      return map;
    });
  }

  /** The timeout a fix writes: a named constant of the file when it has one, else the configured default. */
  private ms(node: Node): string {
    const sf = node.getSourceFile();
    let ms = this.msCache.get(sf);
    if (ms === undefined) {
      ms = formatMs(this.ctx.options.defaultTimeoutMs);
      // On the compiler's nodes: wrapping every statement of a big file costs more than the rest of a keystroke's fix planning.
      const file = sf.compilerNode;
      for (const stmt of file.statements) {
        if (!ts.isVariableStatement(stmt)) continue;
        for (const decl of stmt.declarationList.declarations) {
          const init = decl.initializer;
          const name = decl.name.getText(file);
          if (/timeout/i.test(name) && init && ts.isNumericLiteral(init) && numericLiteralValue(init) > 0) {
            ms = name;
            break;
          }
        }
        if (ms !== formatMs(this.ctx.options.defaultTimeoutMs)) break;
      }
      this.msCache.set(sf, ms);
    }
    return ms;
  }

  private report(node: Node, messageId: string, data: Record<string, string | number>, fixes: FixPlan[], related?: RuleReport['related']): void {
    if (this.reported.has(node)) return;
    this.reported.add(node);
    this.ctx.report({ node, messageId, data, state: { fixes } satisfies State, ...(related ? { related } : {}) });
  }

  private reportVerdict(call: Node, v: Verdict, library: Library): void {
    if (v.kind !== 'inherit') this.record(call, library, 'call', v.kind === 'caller' ? 'caller' : v.kind === 'ok');
    if (v.kind === 'bad') this.report(v.node ?? call, v.messageId, { ...LIBRARIES[library], ...v.data }, v.fixes);
    else if (v.kind === 'caller') this.addWrapper(v.param, v.role);
  }

  /** Calls inside `pTimeout(...)` or a configured timeout wrapper are bounded by it. */
  private insideTimeoutWrapper(node: Node): boolean {
    // Walked on the compiler's nodes: wrapping every ancestor of every call would cost the editor on each keystroke.
    const sf = node.getSourceFile().compilerNode;
    for (let cur: ts.Node = node.compilerNode, parent = cur.parent; parent && !ts.isSourceFile(parent); cur = parent, parent = parent.parent) {
      if (ts.isCallExpression(parent) && parent.arguments.some((a) => a === cur)) {
        const text = parent.expression.getText(sf);
        const name = text.split('.').pop() ?? '';
        if (this.timeoutWrapperNames.has(name) || this.timeoutWrapperNames.has(text)) return true;
      }
    }
    return false;
  }

  // ---- global and instance defaults -------------------------------------------------------

  /** `axios.defaults.timeout = 5000` anywhere in the program; `instance.defaults.timeout = …` for one instance. */
  private defaultsAssignment(assign: Node): void {
    if (!Node.isBinaryExpression(assign)) return;
    const left = assign.getLeft();
    if (!Node.isPropertyAccessExpression(left) || left.getName() !== 'timeout') return;
    const defaults = left.getExpression();
    if (!Node.isPropertyAccessExpression(defaults) || defaults.getName() !== 'defaults') return;
    const value = numericValue(this.model, assign.getRight());
    if (value !== undefined && !(value > 0 && Number.isFinite(value))) return;
    const target = this.model.origin(defaults.getExpression());
    if (isModule(target, 'axios', [])) this.axiosGlobalTimeout = true;
    else if (target.kind === 'call' && isModule(target.callee, 'axios', ['create'])) this.instanceDefaults.add(target.node);
  }

  // ---- constructions: clients configured once -------------------------------------------------

  private construction(expr: Node): void {
    if (!Node.isNewExpression(expr) || this.clients.has(expr) || this.insideTimeoutWrapper(expr)) return;
    const ctor = this.model.origin(expr.getExpression());
    const args = expr.getArguments();
    const path = modulePath(ctor);
    if (ctor.kind === 'module' && (ctor.module === 'pg' && (path[0] === 'Pool' || path[0] === 'Client') && path.length === 1)) {
      this.addClient('pg', expr, this.pgMissing(expr), this.pgFixes(expr));
    } else if (ctor.kind === 'module' && ctor.module === 'ioredis' && (path.length === 0 || (path.length === 1 && (path[0] === 'Redis' || path[0] === 'Cluster')))) {
      this.redisClient(expr, path[0] === 'Cluster');
    } else if (isModule(ctor, 'mongodb', ['MongoClient'])) {
      this.mongoClient(expr);
    } else if (ctor.kind === 'module' && ctor.module === 'undici' && path.length === 1 && ['Client', 'Pool', 'Agent', 'BalancedPool'].includes(path[0]!)) {
      const opts = path[0] === 'Agent' ? args[0] : args[1];
      const missing = this.undiciOptionsMissing(opts);
      this.addClient('undici', expr, missing, missing ? this.addOptionFixes(expr, path[0] === 'Agent' ? 0 : 1, (ms) => [`headersTimeout: ${ms}`, `bodyTimeout: ${ms}`]) : []);
    } else if (ctor.kind === 'module' && /^@aws-sdk\/client-/.test(ctor.module) && path.length === 1 && /Client$/.test(path[0]!)) {
      this.awsClient(expr);
    } else if (this.isGrpcClientConstruction(expr)) {
      this.addClient('grpc', expr, undefined, []);
    }
  }

  private addClient(library: Library, node: Node, missing: string | undefined, fixes: FixPlan[]): void {
    this.record(node, library, 'client', !missing);
    this.clients.set(node, { library, node, ...(missing ? { missing } : {}), fixes, calls: new Set(), boundedCalls: 0 });
  }

  private addOptionFixes(call: Node, index: number, props: (ms: string) => string[], title?: string): FixPlan[] {
    const ms = this.ms(call);
    const propTexts = props(ms);
    const args = (call as Node & { getArguments(): Node[] }).getArguments();
    const opts = args[index];
    const t = title ?? `Add ${propTexts.map((p) => `\`${p}\``).join(' and ')}`;
    if (opts === undefined) return [{ title: t, edits: [setArgument(call, index, `{ ${propTexts.join(', ')} }`)] }];
    if (Node.isObjectLiteralExpression(opts)) return [{ title: t, edits: [addProperty(opts, propTexts.join(', '))] }];
    if (Node.isIdentifier(opts)) return [{ title: t, edits: [replaceNode(opts, `{ ...${opts.getText()}, ${propTexts.join(', ')} }`)] }];
    return [];
  }

  private positive(node: Node): boolean {
    const v = numericValue(this.model, node);
    return v === undefined || (v > 0 && Number.isFinite(v));
  }

  /** Whether an option is set to a value that bounds (unknown values count: we trust the author). */
  private optionBounds(opts: Node | undefined, key: string): 'yes' | 'no' | 'unknown' {
    const v = readOption(this.model, opts, key);
    if (v.kind === 'set') return this.positive(v.node) ? 'yes' : 'no';
    return v.kind === 'absent' ? 'no' : 'unknown';
  }

  private pgMissing(expr: Node & { getArguments(): Node[] }): string | undefined {
    const cfg = expr.getArguments()[0];
    if (cfg && (Node.isStringLiteral(cfg) || Node.isNoSubstitutionTemplateLiteral(cfg))) {
      const text = cfg.getLiteralText();
      const connect = /connect_timeout=/.test(text);
      const statement = /statement_timeout|query_timeout/.test(text);
      return this.pgMissingText(connect, statement);
    }
    if (cfg && !literalObject(this.model, cfg)) return undefined;
    const connect = this.optionBounds(cfg, 'connectionTimeoutMillis') !== 'no';
    const statement =
      this.optionBounds(cfg, 'statement_timeout') !== 'no' ||
      this.optionBounds(cfg, 'query_timeout') !== 'no' ||
      /statement_timeout/.test(literalObject(this.model, cfg)?.getText() ?? '');
    return this.pgMissingText(connect, statement);
  }

  private pgMissingText(connect: boolean, statement: boolean): string | undefined {
    if (connect && statement) return undefined;
    if (!connect && !statement) return 'pg waits forever for a connection (`connectionTimeoutMillis` 0) and for a query (no `statement_timeout` or `query_timeout`)';
    if (!connect) return 'pg waits forever for a free connection (`connectionTimeoutMillis` 0)';
    return 'pg lets a query run forever (no `statement_timeout` or `query_timeout`)';
  }

  private pgFixes(expr: Node & { getArguments(): Node[] }): FixPlan[] {
    const cfg = expr.getArguments()[0];
    const ms = this.ms(expr);
    const props: string[] = [];
    const obj = literalObject(this.model, cfg);
    if (cfg && (Node.isStringLiteral(cfg) || Node.isNoSubstitutionTemplateLiteral(cfg) || !obj)) {
      if (cfg && !Node.isIdentifier(cfg) && !Node.isStringLiteral(cfg) && !Node.isNoSubstitutionTemplateLiteral(cfg) && !Node.isTemplateExpression(cfg)) return [];
      const conn = cfg ? `connectionString: ${cfg.getText()}, ` : '';
      return [{ title: 'Add `connectionTimeoutMillis` and `statement_timeout`', edits: [setArgument(expr, 0, `{ ${conn}connectionTimeoutMillis: ${ms}, statement_timeout: ${ms} }`)] }];
    }
    if (this.optionBounds(cfg, 'connectionTimeoutMillis') === 'no' && readOption(this.model, cfg, 'connectionTimeoutMillis').kind === 'absent') props.push(`connectionTimeoutMillis: ${ms}`);
    if (this.optionBounds(cfg, 'statement_timeout') === 'no' && this.optionBounds(cfg, 'query_timeout') === 'no' && readOption(this.model, cfg, 'statement_timeout').kind === 'absent') {
      props.push(`statement_timeout: ${ms}`);
    }
    if (props.length === 0 || !obj) return [];
    return [{ title: `Add ${props.map((p) => `\`${p.split(':')[0]}\``).join(' and ')}`, edits: [addProperty(obj, props.join(', '))] }];
  }

  private redisClient(expr: Node & { getArguments(): Node[] }, cluster: boolean): void {
    const args = expr.getArguments();
    // `new Redis(url)`, `new Redis(port, host)`, `new Redis(url, options)`, `new Redis(options)`: the options are the object.
    const plain = (a: Node): boolean => {
      const o = this.model.origin(a);
      return isStringish(a) || Node.isNumericLiteral(a) || o.kind === 'literal' || o.kind === 'global';
    };
    const optsIndex = cluster ? 1 : args.findIndex((a) => !plain(a));
    let opts = optsIndex >= 0 ? args[optsIndex] : undefined;
    if (cluster && opts) {
      const redisOptions = readOption(this.model, opts, 'redisOptions');
      if (redisOptions.kind === 'set') opts = redisOptions.node;
      else if (redisOptions.kind !== 'absent') return;
      else opts = undefined;
    }
    if (opts && !literalObject(this.model, opts)) return;
    // BullMQ requires `maxRetriesPerRequest: null` on its connections and runs blocking commands on them: a commandTimeout would break it.
    const mrpr = readOption(this.model, opts, 'maxRetriesPerRequest');
    if (mrpr.kind === 'set' && mrpr.node.getKind() === SyntaxKind.NullKeyword) return;
    if (this.optionBounds(opts, 'commandTimeout') !== 'no') return;
    const ms = this.ms(expr);
    let fixes: FixPlan[] = [];
    const obj = literalObject(this.model, opts);
    if (obj) fixes = [{ title: `Add \`commandTimeout: ${ms}\``, edits: [addProperty(obj, `commandTimeout: ${ms}`)] }];
    else if (!cluster) fixes = [{ title: `Add \`commandTimeout: ${ms}\``, edits: [setArgument(expr, args.length, `{ commandTimeout: ${ms} }`)] }];
    this.addClient('ioredis', expr, LIBRARIES.ioredis.default, fixes);
  }

  private mongoClient(expr: Node & { getArguments(): Node[] }): void {
    const [uri, opts] = expr.getArguments();
    // Driver 6 ignores `timeoutMS` ("has no effect", lib/connection_string.js); from 7 it is the client-side operation timeout.
    const timeoutMsWorks = (majorOf(declaredDependency(expr.getSourceFile(), 'mongodb')) ?? 0) >= 7;
    const keys = timeoutMsWorks ? ['socketTimeoutMS', 'timeoutMS'] : ['socketTimeoutMS'];
    if (uri && isStringish(uri) && keys.some((k) => new RegExp(`[?&]${k}=[1-9]`).test(uri.getText()))) return;
    if (uri && !isStringish(uri) && !Node.isIdentifier(uri) && this.model.origin(uri).kind !== 'literal') return;
    if (opts && !literalObject(this.model, opts)) return;
    if (keys.some((k) => this.optionBounds(opts, k) !== 'no')) return;
    const ignored = !timeoutMsWorks && readOption(this.model, opts, 'timeoutMS').kind === 'set';
    const missing = ignored ? 'MongoDB driver 6 ignores `timeoutMS` (it has no effect), and `socketTimeoutMS` is 0, so an operation can wait forever' : LIBRARIES.mongodb.default;
    this.addClient('mongodb', expr, missing, this.addOptionFixes(expr, 1, (ms) => [`socketTimeoutMS: ${ms}`]));
  }

  private undiciOptionsMissing(opts: Node | undefined): string | undefined {
    if (opts && !literalObject(this.model, opts)) return undefined;
    const headers = this.optionBounds(opts, 'headersTimeout');
    const body = this.optionBounds(opts, 'bodyTimeout');
    if (headers !== 'no' && body !== 'no') return undefined;
    return LIBRARIES.undici.default;
  }

  private awsClient(expr: Node & { getArguments(): Node[] }): void {
    const cfg = expr.getArguments()[0];
    if (cfg && !literalObject(this.model, cfg)) return;
    const handler = readOption(this.model, cfg, 'requestHandler');
    if (handler.kind === 'unknown' || handler.kind === 'caller') return;
    if (handler.kind === 'set') {
      let handlerOpts: Node | undefined = handler.node;
      const origin = this.model.origin(handler.node);
      if (origin.kind === 'new') handlerOpts = origin.node.getArguments()[0];
      else if (origin.kind === 'call') handlerOpts = origin.node.getArguments()[0];
      else if (origin.kind !== 'object') return;
      if (handlerOpts && !literalObject(this.model, handlerOpts)) return;
      // Since @smithy/node-http-handler 4.4.0 `requestTimeout` only logs a warning unless `throwOnRequestTimeout` is true;
      // `socketTimeout` (idle) still destroys the request.
      if (this.optionBounds(handlerOpts, 'socketTimeout') !== 'no') return;
      const request = this.optionBounds(handlerOpts, 'requestTimeout');
      const throws = readOption(this.model, handlerOpts, 'throwOnRequestTimeout');
      const throwsSet = throws.kind === 'unknown' || (throws.kind === 'set' && throws.node.getKind() !== SyntaxKind.FalseKeyword);
      if (request !== 'no' && throwsSet) return;
      const obj = literalObject(this.model, handlerOpts);
      const ms = this.ms(expr);
      const add = request === 'no' ? [`requestTimeout: ${ms}`, 'throwOnRequestTimeout: true'] : ['throwOnRequestTimeout: true'];
      const fixes: FixPlan[] = obj ? [{ title: `Add ${add.map((a) => `\`${a}\``).join(' and ')}`, edits: [addProperty(obj, add.join(', '))] }] : [];
      const missing =
        request === 'no'
          ? LIBRARIES.aws.default
          : '`requestTimeout` without `throwOnRequestTimeout: true` only logs a warning (since @smithy/node-http-handler 4.4.0), and the request goes on waiting';
      this.addClient('aws', expr, missing, fixes);
      return;
    }
    this.addClient('aws', expr, LIBRARIES.aws.default, this.addOptionFixes(expr, 0, (ms) => [`requestHandler: { requestTimeout: ${ms}, throwOnRequestTimeout: true, connectionTimeout: ${ms} }`], 'Add a `requestHandler` with `requestTimeout`, `throwOnRequestTimeout` and `connectionTimeout`'));
  }

  /** `new Service(address, grpc.credentials.createInsecure())`: a gRPC client, whatever made its constructor. */
  private isGrpcClientConstruction(expr: Node & { getArguments(): Node[] }): boolean {
    const creds = expr.getArguments()[1];
    if (!creds) return false;
    const origin = this.model.origin(creds);
    const callee = origin.kind === 'call' ? origin.callee : origin;
    return callee.kind === 'module' && callee.module === '@grpc/grpc-js' && callee.path[0] === 'credentials';
  }

  // ---- calls -------------------------------------------------------------------------------

  private call(call: Node): void {
    if (!Node.isCallExpression(call) || this.evaluated.has(call)) return;
    this.evaluated.add(call);
    const calleeExpr = call.getExpression();
    const callee = this.model.origin(calleeExpr);
    if (callee.kind === 'unknown' || callee.kind === 'literal') return;
    if (this.insideTimeoutWrapper(call)) return;
    if (isGlobalFetch(callee)) return this.reportVerdict(call, this.fetchCall(call, this.fetchHonoursTimeout(call, callee)), 'fetch');

    if (callee.kind === 'module') return this.moduleCall(call, callee);
    // A call to a function of ours is judged once we know whether it forwards a deadline (resolveWrappers).
    if (callee.kind === 'function') return;
    // Calls through a client made elsewhere: `instance.get()`, `client(url)`, `pool.query()`.
    const base = callee.kind === 'member' ? callee.object : callee;
    const method = callee.kind === 'member' ? callee.name : undefined;
    if (base.kind === 'call') {
      if (isModule(base.callee, 'axios', ['create'])) return this.axiosInstanceCall(call, base.node, method);
      if (isModule(base.callee, 'got', ['extend'])) return this.gotInstanceCall(call, base.node, method);
      if (isModule(base.callee, 'ky', ['create']) || isModule(base.callee, 'ky', ['extend'])) return this.kyCall(call, method);
    }
    if (base.kind === 'new' && method) {
      const client = this.clients.get(base.node) ?? this.constructedLater(base.node);
      if (client) return this.clientCall(call, client, method);
    }
    if ((base.kind === 'typed' || (base.kind === 'param' && base.declaredType)) && method) {
      const type = base.kind === 'typed' ? base.type : base.declaredType!;
      // An axios instance made somewhere we cannot see: only per-call settings can be judged.
      if (type.module === 'axios' && (type.name === 'AxiosInstance' || type.name === 'Axios')) return this.axiosPerCallOnly(call, method);
    }
    this.customClientCall(call);
  }

  /** A construction in a file scanned after this call. */
  private constructedLater(node: Node): Client | undefined {
    this.construction(node);
    return this.clients.get(node);
  }

  private moduleCall(call: Node & { getArguments(): Node[] }, callee: Extract<Origin, { kind: 'module' }>): void {
    const path = modulePath(callee);
    switch (callee.module) {
      case 'axios':
        if (path.length === 0) return this.reportVerdict(call, this.axiosCall(call, undefined, false), 'axios');
        if (path.length === 1 && path[0] === 'create') return this.axiosCreate(call);
        if (path.length === 1 && (AXIOS_CONFIG_SECOND.has(path[0]!) || AXIOS_CONFIG_THIRD.has(path[0]!) || path[0] === 'request')) {
          return this.reportVerdict(call, this.axiosCall(call, path[0], false), 'axios');
        }
        return;
      case 'got':
        if (path.length === 0 || (path.length === 1 && GOT_METHODS.has(path[0]!))) return this.reportVerdict(call, this.gotCall(call, false), 'got');
        if (path.length === 1 && path[0] === 'extend') return this.gotExtend(call);
        return;
      case 'ky':
        if (path.length === 0 || (path.length === 1 && (KY_METHODS.has(path[0]!) || path[0] === 'create' || path[0] === 'extend'))) {
          return this.kyCall(call, path[0]);
        }
        return;
      case 'superagent':
        if (path.length === 0 || (path.length === 1 && SUPERAGENT_METHODS.has(path[0]!))) return this.superagentCall(call);
        return;
      case 'http':
      case 'https':
        if (path.length === 1 && (path[0] === 'request' || path[0] === 'get')) return this.reportVerdict(call, this.httpCall(call, callee.module), 'http');
        return;
      case 'undici':
        if (path.length === 1 && ['request', 'stream', 'pipeline'].includes(path[0]!)) return this.reportVerdict(call, this.undiciCall(call), 'undici');
        return;
      default:
        this.customClientCall(call);
    }
  }

  // ---- fetch ----

  /**
   * node-fetch 2 (and cross-fetch, which bundles it for Node) honour a
   * `timeout` option; the global fetch, undici and node-fetch 3 ignore it.
   */
  private fetchHonoursTimeout(call: Node, callee: Origin): boolean {
    if (isModule(callee, 'cross-fetch')) return true;
    if (isModule(callee, 'node-fetch')) return majorOf(declaredDependency(call.getSourceFile(), 'node-fetch')) === 2;
    return false;
  }

  private fetchCall(call: Node & { getArguments(): Node[] }, timeoutHonoured: boolean): Verdict {
    const [input, init] = call.getArguments();
    if (!input) return { kind: 'ok' };
    // `fetch(new Request(url, { signal }))`: the request carries the signal.
    const inputOrigin = this.model.origin(input);
    if (!init && inputOrigin.kind === 'new' && inputOrigin.ctor.kind === 'global' && inputOrigin.ctor.name === 'Request') {
      return this.fetchInit(inputOrigin.node.getArguments()[1], inputOrigin.node, 1, timeoutHonoured);
    }
    if (!init && inputOrigin.kind !== 'literal' && inputOrigin.kind !== 'global' && !isStringish(input) && inputOrigin.kind !== 'param' && inputOrigin.kind !== 'new') {
      // A Request object of unknown make may carry its own signal.
      if (inputOrigin.kind === 'unknown' || inputOrigin.kind === 'call') return { kind: 'ok' };
    }
    return this.fetchInit(init, call, 1, timeoutHonoured);
  }

  /** Judges a fetch `init` (or what a wrapper's caller passes for it). */
  private fetchInit(init: Node | undefined, call: Node, index: number, timeoutHonoured: boolean): Verdict {
    const signal = readOption(this.model, init, 'signal');
    const role: Role = {
      library: 'fetch',
      keys: ['signal'],
      valueText: (ms) => `AbortSignal.timeout(${ms})`,
      judge: (node) => this.fetchInit(node, call, index, timeoutHonoured),
    };
    switch (signal.kind) {
      case 'caller':
        return { kind: 'caller', param: signal.origin, role };
      case 'unknown':
        return { kind: 'ok' };
      case 'set':
        return this.fetchSignal(signal.node, init, call);
      case 'absent': {
        const ms = this.ms(call);
        const timeout = readOption(this.model, init, 'timeout');
        if (timeout.kind === 'set' && timeoutHonoured) return this.positive(timeout.node) ? { kind: 'ok' } : { kind: 'bad', messageId: 'noDeadline', data: {}, fixes: [] };
        if (timeout.kind === 'set') {
          return {
            kind: 'bad',
            messageId: 'fetchTimeoutIgnored',
            data: { ms: timeout.node.getText() },
            fixes: [{ title: 'Replace `timeout` by `signal: AbortSignal.timeout(…)`', edits: [replaceNode(timeout.prop, `signal: AbortSignal.timeout(${timeout.node.getText()})`)] }],
          };
        }
        return { kind: 'bad', messageId: 'noDeadline', data: {}, fixes: this.addKeyFixes(call, index, init, 'signal', `AbortSignal.timeout(${ms})`) };
      }
    }
  }

  private fetchSignal(signalNode: Node, init: Node | undefined, call: Node): Verdict {
    const verdict = classifySignal(this.model, signalNode);
    const ms = this.ms(call);
    switch (verdict.kind) {
      case 'deadline':
      case 'unknown':
        return { kind: 'ok' };
      case 'caller':
        return {
          kind: 'caller',
          param: verdict.origin,
          role: { library: 'fetch', keys: [], valueText: (m) => `AbortSignal.timeout(${m})`, judge: (node) => (node ? this.fetchSignal(node, undefined, call) : this.noSignal()) },
        };
      case 'neverAborted': {
        const edits = signalNode.getParent() && Node.isShorthandPropertyAssignment(signalNode.getParent())
          ? [replaceNode(signalNode.getParentOrThrow(), `signal: AbortSignal.any([${signalNode.getText()}, AbortSignal.timeout(${ms})])`)]
          : [replaceNode(signalNode, `AbortSignal.any([${signalNode.getText()}, AbortSignal.timeout(${ms})])`)];
        return {
          kind: 'bad',
          messageId: 'controllerNeverAborted',
          data: { signal: signalNode.getText() },
          fixes: [{ title: `Combine the signal with \`AbortSignal.timeout(${ms})\``, edits }],
        };
      }
      case 'none': {
        const setNode = signalNode.getParent();
        return {
          kind: 'bad',
          messageId: 'noDeadline',
          data: {},
          fixes: setNode && init ? [{ title: `Pass \`signal: AbortSignal.timeout(${ms})\``, edits: [replaceNode(signalNode, `AbortSignal.timeout(${ms})`)] }] : [],
        };
      }
    }
  }

  private noSignal(): Verdict {
    return { kind: 'bad', messageId: 'noDeadline', data: {}, fixes: [] };
  }

  /** Fixes that set `key: value` in the options argument `index` of `call` (adding the argument if needed). */
  private addKeyFixes(call: Node, index: number, opts: Node | undefined, key: string, value: string): FixPlan[] {
    const title = `Add \`${key}: ${value}\``;
    if (!Node.isCallExpression(call) && !Node.isNewExpression(call)) return [];
    if (opts === undefined) return [{ title, edits: [setArgument(call, index, `{ ${key}: ${value} }`)] }];
    if (Node.isObjectLiteralExpression(opts)) return [{ title, edits: [addProperty(opts, `${key}: ${value}`)] }];
    if (Node.isIdentifier(opts) || Node.isPropertyAccessExpression(opts)) return [{ title, edits: [replaceNode(opts, `{ ...${opts.getText()}, ${key}: ${value} }`)] }];
    return [];
  }

  // ---- axios ----

  /** Index of the config argument of an axios call. */
  private axiosConfigIndex(call: Node & { getArguments(): Node[] }, method: string | undefined): number {
    if (method === 'request') return 0;
    if (method && AXIOS_CONFIG_THIRD.has(method)) return 2;
    if (method && AXIOS_CONFIG_SECOND.has(method)) return 1;
    // `axios(config)` or `axios(url, config)`.
    const first = call.getArguments()[0];
    return first && literalObject(this.model, first) && call.getArguments().length === 1 ? 0 : 1;
  }

  /**
   * Judges the per-call config of an axios call. `inherits` says whether an
   * absent timeout falls back to an instance (then the instance decides).
   */
  private axiosCall(call: Node & { getArguments(): Node[] }, method: string | undefined, inherits: boolean): Verdict {
    const index = this.axiosConfigIndex(call, method);
    const config = call.getArguments()[index];
    const v = this.axiosConfig(config, call, index);
    if (v.kind === 'inherit' && !inherits) {
      if (this.axiosGlobalTimeout) return { kind: 'ok' };
      return { kind: 'bad', messageId: 'noDeadline', data: {}, fixes: this.axiosTimeoutFixes(call, index, config) };
    }
    return v;
  }

  private axiosTimeoutFixes(call: Node, index: number, config: Node | undefined): FixPlan[] {
    return this.addKeyFixes(call, index, config, 'timeout', this.ms(call));
  }

  private axiosConfig(config: Node | undefined, call: Node, index: number): Verdict {
    const role: Role = { library: 'axios', keys: ['timeout'], valueText: (ms) => ms, judge: (node) => this.axiosWrapperArg(node, call, index) };
    const timeout = readOption(this.model, config, 'timeout');
    if (timeout.kind === 'caller') return { kind: 'caller', param: timeout.origin, role };
    if (timeout.kind === 'unknown') return { kind: 'ok' };
    if (timeout.kind === 'set') {
      const value = numericValue(this.model, timeout.node);
      if (value === undefined || (value > 0 && Number.isFinite(value))) return { kind: 'ok' };
      return {
        kind: 'bad',
        messageId: 'zeroTimeout',
        data: { value: timeout.node.getText() },
        fixes: [{ title: `Set \`timeout: ${this.ms(call)}\``, edits: [replaceNode(timeout.node, this.ms(call))] }],
        node: call,
      };
    }
    const signal = readOption(this.model, config, 'signal');
    if (signal.kind === 'unknown') return { kind: 'ok' };
    if (signal.kind === 'set') {
      const sv = classifySignal(this.model, signal.node);
      if (sv.kind === 'deadline' || sv.kind === 'unknown' || sv.kind === 'caller') return { kind: 'ok' };
    }
    for (const key of AXIOS_MISSPELLINGS) {
      const wrong = readOption(this.model, config, key);
      if (wrong.kind === 'set') {
        return {
          kind: 'bad',
          messageId: 'misspelledTimeout',
          data: { key },
          fixes: [{ title: `Rename \`${key}\` to \`timeout\``, edits: [renameProperty(wrong.prop, 'timeout')] }],
        };
      }
    }
    return { kind: 'inherit' };
  }

  /** What a caller of an axios-forwarding wrapper passes for the config. */
  private axiosWrapperArg(node: Node | undefined, call: Node, index: number): Verdict {
    const v = this.axiosConfig(node, call, index);
    if (v.kind !== 'inherit') return v;
    return this.axiosGlobalTimeout ? { kind: 'ok' } : { kind: 'bad', messageId: 'noDeadline', data: {}, fixes: [] };
  }

  private axiosCreate(call: Node & { getArguments(): Node[] }): void {
    const config = call.getArguments()[0];
    const v = this.axiosConfig(config, call, 0);
    if (v.kind === 'bad' && v.messageId !== 'misspelledTimeout' && v.messageId !== 'zeroTimeout') return;
    if (v.kind === 'bad') {
      this.reportVerdict(call, v, 'axios');
      return;
    }
    if (v.kind !== 'inherit') return;
    if (!this.clients.has(call)) this.addClient('axios', call, LIBRARIES.axios.default, this.axiosTimeoutFixes(call, 0, config));
  }

  private axiosInstanceCall(call: Node & { getArguments(): Node[] }, creation: Node, method: string | undefined): void {
    if (method !== undefined && !AXIOS_CONFIG_SECOND.has(method) && !AXIOS_CONFIG_THIRD.has(method) && method !== 'request') return;
    const v = this.axiosCall(call, method, true);
    if (!this.clients.has(creation) && Node.isCallExpression(creation)) this.axiosCreate(creation);
    if (v.kind === 'inherit') {
      this.clients.get(creation)?.calls.add(call);
      return;
    }
    const client = this.clients.get(creation);
    if (client && v.kind === 'ok') client.boundedCalls++;
    this.reportVerdict(call, v, 'axios');
  }

  private axiosPerCallOnly(call: Node & { getArguments(): Node[] }, method: string): void {
    if (!AXIOS_CONFIG_SECOND.has(method) && !AXIOS_CONFIG_THIRD.has(method) && method !== 'request') return;
    const v = this.axiosCall(call, method, true);
    if (v.kind === 'bad') this.reportVerdict(call, v, 'axios');
  }

  // ---- got ----

  private gotOptionsIndex(call: Node & { getArguments(): Node[] }): number {
    const first = call.getArguments()[0];
    return first && literalObject(this.model, first) && call.getArguments().length === 1 ? 0 : 1;
  }

  private gotOptions(opts: Node | undefined, call: Node, index: number): Verdict {
    const role: Role = { library: 'got', keys: ['timeout'], valueText: (ms) => `{ request: ${ms} }`, judge: (node) => this.gotWrapperArg(node, call, index) };
    const timeout = readOption(this.model, opts, 'timeout');
    if (timeout.kind === 'caller') return { kind: 'caller', param: timeout.origin, role };
    if (timeout.kind === 'unknown') return { kind: 'ok' };
    if (timeout.kind === 'set') {
      if (numericValue(this.model, timeout.node) !== undefined || Node.isNumericLiteral(stripCasts(timeout.node))) {
        const value = stripCasts(timeout.node).getText();
        return {
          kind: 'bad',
          messageId: 'gotNumericTimeout',
          data: { value },
          fixes: [{ title: `Use \`timeout: { request: ${value} }\``, edits: [replaceNode(timeout.node, `{ request: ${value} }`)] }],
        };
      }
      return { kind: 'ok' };
    }
    const signal = readOption(this.model, opts, 'signal');
    if (signal.kind === 'set' || signal.kind === 'unknown') return { kind: 'ok' };
    return { kind: 'inherit' };
  }

  private gotWrapperArg(node: Node | undefined, call: Node, index: number): Verdict {
    const v = this.gotOptions(node, call, index);
    return v.kind === 'inherit' ? { kind: 'bad', messageId: 'noDeadline', data: {}, fixes: [] } : v;
  }

  private gotCall(call: Node & { getArguments(): Node[] }, inherits: boolean): Verdict {
    const index = this.gotOptionsIndex(call);
    const opts = call.getArguments()[index];
    const v = this.gotOptions(opts, call, index);
    if (v.kind === 'inherit' && !inherits) {
      return { kind: 'bad', messageId: 'noDeadline', data: {}, fixes: this.addKeyFixes(call, index, opts, 'timeout', `{ request: ${this.ms(call)} }`) };
    }
    return v;
  }

  private gotExtend(call: Node & { getArguments(): Node[] }): void {
    const args = call.getArguments();
    const verdicts = args.map((a, i) => this.gotOptions(a, call, i));
    const bad = verdicts.find((v) => v.kind === 'bad');
    if (bad) return this.reportVerdict(call, bad, 'got');
    if (args.length > 0 && verdicts.some((v) => v.kind !== 'inherit')) return;
    if (!this.clients.has(call)) this.addClient('got', call, LIBRARIES.got.default, this.addKeyFixes(call, 0, args[0], 'timeout', `{ request: ${this.ms(call)} }`));
  }

  private gotInstanceCall(call: Node & { getArguments(): Node[] }, creation: Node, method: string | undefined): void {
    if (method !== undefined && !GOT_METHODS.has(method)) return;
    const v = this.gotCall(call, true);
    if (!this.clients.has(creation) && Node.isCallExpression(creation)) this.gotExtend(creation);
    if (v.kind === 'inherit') {
      this.clients.get(creation)?.calls.add(call);
      return;
    }
    const client = this.clients.get(creation);
    if (client && v.kind === 'ok') client.boundedCalls++;
    this.reportVerdict(call, v, 'got');
  }

  // ---- ky, superagent, http, undici, AWS, gRPC, custom ----

  private kyCall(call: Node & { getArguments(): Node[] }, method: string | undefined): void {
    const opts = method === 'create' || method === 'extend' ? call.getArguments()[0] : call.getArguments()[1];
    const timeout = readOption(this.model, opts, 'timeout');
    const disabled = timeout.kind === 'set' && timeout.node.getKind() === SyntaxKind.FalseKeyword;
    if (method !== 'create' && method !== 'extend') this.record(call, 'fetch', 'call', !disabled);
    if (disabled && timeout.kind === 'set') {
      const ms = this.ms(call);
      this.report(call, 'kyTimeoutDisabled', {}, [{ title: `Set \`timeout: ${ms}\``, edits: [replaceNode(timeout.node, ms)] }]);
    }
  }

  private superagentCall(call: Node): void {
    // The chain `superagent.get(url).set(...).timeout(ms)` bounds the request.
    let cur: Node = call;
    for (;;) {
      const access = cur.getParent();
      if (!access || !Node.isPropertyAccessExpression(access) || access.getExpression() !== cur) break;
      const next = access.getParent();
      if (!next || !Node.isCallExpression(next) || next.getExpression() !== access) break;
      if (access.getName() === 'timeout') return this.record(call, 'superagent', 'call', true);
      cur = next;
    }
    this.record(call, 'superagent', 'call', false);
    const ms = this.ms(call);
    this.report(call, 'noDeadline', LIBRARIES.superagent, [{ title: `Add \`.timeout(${ms})\``, edits: [{ file: call.getSourceFile().getFilePath(), start: call.getEnd(), end: call.getEnd(), newText: `.timeout(${ms})` }] }]);
  }

  private httpCall(call: Node & { getArguments(): Node[] }, module: string): Verdict {
    const args = call.getArguments();
    const first = args[0];
    // `request(options, cb)` or `request(url, options?, cb?)`: options first only when it reads as an object.
    const optsIndex = first && !isStringish(first) && !this.isUrl(first) && (literalObject(this.model, first) || this.model.origin(first).kind === 'typed') ? 0 : 1;
    let opts: Node | undefined = args[optsIndex];
    if (opts && (Node.isArrowFunction(opts) || Node.isFunctionExpression(opts))) opts = undefined;
    const signal = readOption(this.model, opts, 'signal');
    if (signal.kind === 'unknown') return { kind: 'ok' };
    if (signal.kind === 'set') {
      const sv = classifySignal(this.model, signal.node);
      if (sv.kind !== 'none' && sv.kind !== 'neverAborted') return { kind: 'ok' };
    }
    if (signal.kind === 'caller') {
      return {
        kind: 'caller',
        param: signal.origin,
        role: { library: 'http', keys: ['signal'], valueText: (ms) => `AbortSignal.timeout(${ms})`, judge: (n) => (n === undefined ? this.noSignal() : { kind: 'ok' }) },
      };
    }
    const listener = this.httpTimeoutHandling(call);
    if (listener === 'destroys') return { kind: 'ok' };
    const ms = this.ms(call);
    const timeoutOpt = readOption(this.model, opts, 'timeout');
    const fixes: FixPlan[] = [];
    const title = `Add \`signal: AbortSignal.timeout(${ms})\``;
    if (opts && literalObject(this.model, opts) && Node.isObjectLiteralExpression(opts)) fixes.push({ title, edits: [addProperty(opts, `signal: AbortSignal.timeout(${ms})`)] });
    else if (!opts && optsIndex === 1) {
      const cb = args[1];
      fixes.push({ title, edits: [cb ? insertArgumentBefore(call, 1, `{ signal: AbortSignal.timeout(${ms}) }`) : setArgument(call, 1, `{ signal: AbortSignal.timeout(${ms}) }`)] });
    }
    if (timeoutOpt.kind === 'set' || listener === 'inactivity') {
      const how = timeoutOpt.kind === 'set' ? `The \`timeout\` option of ${module}.${calleeLast(call)}` : '`req.setTimeout()`';
      return { kind: 'bad', messageId: 'inactivityOnly', data: { how }, fixes };
    }
    return { kind: 'bad', messageId: 'noDeadline', data: {}, fixes };
  }

  private isUrl(node: Node): boolean {
    const o = this.model.origin(node);
    return (o.kind === 'new' && o.ctor.kind === 'global' && o.ctor.name === 'URL') || (o.kind === 'typed' && o.type.name === 'URL');
  }

  /**
   * How the request object of an `http.request` call is watched: a
   * `'timeout'` listener (or `setTimeout` callback) that destroys it, an
   * inactivity timer alone, or nothing.
   */
  private httpTimeoutHandling(call: Node): 'destroys' | 'inactivity' | 'none' {
    const names = new Set<string>();
    let parent = call.getParent();
    while (parent && (Node.isAwaitExpression(parent) || Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent))) parent = parent.getParent();
    if (parent && Node.isVariableDeclaration(parent)) names.add(parent.getName());
    if (parent && Node.isBinaryExpression(parent)) names.add(parent.getLeft().getText());
    const scope = call.getFirstAncestor((a) => Node.isFunctionLikeDeclaration(a)) ?? call.getSourceFile();
    let result: 'destroys' | 'inactivity' | 'none' = 'none';
    const destroys = (fn: Node | undefined, reqName: string | undefined): boolean => {
      if (!fn) return false;
      return fn.getDescendantsOfKind(SyntaxKind.CallExpression).some((c) => {
        const t = c.getExpression().getText();
        return /\.(destroy|abort)$/.test(t) && (!reqName || t.startsWith(`${reqName}.`) || t === 'this.destroy');
      }) || /^(\w+)\.(destroy|abort)\.bind/.test(fn.getText());
    };
    const consider = (c: Node, reqName: string | undefined): void => {
      if (!Node.isCallExpression(c)) return;
      const callee = c.getExpression();
      if (!Node.isPropertyAccessExpression(callee)) return;
      const m = callee.getName();
      const args = c.getArguments();
      if ((m === 'on' || m === 'once' || m === 'addListener') && args[0] && isStringish(args[0]) && args[0].getText().slice(1, -1) === 'timeout') {
        if (destroys(args[1], reqName)) result = 'destroys';
        else if (result === 'none') result = 'inactivity';
      } else if (m === 'setTimeout') {
        if (destroys(args[1], reqName)) result = 'destroys';
        else if (result === 'none') result = 'inactivity';
      }
    };
    // Chained on the call itself: `http.get(...).on('timeout', ...)`.
    for (let cur: Node = call; ; ) {
      const access = cur.getParent();
      if (!access || !Node.isPropertyAccessExpression(access)) break;
      const next = access.getParent();
      if (!next || !Node.isCallExpression(next)) break;
      consider(next, undefined);
      cur = next;
    }
    for (const name of names) {
      for (const c of scope.getDescendantsOfKind(SyntaxKind.CallExpression)) {
        const callee = c.getExpression();
        if (Node.isPropertyAccessExpression(callee) && callee.getExpression().getText() === name) consider(c, name);
      }
    }
    return result;
  }

  private undiciCall(call: Node & { getArguments(): Node[] }): Verdict {
    const opts = call.getArguments()[1];
    const signal = readOption(this.model, opts, 'signal');
    if (signal.kind === 'unknown') return { kind: 'ok' };
    if (signal.kind === 'set') {
      const sv = classifySignal(this.model, signal.node);
      if (sv.kind !== 'none' && sv.kind !== 'neverAborted') return { kind: 'ok' };
    }
    if (signal.kind === 'caller') return { kind: 'ok' };
    if (!this.undiciOptionsMissing(opts)) return { kind: 'ok' };
    return { kind: 'bad', messageId: 'noDeadline', data: {}, fixes: this.addKeyFixes(call, 1, opts, 'signal', `AbortSignal.timeout(${this.ms(call)})`) };
  }

  /** A call through a client made with `new`: AWS `send`, gRPC methods, pg and undici calls. */
  private clientCall(call: Node & { getArguments(): Node[] }, client: Client, method: string): void {
    const args = call.getArguments();
    switch (client.library) {
      case 'aws': {
        if (method !== 'send') return;
        const opts = args[1];
        if (this.optionBounds(opts, 'abortSignal') === 'no' || readOption(this.model, opts, 'abortSignal').kind === 'absent') client.calls.add(call);
        return;
      }
      case 'grpc':
        return this.grpcCall(call, method);
      case 'pg':
        if (method === 'query' || method === 'connect') client.calls.add(call);
        return;
      case 'undici':
        if (method === 'request' || method === 'stream') {
          const signal = readOption(this.model, args[0], 'signal');
          if (signal.kind === 'absent') client.calls.add(call);
        }
        return;
      default:
        return;
    }
  }

  private grpcCall(call: Node & { getArguments(): Node[] }, method: string): void {
    if (GRPC_NOT_CALLS.has(method)) return;
    const args = call.getArguments();
    const last = args[args.length - 1];
    // Unary and client-streaming calls take a callback last; streams returned without one are out of scope.
    if (!last || !(Node.isArrowFunction(last) || Node.isFunctionExpression(last) || (Node.isIdentifier(last) && this.model.origin(last).kind === 'function'))) return;
    const middle = args.slice(1, -1);
    for (const arg of middle) {
      const deadline = readOption(this.model, arg, 'deadline');
      if (deadline.kind === 'set' || deadline.kind === 'unknown' || deadline.kind === 'caller') {
        if (literalObject(this.model, arg) || deadline.kind !== 'unknown') return this.record(call, 'grpc', 'call', true);
      }
    }
    this.record(call, 'grpc', 'call', false);
    const ms = this.ms(call);
    const opts = middle.find((a) => Node.isObjectLiteralExpression(a));
    const fix: FixPlan = opts
      ? { title: `Add \`deadline: Date.now() + ${ms}\``, edits: [addProperty(opts, `deadline: Date.now() + ${ms}`)] }
      : { title: `Pass \`{ deadline: Date.now() + ${ms} }\``, edits: [insertArgumentBefore(call, args.length - 1, `{ deadline: Date.now() + ${ms} }`)] };
    this.report(call, 'noDeadline', LIBRARIES.grpc, [fix]);
  }

  private customClientCall(call: Node & { getArguments(): Node[] }): void {
    const clients = this.ctx.options.customClients;
    if (clients.length === 0 || !Node.isCallExpression(call)) return;
    const calleeText = call.getExpression().getText();
    for (const client of clients) {
      const matches = client.name.includes('.') ? calleeText === client.name || calleeText.endsWith(`.${client.name}`) : calleeLast(call) === client.name;
      if (!matches) continue;
      if (client.module) {
        const root = calleeText.split('.')[0]!;
        const binding = this.model.imports(call.getSourceFile()).get(root);
        if (!binding || binding.module !== client.module) continue;
      }
      const opts = call.getArguments()[client.optionsArgument];
      const v: OptionValue = readOption(this.model, opts, client.timeoutOption);
      if (v.kind !== 'absent') return;
      const ms = this.ms(call);
      this.report(call, 'noDeadline', { api: `\`${client.name}\``, default: `\`${client.name}\` is configured as an outbound call and is given no \`${client.timeoutOption}\``, remedy: `\`${client.timeoutOption}\`` }, this.addKeyFixes(call, client.optionsArgument, opts, client.timeoutOption, client.timeoutOption === 'signal' ? `AbortSignal.timeout(${ms})` : ms));
      return;
    }
  }

  // ---- wrappers: functions that forward their caller's deadline ----

  private addWrapper(param: ParamOrigin, role: Role): void {
    const list = this.wrappers.get(param.fn) ?? [];
    if (list.some((w) => w.param.index === param.index && w.param.path.join('.') === param.path.join('.'))) return;
    list.push({ param, role });
    this.wrappers.set(param.fn, list);
  }

  /**
   * Judges every call site (in scope) of every function found to forward a
   * parameter to an outbound call as its deadline. A call site inside
   * another function that passes its own parameter on makes that function a
   * wrapper too; it is judged in a later round.
   */
  private resolveWrappers(scope: SourceFile[]): void {
    const done = new Set<Node>();
    for (let round = 0; round < 1000; round++) {
      const fn = [...this.wrappers.keys()].find((f) => !done.has(f));
      if (!fn) return;
      done.add(fn);
      const name = functionName(fn);
      if (!name) continue;
      for (const sf of scope) {
        for (const c of this.callsByName(sf).get(name) ?? []) {
          const site = wrap(sf, c);
          if (!Node.isCallExpression(site)) continue;
          const callee = this.model.origin(site.getExpression());
          if (callee.kind !== 'function' || callee.node !== fn || this.insideTimeoutWrapper(site)) continue;
          for (const w of this.wrappers.get(fn) ?? []) this.judgeCallSite(site, name, w.param, w.role);
        }
      }
    }
  }

  private judgeCallSite(site: Node & { getArguments(): Node[] }, name: string, param: ParamOrigin, role: Role): void {
    let cur: Node | undefined = site.getArguments()[param.index];
    // A rest parameter or a spread argument: the mapping is not worth guessing.
    if (site.getArguments().some((a) => Node.isSpreadElement(a))) return;
    for (let i = 0; i < param.path.length; i++) {
      const v = readOption(this.model, cur, param.path[i]!);
      if (v.kind === 'set') cur = v.node;
      else if (v.kind === 'absent') {
        cur = undefined;
        break;
      } else if (v.kind === 'caller') {
        this.addWrapper({ ...v.origin, path: [...v.origin.path, ...param.path.slice(i + 1)] }, role);
        return;
      } else return;
    }
    if (cur && param.path.length === 0) {
      // The argument itself may come from the caller's own parameter.
      const o = this.model.origin(cur);
      if (o.kind === 'param') {
        this.addWrapper(o, role);
        return;
      }
    }
    const v = role.judge(cur);
    if (v.kind === 'caller') {
      this.addWrapper(v.param, v.role);
      return;
    }
    if (v.kind !== 'bad') return;
    const ms = this.ms(site);
    const keys = [...param.path, ...role.keys];
    const fixes = this.wrapperFixes(site, param.index, keys, role.valueText(ms));
    const what = keys.length > 0 ? `\`${keys.join('.')}\`` : 'a deadline';
    const messageId = v.messageId === 'noDeadline' ? 'wrapperCallNoDeadline' : v.messageId;
    this.report(site, messageId, { ...LIBRARIES[role.library], ...v.data, callee: name, what }, messageId === 'wrapperCallNoDeadline' ? fixes : v.fixes.length > 0 ? v.fixes : fixes);
  }

  /** Sets `keys` (a property path) to `value` in argument `index` of a call to a wrapper. */
  private wrapperFixes(site: Node, index: number, keys: string[], value: string): FixPlan[] {
    const nested = (ks: string[]): string => (ks.length === 0 ? value : `{ ${ks[0]}: ${nested(ks.slice(1))} }`);
    const title = keys.length > 0 ? `Pass \`${keys.join('.')}: ${value}\`` : `Pass \`${value}\``;
    const args = (site as Node & { getArguments(): Node[] }).getArguments();
    const arg = args[index];
    if (!arg || arg.getText() === 'undefined') return [{ title, edits: [setArgument(site, index, nested(keys))] }];
    if (keys.length === 0) return [];
    let obj: Node | undefined = arg;
    for (let i = 0; i < keys.length; i++) {
      if (!obj || !Node.isObjectLiteralExpression(obj)) {
        if (obj && i === 0 && (Node.isIdentifier(obj) || Node.isPropertyAccessExpression(obj))) {
          return [{ title, edits: [replaceNode(obj, `{ ...${obj.getText()}, ${keys[0]}: ${nested(keys.slice(1))} }`)] }];
        }
        return [];
      }
      const v = readOption(this.model, obj, keys[i]!);
      if (v.kind === 'absent') return [{ title, edits: [addProperty(obj, `${keys[i]}: ${nested(keys.slice(i + 1))}`)] }];
      if (v.kind !== 'set') return [];
      if (i === keys.length - 1) return [{ title, edits: [replaceNode(v.node, value)] }];
      obj = v.node;
    }
    return [];
  }

  // ---- clients ----

  private reportClients(): void {
    for (const client of this.clients.values()) {
      if (!client.missing) continue;
      if (client.library === 'axios' && (this.axiosGlobalTimeout || this.instanceDefaults.has(client.node))) continue;
      const calls = [...client.calls].filter((c) => !this.reported.has(c)).sort((a, b) => a.getSourceFile().getFilePath().localeCompare(b.getSourceFile().getFilePath()) || a.getStart() - b.getStart());
      // A client whose every known call sets its own deadline harms no one; one with no known calls may be used anywhere.
      if (calls.length === 0 && client.boundedCalls > 0) continue;
      const count = calls.length;
      const callsText = count === 0 ? 'Every call through it inherits none.' : count === 1 ? 'Its 1 call inherits none.' : `Its ${count} calls inherit none.`;
      const related = calls.map((c) => ({ node: c, message: `call through this client: it sets no deadline of its own` }));
      this.report(client.node, 'clientNoDeadline', { ...LIBRARIES[client.library], default: client.missing, calls: callsText }, client.fixes, related);
    }
  }
}

/** A numeric literal's value, as ts-morph's `NumericLiteral.getLiteralValue` reads it. */
function numericLiteralValue(lit: ts.NumericLiteral): number {
  return lit.text.indexOf('.') >= 0 ? parseFloat(lit.text) : parseInt(lit.text, 10);
}

function stripCasts(node: Node): Node {
  let cur = node;
  while (Node.isAsExpression(cur) || Node.isParenthesizedExpression(cur) || Node.isSatisfiesExpression(cur)) cur = cur.getExpression();
  return cur;
}

function isStringish(node: Node): boolean {
  return Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node) || Node.isTemplateExpression(node);
}

function calleeLast(call: Node): string {
  if (!Node.isCallExpression(call)) return '';
  const e = call.getExpression();
  return Node.isPropertyAccessExpression(e) ? e.getName() : e.getText();
}

function renameProperty(prop: Node, name: string): TextEdit {
  if (Node.isShorthandPropertyAssignment(prop)) return replaceNode(prop, `${name}: ${prop.getName()}`);
  if (Node.isPropertyAssignment(prop)) return replaceNode(prop.getNameNode(), name);
  return replaceNode(prop, name);
}


const RELEVANCE = {
  module: (m: string) => KNOWN_MODULES.has(m) || m.startsWith('@aws-sdk/client-'),
  // `fetch(` rather than `fetch`: `fetchOrders` and `prefetch` are everywhere.
  words: ['fetch('],
};

/** Files that can hold an outbound call: they import a client library, mention `fetch`, or name a configured client. */
function relevanceTest(options: AnalysisOptions): RelevanceTest {
  const words = [...RELEVANCE.words, ...options.customClients.map((c) => c.name.split('.').pop()!)];
  // Clients, instances and wrappers come through values; a type of ours is never followed (`typeRefOf` reads library types only).
  return { module: (m) => RELEVANCE.module(m) || options.customClients.some((c) => c.module === m), words, valueImportsOnly: true };
}

/** Runs the analysis over `ctx.files` and returns every outbound call and client it saw. */
export function analyse(ctx: RuleContext): OutboundEntry[] {
  const test = relevanceTest(ctx.options);
  const relevance = new Relevance(ctx.program, test, `missing-timeout:${test.words.join(',')}`);
  const analysis = new Analysis(ctx, relevance);
  analysis.run();
  return analysis.inventory;
}

export const missingTimeout = defineRule<State>({
  id: 'missing-timeout',
  defaultSeverity: 'error',
  shortDescription: 'Outbound calls that can wait forever',
  fullDescription:
    'Finds HTTP, database, cache and RPC calls whose client sets no deadline, so that one slow or stalled dependency holds requests, connections and memory until the service falls over. Knows each library’s real default and what bounds it.',
  messages: {
    noDeadline: '{api} call has no deadline: {default}. Pass {remedy}.',
    clientNoDeadline: '{api} is created without a timeout: {default}. {calls} Set {remedy} here.',
    fetchTimeoutIgnored: '`fetch` ignores the `timeout` option, so this call still has no deadline. Pass `signal: AbortSignal.timeout({ms})` instead.',
    controllerNeverAborted:
      'The signal `{signal}` comes from an AbortController that no timer aborts, so it is no deadline: this call can still wait forever. Combine it with one: `AbortSignal.any([{signal}, AbortSignal.timeout(ms)])`.',
    zeroTimeout: '`timeout: {value}` means no timeout in axios: this call can wait forever. Use a positive number of milliseconds.',
    misspelledTimeout: 'axios ignores the option `{key}` (the option is `timeout`), so this call has no timeout at all.',
    gotNumericTimeout: 'got requires `timeout` to be an object: a number makes the call throw before it is sent. Use `timeout: { request: {value} }`.',
    inactivityOnly:
      "{how} only emits 'timeout' after the socket has been idle; nothing destroys the request, so it can stay open forever. Destroy it in a 'timeout' listener or pass `signal: AbortSignal.timeout(ms)`.",
    wrapperCallNoDeadline: '`{callee}` passes its {what} on to {api}, and this call gives none: {default}. Pass {remedy}.',
    kyTimeoutDisabled: "`timeout: false` turns off ky's 10 s default, so this request can wait forever. Set a number of milliseconds instead.",
  },
  docs: {
    whatItDoes:
      'Reports outbound calls (fetch, axios, got, ky, superagent, node:http, undici, the AWS SDK v3, pg, ioredis, MongoDB, gRPC and the functions your configuration names) that have no deadline. Clients configured once (`axios.create`, `got.extend`, `new Pool(...)`, AWS clients, ioredis, `MongoClient`, undici `Client`/`Pool`) are reported once, at their construction, with the calls through them as related locations. A function of yours that forwards its caller’s signal or config is treated as an outbound call: its callers that pass none are reported, not the function.',
    why:
      'A call without a deadline waits as long as the other side lets it. When a dependency slows down or stops answering, every request that reaches it piles up behind it: sockets, memory and worker slots run out, and one slow service takes down its callers. Most clients have no deadline by default (axios `timeout: 0`, got, superagent, node:http, the AWS SDK, pg), and some options that look like one are not (`timeout` on fetch is ignored; `timeout` on node:http only emits an event).',
    incorrect: `const res = await fetch('https://payments.internal/charge', { method: 'POST' });`,
    correct: `const res = await fetch('https://payments.internal/charge', { method: 'POST', signal: AbortSignal.timeout(5_000) });`,
    fixSafety:
      'Every fix is unsafe: adding a deadline changes behaviour (a call that used to wait now fails after the limit). `faultline lint --fix` does not apply them; `--unsafe-fixes` does, and the editor offers them as quick fixes. The value is `defaultTimeoutMs` (10 000 ms unless configured), or a constant of the file whose name contains "timeout".',
    references: [
      'docs/library-defaults.md: the defaults each message states, with the file and line of the installed library that sets them.',
      'Node.js fetch (undici): headersTimeout and bodyTimeout 300 s; no overall deadline.',
      'axios lib/defaults/index.js: timeout 0.',
    ],
  },
  prefilter: relevanceTest,
  check(ctx) {
    analyse(ctx);
  },
  fixes(report) {
    const state = report.state;
    return (state?.fixes ?? []).map((f, i): Fix => ({ title: f.title, applicability: 'unsafe', edits: f.edits, ...(i === 0 ? { isPreferred: true } : {}) }));
  },
});
