import * as path from 'node:path';
import { Node, SyntaxKind, type SourceFile } from 'ts-morph';
import { literalObject, readOption } from '../options.ts';
import { wrap, type Origin, type ProgramModel } from '../program.ts';
import { calleeName, scanFile, type Relevance } from '../scan.ts';
import { stringValue } from './effects.ts';
import { functionName, hasBody, moduleOfOrigin, projectFunctionOf } from './receivers.ts';

/**
 * Finds message handlers: the functions a queue consumer runs once per
 * message (or batch), wherever they are registered. Each library's
 * registration is read from import specifiers and call shapes; handlers
 * passed through a function of ours (a worker manager that calls
 * `new Worker(name, processor)` for processors defined elsewhere) are found
 * at that function's call sites.
 */

export type ConsumerLibrary =
  | 'bullmq'
  | 'bull'
  | 'nestjs-bullmq'
  | 'nestjs-bull'
  | 'amqplib'
  | 'amqp-connection-manager'
  | 'kafkajs'
  | 'sqs-consumer'
  | 'sqs-poll'
  | 'lambda-sqs'
  | 'pubsub'
  | 'nestjs-microservices'
  | 'custom';

/** How one message reaches the handler, which says where its id is. */
export type MessageShape =
  /** BullMQ `job` (`job.id`, `job.queueName`). */
  | 'job'
  /** Bull v3 `job` (`job.id`, `job.queue.name`). */
  | 'bullJob'
  /** amqplib `ConsumeMessage` (`msg.properties.messageId`). */
  | 'amqp'
  /** kafkajs `EachMessagePayload` (`topic`, `partition`, `message.offset`). */
  | 'kafkaMessage'
  /** kafkajs `EachBatchPayload`: a loop over `batch.messages`. */
  | 'kafkaBatch'
  /** An SQS `Message` (`MessageId`): sqs-consumer, or one message of a polling loop. */
  | 'sqsMessage'
  /** sqs-consumer `handleMessageBatch`: an array of `Message`. */
  | 'sqsMessages'
  /** A Lambda `SQSEvent`: a loop over `event.Records`. */
  | 'sqsEvent'
  /** One Lambda `SQSRecord` (`messageId`). */
  | 'sqsRecord'
  /** A Pub/Sub `Message` (`message.id`). */
  | 'pubsub'
  /** A NestJS `@Payload()`: the transport's id is not in reach. */
  | 'payload';

export interface HandlerSite {
  library: ConsumerLibrary;
  shape: MessageShape;
  /** The function that handles a message or a batch, or the body of a polling loop. */
  root: Node;
  /** For a polling loop: the variable that holds one message. */
  messageVar?: Node;
  /** Where the finding goes: the handler's name, or the first token of an inline handler. */
  anchor: Node;
  /** The registration: `new Worker(...)`, `channel.consume(...)`, a decorator… */
  registration: Node;
  /** sqs-consumer: `handleMessage` or `handleMessageBatch`. */
  hook?: string;
  /** The registration's options (amqplib `consume` options, sqs-consumer options). */
  options?: Node;
  /** The registration wraps the handler in a guard (`makeIdempotent(handler)`, a configured guard). */
  guarded: boolean;
  /** Powertools `processPartialResponse` reports batch item failures for it. */
  reportsBatchFailures?: boolean;
}

/** A function of the project that registers a handler (configured, or found wrapping a consumer library). */
export interface Registration {
  name: string;
  module?: string;
  handlerArgument: number;
  library?: ConsumerLibrary;
}

export const CONSUMER_MODULES = new Set([
  'bullmq', 'bull', '@nestjs/bullmq', '@nestjs/bull', 'amqplib', 'amqplib/callback_api', 'amqp-connection-manager', 'kafkajs', 'sqs-consumer',
  '@aws-sdk/client-sqs', 'aws-lambda', '@google-cloud/pubsub', '@nestjs/microservices', '@aws-lambda-powertools/batch', '@aws-lambda-powertools/idempotency',
]);

