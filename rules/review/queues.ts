import { Node, SyntaxKind, ts, type SourceFile } from 'ts-morph';
import { wrap } from '../core/program.ts';
import { calleeName, scanFile } from '../core/scan.ts';
import type { Finding } from '../types.ts';
import type { EvidencePlace, Probe, ProbeContext, ProbeOutput } from './evidence.ts';
import { outboundFacts } from './outbound.ts';
import { count, enclosingFunction, fact, functionLabel, isSuppressed, overlaps, placeOf, propertiesNamed, propertyValue, reviewScan, rootModule, shortText } from './util.ts';

/**
 * Durable queues: producers and consumers (BullMQ, SQS, sqs-consumer,
 * kafkajs, amqplib, Google Pub/Sub), the handlers that process messages
 * and whether they are safe to repeat, dead-letter configuration, ordering
 * and deduplication, and idempotency keys on outbound calls.
 */

export interface QueueHandler {
  /** The function that processes one message or job (undefined for a sandboxed BullMQ processor file). */
  fn?: Node;
  /** Where the handler is registered: `new Worker(...)`, the receive loop, `consumer.run(...)`. */
  registration: Node;
  label: string;
}

export interface QueueEndpoint {
  node: Node;
  role: 'producer' | 'consumer' | 'queue';
  label: string;
}

/** The queue handlers of a unit, computed once and shared. */
export function queueHandlers(ctx: ProbeContext): QueueHandler[] {
  return ctx.memo('queueHandlers', () => queueFacts(ctx).handlers);
}

function queueFacts(ctx: ProbeContext): { handlers: QueueHandler[]; endpoints: QueueEndpoint[] } {
  return ctx.memo('queueFacts', () => {
    const handlers: QueueHandler[] = [];
    const endpoints: QueueEndpoint[] = [];
    for (const sf of ctx.files) findQueues(ctx, sf, handlers, endpoints);
    return { handlers, endpoints };
  });
}

/** A function argument, or the function an identifier or `this.method` names. */
function functionOf(ctx: ProbeContext, node: Node | undefined): Node | undefined {
  if (!node) return undefined;
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) return node;
  const o = ctx.model.origin(node);
  return o.kind === 'function' ? o.node : undefined;
}

function findQueues(ctx: ProbeContext, sf: SourceFile, handlers: QueueHandler[], endpoints: QueueEndpoint[]): void {
  const scan = scanFile(sf);
  for (const n of scan.news) {
    const node = wrap(sf, n);
    if (!Node.isNewExpression(node)) continue;
    const root = rootModule(ctx.model.origin(node.getExpression()));
    const args = node.getArguments();
    const name = args[0] ? shortText(args[0], 40) : '?';
    if (root?.module === 'bullmq' && root.path[0] === 'Worker') {
      const fn = functionOf(ctx, args[1]);
      handlers.push({ registration: node, ...(fn ? { fn } : {}), label: `BullMQ worker for ${name}` });
      endpoints.push({ node, role: 'consumer', label: `BullMQ worker for ${name}` });
    } else if (root?.module === 'bullmq' && root.path[0] === 'Queue') {
      endpoints.push({ node, role: 'queue', label: `BullMQ queue ${name}` });
    } else if (root && /^@aws-sdk\/client-sqs$/.test(root.module) && /^(SendMessage|SendMessageBatch)Command$/.test(root.path[0] ?? '')) {
      endpoints.push({ node, role: 'producer', label: `SQS ${root.path[0]}${queueUrl(node)}` });
    } else if (root && /^@aws-sdk\/client-sqs$/.test(root.module) && root.path[0] === 'ReceiveMessageCommand') {
      endpoints.push({ node, role: 'consumer', label: `SQS ReceiveMessageCommand${queueUrl(node)}` });
      handlers.push(sqsHandler(ctx, node));
    }
  }
  for (const c of scan.calls) {
    const call = wrap(sf, c);
    if (!Node.isCallExpression(call)) continue;
    const callee = call.getExpression();
    const method = calleeName(c.expression);
    const args = call.getArguments();
    const target = Node.isPropertyAccessExpression(callee) ? ctx.model.origin(callee.getExpression()) : undefined;
    const root = target ? rootModule(target) : undefined;
    const opt = (key: string) => {
      const o = args[0];
      const p = o && Node.isObjectLiteralExpression(o) ? o.getProperty(key) : undefined;
      return p ? functionOf(ctx, propertyValue(p)) : undefined;
    };
    if (root?.module === 'sqs-consumer' && method === 'create') {
      const fn = opt('handleMessage') ?? opt('handleMessageBatch');
      handlers.push({ registration: call, ...(fn ? { fn } : {}), label: 'sqs-consumer handleMessage' });
      endpoints.push({ node: call, role: 'consumer', label: 'sqs-consumer' });
    } else if (root?.module === 'kafkajs' && method === 'run') {
      const fn = opt('eachMessage') ?? opt('eachBatch');
      handlers.push({ registration: call, ...(fn ? { fn } : {}), label: 'kafkajs consumer' });
      endpoints.push({ node: call, role: 'consumer', label: 'kafkajs consumer' });
    } else if (root?.module === 'kafkajs' && method === 'send') {
      endpoints.push({ node: call, role: 'producer', label: 'kafkajs producer' });
    } else if ((root?.module === 'amqplib' || root?.module === 'amqplib/callback_api') && method === 'consume') {
      const fn = functionOf(ctx, args[1]);
      handlers.push({ registration: call, ...(fn ? { fn } : {}), label: `AMQP consumer of ${args[0] ? shortText(args[0], 40) : '?'}` });
      endpoints.push({ node: call, role: 'consumer', label: 'AMQP consumer' });
    } else if ((root?.module === 'amqplib' || root?.module === 'amqplib/callback_api') && (method === 'sendToQueue' || method === 'publish')) {
      endpoints.push({ node: call, role: 'producer', label: `AMQP ${method}` });
    } else if (root?.module === '@google-cloud/pubsub' && method === 'on' && args[0] && Node.isStringLiteral(args[0]) && args[0].getLiteralText() === 'message') {
      const fn = functionOf(ctx, args[1]);
      handlers.push({ registration: call, ...(fn ? { fn } : {}), label: 'Pub/Sub subscription' });
      endpoints.push({ node: call, role: 'consumer', label: 'Pub/Sub subscription' });
    }
  }
}

