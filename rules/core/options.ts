import { Node } from 'ts-morph';
import type { Origin, ProgramModel } from './program.ts';
import { propertyNameText } from './program.ts';

/** What an options object says about one key. */
export type OptionValue =
  /** The key is set; `node` is its value, `prop` the property. */
  | { kind: 'set'; node: Node; prop: Node }
  /** The object is fully known and does not set the key. */
  | { kind: 'absent' }
  /** The key may come from a parameter of the enclosing function (`{ ...init }`, or `init` itself). */
  | { kind: 'caller'; origin: Extract<Origin, { kind: 'param' }> }
  /** The object comes from somewhere we cannot read: assume the author set it. */
  | { kind: 'unknown' };

/**
 * Reads `key` from an options argument, following identifiers to their
 * object literals and spreads to where they come from. A missing argument
 * is an object without the key.
 */
export function readOption(model: ProgramModel, options: Node | undefined, key: string, depth = 0): OptionValue {
  if (!options || depth > 6) return options ? { kind: 'unknown' } : { kind: 'absent' };
  const origin = Node.isObjectLiteralExpression(options) ? ({ kind: 'object', node: options } as const) : model.origin(options);
  return readFromOrigin(model, origin, key, depth);
}

function readFromOrigin(model: ProgramModel, origin: Origin, key: string, depth: number): OptionValue {
  switch (origin.kind) {
    case 'object':
      return Node.isObjectLiteralExpression(origin.node) ? readLiteral(model, origin.node, key, depth) : { kind: 'unknown' };
    case 'param':
      return { kind: 'caller', origin };
    case 'literal':
      // `undefined` passed explicitly is no options at all.
      return origin.node.getText() === 'undefined' ? { kind: 'absent' } : { kind: 'unknown' };
    default:
      return { kind: 'unknown' };
  }
}

function readLiteral(model: ProgramModel, obj: Node, key: string, depth: number): OptionValue {
  if (!Node.isObjectLiteralExpression(obj)) return { kind: 'unknown' };
  const props = obj.getProperties();
  // Later properties win: read from the end, stopping at the first that decides.
  for (let i = props.length - 1; i >= 0; i--) {
    const p = props[i]!;
    if (Node.isSpreadAssignment(p)) {
      const inner = readFromOrigin(model, model.origin(p.getExpression()), key, depth + 1);
      if (inner.kind !== 'absent') return inner;
      continue;
    }
    if (Node.isPropertyAssignment(p) && propertyNameText(p) === key) return { kind: 'set', node: p.getInitializerOrThrow(), prop: p };
    if (Node.isShorthandPropertyAssignment(p) && p.getName() === key) return { kind: 'set', node: p.getNameNode(), prop: p };
    if (Node.isPropertyAssignment(p) && Node.isComputedPropertyName(p.getNameNode()) && propertyNameText(p) === undefined) {
      // `[someKey]: value` might be the key we look for.
      return { kind: 'unknown' };
    }
  }
  return { kind: 'absent' };
}

/** The object literal an options argument is, directly or through a local const. */
export function literalObject(model: ProgramModel, node: Node | undefined): Node | undefined {
  if (!node) return undefined;
  if (Node.isObjectLiteralExpression(node)) return node;
  const origin = model.origin(node);
  return origin.kind === 'object' && Node.isObjectLiteralExpression(origin.node) ? origin.node : undefined;
}

/** A number the code states: a literal, a negative literal, `Infinity`, or a const that holds one. */
export function numericValue(model: ProgramModel, node: Node, depth = 0): number | undefined {
  if (depth > 4) return undefined;
  if (Node.isNumericLiteral(node)) return node.getLiteralValue();
  if (Node.isIdentifier(node) && node.getText() === 'Infinity') {
    return model.resolveIdentifier(node) ? undefined : Infinity;
  }
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === 41 /* MinusToken */) {
    const inner = numericValue(model, node.getOperand(), depth + 1);
    return inner === undefined ? undefined : -inner;
  }
  if (Node.isParenthesizedExpression(node) || Node.isAsExpression(node)) return numericValue(model, node.getExpression(), depth + 1);
  if (Node.isIdentifier(node) || Node.isPropertyAccessExpression(node)) {
    if (Node.isPropertyAccessExpression(node) && node.getText() === 'Number.POSITIVE_INFINITY') return Infinity;
    const origin = model.origin(node);
    if (origin.kind === 'literal') return numericValue(model, origin.node, depth + 1);
  }
  return undefined;
}