const LIBRARY_SHAPE: Record<ConsumerLibrary, MessageShape> = {
  bullmq: 'job', bull: 'bullJob', 'nestjs-bullmq': 'job', 'nestjs-bull': 'bullJob', amqplib: 'amqp', 'amqp-connection-manager': 'amqp', kafkajs: 'kafkaMessage',
  'sqs-consumer': 'sqsMessage', 'sqs-poll': 'sqsMessage', 'lambda-sqs': 'sqsEvent', pubsub: 'pubsub', 'nestjs-microservices': 'payload', custom: 'payload',
};

type ParamOrigin = Extract<Origin, { kind: 'param' }>;

interface Resolved {
  fn?: Node;
  guarded: boolean;
  /** The handler is a parameter of the function that registers it: a wrapper of ours. */
  param?: ParamOrigin;
}

function isFunctionNode(node: Node): boolean {
  return Node.isArrowFunction(node) || Node.isFunctionExpression(node) || Node.isFunctionDeclaration(node) || Node.isMethodDeclaration(node);
}

/** The node a finding on a handler starts at: its name, or the first token of an inline function. */
export function anchorOf(fn: Node): Node {
  if ((Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn) || Node.isFunctionExpression(fn)) && fn.getNameNode()) return fn.getNameNode()!;
  const parent = fn.getParent();
  if (parent && (Node.isPropertyAssignment(parent) || Node.isVariableDeclaration(parent) || Node.isPropertyDeclaration(parent))) return parent.getNameNode();
  let first: Node | undefined = fn.getFirstChild();
  while (first && first.getKind() === SyntaxKind.SyntaxList) first = first.getFirstChild();
  return first ?? fn;
}

export class HandlerFinder {
  private readonly wrappers = new Map<Node, { index: number; library: ConsumerLibrary; shape: MessageShape }>();

  constructor(
    private readonly model: ProgramModel,
    private readonly relevance: Relevance,
    private readonly guardNames: ReadonlySet<string>,
    private readonly registrations: readonly Registration[],
  ) {}

  /** Every handler of the program: registrations in files that import a consumer library, then those made through wrappers of ours. */
  findAll(): HandlerSite[] {
    const sites: HandlerSite[] = [];
    for (const sf of this.model.sourceFiles()) {
      if (!this.relevance.isDirect(sf)) continue;
      sites.push(...this.inFile(sf));
    }
    sites.push(...this.throughWrappers());
    const seen = new Set<Node>();
    return sites.filter((s) => (seen.has(s.root) ? false : (seen.add(s.root), true)));
  }

