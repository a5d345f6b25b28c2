import { Node, SyntaxKind, ts, type SourceFile } from 'ts-morph';
import { addProperty, formatMs, replaceNode, setArgument } from '../edits.ts';
import { literalObject, numericValue, readOption } from '../options.ts';
import type { Origin, ProgramModel } from '../program.ts';
import { wrap } from '../program.ts';
import { scanFile } from '../scan.ts';
import { arrayDirection, growthOf, helperFacts, join, newEnv, numberArray, type Growth } from './growth.ts';
import { ensureNamedImports, type FixPlan } from './fixes.ts';
import type { RetryFinding } from './findings.ts';

/**
 * Retry libraries configured so that they hammer or never let go. What each
 * library does by default was read from its installed source (cited in the
 * rules' docs): cockatiel's `retry()` waits 0 ms and never stops, axios-retry
 * waits 0 ms, BullMQ and Bull retry a job at once unless given a `backoff`.
 * p-retry, async-retry, got, ky, the AWS SDK and kafkajs back off by default
 * and are judged only on options that undo it.
 */

export const RETRY_LIBRARIES = new Set(['cockatiel', 'axios-retry', 'p-retry', 'async-retry', 'bullmq', 'bull']);

const BULLMQ_BACKOFF = "backoff: { type: 'exponential', delay: 1000 }";

function path(origin: Origin): string[] {
  if (origin.kind !== 'module') return [];
  return origin.path[0] === 'default' ? origin.path.slice(1) : origin.path;
}

function is(origin: Origin, module: string, p: string[]): boolean {
  if (origin.kind !== 'module' || origin.module !== module) return false;
  const own = path(origin);
  return own.length === p.length && own.every((x, i) => x === p[i]);
}

type CallLike = Node & { getArguments(): Node[] };

class LibraryCheck {
  readonly findings: RetryFinding[] = [];

  constructor(
    private readonly model: ProgramModel,
    private readonly sf: SourceFile,
  ) {}

  run(): void {
    const scan = scanFile(this.sf);
    const imports = this.model.imports(this.sf);
    const importsLibrary = [...this.model.importedModules(this.sf)].some((m) => RETRY_LIBRARIES.has(m));
    /** Whether a callee starts at a name bound to a retry library (`retry`, `axiosRetry.default`, `Bull`). */
    const rootedInLibrary = (e: ts.Expression): boolean => {
      let cur: ts.Expression = e;
      while (ts.isPropertyAccessExpression(cur) || ts.isParenthesizedExpression(cur)) cur = cur.expression;
      return ts.isIdentifier(cur) && RETRY_LIBRARIES.has(imports.get(cur.text)?.module ?? '');
    };
    for (const n of scan.news) {
      if (importsLibrary && rootedInLibrary(n.expression)) this.construction(wrap(this.sf, n));
    }
    for (const c of scan.calls) {
      const name = ts.isPropertyAccessExpression(c.expression) ? c.expression.name.text : undefined;
      if (name === 'add' || name === 'addBulk') this.queueCall(wrap(this.sf, c), name);
      else if (importsLibrary && rootedInLibrary(c.expression)) this.libraryCall(wrap(this.sf, c));
    }
  }

  private report(ruleId: RetryFinding['ruleId'], node: Node, messageId: string, data: Record<string, string>, fixes: FixPlan[]): void {
    this.findings.push({ ruleId, node, messageId, data, fixes });
  }

  // ---- calls: cockatiel, axios-retry, p-retry, async-retry, Bull's `Queue()` ----

  private libraryCall(call: Node): void {
    if (!Node.isCallExpression(call)) return;
    const callee = this.model.origin(call.getExpression());
    if (is(callee, 'cockatiel', ['retry'])) this.cockatiel(call);
    else if (is(callee, 'axios-retry', [])) this.axiosRetry(call);
    else if (is(callee, 'p-retry', [])) this.retryPackage(call, 'p-retry');
    else if (is(callee, 'async-retry', [])) this.retryPackage(call, 'async-retry');
    else if (is(callee, 'bull', [])) this.queueConstruction(call, 'bull');
  }

  private construction(expr: Node): void {
    if (!Node.isNewExpression(expr)) return;
    const ctor = this.model.origin(expr.getExpression());
    if (is(ctor, 'bullmq', ['Queue'])) this.queueConstruction(expr, 'bullmq');
    else if (is(ctor, 'bull', [])) this.queueConstruction(expr, 'bull');
  }