function queueUrl(cmd: Node): string {
  if (!Node.isNewExpression(cmd)) return '';
  const opts = cmd.getArguments()[0];
  const p = opts && Node.isObjectLiteralExpression(opts) ? opts.getProperty('QueueUrl') : undefined;
  const v = p ? propertyValue(p) : undefined;
  return v ? ` to ${shortText(v, 40)}` : '';
}

/**
 * The handler of a receive loop: the function called with each received
 * message (`for (const m of Messages) await this.handle(m)`), else the
 * loop's body, else the function that receives.
 */
function sqsHandler(ctx: ProbeContext, receive: Node): QueueHandler {
  const receiver = enclosingFunction(receive);
  // The receive often sits in a callback (`retry(() => sqs.send(...))`): the loop is in the function around it.
  let scope = receiver;
  while (scope && (Node.isArrowFunction(scope) || Node.isFunctionExpression(scope)) && enclosingFunction(scope)) scope = enclosingFunction(scope);
  if (scope) {
    for (const loop of scope.getDescendantsOfKind(SyntaxKind.ForOfStatement)) {
      const init = loop.getInitializer();
      const decl = Node.isVariableDeclarationList(init) ? init.getDeclarations()[0] : undefined;
      const name = decl?.getName();
      if (!name) continue;
      for (const inner of loop.getStatement().getDescendantsOfKind(SyntaxKind.CallExpression)) {
        if (!inner.getArguments().some((a) => a.getText() === name)) continue;
        const fn = functionOf(ctx, inner.getExpression());
        if (fn) return { registration: receive, fn, label: `SQS message handler ${functionLabel(fn)}` };
      }
      return { registration: receive, fn: loop.getStatement(), label: `SQS message loop in ${functionLabel(scope)}` };
    }
    return { registration: receive, fn: scope, label: `SQS receiver ${functionLabel(scope)}` };
  }
  return { registration: receive, label: 'SQS receiver' };
}

/** A long finding message cut for a label. */
function shortMessage(message: string, max = 140): string {
  return message.length > max ? `${message.slice(0, max - 1)}…` : message;
}

/** Findings of non-idempotent-handler that fall on a handler (its registration or its function). */
function findingsOn(h: QueueHandler, findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => overlaps(f.location, h.registration) || (h.fn !== undefined && overlaps(f.location, h.fn)));
}

const handlerPlace = (h: QueueHandler, suffix = ''): EvidencePlace => placeOf(h.fn ?? h.registration, `${h.label}${suffix}`);

