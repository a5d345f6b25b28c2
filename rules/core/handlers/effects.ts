import { Node, SyntaxKind } from 'ts-morph';
import { readOption, literalObject } from '../options.ts';
import { propertyNameText, type Origin, type ProgramModel } from '../program.ts';
import { calleeChain, moduleOfOrigin, receiverOf, rootName } from './receivers.ts';

/**
 * What one call does, seen from a message handler: a side effect that is not
 * safe to repeat, a write that is, a read, or one of the shapes that make a
 * duplicate stop early (a marker insert, a conditional claim, a guard).
 * Everything is read from the call's text, its import specifiers and type
 * annotations; nothing runs the type checker.
 */

export type EffectCategory = 'insert' | 'relative' | 'http' | 'payment' | 'email' | 'sms' | 'publish';

/** How an effect can be made safe where it stands (an effect-level fix). */
export type EffectRemedy =
  /** Append `ON CONFLICT DO NOTHING` (Postgres, SQLite) or write `INSERT IGNORE` (MySQL) in a SQL literal. */
  | { kind: 'sqlOnConflict'; literal: Node; dialect: 'postgres' | 'mysql' }
  /** Pass `idempotencyKey` in the request options argument `index` of a Stripe-style call. */
  | { kind: 'idempotencyKeyOption'; call: Node; index: number }
  /** Replace a key made fresh on each attempt (`randomUUID()`) by one taken from the message. */
  | { kind: 'replaceFreshKey'; keyNode: Node }
  /** Chain `.onConflict().ignore()` after a Knex insert, `.onConflictDoNothing()` after a Drizzle `values(...)`. */
  | { kind: 'chainAfter'; call: Node; text: string };

export interface Effect {
  category: EffectCategory;
  /** The call (or `new` expression) that has the effect. */
  node: Node;
  /** What it does, as a verb phrase: "inserts into `payments` without a conflict clause". */
  does: string;
  /** What running it twice does. */
  consequence: string;
  remedy?: EffectRemedy;
}

export type CallClass =
  | { kind: 'effect'; effect: Effect }
  /** An insert of a message marker into a unique-keyed store: a duplicate fails here, before what follows. */
  | { kind: 'marker' }
  /** A conditional write (`SET key NX`, `INSERT … ON CONFLICT DO NOTHING`) whose result tells a first delivery from a repeat. */
  | { kind: 'claim' }
  /** A read; `marker` when it reads a processed-message store. */
  | { kind: 'read'; marker: boolean }
  /** A write that is safe to repeat (upsert, delete, `SET x = value`, PUT). */
  | { kind: 'write' }
  /** A call that runs its callback at most once per key (configured guards, the helper's `runOnce`, Powertools `makeIdempotent`). */
  | { kind: 'guard' };

/** Names of stores that remember processed messages. */
export const MARKER_RE = /processed|idempoten|dedup|inbox|handled|consumed|already|duplicate|seen_?(messages|events|jobs)/i;
/** Names of functions and methods that read. */
export const READ_RE = /^(find\w*|get\w*|count\w*|exists\w*|has\w*|is[A-Z]\w*|was[A-Z]\w*|select\w*|lookup\w*|load\w*|fetch\w*|read\w*|sismember|smismember|hexists|hget|hgetall|mget)$/;
/** Names of functions of ours that claim a key (a conditional write). */
export const CLAIM_RE = /^(claim|tryClaim|acquire|tryAcquire|lock|tryLock|markAsProcessing|reserve)\w*$/i;

