import { Node, SyntaxKind } from 'ts-morph';
import { indentOf } from './core/edits.ts';
import { readOption } from './core/options.ts';
import { Relevance } from './core/scan.ts';
import { CONSUMER_MODULES, HandlerFinder, type ConsumerLibrary, type HandlerSite, type Registration } from './core/handlers/consumers.ts';
import { canThrow, FlowAnalysis, type EffectHit } from './core/handlers/flow.ts';
import { effectFix, guardWrapFix, type FixPlan } from './core/handlers/fixes.ts';
import { defineRule, type RuleContext } from './rule.ts';
import type { Fix, TextEdit } from './types.ts';

/**
 * non-idempotent-handler: queue consumers whose side effects are not safe to
 * run twice, although every queue here delivers at least once.
 *
 * Fixes that create a file: the guard fix imports `runOnce` from the
 * project's idempotency helper module. When the project has none, the fix
 * carries one more edit whose `file` does not exist yet, with
 * `start === 0`, `end === 0` and the whole module as `newText`: front doors
 * apply such an edit by creating the file (and its folder). The helper is
 * plain TypeScript the user owns (see `HELPER_SOURCE` in
 * core/handlers/fixes.ts): a store interface, an in-memory and a Redis
 * store, and `runOnce(key, work)`.
 *
 * The redelivery traps (an sqs-consumer handler that never returns its
 * message, a Lambda SQS batch handler that throws without reporting
 * `batchItemFailures`, amqplib `noAck: true` on a handler that writes) are
 * messages of this rule rather than rules of their own: they are found on
 * the same handlers, by the same analysis, and they are the same failure
 * (work repeated or lost because of how the queue redelivers).
 *
 * Configuration (proposed `AnalysisOptions` fields, read defensively until
 * types.ts has them):
 * - `idempotencyGuards: string[]`: functions of the project that run their
 *   callback once per key, or that wrap a handler (`withIdempotency`,
 *   `dedupe.once`); effects inside their arguments are guarded, and an
 *   early exit on their result is a guard.
 * - `messageHandlerRegistrations: { name, module?, handlerArgument, library? }[]`:
 *   functions of the project that register a handler (`registerProcessor`).
 */

/** How many calls deep into functions of ours the analysis follows a handler. */
const MAX_DEPTH = 4;

/** Options this rule reads; proposed as optional fields of `AnalysisOptions`. */
export interface HandlerOptions {
  idempotencyGuards?: string[];
  messageHandlerRegistrations?: Registration[];
}

/** What each consumer library is called in a message, and when it delivers again (verified in the installed sources; see docs). */
const LIBRARIES: Record<ConsumerLibrary, { name: string; redelivery: string }> = {
  bullmq: { name: 'BullMQ', redelivery: 'a job runs again when it fails with attempts left, and when it stalls because its lock lapsed or its worker died' },
  'nestjs-bullmq': { name: 'BullMQ (NestJS `@Processor`)', redelivery: 'a job runs again when it fails with attempts left, and when it stalls because its lock lapsed or its worker died' },
  bull: { name: 'Bull', redelivery: 'a job runs again when it fails with attempts left, and when it stalls because its lock lapsed or its worker died' },
  'nestjs-bull': { name: 'Bull (NestJS `@Process`)', redelivery: 'a job runs again when it fails with attempts left, and when it stalls because its lock lapsed or its worker died' },
  amqplib: { name: 'RabbitMQ (amqplib)', redelivery: 'a message not yet acknowledged is delivered again when the channel or the connection closes' },
  'amqp-connection-manager': { name: 'RabbitMQ (amqp-connection-manager)', redelivery: 'a message not yet acknowledged is delivered again when the channel or the connection closes' },
  kafkajs: { name: 'Kafka (kafkajs)', redelivery: 'after a crash or a rebalance, every message since the last committed offset is delivered again' },
  'sqs-consumer': { name: 'SQS (sqs-consumer)', redelivery: 'a message comes back when its visibility timeout ends before it is deleted' },
  'sqs-poll': { name: 'SQS', redelivery: 'a message comes back when its visibility timeout ends before it is deleted' },
  'lambda-sqs': { name: 'SQS (Lambda event source)', redelivery: 'a message comes back when its visibility timeout ends before it is deleted, and a failed invocation returns its whole batch' },
  pubsub: { name: 'Google Pub/Sub', redelivery: 'a message is delivered again when its ack deadline passes before `ack()`' },
  'nestjs-microservices': { name: 'A NestJS microservice transport', redelivery: 'the broker behind it, such as Kafka, RabbitMQ or SQS, delivers at least once' },
  custom: { name: 'The queue behind this registration', redelivery: 'message queues deliver at least once' },
};