const queueHandlersProbe: Probe = {
  id: 'queue-handlers',
  collect(ctx): ProbeOutput {
    const handlers = queueHandlers(ctx);
    const findings = ctx.findings('non-idempotent-handler');
    if (findings === undefined) {
      return {
        counts: { handlers: handlers.length, unavailable: 1 },
        facts: fact('handlers', 'Queue handlers', handlers.map((h) => handlerPlace(h))),
        notes: ['The non-idempotent-handler rule is not available in this version of Faultline: handlers are listed, but whether each is safe to repeat is for the reviewer.'],
      };
    }
    const unsafe: EvidencePlace[] = [];
    const accepted: EvidencePlace[] = [];
    const others: EvidencePlace[] = [];
    const seen = new Set<Finding>();
    let orphans = 0;
    for (const h of handlers) {
      const on = findingsOn(h, findings);
      on.forEach((f) => seen.add(f));
      if (on.length === 0) others.push(handlerPlace(h));
      else if (on.every(isSuppressed)) accepted.push(handlerPlace(h, ' (accepted with a suppression comment)'));
      else unsafe.push(handlerPlace(h, ` (${shortMessage(on.find((f) => !isSuppressed(f))!.message)})`));
    }
    // A finding on a handler this file does not recognise is still an unsafe handler.
    for (const f of findings) {
      if (seen.has(f) || isSuppressed(f)) continue;
      unsafe.push({ ...f.location, label: shortMessage(f.message) });
      orphans++;
    }
    return {
      notes: ['Handlers are found by the review; whether each is safe to repeat is the non-idempotent-handler finding on it (its full message is in the editor and in `faultline lint`).'],
      counts: { handlers: handlers.length + orphans, unsafe: unsafe.length, accepted: accepted.length },
      facts: [
        ...fact('unsafe', 'Unsafe to repeat (non-idempotent-handler)', unsafe),
        ...fact('accepted', 'Accepted as unsafe (suppressed)', accepted),
        ...fact('others', 'No finding (safe, or beyond what the rule can tell)', others),
      ],
    };
  },
  conclude({ counts }) {
    const n = counts.handlers ?? 0;
    if (n === 0) return { summary: 'No queue handler found (BullMQ workers, SQS receive loops, sqs-consumer, kafkajs, amqplib, Pub/Sub).' };
    if (counts.unavailable && counts.unsafe === undefined) return { summary: `${count(n, 'queue handler')}; whether each is safe to repeat is not computed (non-idempotent-handler is not available).` };
    const unsafe = counts.unsafe ?? 0;
    const summary = `${count(n, 'queue handler')}, ${unsafe} unsafe to repeat${counts.accepted ? ` (${counts.accepted} more accepted)` : ''}.`;
    return unsafe > 0 ? { summary, automatic: { status: 'not-met', reason: `non-idempotent-handler reports ${count(unsafe, 'handler')} unsafe to repeat.` } } : { summary };
  },
};

/** `idempotency-key` headers and properties. */
const IDEMPOTENCY_KEY = /idempotency[-_]?key/i;
const NON_IDEMPOTENT_METHODS = new Set(['post', 'patch', 'postForm', 'patchForm']);

const idempotencyKeys: Probe = {
  id: 'idempotency-keys',
  collect(ctx) {
    const { calls } = outboundFacts(ctx);
    const withKey: EvidencePlace[] = [];
    const without: EvidencePlace[] = [];
    for (const c of calls) {
      if (!isNonIdempotentRequest(c.node)) continue;
      (IDEMPOTENCY_KEY.test(c.node.getText()) ? withKey : without).push(placeOf(c.node, c.label));
    }
    return {
      counts: { stateChanging: withKey.length + without.length, withKey: withKey.length },
      facts: [...fact('with-key', 'POST and PATCH calls that send an idempotency key', withKey), ...fact('without-key', 'POST and PATCH calls without an idempotency key in the call', without)],
    };
  },
  conclude({ counts }) {
    const n = counts.stateChanging ?? 0;
    if (n === 0) return { summary: 'No outbound POST or PATCH call found.' };
    return { summary: `${count(n, 'outbound POST or PATCH call')}, ${counts.withKey ?? 0} with an idempotency key.` };
  },
};

