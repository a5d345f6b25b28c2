import * as fs from 'node:fs';
import * as path from 'node:path';
import { Node, SyntaxKind, ts, type SourceFile } from 'ts-morph';
import { addProperty, indentOf, insertAt, replaceNode, setArgument } from '../edits.ts';
import { literalObject, readOption } from '../options.ts';
import { wrap, type ProgramModel } from '../program.ts';
import type { TextEdit } from '../../types.ts';
import type { HandlerSite } from './consumers.ts';
import { stringValue } from './effects.ts';
import { functionName } from './receivers.ts';
import type { EffectHit } from './flow.ts';

/**
 * The fixes of non-idempotent-handler, as plain text edits:
 *
 * - wrap the part of a handler that has effects in `runOnce(key, async () => {…})`,
 *   keyed by the message id, importing `runOnce` from the project's
 *   idempotency helper module; when the project has none, one more edit
 *   creates it (an edit on a file that does not exist yet, with
 *   `start === end === 0` and the whole text);
 * - make one effect safe where it stands: `ON CONFLICT DO NOTHING`, a Stripe
 *   `idempotencyKey` taken from the message, a key from the message instead
 *   of a fresh `randomUUID()`, a conflict clause on a query builder insert.
 */

/** The name of the helper module the fix creates when the project has none. */
export const HELPER_BASENAME = 'idempotency.ts';

/** The helper module: a store interface, an in-memory and a Redis store, and `runOnce`. */
export const HELPER_SOURCE = `/**
 * Runs message handlers at most once per message id. Created by Faultline's
 * non-idempotent-handler fix; this file is yours to read and change.
 *
 * \`runOnce(key, work)\` claims \`key\` before \`work\` runs:
 * - the first delivery runs \`work\` and marks the key done (for \`ttlSeconds\`,
 *   7 days by default), remembering what \`work\` returned;
 * - a later delivery of a key that is done is skipped and gets that result;
 * - a delivery while another copy of the message still runs throws
 *   \`DuplicateInFlightError\`, so the queue delivers it again later instead
 *   of losing it;
 * - when \`work\` throws, the claim is released so that a retry can run.
 * A process that dies in the middle keeps its claim until \`leaseSeconds\`
 * (15 minutes by default) pass; make that longer than a handler can run.
 *
 * The default store keeps keys in memory, which dedupes within one process
 * only. When more than one process consumes the queue, call
 * \`useProcessedStore(new RedisProcessedStore(redis))\` at start-up.
 */
import { createHash } from 'node:crypto';

export type ClaimResult = { state: 'claimed' } | { state: 'running' } | { state: 'done'; result: unknown };

/** Where processed message keys are kept. */
export interface ProcessedStore {
  /** Claims \`key\` for \`leaseSeconds\` unless another delivery holds it or finished it. */
  claim(key: string, leaseSeconds: number): Promise<ClaimResult>;
  /** Marks a claimed key done for \`ttlSeconds\`, with the handler's result. */
  complete(key: string, ttlSeconds: number, result: unknown): Promise<void>;
  /** Gives a claim up after a failure, so that a retry can run. */
  release(key: string): Promise<void>;
}

/** Keys in this process's memory: enough for one consumer process, and for tests. */
export class InMemoryProcessedStore implements ProcessedStore {
  private readonly entries = new Map<string, { claim: ClaimResult; expiresAt: number }>();

  async claim(key: string, leaseSeconds: number): Promise<ClaimResult> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) return entry.claim;
    this.entries.set(key, { claim: { state: 'running' }, expiresAt: now + leaseSeconds * 1000 });
    return { state: 'claimed' };
  }

  async complete(key: string, ttlSeconds: number, result: unknown): Promise<void> {
    this.entries.set(key, { claim: { state: 'done', result }, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  async release(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/** The commands the Redis store uses; an ioredis client has them. */
export interface RedisLike {
  set(key: string, value: string, secondsToken: 'EX', seconds: number, nx: 'NX'): Promise<'OK' | null>;
  set(key: string, value: string, secondsToken: 'EX', seconds: number): Promise<'OK'>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
}

/** Keys in Redis (\`SET key value EX lease NX\`): shared by every consumer process. */
export class RedisProcessedStore implements ProcessedStore {
  constructor(
    private readonly redis: RedisLike,
    private readonly prefix = 'processed:',
  ) {}

  async claim(key: string, leaseSeconds: number): Promise<ClaimResult> {
    const claimed = await this.redis.set(this.prefix + key, JSON.stringify({ state: 'running' }), 'EX', leaseSeconds, 'NX');
    if (claimed === 'OK') return { state: 'claimed' };
    const stored = await this.redis.get(this.prefix + key);
    const parsed = stored === null ? undefined : (JSON.parse(stored) as { state?: string; result?: unknown });
    return parsed?.state === 'done' ? { state: 'done', result: parsed.result } : { state: 'running' };
  }

  async complete(key: string, ttlSeconds: number, result: unknown): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify({ state: 'done', result: result ?? null }), 'EX', ttlSeconds);
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}

/** Another delivery of the same message is still running: let the queue deliver this one again later. */
export class DuplicateInFlightError extends Error {
  constructor(readonly key: string) {
    super(\`message \${key} is being handled by another delivery; retry later\`);
    this.name = 'DuplicateInFlightError';
  }
}

let store: ProcessedStore = new InMemoryProcessedStore();

/** Sets the store \`runOnce\` uses (call once at start-up). */
export function useProcessedStore(next: ProcessedStore): void {
  store = next;
}

export interface RunOnceOptions {
  /** How long a claim outlives a process that died while handling the message. */
  leaseSeconds?: number;
  /** How long a handled key is remembered; longer than the queue can redeliver. */
  ttlSeconds?: number;
}

/** Runs \`work\` once per \`key\`; a repeat gets the first run's result without running it. */
export async function runOnce<T>(key: string, work: () => Promise<T>, options: RunOnceOptions = {}): Promise<T> {
  const claim = await store.claim(key, options.leaseSeconds ?? 15 * 60);
  if (claim.state === 'done') return claim.result as T;
  if (claim.state === 'running') throw new DuplicateInFlightError(key);
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await store.release(key);
    throw err;
  }
  await store.complete(key, options.ttlSeconds ?? 7 * 24 * 60 * 60, result);
  return result;
}

/** A key for a message that carries no id of its own: the hash of its content. */
export function contentKey(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}
`;