interface State {
  fixes: (FixPlan & { preferred?: boolean })[];
}

/** The name a path element shows: `payments.charge` for `payments.charge(...)`, `post` for `this.post(...)`. */
function stepName(node: Node): string {
  const callee = Node.isCallExpression(node) ? node.getExpression() : node;
  return callee.getText().replace(/^this\./, '').replace(/\s+/g, '');
}

function viaText(path: Node[]): string {
  return path.length === 0 ? '' : ` (via ${path.map((p) => `\`${stepName(p)}\``).join(' → ')})`;
}

function sortHits(hits: EffectHit[]): EffectHit[] {
  return [...hits].sort((a, b) => {
    const ra = a.path[0] ?? a.effect.node;
    const rb = b.path[0] ?? b.effect.node;
    return ra.getStart() - rb.getStart() || a.path.length - b.path.length || a.effect.node.getStart() - b.effect.node.getStart();
  });
}

class Analysis {
  private readonly flow: FlowAnalysis;
  private readonly wanted: { has(file: string): boolean };

  constructor(
    private readonly ctx: RuleContext,
    guardNames: ReadonlySet<string>,
    private readonly sites: HandlerSite[],
  ) {
    this.flow = new FlowAnalysis(ctx.program, guardNames, MAX_DEPTH, new Set(sites.map((s) => s.root)));
    this.wanted = { has: (file) => ctx.isReportable(file) };
  }

  run(): void {
    for (const site of this.sites) {
      const reportable = this.wanted.has(site.anchor.getSourceFile().getFilePath());
      const noAck = this.noAckProperty(site);
      if (!reportable && !(noAck && this.wanted.has(noAck.getSourceFile().getFilePath()))) continue;
      const summary = this.flow.summarize(site.root);
      if (reportable && !site.guarded && summary.effects.length > 0) this.reportUnsafe(site, summary.effects);
      if (reportable) this.sqsConsumerTrap(site);
      if (reportable) this.lambdaTrap(site, summary.writes);
      if (noAck && summary.writes && this.wanted.has(noAck.getSourceFile().getFilePath())) this.noAckTrap(site, noAck);
    }
  }

  private reportUnsafe(site: HandlerSite, effects: EffectHit[]): void {
    const hits = sortHits(effects);
    const first = hits[0]!;
    const lib = LIBRARIES[site.library];
    const more = hits.length - 1;
    const fixes: State['fixes'] = [];
    const effectLevel = effectFix(this.ctx.program, site, hits);
    const wrap = guardWrapFix(this.ctx.program, site, hits);
    // The effect-level fix touches less; the guard covers every effect at once.
    if (effectLevel) fixes.push({ ...effectLevel, preferred: true });
    if (wrap) fixes.push({ ...wrap, preferred: !effectLevel });
    this.ctx.report({
      node: site.anchor,
      messageId: 'unsafeEffect',
      data: {
        library: lib.name,
        redelivery: lib.redelivery,
        effect: first.effect.does,
        via: viaText(first.path),
        consequence: first.effect.consequence,
        more: more === 0 ? '' : more === 1 ? ' 1 more unsafe effect is listed with it.' : ` ${more} more unsafe effects are listed with it.`,
      },
      related: hits.map((h) => ({ node: h.effect.node, message: `${capitalize(h.effect.does)}${viaText(h.path)}: ${h.effect.consequence}.` })),
      state: { fixes } satisfies State,
    });
  }

  /** sqs-consumer deletes a message only when the handler returns it. */
  private sqsConsumerTrap(site: HandlerSite): void {
    if (site.library !== 'sqs-consumer' || !site.hook) return;
    const opts = site.options;
    const set = (key: string, value: string): boolean => {
      const v = readOption(this.ctx.program, opts, key);
      return v.kind === 'set' && v.node.getText() === value;
    };
    if (set('alwaysAcknowledge', 'true') || set('shouldDeleteMessages', 'false')) return;
    const fn = site.root;
    if (/DeleteMessage(Batch)?Command|deleteMessage/.test(fn.getText())) return;
    if (returnsValue(fn)) return;
    const fixes: State['fixes'] = [];
    const param = firstParamName(fn);
    const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.();
    if (param && body && Node.isBlock(body)) {
      const text = body.getSourceFile().getFullText();
      const stmts = body.getStatements();
      const last = stmts[stmts.length - 1];
      const emptyReturn = last !== undefined && Node.isReturnStatement(last) && /^(undefined|null|void\s+0)?$/.test(last.getExpression()?.getText() ?? '');
      const edit: TextEdit = emptyReturn
        ? { file: body.getSourceFile().getFilePath(), start: last.getStart(), end: last.getEnd(), newText: `return ${param};` }
        : last
        ? { file: body.getSourceFile().getFilePath(), start: last.getEnd(), end: last.getEnd(), newText: `\n${indentOf(text, last.getStart())}return ${param};` }
        : { file: body.getSourceFile().getFilePath(), start: body.getStart(), end: body.getEnd(), newText: `{ return ${param}; }` };
      fixes.push({ title: `Return \`${param}\` so that sqs-consumer deletes ${site.hook === 'handleMessage' ? 'it' : 'them'}`, edits: [edit], preferred: true });
    }
    this.ctx.report({ node: site.anchor, messageId: 'sqsMessageNotReturned', data: { hook: site.hook }, state: { fixes } satisfies State });
  }

  /** A Lambda SQS batch handler that can throw and reports no `batchItemFailures`. */
  private lambdaTrap(site: HandlerSite, writes: boolean): void {
    if (site.shape !== 'sqsEvent' || site.reportsBatchFailures || site.guarded || !writes) return;
    const fn = site.root;
    if (/batchItemFailures|processPartialResponse|BatchProcessor/.test(fn.getText())) return;
    if (!canThrow(fn)) return;
    const fix = batchFailuresFix(fn);
    this.ctx.report({ node: site.anchor, messageId: 'lambdaBatchFailure', data: {}, state: { fixes: fix ? [{ ...fix, preferred: true }] : [] } satisfies State });
  }

  /** The `noAck: true` property of an amqplib `consume`, if it has one. */
  private noAckProperty(site: HandlerSite): Node | undefined {
    if (site.library !== 'amqplib' && site.library !== 'amqp-connection-manager') return undefined;
    const v = readOption(this.ctx.program, site.options, 'noAck');
    return v.kind === 'set' && v.node.getKind() === SyntaxKind.TrueKeyword ? v.prop : undefined;
  }

  private noAckTrap(site: HandlerSite, prop: Node): void {
    const fixes: State['fixes'] = [];
    const registration = site.registration;
    const value = Node.isPropertyAssignment(prop) ? prop.getInitializer() : undefined;
    const channel = Node.isCallExpression(registration) && Node.isPropertyAccessExpression(registration.getExpression()) ? registration.getExpression().getFirstChild()?.getText() : undefined;
    const fn = site.root;
    const param = firstParamName(fn);
    const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.();
    // The ack goes last; a handler that returns early would leave messages unacknowledged, so then no fix.
    const leadingNullCheck = (r: Node): boolean => {
      const stmt = r.getParent();
      return stmt !== undefined && Node.isIfStatement(stmt) && stmt.getParent() === body && stmt.getExpression().getText().replace(/\s/g, '') === `!${param}`;
    };
    const returns = body && Node.isBlock(body) ? body.getDescendantsOfKind(SyntaxKind.ReturnStatement) : [];
    const earlyReturns = returns.filter((r) => !leadingNullCheck(r));
    const hasNullCheck = returns.some(leadingNullCheck);
    if (value && channel && param && body && Node.isBlock(body) && earlyReturns.length === 0 && fn.getSourceFile() === registration.getSourceFile() && registration.getDescendants().includes(fn)) {
      const text = body.getSourceFile().getFullText();
      const stmts = body.getStatements();
      const last = stmts[stmts.length - 1];
      if (last) {
        fixes.push({
          title: `Acknowledge after the work: \`noAck: false\` and \`${channel}.ack(${param})\``,
          edits: [
            { file: value.getSourceFile().getFilePath(), start: value.getStart(), end: value.getEnd(), newText: 'false' },
            { file: body.getSourceFile().getFilePath(), start: last.getEnd(), end: last.getEnd(), newText: `\n${indentOf(text, last.getStart())}${hasNullCheck ? '' : `if (${param}) `}${channel}.ack(${param});` },
          ],
          preferred: true,
        });
      }
    }
    this.ctx.report({ node: prop, messageId: 'noAckWithEffects', data: { library: LIBRARIES[site.library].name }, state: { fixes } satisfies State });
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function firstParamName(fn: Node): string | undefined {
  const p = (fn as unknown as { getParameters?(): Node[] }).getParameters?.()[0];
  if (!p || !Node.isParameterDeclaration(p)) return undefined;
  const n = p.getNameNode();
  return Node.isIdentifier(n) ? n.getText() : undefined;
}

/** Whether a function returns a value on some path (its own `return x`, or an expression body); `return undefined` does not count. */
function returnsValue(fn: Node): boolean {
  const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.();
  if (!body) return true;
  if (!Node.isBlock(body)) return true;
  let found = false;
  body.forEachDescendant((d, traversal) => {
    if (Node.isArrowFunction(d) || Node.isFunctionExpression(d) || Node.isFunctionDeclaration(d) || Node.isMethodDeclaration(d)) traversal.skip();
    else if (Node.isReturnStatement(d)) {
      // `return undefined` and `return null` return nothing sqs-consumer can delete.
      const e = d.getExpression();
      if (e !== undefined && !/^(undefined|null|void\s+0)$/.test(e.getText())) found = true;
    }
  });
  return found;
}

/**
 * Catches per record and reports failures: the loop over `event.Records`
 * gets a `try … catch` that collects `batchItemFailures`, and the handler
 * returns them. Only for a handler that is that loop (and what precedes it).
 */
function batchFailuresFix(fn: Node): FixPlan | undefined {
  const body = (fn as unknown as { getBody?(): Node | undefined }).getBody?.();
  if (!body || !Node.isBlock(body)) return undefined;
  const returnType = (fn as unknown as { getReturnTypeNode?(): Node | undefined }).getReturnTypeNode?.();
  if (returnType && !/SQSBatchResponse/.test(returnType.getText())) return undefined;
  if (!(fn as unknown as { isAsync?(): boolean }).isAsync?.()) return undefined;
  const stmts = body.getStatements();
  const loop = stmts[stmts.length - 1];
  if (!loop || !Node.isForOfStatement(loop) || !/\.Records$/.test(loop.getExpression().getText())) return undefined;
  const init = loop.getInitializer();
  const decl = Node.isVariableDeclarationList(init) ? init.getDeclarations()[0] : undefined;
  const loopBody = loop.getStatement();
  if (!decl || !Node.isIdentifier(decl.getNameNode()) || !Node.isBlock(loopBody)) return undefined;
  if (body.getDescendantsOfKind(SyntaxKind.ReturnStatement).some((r) => r.getFirstAncestor((a) => Node.isArrowFunction(a) || Node.isFunctionExpression(a) || Node.isFunctionDeclaration(a) || Node.isMethodDeclaration(a)) === fn)) return undefined;
  if (loopBody.getDescendantsOfKind(SyntaxKind.BreakStatement).length > 0) return undefined;
  const sf = fn.getSourceFile();
  const text = sf.getFullText();
  const file = sf.getFilePath();
  const indent = indentOf(text, loop.getStart());
  const inner = loopBody.getStatements();
  if (inner.length === 0) return undefined;
  const innerIndent = indentOf(text, inner[0]!.getStart());
  const unit = innerIndent.startsWith(indent) && innerIndent.length > indent.length ? innerIndent.slice(indent.length) : '  ';
  const lineStart = text.lastIndexOf('\n', inner[0]!.getStart() - 1) + 1;
  const end = inner[inner.length - 1]!.getEnd();
  const templates = loopBody.getDescendantsOfKind(SyntaxKind.TemplateExpression).map((t) => [t.getStart(), t.getEnd()] as const).concat(loopBody.getDescendantsOfKind(SyntaxKind.NoSubstitutionTemplateLiteral).map((t) => [t.getStart(), t.getEnd()] as const));
  const lines: string[] = [];
  let pos = lineStart;
  for (const line of text.slice(lineStart, end).split('\n')) {
    const protectedLine = templates.some(([s, e]) => pos > s && pos < e);
    lines.push(line.trim() === '' || protectedLine ? line : unit + line);
    pos += line.length + 1;
  }
  const record = decl.getName();
  const tryBlock = `${innerIndent}try {\n${lines.join('\n')}\n${innerIndent}} catch {\n${innerIndent}${unit}batchItemFailures.push({ itemIdentifier: ${record}.messageId });\n${innerIndent}}`;
  return {
    title: 'Catch per record and return `batchItemFailures`',
    edits: [
      { file, start: loop.getStart(), end: loop.getStart(), newText: `const batchItemFailures: { itemIdentifier: string }[] = [];\n${indent}` },
      { file, start: lineStart, end, newText: tryBlock },
      { file, start: loop.getEnd(), end: loop.getEnd(), newText: `\n${indent}return { batchItemFailures };` },
    ],
  };
}

export const nonIdempotentHandler = defineRule<State>({
  id: 'non-idempotent-handler',
  defaultSeverity: 'warning',
  shortDescription: 'Queue handlers whose side effects are not safe to repeat',
  fullDescription:
    'Finds the handlers of BullMQ, Bull, NestJS, amqplib, kafkajs, sqs-consumer, SQS polling loops, Lambda SQS handlers and Google Pub/Sub, follows what they call into the project’s own functions, and reports side effects that a redelivered message repeats: inserts without a conflict clause, relative updates, payments, HTTP POSTs, emails, SMS and publishes. Handlers that skip duplicates by message id are recognised. Also reports the redelivery traps that repeat or lose work by construction.',
  messages: {
    unsafeEffect:
      '{library} can deliver the same message more than once ({redelivery}), and this handler {effect}{via}, which is not safe to repeat: {consequence}.{more} Skip messages already handled, by message id, or make the effect idempotent.',
    sqsMessageNotReturned:
      'sqs-consumer deletes a message only when `{hook}` returns it (or with `alwaysAcknowledge: true`), and this handler never does: every message comes back after its visibility timeout and is handled again, until it reaches the dead-letter queue or expires.',
    lambdaBatchFailure:
      'This Lambda SQS handler can throw and reports no `batchItemFailures`: one failing record makes the whole batch visible again, so the records already handled, and their side effects, run a second time. Catch per record and return `{ batchItemFailures }` (with `ReportBatchItemFailures` on the event source mapping).',
    noAckWithEffects:
      '`noAck: true` makes {library} count each message as acknowledged the moment it is sent, and this handler writes: if the process stops while it runs, the message is lost and nothing delivers it again. Consume with acknowledgements and acknowledge after the work.',
  },
  docs: {
    whatItDoes: [
      'Reports message handlers whose side effects a redelivered message repeats, and the redelivery traps that repeat or lose work by construction.',
      '',
      '- **Handlers**: BullMQ `new Worker(queue, processor)` (inline, a named function, or a processor file path), Bull `queue.process(...)`, NestJS `@Processor()` classes (`WorkerHost.process`, Bull `@Process()` methods) and `@EventPattern` / `@MessagePattern` methods, amqplib and amqp-connection-manager `consume(queue, onMessage)`, kafkajs `consumer.run({ eachMessage | eachBatch })`, sqs-consumer `Consumer.create({ handleMessage | handleMessageBatch })`, a loop over the `Messages` of an AWS SDK `ReceiveMessageCommand`, Lambda handlers typed `SQSHandler` or taking an `SQSEvent` (and Powertools `processPartialResponse` record handlers), and Google Pub/Sub `subscription.on(\'message\', …)`. A handler given to a function of the project that registers it (one `new Worker(name, processor)` in a manager class, processors in other files) is found at that function’s call sites.',
      '- **What it follows**: calls from the handler into the project’s own functions and methods (constructor-injected services included), across files, four calls deep. The finding is on the handler; each unsafe effect is a related location, with the calls that reach it.',
      '- **Unsafe to repeat**: SQL `INSERT` without `ON CONFLICT` / `ON DUPLICATE KEY` / `INSERT IGNORE`, Prisma `create` / `createMany`, Knex, Drizzle or Kysely inserts without a conflict clause, Sequelize and Mongoose `create`, MongoDB `insertOne` / `insertMany`; relative updates (`SET x = x + 1`, an upsert whose update is relative, `$inc`, `$push`, Prisma `increment`, Knex `increment`, Redis `INCR` / `HINCRBY` / `LPUSH` / `RPUSH` / `XADD`, and a value read then written back computed from it); HTTP POST or PATCH without an `Idempotency-Key` header; Stripe calls without an `idempotencyKey`; a key made fresh on each attempt (`randomUUID()`); email and SMS (nodemailer, SES, SendGrid, Twilio, SNS to a phone number); publishing to another queue (BullMQ `add` without `jobId`, RabbitMQ, Kafka, SQS and SNS without `MessageDeduplicationId`, EventBridge, Pub/Sub).',
      '- **Safe to repeat**: upserts that set values, deletes, `SET x = value`, reads, PUT, `$set` / `$addToSet`, and publishes that carry a key from the message (a BullMQ `jobId`, a FIFO `MessageDeduplicationId`).',
      '- **Guards** (a duplicate cannot reach the effects after them): an early exit after looking the message id or a business key up in a processed store; a claim (`SET key NX`, `INSERT … ON CONFLICT DO NOTHING` and its row count) whose result decides; the record the effect would create found first (`if (existing) return`), or its status checked (`if (order.status !== \'pending\') return`); a branch that runs only on a first delivery (`if (!seen) { … }`); an insert of the message id into a unique-keyed table (`processed_messages`, `inbox`…) before the effects; the helper’s `runOnce`; AWS Powertools `makeIdempotent`; a function or decorator that `idempotencyGuards` names. `if (!order) return` is validation, not a guard: a repeat finds the order too.',
      '- **Traps** (messages of this rule rather than rules of their own: they are found on the same handlers by the same analysis, and they are the same failure, work repeated or lost because of how the queue redelivers): `sqsMessageNotReturned`, an sqs-consumer handler that never returns its message, so it is never deleted; `lambdaBatchFailure`, a Lambda SQS batch handler that writes and can throw without reporting `batchItemFailures`, so the whole batch comes back; `noAckWithEffects`, amqplib `noAck: true` on a handler that writes, so a crash loses the message.',
      '- **BullMQ job ids**: a producer’s `jobId` or `deduplication` option makes *adding* a job idempotent, and the rule accepts it there (a handler that enqueues follow-up work under a key from its message is safe). It does not make the consumer safe: a job that fails with attempts left, or stalls, runs again under the same id.',
      '- **Configuration** (proposed): `idempotencyGuards: string[]` names the project’s guard functions and decorators; `messageHandlerRegistrations: { name, module?, handlerArgument, library? }[]` names functions that register handlers.',
    ].join('\n'),
    why:
      'Every queue a service consumes delivers at least once. A BullMQ job that fails with attempts left runs again, and so does a job that stalls (its lock lapses while the worker is busy or dead); an amqplib message that was not acknowledged comes back when the channel closes; a Kafka consumer re-reads from the last committed offset after a rebalance; SQS shows a message again when its visibility timeout ends before it is deleted, and a Lambda that throws returns its whole batch. A handler whose effects are not safe to repeat then charges a card twice, sends two emails, or counts an order twice. The fix is either to skip a message already handled (keyed by its id, in a store that survives the process) or to make each effect idempotent (a conflict clause, an idempotency key derived from the message).',
    incorrect: `import { Worker } from 'bullmq';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');

new Worker('charges', async (job) => {
  await stripe.paymentIntents.create({ amount: job.data.amount, currency: 'eur', customer: job.data.customerId });
}, { connection: { host: 'localhost' } });`,
    correct: `import { Worker } from 'bullmq';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');

new Worker('charges', async (job) => {
  // The same order always sends the same key: Stripe answers a repeat with the first result.
  await stripe.paymentIntents.create(
    { amount: job.data.amount, currency: 'eur', customer: job.data.customerId },
    { idempotencyKey: \`charge:\${job.data.orderId}\` },
  );
}, { connection: { host: 'localhost' } });`,
    fixSafety:
      'Every fix is unsafe: each changes what a repeated message does. The guard fix wraps the statements that lead to the effects in `runOnce(key, async () => { … })`, keyed by the message id (`${job.queueName}:${job.id}`, `sqs:${message.MessageId}`, `${topic}:${partition}:${message.offset}`, amqplib `messageId` or a hash of the content), and imports `runOnce` from the project’s idempotency helper module; when there is none, the fix creates `src/idempotency.ts` (or `idempotency.ts` beside package.json), a short module the project owns with a `ProcessedStore` interface, an in-memory store (one process only) and a Redis store (`SET key value EX lease NX`). Statements before the first effect and trailing acknowledgements (`channel.ack(msg)`, `return message`) stay outside, so a duplicate is still acknowledged. A duplicate that arrives while the first copy still runs throws `DuplicateInFlightError`, so the queue delivers it again later; a copy that fails releases its claim. When every unsafe effect can be made safe where it stands, that fix is preferred: `ON CONFLICT DO NOTHING` before `RETURNING` (which then returns no row for a repeat), `INSERT IGNORE` for MySQL, `.onConflict().ignore()` / `.onConflictDoNothing()`, or an `idempotencyKey` derived from the message id on a Stripe call in the handler. The trap fixes return the message from an sqs-consumer handler (it will then be deleted), catch per record and return `batchItemFailures` in a Lambda handler, and switch amqplib to `noAck: false` with `ack` after the work.',
    references: [
      'docs/library-defaults.md, "Redelivery: why consumers must be idempotent".',
      'bullmq 6.7.0 dist/esm/classes/worker.js:40: `maxStalledCount: 1` by default; dist/esm/commands/moveStalledJobsToWait-9.lua:75-96: a stalled job goes back to wait until it stalled more than that.',
      'bull 4.16.5 lib/queue.js:228-229: `stalledInterval: 30000`, `maxStalledCount: 1`.',
      'amqplib 2.3.1 lib/api_args.js:244: `noAck: !!options.noAck` (acknowledgements are on unless asked otherwise).',
      'kafkajs 2.2.4 src/consumer/index.js:190: `autoCommit = true`; offsets are committed after processing, so a crash redelivers from the last commit.',
      'sqs-consumer 14.2.8 dist/esm/consumer.js:255-258: the message is deleted only when `executeHandler` returns one with the same `MessageId`; :388-395: `alwaysAcknowledge` or an `undefined` result.',
      '@types/aws-lambda 8.10.164 trigger/sqs.d.ts:4,52-58: `SQSHandler` may return `SQSBatchResponse` with `batchItemFailures`; AWS Lambda docs (with-sqs.html#services-sqs-batchfailurereporting): without it a failed invocation returns the whole batch.',
      '@google-cloud/pubsub 5.3.1 build/src/subscriber.d.ts:250-261: `nack()` and an expired lease schedule redelivery.',
      'stripe: an `idempotencyKey` request option makes a create safe to repeat when it comes from the message, not from `randomUUID()`.',
    ],
  },
  // Files that import a queue library (or a configured registration's module), the files that import
  // those (a generic worker wrapper's callers), processor files named by path, and what they import
  // as deep as the calls are followed (plus the handler's own file).
  prefilter(options) {
    const registrations = (options as typeof options & HandlerOptions).messageHandlerRegistrations ?? [];
    return {
      module: (m) => CONSUMER_MODULES.has(m) || registrations.some((r) => r.module === m),
      words: registrations.map((r) => r.name.split('.').pop()!),
      // The fix imports `runOnce` from the project's own helper module wherever it is (`findHelper`).
      alsoParse: ['runOnce'],
      importDepth: MAX_DEPTH + 1,
      namesFiles: true,
      // Calls are followed through a member's declared type to a class of ours (`this.repo.insert()`), never to an interface.
      typeImportsOfClassesOnly: true,
    };
  },
  check(ctx) {
    const options = ctx.options as typeof ctx.options & HandlerOptions;
    const guards = options.idempotencyGuards ?? [];
    const registrations = options.messageHandlerRegistrations ?? [];
    const guardNames = new Set(['runOnce', ...guards, ...guards.map((g) => g.split('.').pop()!)]);
    const words = [...guards, ...registrations.map((r) => r.name)].map((n) => n.split('.').pop()!);
    const relevance = new Relevance(
      ctx.program,
      { module: (m) => CONSUMER_MODULES.has(m) || registrations.some((r) => r.module === m), words: registrations.map((r) => r.name.split('.').pop()!) },
      `non-idempotent-handler:${words.join(',')}`,
    );
    const sites = new HandlerFinder(ctx.program, relevance, guardNames, registrations).findAll();
    new Analysis(ctx, guardNames, sites).run();
  },
  fixes(report) {
    const state = report.state;
    return (state?.fixes ?? []).map((f): Fix => ({ title: f.title, applicability: 'unsafe', edits: f.edits, ...(f.preferred ? { isPreferred: true } : {}) }));
  },
});