  private cockatiel(call: CallLike): void {
    const opts = call.getArguments()[1];
    const obj = literalObject(this.model, opts);
    const api = 'cockatiel `retry()`';
    const backoff = readOption(this.model, opts, 'backoff');
    if (backoff.kind === 'absent') {
      // The options may be an object of another file (`retry(handleAll, retryOptions)`): the import goes where the property does.
      const fix = obj ? this.withImports('Set `backoff: new ExponentialBackoff()`', 'safe', 'cockatiel', ['ExponentialBackoff'], (n) => [addProperty(obj, `backoff: new ${n.get('ExponentialBackoff')}()`)], obj.getSourceFile()) : undefined;
      this.report('retry-without-backoff', call, 'libraryNoDelay', { api, default: 'without `backoff`, `retry()` uses `ConstantBackoff(0)`', remedy: 'Set `backoff: new ExponentialBackoff()`' }, fix ? [fix] : []);
    } else if (backoff.kind === 'set') {
      const origin = this.model.origin(backoff.node);
      if (origin.kind === 'new') {
        const args = origin.node.getArguments();
        let fixed: { zero: boolean; first?: string } | undefined;
        if (is(origin.ctor, 'cockatiel', ['ConstantBackoff'])) {
          const v = args[0] ? numericValue(this.model, args[0]) : 0;
          fixed = { zero: v === 0, ...(args[0] && v !== 0 ? { first: args[0].getText() } : {}) };
        } else if (is(origin.ctor, 'cockatiel', ['IterableBackoff']) && args[0]) {
          const values = numberArray(this.model, args[0]);
          if (values && arrayDirection(values) === 'const') fixed = { zero: values.every((v) => v === 0), ...(values[0] ? { first: String(values[0]) } : {}) };
        }
        if (fixed) {
          const text = origin.node.getText();
          const replacement = (n: Map<string, string>): string => `new ${n.get('ExponentialBackoff')}(${fixed.first ? `{ initialDelay: ${fixed.first} }` : ''})`;
          const fix = origin.node.getSourceFile() === this.sf ? this.withImports('Use `new ExponentialBackoff()`', 'safe', 'cockatiel', ['ExponentialBackoff'], (n) => [replaceNode(origin.node, replacement(n))]) : undefined;
          this.report('retry-without-backoff', backoff.node, fixed.zero ? 'libraryNoDelay' : 'libraryFixedDelay', { api, default: fixed.zero ? `\`${text}\` waits 0 ms` : `\`${text}\` is a fixed delay`, remedy: 'Use `new ExponentialBackoff()`' }, fix ? [fix] : []);
        }
      }
    }
    const max = readOption(this.model, opts, 'maxAttempts');
    if (max.kind === 'absent' && obj) {
      this.report('unbounded-retry', call, 'libraryNoLimit', { api, default: 'without `maxAttempts` it retries `Infinity` times', remedy: 'Set `maxAttempts`' }, [{ title: 'Set `maxAttempts: 3`', applicability: 'unsafe', edits: [addProperty(obj, 'maxAttempts: 3')] }]);
    } else if (max.kind === 'set' && numericValue(this.model, max.node) === Infinity) {
      this.report('unbounded-retry', max.prop, 'libraryNoLimit', { api, default: 'with `maxAttempts: Infinity` it retries', remedy: 'Set a finite `maxAttempts`' }, [{ title: 'Set `maxAttempts: 3`', applicability: 'unsafe', edits: [replaceNode(max.node, '3')] }]);
    }
  }