  private inFile(sf: SourceFile): HandlerSite[] {
    const out: HandlerSite[] = [];
    const scan = scanFile(sf);
    const imports = this.model.importedModules(sf);
    for (const n of scan.news) {
      const name = calleeName(n.expression);
      if (name !== 'Worker' && name !== 'Consumer' && name !== 'ReceiveMessageCommand') continue;
      const expr = wrap(sf, n);
      if (!Node.isNewExpression(expr)) continue;
      const ctor = this.model.origin(expr.getExpression());
      const mod = moduleOfOrigin(ctor);
      const args = expr.getArguments();
      if (mod === 'bullmq' && name === 'Worker') this.add(out, 'bullmq', expr, args[1]);
      else if (mod === 'sqs-consumer' && name === 'Consumer') this.sqsConsumer(out, expr, args[0]);
      else if (mod === '@aws-sdk/client-sqs' && name === 'ReceiveMessageCommand') this.pollingLoop(out, expr);
    }
    for (const c of scan.calls) {
      const name = calleeName(c.expression);
      if (!name) continue;
      const configured = this.registrations.find((r) => r.name === name || r.name.endsWith(`.${name}`));
      if (!configured && !['process', 'consume', 'run', 'create', 'on', 'processPartialResponse'].includes(name)) continue;
      const call = wrap(sf, c);
      if (!Node.isCallExpression(call)) continue;
      const callee = call.getExpression();
      const args = call.getArguments();
      if (configured) {
        const binding = configured.module ? this.model.imports(sf).get(callee.getText().split('.')[0]!) : undefined;
        if (!configured.module || binding?.module === configured.module) {
          this.add(out, configured.library ?? 'custom', call, args[configured.handlerArgument]);
          continue;
        }
      }
      const mod = moduleOfOrigin(this.model.origin(callee));
      if (name === 'process' && (mod === 'bull' || (mod === undefined && imports.has('bull') && !imports.has('bullmq')))) {
        this.add(out, 'bull', call, args[args.length - 1]);
      } else if (name === 'consume' && args.length >= 2) {
        const lib = mod === 'amqp-connection-manager' || (mod === undefined && imports.has('amqp-connection-manager')) ? 'amqp-connection-manager' : mod === 'amqplib' || mod === 'amqplib/callback_api' || (mod === undefined && (imports.has('amqplib') || imports.has('amqplib/callback_api'))) ? 'amqplib' : undefined;
        if (lib) this.add(out, lib, call, args[1], { options: args[2] });
      } else if (name === 'run' && (mod === 'kafkajs' || (mod === undefined && imports.has('kafkajs')))) {
        const cfg = literalObject(this.model, args[0]);
        for (const hook of ['eachMessage', 'eachBatch'] as const) {
          const fn = this.hook(cfg, hook);
          if (fn) this.add(out, 'kafkajs', call, fn, { shape: hook === 'eachBatch' ? 'kafkaBatch' : 'kafkaMessage' });
        }
      } else if (name === 'create' && mod === 'sqs-consumer') {
        this.sqsConsumer(out, call, args[0]);
      } else if (name === 'on' && args.length >= 2 && stringValue(this.model, args[0])?.text === 'message' && (mod === '@google-cloud/pubsub' || (mod === undefined && imports.has('@google-cloud/pubsub')))) {
        this.add(out, 'pubsub', call, args[1]);
      } else if (name === 'processPartialResponse' && mod === '@aws-lambda-powertools/batch') {
        this.add(out, 'lambda-sqs', call, args[1], { shape: 'sqsRecord', reportsBatchFailures: true });
      }
    }
    if (imports.has('@nestjs/bullmq') || imports.has('@nestjs/bull') || imports.has('@nestjs/microservices')) this.nestClasses(out, sf);
    if (imports.has('aws-lambda')) this.lambdaHandlers(out, sf);
    return out;
  }