const SQL_METHODS = new Set([
  'query', 'execute', 'exec', 'none', 'one', 'many', 'any', 'oneOrNone', 'manyOrNone', 'result', 'multi', 'raw', 'unsafe', 'run',
  '$executeRaw', '$executeRawUnsafe', '$queryRaw', '$queryRawUnsafe', 'executeQuery',
]);
const SQL_TAGS = new Set(['sql', 'SQL', '$executeRaw', '$queryRaw', 'raw']);
/** Redis commands that change a value relative to what it was; the names are Redis's own, so any receiver counts. */
const REDIS_RELATIVE = new Set(['incr', 'incrby', 'incrbyfloat', 'decr', 'decrby', 'hincrby', 'hincrbyfloat', 'zincrby', 'lpush', 'rpush', 'lpushx', 'rpushx', 'xadd']);
/** Relative commands whose names other APIs share (`FormData.append`): only on a receiver known to be Redis. */
const REDIS_RELATIVE_AMBIGUOUS = new Set(['append', 'linsert']);
const REDIS_READS = new Set(['get', 'exists', 'sismember', 'smismember', 'hexists', 'hget', 'getex']);
const PRISMA_INSERTS = new Set(['create', 'createMany', 'createManyAndReturn']);
const PRISMA_UPDATES = new Set(['update', 'updateMany', 'upsert', 'updateManyAndReturn']);
const PRISMA_READS = new Set(['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'count', 'aggregate']);
const PRISMA_RELATIVE_OPS = /\b(increment|decrement|multiply|divide|push)\s*:/;
const MONGO_UPDATES = new Set(['updateOne', 'updateMany', 'findOneAndUpdate', 'findByIdAndUpdate', 'findOneAndReplace', 'replaceOne', 'update']);
const MONGO_RELATIVE_OPS = /["']?\$(inc|push|mul|pushAll|currentDate)["']?\s*:/;
const CONFLICT_CHAIN = new Set(['onConflict', 'onDuplicateKeyUpdate', 'onConflictDoNothing', 'onConflictDoUpdate', 'ignore', 'merge', 'orIgnore', 'orUpdate', 'orReplace', 'onDuplicateUpdate']);
const STRIPE_METHODS = new Set(['create', 'confirm', 'capture', 'pay', 'createReversal', 'createUsageRecord']);
const SES_COMMANDS = new Set(['SendEmailCommand', 'SendRawEmailCommand', 'SendTemplatedEmailCommand', 'SendBulkTemplatedEmailCommand', 'SendBulkEmailCommand']);
const IDEMPOTENCY_HEADER = /^(x-)?idempotency[-_]?key$/i;
/** Calls whose result differs on every attempt. */
const FRESH_NAMES = new Set(['randomUUID', 'uuid', 'v4', 'v1', 'v7', 'uuidv4', 'uuidv7', 'nanoid', 'ulid', 'cuid', 'createId', 'randomBytes', 'now', 'random']);

function text(node: Node | undefined): string {
  return node ? node.getText() : '';
}

/** The literal text of a string-like node, or of the const it names. */
export function stringValue(model: ProgramModel, node: Node | undefined, depth = 0): { text: string; node: Node } | undefined {
  if (!node || depth > 4) return undefined;
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return { text: node.getLiteralText(), node };
  if (Node.isTemplateExpression(node)) return { text: node.getText().slice(1, -1), node };
  if (Node.isParenthesizedExpression(node) || Node.isAsExpression(node)) return stringValue(model, node.getExpression(), depth + 1);
  if (Node.isIdentifier(node) || Node.isPropertyAccessExpression(node)) {
    const origin = model.origin(node);
    if (origin.kind === 'literal') return stringValue(model, origin.node, depth + 1);
  }
  return undefined;
}

/** The SQL a query call sends: its first argument as text, `{ text }` / `{ sql }` objects, or a tagged template. */
function sqlOf(model: ProgramModel, arg: Node | undefined): { text: string; node: Node } | undefined {
  if (!arg) return undefined;
  const direct = stringValue(model, arg);
  if (direct) return direct;
  if (Node.isTaggedTemplateExpression(arg)) return { text: arg.getTemplate().getText().slice(1, -1), node: arg.getTemplate() };
  const obj = literalObject(model, arg);
  if (obj) {
    for (const key of ['text', 'sql']) {
      const v = readOption(model, obj, key);
      if (v.kind === 'set') return stringValue(model, v.node);
    }
  }
  return undefined;
}

/** A column set to itself plus or minus something: `stock = stock - 1`, `on_hand = product_stock.on_hand + EXCLUDED.on_hand`. */
const RELATIVE_SET = /([`"\w]+)\s*=\s*(?:[`"\w]+\.)?\1\s*(?:[-+*]|\|\|)/i;

function classifySql(sql: string, literal: Node): CallClass | undefined {
  const s = sql.replace(/--[^\n]*/g, ' ');
  const insert = /\binsert\s+(?:or\s+\w+\s+)?(?:ignore\s+)?into\s+([`"\w.]+)/i.exec(s);
  if (insert) {
    const table = insert[1]!.replace(/[`"]/g, '');
    const conflict = /\bon\s+conflict\b|\bon\s+duplicate\s+key\b|\binsert\s+ignore\b|\binsert\s+or\s+(ignore|replace)\b/i.test(s);
    const doNothing = /\bdo\s+nothing\b|\binsert\s+ignore\b|\binsert\s+or\s+ignore\b/i.test(s);
    if (MARKER_RE.test(table)) return conflict ? (doNothing ? { kind: 'claim' } : { kind: 'write' }) : { kind: 'marker' };
    if (!conflict) {
      const dialect = /\$\d/.test(s) ? 'postgres' : /\?/.test(s) ? 'mysql' : 'postgres';
      return {
        kind: 'effect',
        effect: {
          category: 'insert',
          node: literal,
          does: `inserts into \`${table}\` without a conflict clause`,
          consequence: 'a repeat inserts a second row',
          remedy: { kind: 'sqlOnConflict', literal, dialect },
        },
      };
    }
    const update = /\bdo\s+update\s+set\b([\s\S]*)|\bon\s+duplicate\s+key\s+update\b([\s\S]*)/i.exec(s);
    if (update && RELATIVE_SET.test(update[1] ?? update[2] ?? '')) {
      return { kind: 'effect', effect: { category: 'relative', node: literal, does: `upserts into \`${table}\` with a relative update`, consequence: 'a repeat adds the amount twice' } };
    }
    return { kind: 'write' };
  }
  const update = /\bupdate\s+([`"\w.]+)\s+set\b([\s\S]*)/i.exec(s);
  if (update) {
    const table = update[1]!.replace(/[`"]/g, '');
    if (RELATIVE_SET.test(update[2] ?? '')) {
      const col = RELATIVE_SET.exec(update[2] ?? '')![1]!.replace(/[`"]/g, '');
      return { kind: 'effect', effect: { category: 'relative', node: literal, does: `updates \`${table}\` relatively (\`${col} = ${col} ± …\`)`, consequence: 'a repeat applies the change twice' } };
    }
    return { kind: 'write' };
  }
  if (/^\s*(\(\s*)?(select|with|show|explain)\b/i.test(s)) {
    const tables = /\bfrom\s+([`"\w.]+)/i.exec(s)?.[1] ?? '';
    return { kind: 'read', marker: MARKER_RE.test(tables) };
  }
  if (/^\s*(delete|begin|commit|rollback|savepoint|release|set|lock|select)\b/i.test(s)) return { kind: 'write' };
  return undefined;
}

/** Whether a value differs on every attempt: `randomUUID()`, `uuid()`, `Date.now()`, or a template or const built from one. */
export function isFreshValue(model: ProgramModel, node: Node | undefined, depth = 0): boolean {
  if (!node || depth > 4) return false;
  if (Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isAwaitExpression(node)) return isFreshValue(model, node.getExpression(), depth + 1);
  if (Node.isCallExpression(node)) {
    const callee = node.getExpression();
    const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
    if (FRESH_NAMES.has(name)) {
      // `Date.now()` and `Math.random()` by name; the others only when they do not come from a file of ours.
      if (name === 'now') return callee.getText() === 'Date.now';
      if (name === 'random') return callee.getText() === 'Math.random';
      return model.origin(callee).kind !== 'function';
    }
    if (name === 'toString' || name === 'toISOString' || name === 'String') return isFreshValue(model, Node.isPropertyAccessExpression(callee) ? callee.getExpression() : node.getArguments()[0], depth + 1);
    return false;
  }
  if (Node.isNewExpression(node)) return node.getExpression().getText() === 'Date' && node.getArguments().length === 0;
  if (Node.isTemplateExpression(node)) return node.getTemplateSpans().some((s) => isFreshValue(model, s.getExpression(), depth + 1));
  if (Node.isBinaryExpression(node)) return isFreshValue(model, node.getLeft(), depth + 1) || isFreshValue(model, node.getRight(), depth + 1);
  if (Node.isIdentifier(node)) {
    const decl = model.resolveIdentifier(node);
    if (decl && Node.isVariableDeclaration(decl)) return isFreshValue(model, decl.getInitializer(), depth + 1);
  }
  return false;
}

type KeyState = { kind: 'absent' } | { kind: 'fresh'; node: Node } | { kind: 'ok' };

/** Whether a headers object carries an `Idempotency-Key`, and whether it is made fresh per attempt. */
function idempotencyHeader(model: ProgramModel, options: Node | undefined): KeyState {
  const headers = readOption(model, options, 'headers');
  if (headers.kind === 'absent') return { kind: 'absent' };
  if (headers.kind !== 'set') return { kind: 'ok' };
  const obj = literalObject(model, headers.node);
  if (!obj || !Node.isObjectLiteralExpression(obj)) return { kind: 'ok' };
  let spread = false;
  for (const p of obj.getProperties()) {
    if (Node.isSpreadAssignment(p)) spread = true;
    const name = propertyNameText(p);
    if (name && IDEMPOTENCY_HEADER.test(name)) {
      const value = Node.isPropertyAssignment(p) ? p.getInitializer() : Node.isShorthandPropertyAssignment(p) ? p.getNameNode() : undefined;
      return value && isFreshValue(model, value) ? { kind: 'fresh', node: value } : { kind: 'ok' };
    }
  }
  return spread ? { kind: 'ok' } : { kind: 'absent' };
}

/** Whether any object argument sets `idempotencyKey` (Stripe's request options), and how. */
function idempotencyKeyOption(model: ProgramModel, args: Node[], from: number): KeyState {
  let unknown = false;
  for (let i = from; i < args.length; i++) {
    const v = readOption(model, args[i], 'idempotencyKey');
    if (v.kind === 'set') return isFreshValue(model, v.node) ? { kind: 'fresh', node: v.node } : { kind: 'ok' };
    if (v.kind !== 'absent') unknown = true;
  }
  return unknown ? { kind: 'ok' } : { kind: 'absent' };
}

function isGlobal(origin: Origin, name: string): boolean {
  return origin.kind === 'global' && origin.name === name && origin.path.length === 0;
}

function httpMethod(model: ProgramModel, options: Node | undefined): string | undefined {
  const m = readOption(model, options, 'method');
  if (m.kind === 'absent') return 'GET';
  if (m.kind !== 'set') return undefined;
  return stringValue(model, m.node)?.text.toUpperCase();
}

function httpEffect(model: ProgramModel, call: Node, api: string, method: string, options: Node | undefined): CallClass | undefined {
  if (method !== 'POST' && method !== 'PATCH') return method === 'PUT' || method === 'DELETE' ? { kind: 'write' } : { kind: 'read', marker: false };
  const key = idempotencyHeader(model, options);
  if (key.kind === 'ok') return { kind: 'write' };
  if (key.kind === 'fresh') {
    return {
      kind: 'effect',
      effect: { category: 'http', node: call, does: `sends ${api} ${method} with an \`Idempotency-Key\` made fresh on each attempt`, consequence: 'the server sees a new key on a repeat and performs the request again', remedy: { kind: 'replaceFreshKey', keyNode: key.node } },
    };
  }
  return { kind: 'effect', effect: { category: 'http', node: call, does: `sends ${api} ${method} without an \`Idempotency-Key\` header`, consequence: 'a repeat performs the request again' } };
}

function publishEffect(call: Node, what: string): CallClass {
  return { kind: 'effect', effect: { category: 'publish', node: call, does: what, consequence: 'a repeat publishes the message again, and every consumer downstream handles it twice' } };
}

/** The name of a command class from an AWS SDK v3 client module, if `ctor` is one. */
function awsCommand(model: ProgramModel, ctor: Node): { module: string; name: string } | undefined {
  const o = model.origin(ctor);
  if (o.kind !== 'module' || o.path.length !== 1 || !o.module.startsWith('@aws-sdk/client-')) return undefined;
  return { module: o.module, name: o.path[0]! };
}

function classifyNew(model: ProgramModel, expr: Node): CallClass | undefined {
  if (!Node.isNewExpression(expr)) return undefined;
  const cmd = awsCommand(model, expr.getExpression());
  if (!cmd) return undefined;
  const input = expr.getArguments()[0];
  const dedup = (): boolean => readOption(model, input, 'MessageDeduplicationId').kind === 'set' || /MessageDeduplicationId/.test(text(input));
  if ((cmd.module === '@aws-sdk/client-ses' || cmd.module === '@aws-sdk/client-sesv2') && SES_COMMANDS.has(cmd.name)) {
    return { kind: 'effect', effect: { category: 'email', node: expr, does: `sends an email with Amazon SES (\`${cmd.name}\`)`, consequence: 'a repeat sends the email again' } };
  }
  if (cmd.module === '@aws-sdk/client-sqs' && (cmd.name === 'SendMessageCommand' || cmd.name === 'SendMessageBatchCommand')) {
    return dedup() ? { kind: 'write' } : publishEffect(expr, `publishes to SQS (\`${cmd.name}\`) without a \`MessageDeduplicationId\``);
  }
  if (cmd.module === '@aws-sdk/client-sqs' && (cmd.name === 'DeleteMessageCommand' || cmd.name === 'DeleteMessageBatchCommand' || cmd.name === 'ChangeMessageVisibilityCommand')) return { kind: 'write' };
  if (cmd.module === '@aws-sdk/client-sns' && (cmd.name === 'PublishCommand' || cmd.name === 'PublishBatchCommand')) {
    if (readOption(model, input, 'PhoneNumber').kind === 'set') {
      return { kind: 'effect', effect: { category: 'sms', node: expr, does: 'sends an SMS with Amazon SNS', consequence: 'a repeat sends the text again' } };
    }
    return dedup() ? { kind: 'write' } : publishEffect(expr, `publishes to SNS (\`${cmd.name}\`)`);
  }
  if (cmd.module === '@aws-sdk/client-eventbridge' && cmd.name === 'PutEventsCommand') return publishEffect(expr, 'publishes to EventBridge (`PutEventsCommand`)');
  return undefined;
}

/** Calls that end a chain with a conflict clause: `.insert(...).onConflict().ignore()`. */
function chainHasConflictClause(call: Node): boolean {
  let cur: Node = call;
  for (let i = 0; i < 8; i++) {
    const parent = cur.getParent();
    if (!parent || !Node.isPropertyAccessExpression(parent) || parent.getExpression() !== cur) break;
    if (CONFLICT_CHAIN.has(parent.getName())) return true;
    const outer = parent.getParent();
    if (!outer || !Node.isCallExpression(outer)) break;
    cur = outer;
  }
  return false;
}

/** The call a chain continues to, when it does: `.values(...)` after `db.insert(orders)`. */
function nextInChain(call: Node, name: string): Node | undefined {
  const parent = call.getParent();
  if (parent && Node.isPropertyAccessExpression(parent) && parent.getName() === name) {
    const outer = parent.getParent();
    if (outer && Node.isCallExpression(outer)) return outer;
  }
  return undefined;
}

/**
 * Classifies a call, a `new` expression or a tagged template. The caller has
 * already checked that the callee is not a function of ours (those are
 * followed, not classified).
 */
export function classifyCall(model: ProgramModel, expr: Node, guardNames: ReadonlySet<string>): CallClass | undefined {
  if (Node.isNewExpression(expr)) return classifyNew(model, expr);
  if (Node.isTaggedTemplateExpression(expr)) {
    const tag = expr.getTag();
    const name = Node.isPropertyAccessExpression(tag) ? tag.getName() : tag.getText();
    return SQL_TAGS.has(name) ? classifySql(expr.getTemplate().getText().slice(1, -1), expr.getTemplate()) : undefined;
  }
  if (!Node.isCallExpression(expr)) return undefined;
  const callee = expr.getExpression();
  const args = expr.getArguments();
  const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : Node.isIdentifier(callee) ? callee.getText() : '';
  if (!name) return undefined;
  if (guardNames.has(name) || guardNames.has(callee.getText())) return { kind: 'guard' };
  const calleeOrigin = model.origin(callee);
  const calleeModule = moduleOfOrigin(calleeOrigin);
  if (name === 'makeIdempotent' && calleeModule === '@aws-lambda-powertools/idempotency') return { kind: 'guard' };
  const chain = calleeChain(callee);
  const root = rootName(callee);

  // SQL sent as text.
  if (SQL_METHODS.has(name)) {
    const sql = sqlOf(model, args[0]);
    if (sql) {
      const c = classifySql(sql.text, sql.node);
      if (c) return c;
    }
  }

  // HTTP clients.
  if (isGlobal(calleeOrigin, 'fetch') || (calleeModule && ['undici', 'node-fetch', 'cross-fetch'].includes(calleeModule) && (name === 'fetch' || chain.length === 1))) {
    const method = httpMethod(model, args[1]);
    return method ? httpEffect(model, expr, '`fetch`', method, args[1]) : undefined;
  }
  if (calleeModule === 'axios') {
    const lower = name.toLowerCase();
    if (['post', 'patch', 'postform', 'patchform'].includes(lower)) return httpEffect(model, expr, 'axios', lower.startsWith('post') ? 'POST' : 'PATCH', args[2]);
    if (['put', 'delete', 'putform'].includes(lower)) return { kind: 'write' };
    if (['get', 'head', 'options'].includes(lower)) return { kind: 'read', marker: false };
    if (lower === 'request' || chain.length === 1) {
      const method = httpMethod(model, args[args.length - 1]);
      return method ? httpEffect(model, expr, 'axios', method, args[args.length - 1]) : undefined;
    }
  }
  if (calleeModule === 'got' || calleeModule === 'ky') {
    const upper = name.toUpperCase();
    if (upper === 'POST' || upper === 'PATCH') return httpEffect(model, expr, calleeModule, upper, args[1]);
  }

  // Payments: Stripe, and any call given an `idempotencyKey` option.
  const stripe = calleeModule === 'stripe' || /stripe/i.test(root);
  if (stripe && STRIPE_METHODS.has(name) && chain.length >= 2) {
    const key = idempotencyKeyOption(model, args, name === 'create' ? 1 : 0);
    const resource = chain[chain.length - 2]!;
    const what = `\`${resource}.${name}\``;
    if (key.kind === 'ok') return { kind: 'write' };
    if (key.kind === 'fresh') {
      return { kind: 'effect', effect: { category: 'payment', node: expr, does: `calls Stripe ${what} with an \`idempotencyKey\` made fresh on each attempt`, consequence: 'Stripe sees a new key on a repeat and charges or creates again', remedy: { kind: 'replaceFreshKey', keyNode: key.node } } };
    }
    const index = name === 'create' ? 1 : Math.max(args.length, 1);
    return {
      kind: 'effect',
      effect: { category: 'payment', node: expr, does: `calls Stripe ${what} without an \`idempotencyKey\``, consequence: 'a repeat charges or creates a second time', remedy: name === 'create' && args.length <= 2 ? { kind: 'idempotencyKeyOption', call: expr, index } : undefined },
    };
  }

  // Email and SMS.
  if (name === 'sendMail' || (name === 'send' && calleeModule === '@sendgrid/mail') || (name === 'sendEmail' && calleeModule !== undefined) || (/resend/i.test(root) && chain.includes('emails') && name === 'send')) {
    return { kind: 'effect', effect: { category: 'email', node: expr, does: `sends an email (\`${chain.slice(-2).join('.')}\`)`, consequence: 'a repeat sends the email again' } };
  }
  if ((calleeModule === 'twilio' || /twilio/i.test(root)) && name === 'create' && (chain.includes('messages') || chain.includes('calls'))) {
    const call = chain.includes('calls');
    return { kind: 'effect', effect: { category: 'sms', node: expr, does: call ? 'places a phone call with Twilio' : 'sends an SMS with Twilio', consequence: call ? 'a repeat calls again' : 'a repeat sends the text again' } };
  }

  // Publishing to another queue or topic.
  if ((name === 'add' || name === 'addBulk') && (calleeModule === 'bullmq' || calleeModule === 'bull')) {
    const unique = args.some((a) => ['jobId', 'deduplication', 'debounce'].some((k) => readOption(model, a, k).kind === 'set')) || /jobId|deduplication/.test(text(args[args.length - 1]));
    if (unique) {
      const jobId = args.map((a) => readOption(model, a, 'jobId')).find((v) => v.kind === 'set');
      if (jobId && jobId.kind === 'set' && isFreshValue(model, jobId.node)) {
        return { kind: 'effect', effect: { category: 'publish', node: expr, does: 'adds a job whose `jobId` is made fresh on each attempt', consequence: 'a repeat adds a second job', remedy: { kind: 'replaceFreshKey', keyNode: jobId.node } } };
      }
      return { kind: 'write' };
    }
    return publishEffect(expr, `adds a ${calleeModule === 'bull' ? 'Bull' : 'BullMQ'} job without a \`jobId\``);
  }
  if (name === 'sendToQueue' || (name === 'publish' && (calleeModule === 'amqplib' || calleeModule === 'amqp-connection-manager' || args.length >= 3))) {
    if (calleeModule === 'amqplib' || calleeModule === 'amqp-connection-manager') return publishEffect(expr, `publishes to RabbitMQ (\`${name}\`)`);
    if (calleeModule === undefined) return publishEffect(expr, `publishes a message (\`${chain.slice(-2).join('.')}\`)`);
  }
  if ((name === 'send' || name === 'sendBatch') && (calleeModule === 'kafkajs' || (readOption(model, args[0], 'topic').kind === 'set' && readOption(model, args[0], 'messages').kind === 'set'))) {
    return publishEffect(expr, 'produces to Kafka');
  }
  if (name === 'publishMessage' || (name === 'publish' && calleeModule === '@google-cloud/pubsub') || (name === 'publishJSON' && calleeModule === '@google-cloud/pubsub')) {
    return publishEffect(expr, 'publishes to Google Pub/Sub');
  }
  if ((name === 'emit' || name === 'send') && calleeModule === '@nestjs/microservices') return publishEffect(expr, `emits a NestJS microservice message (\`${name}\`)`);

  // Redis.
  const lower = name.toLowerCase();
  const knownRedis = calleeModule === 'ioredis' || calleeModule === 'redis' || calleeModule === '@redis/client' || /redis|cache/i.test(root);
  const redisish = knownRedis || calleeModule === undefined;
  if (((redisish && REDIS_RELATIVE.has(lower)) || (knownRedis && REDIS_RELATIVE_AMBIGUOUS.has(lower))) && args.length >= 1) {
    return { kind: 'effect', effect: { category: 'relative', node: expr, does: `runs Redis \`${name.toUpperCase()}\``, consequence: lower.includes('push') || lower === 'xadd' || lower === 'append' || lower === 'linsert' ? 'a repeat appends the entry twice' : 'a repeat counts twice' } };
  }
  if (redisish && (lower === 'setnx' || lower === 'hsetnx' || (lower === 'set' && args.some((a) => /^['"`]NX['"`]$/i.test(a.getText()) || readOption(model, a, 'NX').kind === 'set')))) return { kind: 'claim' };
  if (knownRedis && REDIS_READS.has(lower) && args.length >= 1) return { kind: 'read', marker: MARKER_RE.test(text(args[0])) };

  // MongoDB and Mongoose.
  if (name === 'insertOne' || name === 'insertMany') {
    const collection = mongoCollection(callee);
    if (collection && MARKER_RE.test(collection)) return { kind: 'marker' };
    if (name === 'insertMany' && readOption(model, args[1], 'ordered').kind === 'set' && /ordered\s*:\s*false/.test(text(args[1]))) return { kind: 'write' };
    return { kind: 'effect', effect: { category: 'insert', node: expr, does: `inserts documents with \`${name}\`${collection ? ` into \`${collection}\`` : ''}`, consequence: 'a repeat inserts a second document' } };
  }
  if (MONGO_UPDATES.has(name) && args.length >= 2 && MONGO_RELATIVE_OPS.test(text(args[1]))) {
    const op = MONGO_RELATIVE_OPS.exec(text(args[1]))![1]!;
    return { kind: 'effect', effect: { category: 'relative', node: expr, does: `updates with \`$${op}\``, consequence: op === 'push' ? 'a repeat appends the entry twice' : 'a repeat applies the change twice' } };
  }

  // Prisma: `prisma.<model>.<operation>(...)`.
  const first = args[0];
  const prismaShape = first !== undefined && Node.isObjectLiteralExpression(first) && (readOption(model, first, 'data').kind === 'set' || readOption(model, first, 'where').kind === 'set');
  const prismaish = calleeModule === '@prisma/client' || /prisma|^tx$|^trx$/i.test(root) || prismaShape;
  if (prismaish && chain.length >= 2 && (PRISMA_INSERTS.has(name) || PRISMA_UPDATES.has(name) || PRISMA_READS.has(name))) {
    const modelName = chain[chain.length - 2]!;
    if (PRISMA_READS.has(name)) return { kind: 'read', marker: MARKER_RE.test(modelName) };
    if (PRISMA_INSERTS.has(name)) {
      if (MARKER_RE.test(modelName)) return name === 'create' ? { kind: 'marker' } : { kind: 'claim' };
      if (readOption(model, args[0], 'skipDuplicates').kind === 'set') return { kind: 'write' };
      if (readOption(model, args[0], 'data').kind === 'absent' && !Node.isIdentifier(args[0] ?? callee)) return undefined;
      return { kind: 'effect', effect: { category: 'insert', node: expr, does: `creates a record in \`${modelName}\` with Prisma \`${name}\``, consequence: 'a repeat creates a second record' } };
    }
    if (PRISMA_RELATIVE_OPS.test(text(args[0]))) {
      const op = PRISMA_RELATIVE_OPS.exec(text(args[0]))![1]!;
      return { kind: 'effect', effect: { category: 'relative', node: expr, does: `updates \`${modelName}\` with Prisma \`${op}\``, consequence: op === 'push' ? 'a repeat appends the entry twice' : 'a repeat applies the change twice' } };
    }
    return { kind: 'write' };
  }

  // Knex, Drizzle, Kysely, TypeORM query builders: `insert` without a conflict clause.
  if (name === 'insert' || name === 'insertInto') {
    const receiver = receiverOf(callee);
    const knexish = receiver !== undefined && (Node.isCallExpression(receiver) || ['knex', 'drizzle-orm', 'kysely', 'typeorm'].some((m) => calleeModule?.startsWith(m)) || /^(knex|db|trx|tx|database|qb)$/i.test(root));
    const valuesCall = nextInChain(expr, 'values');
    if (knexish || valuesCall) {
      const table = receiver && Node.isCallExpression(receiver) ? (stringValue(model, receiver.getArguments()[0])?.text ?? '') : valuesCall || name === 'insertInto' ? text(args[0]).replace(/['"`]/g, '') : '';
      if (chainHasConflictClause(valuesCall ?? expr)) return MARKER_RE.test(table) ? { kind: 'claim' } : { kind: 'write' };
      if (MARKER_RE.test(table)) return { kind: 'marker' };
      const remedy: EffectRemedy | undefined = valuesCall
        ? { kind: 'chainAfter', call: valuesCall, text: name === 'insertInto' ? '.onConflict((oc) => oc.doNothing())' : '.onConflictDoNothing()' }
        : Node.isCallExpression(receiver ?? callee) ? { kind: 'chainAfter', call: expr, text: '.onConflict().ignore()' } : undefined;
      return { kind: 'effect', effect: { category: 'insert', node: expr, does: `inserts${table ? ` into \`${table}\`` : ''} without a conflict clause`, consequence: 'a repeat inserts a second row', ...(remedy ? { remedy } : {}) } };
    }
  }
  if ((name === 'increment' || name === 'decrement') && args.length >= 1) {
    return { kind: 'effect', effect: { category: 'relative', node: expr, does: `runs \`${name}\``, consequence: 'a repeat applies the change twice' } };
  }

  // Sequelize and Mongoose models: `Order.create(...)`, `Order.bulkCreate(...)`.
  if ((name === 'create' || name === 'bulkCreate') && chain.length >= 2 && (calleeModule === 'mongoose' || calleeModule === 'sequelize' || calleeModule === 'sequelize-typescript' || modelClassModule(model, callee))) {
    if (name === 'bulkCreate' && args.some((a) => /ignoreDuplicates|updateOnDuplicate/.test(text(a)))) return { kind: 'write' };
    const modelName = chain[chain.length - 2]!;
    if (MARKER_RE.test(modelName)) return { kind: 'marker' };
    return { kind: 'effect', effect: { category: 'insert', node: expr, does: `creates a record in \`${modelName}\` with \`${name}\``, consequence: 'a repeat creates a second record' } };
  }

  if (READ_RE.test(name) && !/^(get|set)$/.test(name) && calleeOrigin.kind !== 'global') return { kind: 'read', marker: MARKER_RE.test(callee.getText()) || MARKER_RE.test(text(args[0])) };
  if (name === 'get' && args.length >= 1) return { kind: 'read', marker: MARKER_RE.test(callee.getText()) || MARKER_RE.test(text(args[0])) };
  return undefined;
}

/** The collection a Mongo call writes to: `db.collection('orders').insertOne` → `orders`, `this.ordersModel.insertMany` → `ordersModel`. */
function mongoCollection(callee: Node): string | undefined {
  const receiver = receiverOf(callee);
  if (!receiver) return undefined;
  if (Node.isCallExpression(receiver) && /collection$/i.test(receiver.getExpression().getText())) {
    const arg = receiver.getArguments()[0];
    return arg && (Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg)) ? arg.getLiteralText() : undefined;
  }
  const chain = calleeChain(callee);
  return chain[chain.length - 2];
}

/** Whether `X.create` is called on a Sequelize or Mongoose model of ours (`class Order extends Model`, `model('Order', schema)`). */
function modelClassModule(model: ProgramModel, callee: Node): boolean {
  const receiver = receiverOf(callee);
  if (!receiver) return false;
  const o = model.origin(receiver);
  if (o.kind === 'class' && Node.isClassDeclaration(o.node)) {
    const base = o.node.getExtends()?.getExpression();
    const m = base ? moduleOfOrigin(model.origin(base)) : undefined;
    return m === 'sequelize' || m === 'sequelize-typescript' || m === 'mongoose';
  }
  const m = moduleOfOrigin(o);
  return m === 'mongoose' || m === 'sequelize';
}

/** Whether a node is a `return`, `throw`, `continue` or `break`, or a block that ends with one. */
export function exits(stmt: Node | undefined): boolean {
  if (!stmt) return false;
  if (Node.isReturnStatement(stmt) || Node.isThrowStatement(stmt) || Node.isContinueStatement(stmt) || Node.isBreakStatement(stmt)) return true;
  if (Node.isBlock(stmt)) {
    const stmts = stmt.getStatements();
    return exits(stmts[stmts.length - 1]);
  }
  if (Node.isExpressionStatement(stmt)) {
    const e = stmt.getExpression();
    return Node.isCallExpression(e) && /^process\.exit$/.test(e.getExpression().getText());
  }
  return false;
}

/** Call, `new` and tagged template expressions: the nodes `classifyCall` looks at. */
export function isCallLike(node: Node): boolean {
  const k = node.getKind();
  return k === SyntaxKind.CallExpression || k === SyntaxKind.NewExpression || k === SyntaxKind.TaggedTemplateExpression;
}