  private axiosRetry(call: CallLike): void {
    const opts = call.getArguments()[1];
    const obj = literalObject(this.model, opts);
    const retries = readOption(this.model, opts, 'retries');
    const count = retries.kind === 'set' ? numericValue(this.model, retries.node) : undefined;
    if (count === 0) return;
    const calleeText = call.getSourceFile() === this.sf && Node.isCallExpression(call) ? call.getExpression().getText() : undefined;
    const exponential = calleeText && /^[\w$]+$/.test(calleeText) ? `${calleeText}.exponentialDelay` : undefined;
    const api = 'axios-retry';
    if (count === Infinity && retries.kind === 'set') {
      this.report('unbounded-retry', retries.prop, 'libraryNoLimit', { api, default: 'with `retries: Infinity` it retries a failing request', remedy: 'Set a finite `retries`' }, [{ title: 'Set `retries: 3`', applicability: 'unsafe', edits: [replaceNode(retries.node, '3')] }]);
    }
    const delay = readOption(this.model, opts, 'retryDelay');
    const remedy = 'Set `retryDelay: axiosRetry.exponentialDelay`';
    if (delay.kind === 'absent') {
      const title = `Set \`retryDelay: ${exponential}\``;
      const fixes: FixPlan[] = !exponential ? [] : obj ? [{ title, applicability: 'safe', edits: [addProperty(obj, `retryDelay: ${exponential}`)] }] : opts === undefined ? [{ title, applicability: 'safe', edits: [setArgument(call, 1, `{ retryDelay: ${exponential} }`)] }] : [];
      this.report('retry-without-backoff', call, 'libraryNoDelay', { api, default: 'without `retryDelay` it waits 0 ms between retries (unless the server sends `Retry-After`)', remedy }, fixes);
      return;
    }
    if (delay.kind !== 'set') return;
    const origin = this.model.origin(delay.node);
    if (origin.kind !== 'function') return;
    // A delay function: how its result changes with the retry count (its first parameter).
    const growth = this.functionGrowth(origin.node);
    if (!growth || (growth.dir !== 'const' && !growth.zero)) return;
    const fixes: FixPlan[] = exponential && delay.node.getSourceFile() === this.sf ? [{ title: `Use \`retryDelay: ${exponential}\``, applicability: 'safe', edits: [replaceNode(delay.node, exponential)] }] : [];
    if (growth.zero) this.report('retry-without-backoff', delay.prop, 'libraryNoDelay', { api, default: 'this `retryDelay` returns 0', remedy }, fixes);
    else this.report('retry-without-backoff', delay.prop, 'libraryFixedDelay', { api, default: 'this `retryDelay` returns the same delay for every retry', remedy }, fixes);
  }

  /** How a delay function's result changes as its first parameter (the retry count) grows. */
  private functionGrowth(fn: Node): Growth | undefined {
    const params = (fn as unknown as { getParameters?(): Node[] }).getParameters?.() ?? [];
    const returns = helperFacts(this.model, fn).returns;
    if (returns.length === 0) return undefined;
    const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.() ?? fn;
    const env = newEnv(this.model, body, true);
    params.forEach((p, i) => env.bindings.set(p, i === 0 ? { dir: 'up', jitter: false, capped: false, zero: false } : { dir: 'unknown', jitter: false, capped: false, zero: false }));
    return returns.map((r) => growthOf(r, env)).reduce(join);
  }

  /** p-retry and async-retry: both hand their options to the `retry` package. */
  private retryPackage(call: CallLike, module: 'p-retry' | 'async-retry'): void {
    const opts = call.getArguments()[1];
    const obj = literalObject(this.model, opts);
    if (!obj) return;
    const api = module;
    const retries = readOption(this.model, opts, 'retries');
    const count = retries.kind === 'set' ? numericValue(this.model, retries.node) : undefined;
    if (count === 0) return;
    const maxRetryTime = readOption(this.model, opts, 'maxRetryTime');
    const forever = readOption(this.model, opts, 'forever');
    if (count === Infinity && retries.kind === 'set') {
      const add = maxRetryTime.kind === 'absent' ? ', maxRetryTime: 60_000' : '';
      this.report('unbounded-retry', retries.prop, 'retriesInfinity', { api }, [{ title: `Use \`forever: true\`${add ? ' with `maxRetryTime: 60_000`' : ''}`, applicability: 'unsafe', edits: [replaceNode(retries.prop, `forever: true${add}`)] }]);
    } else if (forever.kind === 'set' && forever.node.getKind() === SyntaxKind.TrueKeyword && maxRetryTime.kind === 'absent') {
      this.report('unbounded-retry', forever.prop, 'libraryNoLimit', { api, default: 'with `forever: true` and no `maxRetryTime` it retries', remedy: 'Set `maxRetryTime` (milliseconds)' }, [{ title: 'Set `maxRetryTime: 60_000`', applicability: 'unsafe', edits: [addProperty(obj, 'maxRetryTime: 60_000')] }]);
    }
    const factor = readOption(this.model, opts, 'factor');
    const factorValue = factor.kind === 'set' ? numericValue(this.model, factor.node) : undefined;
    if (factor.kind === 'set' && factorValue !== undefined && factorValue <= 1) {
      this.report('retry-without-backoff', factor.prop, 'libraryFixedDelay', { api, default: `\`factor: ${factor.node.getText()}\` makes every delay ${factorValue === 1 ? 'equal to' : 'at most'} \`minTimeout\``, remedy: 'Use `factor: 2` (the default)' }, [{ title: 'Use `factor: 2`', applicability: 'safe', edits: [replaceNode(factor.node, '2')] }]);
      return;
    }
    const min = readOption(this.model, opts, 'minTimeout');
    const max = readOption(this.model, opts, 'maxTimeout');
    if (min.kind === 'set' && max.kind === 'set') {
      const a = numericValue(this.model, min.node);
      const b = numericValue(this.model, max.node);
      const same = a !== undefined ? a === b : min.node.getText() === max.node.getText();
      if (same) {
        const raised = a !== undefined ? formatMs(Math.max(30_000, a * 32)) : `${min.node.getText()} * 32`;
        this.report('retry-without-backoff', max.prop, 'libraryFixedDelay', { api, default: '`maxTimeout` equals `minTimeout`', remedy: 'Raise `maxTimeout` so the delays can grow' }, [{ title: `Set \`maxTimeout: ${raised}\``, applicability: 'safe', edits: [replaceNode(max.node, raised)] }]);
      }
    }
  }