  /** Resolves what a registration is given as handler: a function, a function of ours by name, a guard around one, a processor file. */
  private resolve(arg: Node | undefined, depth = 0): Resolved {
    if (!arg || depth > 4) return { guarded: false };
    if (Node.isParenthesizedExpression(arg) || Node.isAsExpression(arg) || Node.isSatisfiesExpression(arg)) return this.resolve(arg.getExpression(), depth + 1);
    if (isFunctionNode(arg)) return { fn: arg, guarded: false };
    if (Node.isCallExpression(arg)) {
      const callee = arg.getExpression();
      const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
      // `handler.bind(this)`
      if (name === 'bind' && Node.isPropertyAccessExpression(callee)) return this.resolve(callee.getExpression(), depth + 1);
      const isGuard = this.guardNames.has(name) || this.guardNames.has(callee.getText()) || (name === 'makeIdempotent' && moduleOfOrigin(this.model.origin(callee)) === '@aws-lambda-powertools/idempotency');
      if (isGuard) return { ...this.resolve(arg.getArguments()[0], depth + 1), guarded: true };
      // `path.join(__dirname, 'processor.js')`, `new URL('./processor.js', import.meta.url)`: a processor file.
      const file = this.processorFile(arg);
      if (file) return { fn: file, guarded: false };
      return { guarded: false };
    }
    if (Node.isNewExpression(arg) || Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg) || Node.isTemplateExpression(arg)) {
      const file = this.processorFile(arg);
      return file ? { fn: file, guarded: false } : { guarded: false };
    }
    if (Node.isIdentifier(arg) || Node.isPropertyAccessExpression(arg)) {
      const fn = projectFunctionOf(this.model, arg);
      if (fn) return { fn, guarded: false };
      const origin = this.model.origin(arg);
      if (origin.kind === 'param' && origin.path.length === 0) return { guarded: false, param: origin };
      if (origin.kind === 'call' && Node.isCallExpression(origin.node)) return this.resolve(origin.node, depth + 1);
      if (origin.kind === 'literal') return this.resolve(origin.node, depth + 1);
    }
    return { guarded: false };
  }

  /** The default export of a sandboxed processor file named by a path expression. */
  private processorFile(expr: Node): Node | undefined {
    const literal = expr.getDescendantsOfKind(SyntaxKind.StringLiteral).concat(Node.isStringLiteral(expr) ? [expr] : []).find((s) => /\.(m|c)?[jt]s$/.test(s.getLiteralText()));
    const template = !literal && (Node.isTemplateExpression(expr) || Node.isNoSubstitutionTemplateLiteral(expr)) ? expr.getText().slice(1, -1) : undefined;
    const raw = literal?.getLiteralText() ?? template?.replace(/^\$\{[^}]*\}/, '.');
    if (!raw) return undefined;
    const sf = expr.getSourceFile();
    const target = this.model.resolveModule(sf, raw.startsWith('.') ? raw : `./${raw.replace(/^\/+/, '')}`) ?? this.model.project.getSourceFile(path.resolve(sf.getDirectoryPath(), raw.replace(/\.(m|c)?js$/, '.ts')));
    if (!target) return undefined;
    const exported = this.model.exportedDeclaration(target, 'default');
    if (!exported) return undefined;
    if (isFunctionNode(exported)) return exported;
    const origin = this.model.origin(exported);
    return origin.kind === 'function' ? origin.node : undefined;
  }

  /** A hook of an options object: `eachMessage: async (...) => {}` or `async eachMessage(...) {}`. */
  private hook(obj: Node | undefined, name: string): Node | undefined {
    if (!obj || !Node.isObjectLiteralExpression(obj)) return undefined;
    const prop = obj.getProperty(name);
    if (prop && Node.isMethodDeclaration(prop)) return prop;
    const v = readOption(this.model, obj, name);
    return v.kind === 'set' ? v.node : undefined;
  }

  private add(out: HandlerSite[], library: ConsumerLibrary, registration: Node, arg: Node | undefined, extra: { shape?: MessageShape; options?: Node; reportsBatchFailures?: boolean; hook?: string } = {}): HandlerSite | undefined {
    const r = this.resolve(arg);
    if (r.param) {
      // `new Worker(name, processor)` inside a function that receives `processor`: its callers register the handlers.
      this.wrappers.set(r.param.fn, { index: r.param.index, library, shape: extra.shape ?? LIBRARY_SHAPE[library] });
      return undefined;
    }
    if (!r.fn || !hasBody(r.fn)) return undefined;
    this.forwardedParam(r.fn, library, extra.shape ?? LIBRARY_SHAPE[library]);
    const site: HandlerSite = {
      library,
      shape: extra.shape ?? LIBRARY_SHAPE[library],
      root: r.fn,
      anchor: anchorOf(r.fn),
      registration,
      guarded: r.guarded,
      ...(extra.options ? { options: extra.options } : {}),
      ...(extra.reportsBatchFailures ? { reportsBatchFailures: true } : {}),
      ...(extra.hook ? { hook: extra.hook } : {}),
    };
    out.push(site);
    return site;
  }

  /** An inline handler that hands the message to a parameter of the enclosing function (`async (job) => processor(job)`): that function is a wrapper. */
  private forwardedParam(fn: Node, library: ConsumerLibrary, shape: MessageShape): void {
    if (!Node.isArrowFunction(fn) && !Node.isFunctionExpression(fn)) return;
    // Only a call of a name that a parameter of an enclosing function binds can be one (checked by text first: cheap).
    const outerParams = new Set<string>();
    for (const a of fn.getAncestors()) {
      if (!isFunctionNode(a)) continue;
      for (const p of (a as Node & { getParameters(): Node[] }).getParameters()) if (Node.isParameterDeclaration(p)) outerParams.add(p.getName());
    }
    if (outerParams.size === 0) return;
    for (const call of fn.getDescendantsOfKind(SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (!Node.isIdentifier(callee) || !outerParams.has(callee.getText())) continue;
      const origin = this.model.origin(callee);
      if (origin.kind === 'param' && origin.path.length === 0 && origin.fn !== fn && fn.getAncestors().includes(origin.fn)) {
        this.wrappers.set(origin.fn, { index: origin.index, library, shape });
      }
    }
  }

  /** Handlers passed to a wrapper of ours: found at the wrapper's call sites, in its file and the files that import it. */
  private throughWrappers(): HandlerSite[] {
    const out: HandlerSite[] = [];
    for (const [fn, w] of this.wrappers) {
      const name = functionName(fn);
      if (!name) continue;
      const home = fn.getSourceFile();
      for (const sf of [home, ...this.relevance.importersOf(home)]) {
        for (const c of scanFile(sf).calls) {
          if (calleeName(c.expression) !== name) continue;
          const call = wrap(sf, c);
          if (!Node.isCallExpression(call) || projectFunctionOf(this.model, call.getExpression()) !== fn) continue;
          this.add(out, w.library, call, call.getArguments()[w.index], { shape: w.shape });
        }
      }
    }
    return out;
  }

  private sqsConsumer(out: HandlerSite[], registration: Node, optionsArg: Node | undefined): void {
    const opts = literalObject(this.model, optionsArg);
    if (!opts) return;
    for (const hook of ['handleMessage', 'handleMessageBatch'] as const) {
      const fn = this.hook(opts, hook);
      if (fn) this.add(out, 'sqs-consumer', registration, fn, { shape: hook === 'handleMessage' ? 'sqsMessage' : 'sqsMessages', options: opts, hook });
    }
  }

  /** `sqs.send(new ReceiveMessageCommand(...))` and a loop over the `Messages` it returns, in the same function. */
  private pollingLoop(out: HandlerSite[], command: Node): void {
    const fn = command.getFirstAncestor((a) => isFunctionNode(a));
    if (!fn) return;
    for (const loop of fn.getDescendantsOfKind(SyntaxKind.ForOfStatement)) {
      if (!/\bMessages\b/.test(loop.getExpression().getText()) && !this.boundFromReceive(loop.getExpression(), command)) continue;
      const init = loop.getInitializer();
      const decl = Node.isVariableDeclarationList(init) ? init.getDeclarations()[0] : undefined;
      if (!decl || !Node.isIdentifier(decl.getNameNode())) continue;
      const forKeyword = loop.getFirstChildByKind(SyntaxKind.ForKeyword) ?? loop;
      out.push({ library: 'sqs-poll', shape: 'sqsMessage', root: loop.getStatement(), messageVar: decl, anchor: forKeyword, registration: command, guarded: false });
    }
  }

  /** Whether a loop's iterable was bound from the receive call (`const { Messages: batch = [] } = await sqs.send(...)`). */
  private boundFromReceive(iterable: Node, command: Node): boolean {
    if (!Node.isIdentifier(iterable)) return false;
    const decl = this.model.resolveIdentifier(iterable);
    const holder = decl && Node.isBindingElement(decl) ? decl.getFirstAncestorByKind(SyntaxKind.VariableDeclaration) : decl;
    return holder !== undefined && Node.isVariableDeclaration(holder) && (holder.getInitializer()?.getDescendants().includes(command) ?? false);
  }

  /** NestJS: `@Processor()` classes (`WorkerHost.process`, Bull `@Process()` methods) and `@EventPattern` / `@MessagePattern` methods. */
  private nestClasses(out: HandlerSite[], sf: SourceFile): void {
    const imports = this.model.imports(sf);
    const moduleOfDecorator = (d: Node): string | undefined => {
      if (!Node.isDecorator(d)) return undefined;
      const name = d.getName();
      return imports.get(name)?.module;
    };
    for (const cls of sf.getDescendantsOfKind(SyntaxKind.ClassDeclaration)) {
      const processor = cls.getDecorators().find((d) => d.getName() === 'Processor');
      const processorModule = processor ? moduleOfDecorator(processor) : undefined;
      for (const method of cls.getMethods()) {
        if (!method.getBody()) continue;
        const decorators = method.getDecorators();
        const guarded = decorators.some((d) => this.guardNames.has(d.getName()));
        const at = (library: ConsumerLibrary, registration: Node): void => {
          out.push({ library, shape: LIBRARY_SHAPE[library], root: method, anchor: method.getNameNode(), registration, guarded });
        };
        if (processorModule === '@nestjs/bullmq' && method.getName() === 'process') at('nestjs-bullmq', processor!);
        else if (processorModule === '@nestjs/bull' && decorators.some((d) => d.getName() === 'Process' && moduleOfDecorator(d) === '@nestjs/bull')) at('nestjs-bull', processor!);
        const pattern = decorators.find((d) => (d.getName() === 'EventPattern' || d.getName() === 'MessagePattern') && moduleOfDecorator(d) === '@nestjs/microservices');
        if (pattern) at('nestjs-microservices', pattern);
      }
    }
  }

  /** AWS Lambda handlers: a function typed `SQSHandler`, or one whose first parameter is an `SQSEvent`. */
  private lambdaHandlers(out: HandlerSite[], sf: SourceFile): void {
    const imports = this.model.imports(sf);
    const fromLambda = (typeName: string): boolean => imports.get(typeName)?.module === 'aws-lambda';
    const typeNameOf = (node: Node | undefined): string | undefined => (node && Node.isTypeReference(node) ? node.getTypeName().getText() : undefined);
    const consider = (fn: Node, typeNode: Node | undefined): void => {
      if (!isFunctionNode(fn) || !hasBody(fn)) return;
      const fnType = typeNameOf(typeNode);
      const handlerTyped = fnType !== undefined && fromLambda(fnType) && (fnType === 'SQSHandler' || (fnType === 'Handler' && /SQSEvent/.test(typeNode!.getText())));
      const params = (fn as Node & { getParameters(): Node[] }).getParameters();
      const first = params[0] && Node.isParameterDeclaration(params[0]) ? typeNameOf(params[0].getTypeNode()) : undefined;
      if (handlerTyped || (first === 'SQSEvent' && fromLambda('SQSEvent'))) {
        out.push({ library: 'lambda-sqs', shape: 'sqsEvent', root: fn, anchor: anchorOf(fn), registration: fn, guarded: false });
      }
    };
    for (const fn of sf.getFunctions()) consider(fn, undefined);
    for (const stmt of sf.getVariableStatements()) {
      for (const decl of stmt.getDeclarations()) {
        const init = decl.getInitializer();
        if (!init) continue;
        if (Node.isCallExpression(init)) {
          // `export const handler = makeIdempotent(async (event: SQSEvent) => …, …)`: guarded at the registration.
          const r = this.resolve(init);
          if (r.fn && r.guarded) {
            const before = out.length;
            consider(r.fn, decl.getTypeNode());
            for (let i = before; i < out.length; i++) out[i] = { ...out[i]!, guarded: true, anchor: decl.getNameNode() };
          }
          continue;
        }
        consider(init, decl.getTypeNode());
      }
    }
  }
}
