import { functionName } from '../program.ts';
export { functionName };
import { Node, ts } from 'ts-morph';
import { wrap, type Origin, type ProgramModel } from '../program.ts';
import { MAY_DECLARE_CLASS } from '../prefilter.ts';

/**
 * Who a call talks to, answered from import specifiers and type annotations
 * only (no type checker): the library a receiver comes from, the plain name
 * of the object at the root of a call chain, and the function of ours a
 * call runs, including methods reached through constructor injection
 * (`constructor(private readonly orders: OrdersService)` then
 * `this.orders.create(...)`).
 */

/** The library module an origin comes from: `stripe` for `new Stripe(key).charges`, `kafkajs` for `kafka.producer()`. */
export function moduleOfOrigin(origin: Origin, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  switch (origin.kind) {
    case 'module':
      return origin.module;
    case 'typed':
      return origin.type.module;
    case 'param':
      return origin.declaredType?.module;
    case 'member':
      return moduleOfOrigin(origin.object, depth + 1);
    case 'call':
      return moduleOfOrigin(origin.callee, depth + 1);
    case 'new':
      return moduleOfOrigin(origin.ctor, depth + 1);
    default:
      return undefined;
  }
}

/** Property names of a callee chain, root first: `this.stripe.charges.create` → `['this', 'stripe', 'charges', 'create']`. */
export function calleeChain(callee: Node): string[] {
  // On the compiler's nodes: it runs for every call a handler reaches, and needs names only.
  const out: string[] = [];
  let cur: ts.Node = callee.compilerNode;
  for (let i = 0; i < 12; i++) {
    if (ts.isPropertyAccessExpression(cur)) {
      out.unshift(cur.name.text);
      cur = cur.expression;
    } else if (ts.isCallExpression(cur)) {
      // `knex('orders').insert(...)`: the call's own callee continues the chain.
      cur = cur.expression;
    } else if (ts.isNonNullExpression(cur) || ts.isParenthesizedExpression(cur) || ts.isAwaitExpression(cur) || ts.isAsExpression(cur)) {
      cur = cur.expression;
    } else if (ts.isElementAccessExpression(cur)) {
      out.unshift('[]');
      cur = cur.expression;
    } else {
      out.unshift(cur.kind === ts.SyntaxKind.ThisKeyword ? 'this' : ts.isIdentifier(cur) ? cur.text : '?');
      break;
    }
  }
  return out;
}

/** The object a call chain starts from, by name: `stripe` in `this.stripe.charges.create`, `prisma` in `prisma.order.create`. */
export function rootName(callee: Node): string {
  const chain = calleeChain(callee);
  return chain[0] === 'this' ? (chain[1] ?? '') : (chain[0] ?? '');
}

/** The receiver of a method call, unwrapped (`knex('t')` in `knex('t').insert(...)`). */
export function receiverOf(callee: Node): Node | undefined {
  return Node.isPropertyAccessExpression(callee) ? callee.getExpression() : undefined;
}

/** Whether a function-like node has a body we can read. */
export function hasBody(fn: Node): boolean {
  return (
    (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn) || Node.isArrowFunction(fn) || Node.isFunctionExpression(fn) || Node.isConstructorDeclaration(fn)) &&
    fn.getBody() !== undefined
  );
}

/**
 * The function of ours that a callee expression runs, if any: a function or
 * method the origin resolver finds, or a method of a class of ours reached
 * through a typed parameter or a typed class member (dependency injection).
 */