export interface FixPlan {
  title: string;
  edits: TextEdit[];
}

// ---- the helper module ----

/** Files of ours that export `runOnce` (cached per file; only files that mention it are parsed further). */
export function findHelper(model: ProgramModel, near: SourceFile): SourceFile | undefined {
  let best: SourceFile | undefined;
  let bestShared = -1;
  for (const sf of helperModules(model)) {
    const shared = commonPrefix(sf.getFilePath(), near.getFilePath());
    if (shared > bestShared) {
      best = sf;
      bestShared = shared;
    }
  }
  return best;
}

/** The files that export `runOnce`, found once per analysis (every unsafe handler's fix looks for one). */
function helperModules(model: ProgramModel): SourceFile[] {
  return model.perRun('non-idempotent-handler:helperModules', () =>
    model.sourceFiles().filter((sf) =>
      model.cache.memo(sf, 'non-idempotent-handler:exportsRunOnce', () => sf.getFullText().includes('runOnce') && model.exportedDeclaration(sf, 'runOnce') !== undefined),
    ),
  );
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Where the fix creates the helper: `src/idempotency.ts` of the package the handler belongs to, or beside its package.json. */
export function helperPathFor(sf: SourceFile): string {
  const dir: string = sf.getDirectoryPath();
  let root = dir;
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) {
      root = d;
      break;
    }
    if (path.dirname(d) === d) break;
  }
  const src = path.join(root, 'src');
  const under = (dir + path.sep).startsWith(src + path.sep);
  return path.join(under ? src : root, HELPER_BASENAME);
}