  // ---- BullMQ and Bull: job options ----

  private queueConstruction(expr: CallLike, lib: 'bullmq' | 'bull'): void {
    const defaults = this.queueDefaults(expr, lib);
    if (defaults) this.jobOptions(defaults, undefined, lib, true);
  }

  /** The `defaultJobOptions` object of a queue construction, or undefined. */
  private queueDefaults(expr: CallLike, lib: 'bullmq' | 'bull'): Node | undefined {
    const args = expr.getArguments();
    const opts = lib === 'bullmq' ? args[1] : [...args].reverse().find((a) => literalObject(this.model, a));
    const defaults = readOption(this.model, opts, 'defaultJobOptions');
    return defaults.kind === 'set' ? literalObject(this.model, defaults.node) : undefined;
  }

  /** The queue (or flow producer) a call goes through, when we can see it made. */
  private queueOf(call: Node): { kind: 'queue' | 'flow'; lib: 'bullmq' | 'bull'; defaults: Node | undefined | null } | undefined {
    if (!Node.isCallExpression(call)) return undefined;
    const callee = this.model.origin(call.getExpression());
    if (callee.kind !== 'member') return undefined;
    const base = callee.object;
    const made = base.kind === 'new' ? base.ctor : base.kind === 'call' ? base.callee : undefined;
    const node = base.kind === 'new' || base.kind === 'call' ? base.node : undefined;
    if (!made || !node) return undefined;
    if (base.kind === 'new' && is(made, 'bullmq', ['Queue'])) return { kind: 'queue', lib: 'bullmq', defaults: this.queueDefaults(node, 'bullmq') };
    if (base.kind === 'new' && is(made, 'bullmq', ['FlowProducer'])) return { kind: 'flow', lib: 'bullmq', defaults: null };
    if (is(made, 'bull', [])) return { kind: 'queue', lib: 'bull', defaults: this.queueDefaults(node, 'bull') };
    return undefined;
  }

  private queueCall(call: Node, method: 'add' | 'addBulk'): void {
    const queue = this.queueOf(call);
    if (!queue || !Node.isCallExpression(call)) return;
    const args = call.getArguments();
    if (queue.kind === 'flow') {
      const flows = method === 'add' ? [args[0]] : this.arrayElements(args[0]);
      for (const f of flows) this.flowJob(f, queue.lib, 0);
      return;
    }
    if (method === 'add') {
      const first = args[0];
      const stringish = first && (Node.isStringLiteral(first) || Node.isNoSubstitutionTemplateLiteral(first) || Node.isTemplateExpression(first) || this.model.origin(first).kind === 'literal');
      const opts = queue.lib === 'bullmq' || stringish ? args[2] : args[1];
      const obj = literalObject(this.model, opts);
      if (obj) this.jobOptions(obj, queue.defaults, queue.lib, false);
      return;
    }
    for (const el of this.arrayElements(args[0])) {
      const opts = readOption(this.model, el, 'opts');
      const obj = opts.kind === 'set' ? literalObject(this.model, opts.node) : undefined;
      if (obj) this.jobOptions(obj, queue.defaults, queue.lib, false);
    }
  }

  private arrayElements(node: Node | undefined): Node[] {
    if (!node) return [];
    let arr: Node | undefined = node;
    if (Node.isIdentifier(arr)) {
      const decl = this.model.resolveIdentifier(arr);
      arr = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    }
    return arr && Node.isArrayLiteralExpression(arr) ? arr.getElements() : [];
  }

  private flowJob(job: Node | undefined, lib: 'bullmq' | 'bull', depth: number): void {
    const obj = literalObject(this.model, job);
    if (!obj || depth > 8) return;
    const opts = readOption(this.model, obj, 'opts');
    const optsObj = opts.kind === 'set' ? literalObject(this.model, opts.node) : undefined;
    if (optsObj) this.jobOptions(optsObj, null, lib, false);
    const children = readOption(this.model, obj, 'children');
    if (children.kind === 'set') for (const c of this.arrayElements(children.node)) this.flowJob(c, lib, depth + 1);
  }