export function projectFunctionOf(model: ProgramModel, callee: Node): Node | undefined {
  const origin = model.origin(callee);
  if (origin.kind === 'function') return hasBody(origin.node) ? origin.node : undefined;
  if (!Node.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.getName();
  if (origin.kind === 'param' && origin.path.length === 1) {
    const cls = classOfDeclaredType(model, origin.param);
    return cls ? methodOf(model, cls, method) : undefined;
  }
  // `this.repo.insert(...)` where `repo` is a typed member of the class.
  const receiver = callee.getExpression();
  if (Node.isPropertyAccessExpression(receiver) && Node.isThisExpression(receiver.getExpression())) {
    const cls = receiver.getFirstAncestor((a) => Node.isClassDeclaration(a) || Node.isClassExpression(a));
    if (cls && (Node.isClassDeclaration(cls) || Node.isClassExpression(cls))) {
      const name = receiver.getName();
      const member: Node | undefined =
        cls.getProperty(name) ?? cls.getConstructors().flatMap((c) => c.getParameters()).find((p) => p.getName() === name && p.isParameterProperty());
      const target = member ? classOfDeclaredType(model, member) : undefined;
      if (target) return methodOf(model, target, method);
    }
  }
  return undefined;
}

/** The class of ours a declaration is annotated with (`orders: OrdersService`). */
export function classOfDeclaredType(model: ProgramModel, decl: Node): Node | undefined {
  const typeNode = (decl as unknown as { getTypeNode?(): Node | undefined }).getTypeNode?.();
  if (!typeNode || !Node.isTypeReference(typeNode)) return undefined;
  const name = typeNode.getTypeName();
  if (!Node.isIdentifier(name)) return undefined;
  return classNamed(model, name);
}

/** The class declaration an identifier names, followed through imports of our files. */
export function classNamed(model: ProgramModel, id: Node): Node | undefined {
  const decl = model.resolveIdentifier(id);
  if (!decl) return undefined;
  if (Node.isClassDeclaration(decl)) return decl;
  // Once per declaration and analysis: a file's members share a few types (`Logger`, `Repository`).
  const known = model.perRun('classNamed', () => new Map<Node, Node | undefined>());
  if (known.has(decl)) return known.get(decl);
  const cls = classOfDeclaration(model, decl);
  known.set(decl, cls);
  return cls;
}

function classOfDeclaration(model: ProgramModel, decl: Node): Node | undefined {
  // An import from a file of ours that cannot hold a class (a file of interfaces) is not parsed to find that out.
  const sf = decl.getSourceFile();
  const imported = Node.isIdentifier(decl) ? model.imports(sf).get(decl.getText()) : undefined;
  if (imported && imported.node === decl && !model.moduleMayHold(sf, imported.module, MAY_DECLARE_CLASS)) return undefined;
  const origin = model.declarationOrigin(decl, 0);
  return origin.kind === 'class' ? origin.node : undefined;
}

/** A method of a class of ours, looked up through `extends` clauses of ours (three levels). */
export function methodOf(model: ProgramModel, cls: Node, name: string, depth = 0): Node | undefined {
  if (!Node.isClassDeclaration(cls) || depth > 3) return undefined;
  // Read on the compiler's nodes: ts-morph's getMethod wraps every member of the class to find one.
  const sf = cls.getSourceFile();
  const members = cls.compilerNode.members;
  const named = (m: ts.ClassElement): boolean => m.name !== undefined && (ts.isIdentifier(m.name) || ts.isPrivateIdentifier(m.name) || ts.isStringLiteral(m.name)) && m.name.text === name;
  const method = members.find((m) => ts.isMethodDeclaration(m) && m.body !== undefined && named(m));
  if (method) return wrap(sf, method);
  const prop = members.find((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && named(m));
  const init = prop?.initializer;
  if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) return wrap(sf, init);
  const base = cls.compilerNode.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
  if (base && ts.isIdentifier(base)) {
    const baseClass = classNamed(model, wrap(sf, base));
    if (baseClass) return methodOf(model, baseClass, name, depth + 1);
  }
  return undefined;
}

/** The library a class of ours extends (`class PrismaService extends PrismaClient` → `@prisma/client`). */
export function extendedModule(model: ProgramModel, cls: Node): string | undefined {
  if (!Node.isClassDeclaration(cls)) return undefined;
  const base = cls.getExtends()?.getExpression();
  if (!base) return undefined;
  return moduleOfOrigin(model.origin(base));
}

