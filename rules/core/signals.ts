import { Node, SyntaxKind } from 'ts-morph';
import type { Origin, ProgramModel } from './program.ts';

/** What a `signal` value is worth as a deadline. */
export type SignalVerdict =
  | { kind: 'deadline' }
  /** From a parameter: the callers decide. */
  | { kind: 'caller'; origin: Extract<Origin, { kind: 'param' }> }
  /** An AbortController that nothing aborts on a timer. */
  | { kind: 'neverAborted'; controller: Node }
  /** `undefined`, `null`: no signal at all. */
  | { kind: 'none' }
  | { kind: 'unknown' };

function isGlobal(origin: Origin, name: string, path: string[]): boolean {
  return origin.kind === 'global' && origin.name === name && origin.path.length === path.length && origin.path.every((p, i) => p === path[i]);
}

/**
 * Whether a signal is a deadline: `AbortSignal.timeout(ms)`,
 * `AbortSignal.any([...])` with one inside, or an `AbortController` that a
 * timer aborts. A signal that came from the caller is the caller's to bound.
 */
export function classifySignal(model: ProgramModel, node: Node, depth = 0): SignalVerdict {
  if (depth > 4) return { kind: 'unknown' };
  const origin = model.origin(node);
  switch (origin.kind) {
    case 'call': {
      if (isGlobal(origin.callee, 'AbortSignal', ['timeout'])) return { kind: 'deadline' };
      if (isGlobal(origin.callee, 'AbortSignal', ['any'])) {
        const arr = origin.node.getArguments()[0];
        if (!arr || !Node.isArrayLiteralExpression(arr)) return { kind: 'unknown' };
        const verdicts = arr.getElements().map((e) => classifySignal(model, e, depth + 1));
        if (verdicts.some((v) => v.kind === 'deadline' || v.kind === 'unknown')) return { kind: 'deadline' };
        const caller = verdicts.find((v) => v.kind === 'caller');
        if (caller) return caller;
        const never = verdicts.find((v) => v.kind === 'neverAborted');
        return never ?? { kind: 'none' };
      }
      return { kind: 'unknown' };
    }
    case 'member': {
      if (origin.name === 'signal' && origin.object.kind === 'new' && isGlobal(origin.object.ctor, 'AbortController', [])) {
        const controller = origin.object.node;
        return abortedByTimer(controller) ? { kind: 'deadline' } : { kind: 'neverAborted', controller };
      }
      return { kind: 'unknown' };
    }
    case 'param':
      return { kind: 'caller', origin };
    case 'literal':
      return node.getText() === 'undefined' || origin.node.getKind() === SyntaxKind.NullKeyword ? { kind: 'none' } : { kind: 'unknown' };
    default:
      return node.getKind() === SyntaxKind.NullKeyword ? { kind: 'none' } : { kind: 'unknown' };
  }
}

/**
 * Whether a timer (`setTimeout`, `setInterval`) aborts the controller made
 * by `newExpr`: we look for `name.abort(` inside a timer callback, or a
 * timer given `name.abort.bind(name)`, in the scope that declares it.
 */
function abortedByTimer(newExpr: Node): boolean {
  const decl = newExpr.getParentWhile((p) => Node.isParenthesizedExpression(p) || Node.isAsExpression(p)) ?? newExpr.getParent();
  let name: string | undefined;
  if (decl && Node.isVariableDeclaration(decl)) name = decl.getName();
  else if (decl && Node.isBinaryExpression(decl)) name = decl.getLeft().getText();
  if (!name) return false;
  const scope = newExpr.getFirstAncestor((a) => Node.isFunctionLikeDeclaration(a) || Node.isSourceFile(a) || Node.isClassDeclaration(a)) ?? newExpr.getSourceFile();
  for (const call of scope.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const callee = call.getExpression().getText();
    if (!/^(globalThis\.)?(setTimeout|setInterval)$/.test(callee)) continue;
    const first = call.getArguments()[0];
    if (!first) continue;
    const text = first.getText();
    if (text.startsWith(`${name}.abort`)) return true;
    if ((Node.isArrowFunction(first) || Node.isFunctionExpression(first)) && first.getDescendantsOfKind(SyntaxKind.CallExpression).some((c) => c.getExpression().getText() === `${name}.abort`)) {
      return true;
    }
  }
  return false;
}