  /**
   * One set of job options, with the queue's defaults (undefined: the queue
   * has none; null: we cannot see them). Attempts and backoff not set here
   * come from the defaults, which are judged where they are written.
   */
  private jobOptions(obj: Node, defaults: Node | undefined | null, lib: 'bullmq' | 'bull', isDefaults: boolean): void {
    const api = lib === 'bullmq' ? 'BullMQ' : 'Bull';
    const attempts = readOption(this.model, obj, 'attempts');
    const backoff = readOption(this.model, obj, 'backoff');
    const inherited = (key: string) => (defaults ? readOption(this.model, defaults, key) : undefined);
    let count: number | undefined;
    if (attempts.kind === 'set') count = numericValue(this.model, attempts.node) ?? 2;
    else if (attempts.kind === 'absent') {
      const d = inherited('attempts');
      count = d?.kind === 'set' ? (numericValue(this.model, d.node) ?? 2) : 1;
    } else return;
    if (count <= 1) return;
    if (count === Infinity && attempts.kind === 'set' && lib === 'bullmq') {
      this.report('unbounded-retry', attempts.prop, 'libraryNoLimit', { api, default: 'with `attempts: Infinity` it runs a failing job again', remedy: 'Set a finite `attempts`' }, [{ title: 'Set `attempts: 10`', applicability: 'unsafe', edits: [replaceNode(attempts.node, '10')] }]);
    }
    if (backoff.kind === 'absent') {
      // Not set here: the defaults' own backoff applies, and the defaults answer for their own attempts.
      if (attempts.kind !== 'set') return;
      const d = isDefaults ? undefined : inherited('backoff');
      if (d && d.kind !== 'absent') return;
      const where = isDefaults ? 'in `defaultJobOptions` ' : '';
      this.report('retry-without-backoff', attempts.prop, 'libraryNoDelay', { api, default: `\`attempts: ${attempts.node.getText()}\` ${where}without \`backoff\` puts a failed job straight back in the queue`, remedy: `Set \`${BULLMQ_BACKOFF}\`` }, [{ title: `Add \`${BULLMQ_BACKOFF}\``, applicability: 'safe', edits: [addProperty(obj, BULLMQ_BACKOFF)] }]);
      return;
    }
    if (backoff.kind !== 'set') return;
    const value = backoff.node;
    const n = numericValue(this.model, value);
    if (n !== undefined || Node.isNumericLiteral(value)) {
      const fix: FixPlan = { title: 'Use an exponential backoff', applicability: 'safe', edits: [replaceNode(value, `{ type: 'exponential', delay: ${value.getText()} }`)] };
      this.report('retry-without-backoff', backoff.prop, n === 0 ? 'libraryNoDelay' : 'libraryFixedDelay', { api, default: n === 0 ? `\`backoff: ${value.getText()}\` is no delay` : `\`backoff: ${value.getText()}\` is a fixed delay`, remedy: `Use \`backoff: { type: 'exponential', delay: ${value.getText()} }\`` }, [fix]);
      return;
    }
    const type = readOption(this.model, value, 'type');
    if (type.kind === 'set' && (Node.isStringLiteral(type.node) || Node.isNoSubstitutionTemplateLiteral(type.node)) && type.node.getLiteralText() === 'fixed') {
      const q = type.node.getText()[0];
      this.report('retry-without-backoff', type.prop, 'libraryFixedDelay', { api, default: "its backoff has `type: 'fixed'`", remedy: "Use `type: 'exponential'`" }, [{ title: "Use `type: 'exponential'`", applicability: 'safe', edits: [replaceNode(type.node, `${q}exponential${q}`)] }]);
    }
  }

  /** A fix that also imports names from a library (the edits are built with the local names). */
  private withImports(title: string, applicability: FixPlan['applicability'], module: string, names: string[], build: (local: Map<string, string>) => FixPlan['edits'], file: SourceFile = this.sf): FixPlan | undefined {
    const plan = ensureNamedImports(this.model, file, module, names);
    if (!plan) return undefined;
    return { title, applicability, edits: [...build(plan.names), ...plan.edits] };
  }
}

/** Findings about retry libraries' configuration in one file. */
export function libraryFindings(model: ProgramModel, sf: SourceFile): RetryFinding[] {
  const check = new LibraryCheck(model, sf);
  check.run();
  return check.findings;
}