/** The specifier `from` uses to import `target`, following the file's own style for relative imports (`.js` or none). */
function specifierFor(from: SourceFile, target: string): string {
  let rel = path.relative(from.getDirectoryPath(), target).split(path.sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const relativeImports = from.getImportDeclarations().map((d) => d.getModuleSpecifierValue()).filter((s) => s.startsWith('.'));
  const extensionless = relativeImports.length > 0 && relativeImports.every((s) => !/\.[cm]?[jt]sx?$/.test(s));
  const stem = rel.replace(/\.[cm]?tsx?$/, '');
  return extensionless ? stem : `${stem}.js`;
}

/** The edits that make `names` importable in `sf` from the helper (creating the helper when the project has none). */
function helperEdits(model: ProgramModel, sf: SourceFile, names: string[]): TextEdit[] | undefined {
  const existing = findHelper(model, sf);
  const target: string = existing?.getFilePath() ?? helperPathFor(sf);
  if (target === sf.getFilePath()) return [];
  const edits: TextEdit[] = [];
  if (!existing && !fs.existsSync(target)) edits.push({ file: target, start: 0, end: 0, newText: HELPER_SOURCE });
  const spec = specifierFor(sf, target);
  const imported = new Set<string>();
  for (const decl of sf.getImportDeclarations()) {
    // The path alone: parsing every module the file imports to compare it with the helper's would cost a parse each.
    const resolved = model.resolveModulePath(sf, decl.getModuleSpecifierValue());
    if (resolved !== target && decl.getModuleSpecifierValue() !== spec) continue;
    for (const n of decl.getNamedImports()) imported.add(n.getName());
  }
  const missing = names.filter((n) => !imported.has(n));
  if (missing.length === 0) return edits;
  // A local declaration of the same name would clash with the import.
  if (missing.some((n) => sf.getFunction(n) || sf.getVariableDeclaration(n) || sf.getClass(n) || model.imports(sf).has(n))) return undefined;
  const line = `import { ${missing.join(', ')} } from '${spec}';`;
  const imports = sf.getImportDeclarations();
  const last = imports[imports.length - 1];
  edits.push(last ? insertAt(last, last.getEnd(), `\n${line}`) : { file: sf.getFilePath(), start: 0, end: 0, newText: `${line}\n` });
  return edits;
}

// ---- the message key ----

interface KeyedRegion {
  /** The block whose statements are wrapped, or an arrow's expression body. */
  body: Node;
  /** The function the key's names are in scope of (for `async`). */
  fn: Node;
  /** The text of the key between backticks, for example `${job.queueName}:${job.id}`. */
  key: string;
  names: string[];
  /** Edits needed for the key's names to be in scope (kafkajs: destructure `topic, partition`). */
  keyEdits: TextEdit[];
  /** Whether the body is a loop's (a `continue` there becomes `return`). */
  loopBody: boolean;
  /** The message variable (amqplib: it may be null). */
  messageName?: string;
}

function paramName(fn: Node, index = 0): string | undefined {
  const params = (fn as unknown as { getParameters?(): Node[] }).getParameters?.() ?? [];
  const p = params[index];
  if (!p || !Node.isParameterDeclaration(p)) return undefined;
  const n = p.getNameNode();
  return Node.isIdentifier(n) ? n.getText() : undefined;
}

/** Whether code refers to a variable `name` (property names and keys do not count). */
function referencesName(code: Node, name: string): boolean {
  return code.getDescendantsOfKind(SyntaxKind.Identifier).some((id) => {
    if (id.getText() !== name) return false;
    const parent = id.getParent();
    if (parent && (Node.isPropertyAssignment(parent) || Node.isPropertyAccessExpression(parent) || Node.isMethodDeclaration(parent) || Node.isPropertySignature(parent)) && parent.getNameNode() === id) return false;
    return true;
  });
}

function loopOver(fn: Node, pattern: RegExp): { loop: Node; name: string; iterable: string } | undefined {
  const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.();
  if (!body) return undefined;
  for (const loop of body.getDescendantsOfKind(SyntaxKind.ForOfStatement)) {
    if (loop.getFirstAncestor((a) => a === fn || Node.isArrowFunction(a) || Node.isFunctionExpression(a)) !== fn && loop.getFirstAncestor((a) => Node.isArrowFunction(a) || Node.isFunctionExpression(a) || Node.isFunctionDeclaration(a) || Node.isMethodDeclaration(a)) !== fn) continue;
    const iterable = loop.getExpression().getText();
    if (!pattern.test(iterable)) continue;
    const init = loop.getInitializer();
    const decl = Node.isVariableDeclarationList(init) ? init.getDeclarations()[0] : undefined;
    if (!decl || !Node.isIdentifier(decl.getNameNode())) continue;
    if (!Node.isBlock(loop.getStatement())) continue;
    return { loop, name: decl.getName(), iterable };
  }
  return undefined;
}

const GENERIC_NAMES = new Set(['handler', 'handle', 'process', 'onMessage', 'eachMessage', 'eachBatch', 'handleMessage', 'handleMessageBatch', 'consume', 'listener']);

/**
 * A name for the handler to put in front of keys that are not unique across
 * consumers: two Kafka consumer groups read the same offsets, two Pub/Sub
 * subscriptions and two queues bound to one exchange see the same message
 * id, and one store must not let one handler skip the other's work.
 */
function handlerLabel(model: ProgramModel, site: HandlerSite): string {
  const clean = (s: string): string => s.replace(/[`$\\{}\s]/g, '');
  const own = functionName(site.root);
  if (own && !GENERIC_NAMES.has(own)) return clean(own);
  const reg = site.registration;
  if (Node.isCallExpression(reg) || Node.isNewExpression(reg)) {
    // The queue a registration names (`consume('orders', …)`), unless it is an event name (`subscription.on('message', …)`).
    const isListener = Node.isCallExpression(reg) && /\.on$/.test(reg.getExpression().getText());
    const first = isListener ? undefined : stringValue(model, reg.getArguments()[0]);
    if (first) return clean(first.text);
    // Else what the receiver was made with: `pubsub.subscription('alerts')`, `kafka.consumer({ groupId: 'billing' })`.
    const callee = reg.getExpression();
    if (Node.isPropertyAccessExpression(callee)) {
      const receiver = model.origin(callee.getExpression());
      if (receiver.kind === 'call' && Node.isCallExpression(receiver.node)) {
        const arg = receiver.node.getArguments()[0];
        const groupId = readOption(model, arg, 'groupId');
        const named = stringValue(model, arg) ?? (groupId.kind === 'set' ? stringValue(model, groupId.node) : undefined);
        if (named) return clean(named.text);
      }
    }
  }
  const enclosing = site.root.getFirstAncestor((a) => (Node.isFunctionDeclaration(a) || Node.isMethodDeclaration(a)) && a.getName() !== undefined);
  const name = enclosing ? functionName(enclosing) : undefined;
  return clean(name ?? path.basename(site.root.getSourceFile().getFilePath()).replace(/\.[^.]+$/, ''));
}

/** Finds the part of a handler that one message runs, and the key of that message. */
export function keyedRegion(model: ProgramModel, site: HandlerSite): KeyedRegion | undefined {
  const fn = site.root;
  const fnBody = (fn as unknown as { getBody?(): Node | undefined }).getBody?.();
  const simple = (key: (v: string) => string, messageName?: string): KeyedRegion | undefined => {
    const v = paramName(fn);
    if (!v || !fnBody) return undefined;
    return { body: fnBody, fn, key: key(v), names: ['runOnce'], keyEdits: [], loopBody: false, ...(messageName !== undefined ? { messageName: v } : {}) };
  };
  switch (site.shape) {
    case 'job':
      return simple((v) => `\${${v}.queueName}:\${${v}.id}`);
    case 'bullJob':
      return simple((v) => `\${${v}.queue.name}:\${${v}.id}`);
    case 'amqp': {
      const label = handlerLabel(model, site);
      const r = simple((v) => `${label}:\${${v}.properties.messageId ?? contentKey(${v}.content)}`, 'msg');
      return r ? { ...r, names: ['runOnce', 'contentKey'] } : undefined;
    }
    case 'sqsMessage': {
      if (site.messageVar && Node.isVariableDeclaration(site.messageVar)) {
        const enclosing = site.root.getFirstAncestor((a) => Node.isArrowFunction(a) || Node.isFunctionExpression(a) || Node.isFunctionDeclaration(a) || Node.isMethodDeclaration(a));
        if (!enclosing || !Node.isBlock(site.root)) return undefined;
        return { body: site.root, fn: enclosing, key: `sqs:\${${site.messageVar.getName()}.MessageId}`, names: ['runOnce'], keyEdits: [], loopBody: true };
      }
      return simple((v) => `sqs:\${${v}.MessageId}`);
    }
    case 'sqsRecord':
      return simple((v) => `sqs:\${${v}.messageId}`);
    case 'pubsub': {
      const label = handlerLabel(model, site);
      return simple((v) => `${label}:\${${v}.id}`);
    }
    case 'kafkaMessage': {
      const params = (fn as unknown as { getParameters?(): Node[] }).getParameters?.() ?? [];
      const p = params[0];
      if (!p || !Node.isParameterDeclaration(p) || !fnBody) return undefined;
      const n = p.getNameNode();
      const label = handlerLabel(model, site);
      if (Node.isIdentifier(n)) return { body: fnBody, fn, key: `${label}:\${${n.getText()}.topic}:\${${n.getText()}.partition}:\${${n.getText()}.message.offset}`, names: ['runOnce'], keyEdits: [], loopBody: false };
      if (!Node.isObjectBindingPattern(n)) return undefined;
      const bound = new Map<string, string>();
      for (const el of n.getElements()) {
        if (el.getDotDotDotToken()) return undefined;
        bound.set(el.getPropertyNameNode()?.getText() ?? el.getName(), el.getName());
      }
      const keyEdits: TextEdit[] = [];
      const add: string[] = [];
      for (const prop of ['topic', 'partition', 'message']) {
        if (bound.has(prop)) continue;
        // A name of the body that the destructuring would shadow.
        if (referencesName(fnBody, prop)) return undefined;
        bound.set(prop, prop);
        add.push(prop);
      }
      if (add.length > 0) {
        const open = n.getStart() + 1;
        keyEdits.push({ file: fn.getSourceFile().getFilePath(), start: open, end: open, newText: ` ${add.join(', ')},` });
      }
      return { body: fnBody, fn, key: `${label}:\${${bound.get('topic')}}:\${${bound.get('partition')}}:\${${bound.get('message')}.offset}`, names: ['runOnce'], keyEdits, loopBody: false };
    }
    case 'kafkaBatch': {
      const found = loopOver(fn, /\.messages$/);
      if (!found) return undefined;
      const batch = found.iterable.replace(/\.messages$/, '');
      return { body: (found.loop as Node & { getStatement(): Node }).getStatement(), fn, key: `${handlerLabel(model, site)}:\${${batch}.topic}:\${${batch}.partition}:\${${found.name}.offset}`, names: ['runOnce'], keyEdits: [], loopBody: true };
    }
    case 'sqsEvent': {
      const found = loopOver(fn, /\.Records$/);
      if (!found) return undefined;
      return { body: (found.loop as Node & { getStatement(): Node }).getStatement(), fn, key: `sqs:\${${found.name}.messageId}`, names: ['runOnce'], keyEdits: [], loopBody: true };
    }
    case 'sqsMessages': {
      const v = paramName(fn);
      const found = v ? loopOver(fn, new RegExp(`^${v}$`)) : undefined;
      if (!found) return undefined;
      return { body: (found.loop as Node & { getStatement(): Node }).getStatement(), fn, key: `sqs:\${${found.name}.MessageId}`, names: ['runOnce'], keyEdits: [], loopBody: true };
    }
    default:
      return undefined;
  }
}

// ---- wrapping the handler ----

const ACK_NAMES = new Set(['ack', 'ackAll', 'resolveOffset', 'heartbeat', 'commitOffsetsIfNecessary', 'deleteMessage', 'done']);

/** `channel.ack(msg)`, `resolveOffset(m.offset)`, `sqs.send(new DeleteMessageCommand(...))`, `return message`: what a duplicate must still do. */
function isAck(stmt: Node, messageNames: ReadonlySet<string>): boolean {
  if (Node.isReturnStatement(stmt)) {
    const e = stmt.getExpression();
    return e !== undefined && Node.isIdentifier(e) && messageNames.has(e.getText());
  }
  if (!Node.isExpressionStatement(stmt)) return false;
  let e = stmt.getExpression();
  while (Node.isAwaitExpression(e) || Node.isVoidExpression(e)) e = e.getExpression();
  if (!Node.isCallExpression(e)) return false;
  const callee = e.getExpression();
  const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
  return ACK_NAMES.has(name) || /DeleteMessage(Batch)?Command/.test(e.getArguments().map((a) => a.getText()).join(','));
}

/**
 * Statements of `region` of the given kinds, not counting those inside nested
 * functions. Walked on the compiler's nodes (ts-morph's descendants wrap every
 * node and token on the way); only the matches are wrapped.
 */
function ownDescendants<T extends Node>(nodes: Node[], ...kinds: SyntaxKind[]): T[] {
  const out: T[] = [];
  for (const n of nodes) {
    const sf = n.getSourceFile();
    const visit = (c: ts.Node): void => {
      if (kinds.includes(c.kind)) out.push(wrap<T>(sf, c));
      if (c !== n.compilerNode && (ts.isArrowFunction(c) || ts.isFunctionExpression(c) || ts.isFunctionDeclaration(c) || ts.isMethodDeclaration(c))) return;
      ts.forEachChild(c, visit);
    };
    visit(n.compilerNode);
  }
  return out;
}

/** Nodes of the given kinds anywhere under `nodes` (nested functions included), found on the compiler's nodes. */
function descendantsOfKinds(nodes: Node[], ...kinds: SyntaxKind[]): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    const sf = n.getSourceFile();
    const visit = (c: ts.Node): void => {
      if (kinds.includes(c.kind)) out.push(wrap(sf, c));
      ts.forEachChild(c, visit);
    };
    ts.forEachChild(n.compilerNode, visit);
  }
  return out;
}

/**
 * Wraps the statements of a handler that lead to its unsafe effects in
 * `runOnce(key, async () => { … })`. Statements before the first effect
 * (validation, parsing) stay outside, and so do trailing acknowledgements
 * (`channel.ack(msg)`, `return message`), which a duplicate must still run.
 * Returns undefined when the shape is not one a mechanical edit keeps
 * correct (a `break` out of the wrapped loop, values returned before an
 * acknowledgement, a generator…).
 */
export function guardWrapFix(model: ProgramModel, site: HandlerSite, hits: EffectHit[]): FixPlan | undefined {
  const region = keyedRegion(model, site);
  if (!region) return undefined;
  const sf = region.body.getSourceFile();
  const text = sf.getFullText();
  const file = sf.getFilePath();
  const fn = region.fn;
  if ((fn as unknown as { isGenerator?(): boolean }).isGenerator?.()) return undefined;
  const inRegion = (n: Node): boolean => n.getSourceFile() === sf && n.getStart() >= region.body.getStart() && n.getEnd() <= region.body.getEnd();
  const roots = hits.map((h) => h.path[0] ?? h.effect.node);
  if (roots.length === 0 || !roots.every(inRegion)) return undefined;

  const edits: TextEdit[] = [...region.keyEdits];
  const isAsync = (fn as unknown as { isAsync?(): boolean }).isAsync?.() ?? false;
  const needsAsync = !isAsync;
  if (needsAsync) {
    // A loop body's function, or a function with a declared return type, would need more than `async`.
    if (region.loopBody || (fn as unknown as { getReturnTypeNode?(): Node | undefined }).getReturnTypeNode?.()) return undefined;
    const at = Node.isArrowFunction(fn) ? fn.getStart() : Node.isMethodDeclaration(fn) ? fn.getNameNode().getStart() : (fn.getFirstChildByKind(SyntaxKind.FunctionKeyword)?.getStart() ?? fn.getStart());
    edits.push({ file, start: at, end: at, newText: 'async ' });
  }

  const key = `\`${region.key}\``;
  // An arrow with an expression body: `(job) => handle(job)` → `(job) => runOnce(key, async () => handle(job))`.
  if (!Node.isBlock(region.body)) {
    edits.push(replaceNode(region.body, `runOnce(${key}, async () => ${region.body.getText()})`));
    return finish(model, sf, edits, region);
  }

  const statements = region.body.getStatements();
  const indexOf = (n: Node): number => statements.findIndex((s) => n.getStart() >= s.getStart() && n.getEnd() <= s.getEnd());
  const indices = roots.map(indexOf);
  if (indices.some((i) => i < 0)) return undefined;
  const first = Math.min(...indices);
  const lastEffect = Math.max(...indices);
  const messageNames = new Set<string>([region.messageName, paramName(fn)].filter((n): n is string => n !== undefined));
  let end = statements.length;
  while (end - 1 > lastEffect && isAck(statements[end - 1]!, messageNames)) end--;
  const wrapped = statements.slice(first, end);
  const trailing = statements.slice(end);

  const returns = ownDescendants<Node>(wrapped, SyntaxKind.ReturnStatement);
  const valueReturns = returns.filter((r) => Node.isReturnStatement(r) && r.getExpression() !== undefined);
  if (region.loopBody && returns.length > 0) return undefined;
  if (trailing.length > 0 && valueReturns.length > 0) return undefined;
  if (/\barguments\b|\byield\b/.test(wrapped.map((s) => s.getText()).join('\n'))) return undefined;
  // A `break` (or a labelled jump) would leave the callback, not the loop.
  const jumps = ownDescendants<Node>(wrapped, SyntaxKind.BreakStatement, SyntaxKind.ContinueStatement);
  const ownLoopJumps = jumps.filter((j) => !j.getFirstAncestor((a) => (Node.isIterationStatement(a) || Node.isSwitchStatement(a)) && inRegion(a) && a !== region.body.getParent()));
  if (ownLoopJumps.some((j) => Node.isBreakStatement(j) || (j as unknown as { getLabel?(): Node | undefined }).getLabel?.())) return undefined;
  // Names declared inside the wrapped part and used after it would go out of scope.
  const wrappedStart = wrapped[0]!.getStart();
  const wrappedEnd = wrapped[wrapped.length - 1]!.getEnd();
  for (const t of trailing) {
    for (const id of t.getDescendantsOfKind(SyntaxKind.Identifier)) {
      const decl = model.resolveIdentifier(id);
      if (decl && decl.getSourceFile() === sf && decl.getStart() >= wrappedStart && decl.getEnd() <= wrappedEnd) return undefined;
    }
  }

  const indent = indentOf(text, wrapped[0]!.getStart());
  const lineStart = text.lastIndexOf('\n', wrappedStart - 1) + 1;
  const parentIndent = indentOf(text, region.body.getStart());
  const unit = indent.length > parentIndent.length && indent.startsWith(parentIndent) ? indent.slice(parentIndent.length) : '  ';
  // Edits inside the wrapped text: indent every line (not inside template literals), `continue` → `return`.
  const inner: { start: number; end: number; text: string }[] = [];
  const templates = descendantsOfKinds(wrapped, SyntaxKind.TemplateExpression, SyntaxKind.NoSubstitutionTemplateLiteral);
  const insideTemplate = (pos: number): boolean => templates.some((t) => pos > t.getStart() && pos < t.getEnd());
  for (let pos = lineStart; pos < wrappedEnd; pos = text.indexOf('\n', pos) + 1) {
    if (pos <= 0) break;
    const nl = text.indexOf('\n', pos);
    const line = text.slice(pos, nl === -1 ? wrappedEnd : nl);
    if (line.trim() !== '' && !insideTemplate(pos)) inner.push({ start: pos, end: pos, text: unit });
    if (nl === -1) break;
  }
  if (region.loopBody) {
    for (const j of ownLoopJumps) {
      if (!Node.isContinueStatement(j)) continue;
      inner.push({ start: j.getStart(), end: j.getStart() + 'continue'.length, text: 'return' });
    }
  }
  let body = text.slice(lineStart, wrappedEnd);
  for (const e of inner.sort((a, b) => b.start - a.start)) body = body.slice(0, e.start - lineStart) + e.text + body.slice(e.end - lineStart);

  let prefix = '';
  if (site.shape === 'amqp' && region.messageName) {
    // The amqplib callback's message is null when the consumer is cancelled.
    const v = paramName(fn)!;
    const before = statements.slice(0, first).map((s) => s.getText()).join('\n');
    if (!new RegExp(`!\\s*${v}\\b|\\b${v}\\s*===?\\s*null|if\\s*\\(\\s*${v}\\s*\\)`).test(before)) prefix = `${indent}if (!${v}) return;\n`;
  }
  const verb = valueReturns.length > 0 ? 'return' : 'await';
  edits.push({ file, start: lineStart, end: wrappedEnd, newText: `${prefix}${indent}${verb} runOnce(${key}, async () => {\n${body}\n${indent}});` });
  return finish(model, sf, edits, region);
}

function finish(model: ProgramModel, sf: SourceFile, edits: TextEdit[], region: KeyedRegion): FixPlan | undefined {
  const imports = helperEdits(model, sf, region.names);
  if (!imports) return undefined;
  const creates = imports.some((e) => e.start === 0 && e.end === 0 && e.file !== sf.getFilePath());
  return {
    title: `Run the handler once per message id (\`runOnce\` keyed by \`${region.key}\`${creates ? `, creating ${path.basename(imports[0]!.file)}` : ''})`,
    edits: [...edits, ...imports],
  };
}

// ---- effect-level fixes ----

/** Appends `ON CONFLICT DO NOTHING` (before `RETURNING`), or writes `INSERT IGNORE` for MySQL. */
function sqlOnConflict(literal: Node, dialect: 'postgres' | 'mysql'): TextEdit | undefined {
  const sf = literal.getSourceFile();
  const start = literal.getStart();
  const raw = literal.getText();
  if (dialect === 'mysql') {
    const m = /\binsert\s+into\b/i.exec(raw);
    if (!m) return undefined;
    return { file: sf.getFilePath(), start: start + m.index, end: start + m.index + m[0].length, newText: 'INSERT IGNORE INTO' };
  }
  const returning = /\s+returning\b/i.exec(raw);
  let at: number;
  if (returning) at = returning.index;
  else {
    // Before the closing quote, trailing spaces and a semicolon.
    at = raw.length - 1;
    while (at > 0 && /[\s;]/.test(raw[at - 1]!)) at--;
  }
  return { file: sf.getFilePath(), start: start + at, end: start + at, newText: ' ON CONFLICT DO NOTHING' };
}

/**
 * Edits that make every effect safe where it stands, or undefined when one
 * of them has no such fix (or needs the message id where it is not in scope).
 */
export function effectFix(model: ProgramModel, site: HandlerSite, hits: EffectHit[]): FixPlan | undefined {
  const region = keyedRegion(model, site);
  const edits: TextEdit[] = [];
  const titles: string[] = [];
  for (const hit of hits) {
    const remedy = hit.effect.remedy;
    if (!remedy) return undefined;
    const inScope = region !== undefined && hit.path.length === 0 && hit.effect.node.getSourceFile() === region.body.getSourceFile() && hit.effect.node.getStart() >= region.body.getStart() && hit.effect.node.getEnd() <= region.body.getEnd();
    switch (remedy.kind) {
      case 'sqlOnConflict': {
        const e = sqlOnConflict(remedy.literal, remedy.dialect);
        if (!e) return undefined;
        edits.push(e);
        titles.push(remedy.dialect === 'mysql' ? '`INSERT IGNORE`' : '`ON CONFLICT DO NOTHING`');
        break;
      }
      case 'chainAfter':
        edits.push(insertAt(remedy.call, remedy.call.getEnd(), remedy.text));
        titles.push(`\`${remedy.text}\``);
        break;
      case 'idempotencyKeyOption': {
        if (!inScope || region!.names.includes('contentKey') || region!.keyEdits.length > 0) return undefined;
        const call = remedy.call;
        if (!Node.isCallExpression(call)) return undefined;
        const chain = call.getExpression().getText().split('.').slice(-2).join('.');
        const value = `\`${chain}:${region!.key}\``;
        const options = call.getArguments()[remedy.index];
        const obj = literalObject(model, options);
        if (options === undefined) edits.push(setArgument(call, remedy.index, `{ idempotencyKey: ${value} }`));
        else if (obj && obj === options) edits.push(addProperty(obj, `idempotencyKey: ${value}`));
        else if (Node.isIdentifier(options) && readOption(model, options, 'idempotencyKey').kind === 'absent') edits.push(replaceNode(options, `{ ...${options.getText()}, idempotencyKey: ${value} }`));
        else return undefined;
        titles.push(`\`idempotencyKey: ${value}\``);
        break;
      }
      case 'replaceFreshKey': {
        if (!inScope || region!.names.includes('contentKey') || region!.keyEdits.length > 0) return undefined;
        const value = `\`${region!.key}\``;
        edits.push(replaceNode(remedy.keyNode, value));
        titles.push(`the key \`${region!.key}\``);
        break;
      }
    }
  }
  if (edits.length === 0) return undefined;
  return { title: `Make the effect${hits.length > 1 ? 's' : ''} idempotent: ${titles.join(', ')}`, edits };
}