/** A POST or PATCH: `client.post(...)`, or `fetch(url, { method: 'POST' })`. */
function isNonIdempotentRequest(call: Node): boolean {
  if (!Node.isCallExpression(call)) return false;
  const callee = call.getExpression();
  if (Node.isPropertyAccessExpression(callee) && NON_IDEMPOTENT_METHODS.has(callee.getName())) return true;
  for (const raw of call.getArguments()) {
    // `{ method: 'POST', … } as RequestInit` is still the literal.
    let arg: Node = raw;
    while (Node.isAsExpression(arg) || Node.isSatisfiesExpression(arg) || Node.isParenthesizedExpression(arg)) arg = arg.getExpression();
    if (!Node.isObjectLiteralExpression(arg)) continue;
    const p = arg.getProperty('method');
    const v = p ? propertyValue(p) : undefined;
    if (v && (Node.isStringLiteral(v) || Node.isNoSubstitutionTemplateLiteral(v)) && /^(post|patch)$/i.test(v.getLiteralText())) return true;
  }
  return false;
}

const deduplication: Probe = {
  id: 'deduplication',
  collect(ctx) {
    const producer: EvidencePlace[] = [];
    const noJobId: EvidencePlace[] = [];
    const consumer: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const p of propertiesNamed(sf, /^(MessageDeduplicationId|deduplicationId)$/)) producer.push(placeOf(p, shortText(p)));
      for (const c of scanFile(sf).calls) {
        const call = wrap(sf, c);
        const callee = Node.isCallExpression(call) ? call.getExpression() : undefined;
        if (!callee || !Node.isPropertyAccessExpression(callee) || callee.getName() !== 'add') continue;
        if (rootModule(ctx.model.origin(callee.getExpression()))?.module !== 'bullmq') continue;
        const opts = (call as Node & { getArguments(): Node[] }).getArguments()[2];
        const id = opts && Node.isObjectLiteralExpression(opts) ? (opts.getProperty('jobId') ?? opts.getProperty('deduplication')) : undefined;
        if (id) producer.push(placeOf(id, `BullMQ ${shortText(id)}`));
        else noJobId.push(placeOf(call, `${shortText(callee)} without a jobId: enqueueing twice adds two jobs`));
      }
      for (const s of reviewScan(sf).strings) {
        if (/\bON\s+CONFLICT\b|\bINSERT\s+IGNORE\b|\bON\s+DUPLICATE\s+KEY\b/i.test(s.text)) consumer.push(placeOf(wrap(sf, s), 'insert that tolerates a duplicate'));
      }
    }
    return {
      counts: { producerIds: producer.length, addsWithoutJobId: noJobId.length, tolerantInserts: consumer.length },
      facts: [
        ...fact('producer', 'Deduplication ids set when sending', producer),
        ...fact('no-job-id', 'Jobs enqueued without an id', noJobId),
        ...fact('consumer', 'Writes that tolerate a duplicate (ON CONFLICT, INSERT IGNORE)', consumer),
      ],
    };
  },
  conclude({ counts }) {
    return {
      summary: `${count(counts.producerIds ?? 0, 'deduplication id')} set when sending, ${count(counts.addsWithoutJobId ?? 0, 'job')} enqueued without one; ${count(counts.tolerantInserts ?? 0, 'write')} tolerating a duplicate.`,
    };
  },
};

const DEAD_LETTER = /^(RedrivePolicy|deadLetterTargetArn|deadLetterExchange|deadLetterRoutingKey|x-dead-letter-exchange|x-dead-letter-routing-key|deadLetterPolicy|deadLetterTopic|deadLetterQueue)$/;

const deadLetter: Probe = {
  id: 'dead-letter',
  collect(ctx) {
    const configured: EvidencePlace[] = [];
    const failedHandlers: EvidencePlace[] = [];
    const kept: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const p of propertiesNamed(sf, DEAD_LETTER)) configured.push(placeOf(p, shortText(p)));
      for (const s of reviewScan(sf).strings) {
        // Property names are counted above; a string value names the setting too (`assertQueue(q, { arguments: … })`).
        const isKey = ts.isPropertyAssignment(s.parent) && s.parent.name === s;
        if (DEAD_LETTER.test(s.text) && !isKey) configured.push(placeOf(wrap(sf, s), s.text));
      }
      for (const p of propertiesNamed(sf, 'removeOnFail')) kept.push(placeOf(p, `failed BullMQ jobs kept: ${shortText(p)}`));
      for (const c of scanFile(sf).calls) {
        const call = wrap(sf, c);
        if (!Node.isCallExpression(call)) continue;
        const callee = call.getExpression();
        const [event, handler] = call.getArguments();
        if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'on' || !event || !Node.isStringLiteral(event) || event.getLiteralText() !== 'failed') continue;
        if (rootModule(ctx.model.origin(callee.getExpression()))?.module !== 'bullmq') continue;
        const forwards = handler ? /\.(add|send|publish|sendToQueue)\s*\(/.test(handler.getText()) : false;
        failedHandlers.push(placeOf(call, `failed-job handler: ${forwards ? 'moves the job on' : 'does not move the job anywhere'}`));
      }
    }
    return {
      counts: { configured: configured.length, failedHandlers: failedHandlers.length, keptFailed: kept.length },
      facts: [
        ...fact('configured', 'Dead-letter configuration', configured),
        ...fact('failed-handlers', "BullMQ 'failed' handlers", failedHandlers),
        ...fact('kept', 'Failed jobs kept for inspection', kept),
      ],
    };
  },
  conclude({ counts }) {
    const n = counts.configured ?? 0;
    const extra = [
      counts.failedHandlers ? count(counts.failedHandlers, "'failed' handler") : '',
      counts.keptFailed ? `failed jobs kept (removeOnFail) in ${count(counts.keptFailed, 'place')}` : '',
    ].filter(Boolean);
    const tail = extra.length ? `; ${extra.join(', ')}` : '';
    if (n === 0) return { summary: `No dead-letter queue configured in the code (it may be in the infrastructure: SQS RedrivePolicy, RabbitMQ x-dead-letter-exchange)${tail}.` };
    return { summary: `${count(n, 'dead-letter setting')} in the code${tail}.` };
  },
};

const ordering: Probe = {
  id: 'ordering',
  collect(ctx) {
    const ordered: EvidencePlace[] = [];
    const parallel: EvidencePlace[] = [];
    for (const sf of ctx.files) {
      for (const p of propertiesNamed(sf, /^(MessageGroupId|orderingKey|FifoQueue)$/)) ordered.push(placeOf(p, shortText(p)));
    }
    for (const h of queueHandlers(ctx)) {
      const reg = h.registration;
      if (!Node.isNewExpression(reg)) continue;
      const opts = reg.getArguments()[2];
      const p = opts && Node.isObjectLiteralExpression(opts) ? opts.getProperty('concurrency') : undefined;
      const v = p ? propertyValue(p) : undefined;
      if (v && !(Node.isNumericLiteral(v) && v.getLiteralValue() <= 1)) parallel.push(placeOf(p!, `${h.label} runs ${v.getText()} jobs at once: no order between them`));
    }
    return {
      counts: { ordered: ordered.length, parallelConsumers: parallel.length, queues: queueFacts(ctx).endpoints.length },
      facts: [...fact('ordered', 'Ordered delivery (FIFO groups, ordering keys)', ordered), ...fact('parallel', 'Consumers that process several messages at once', parallel)],
    };
  },
  conclude({ counts }) {
    if (!counts.queues) return { summary: 'No queue found.' };
    return { summary: `${count(counts.ordered ?? 0, 'ordered send')} (FIFO group or ordering key); ${count(counts.parallelConsumers ?? 0, 'consumer')} processing several messages at once.` };
  },
};

const queues: Probe = {
  id: 'queues',
  collect(ctx) {
    const { endpoints } = queueFacts(ctx);
    const of = (role: QueueEndpoint['role']) => endpoints.filter((e) => e.role === role).map((e) => placeOf(e.node, e.label));
    return {
      counts: { queues: of('queue').length, producers: of('producer').length, consumers: of('consumer').length },
      facts: [...fact('queues', 'Queues', of('queue')), ...fact('producers', 'Producers', of('producer')), ...fact('consumers', 'Consumers', of('consumer'))],
    };
  },
  conclude({ counts }) {
    const total = (counts.queues ?? 0) + (counts.producers ?? 0) + (counts.consumers ?? 0);
    if (total === 0) return { summary: 'No queue, producer or consumer found (BullMQ, SQS, sqs-consumer, kafkajs, amqplib, Pub/Sub).' };
    return { summary: `${count(counts.queues ?? 0, 'queue')} declared, ${count(counts.producers ?? 0, 'producer')}, ${count(counts.consumers ?? 0, 'consumer')}.` };
  },
};

export const QUEUE_PROBES: readonly Probe[] = [queueHandlersProbe, idempotencyKeys, deduplication, deadLetter, ordering, queues];
