import { Node } from 'ts-morph';
import type { TextEdit } from '../types.ts';

/**
 * Text edits that read as a person would write them: they follow the
 * object's layout (one line or one property per line) and its trailing
 * comma, and never reformat what they do not touch.
 */

export function replaceNode(node: Node, newText: string): TextEdit {
  return { file: node.getSourceFile().getFilePath(), start: node.getStart(), end: node.getEnd(), newText };
}

export function insertAt(node: Node, offset: number, newText: string): TextEdit {
  return { file: node.getSourceFile().getFilePath(), start: offset, end: offset, newText };
}

/** Adds `propertyText` (`timeout: 10_000`) as the last property of an object literal. */
export function addProperty(obj: Node, propertyText: string): TextEdit {
  if (!Node.isObjectLiteralExpression(obj)) throw new Error('addProperty needs an object literal');
  const props = obj.getProperties();
  const sf = obj.getSourceFile();
  const text = sf.getFullText();
  const closeBrace = obj.getEnd() - 1;
  if (props.length === 0) {
    const inner = text.slice(obj.getStart() + 1, closeBrace);
    if (inner.trim() === '') return { file: sf.getFilePath(), start: obj.getStart(), end: obj.getEnd(), newText: `{ ${propertyText} }` };
  }
  const last = props[props.length - 1]!;
  const multiline = text.slice(obj.getStart(), obj.getEnd()).includes('\n');
  const afterLast = text.slice(last.getEnd(), closeBrace);
  const hasTrailingComma = /^\s*,/.test(afterLast);
  if (multiline) {
    const indent = indentOf(text, last.getStart());
    const insertPos = hasTrailingComma ? last.getEnd() + afterLast.indexOf(',') + 1 : last.getEnd();
    const lead = hasTrailingComma ? '' : ',';
    const trail = hasTrailingComma ? ',' : '';
    return { file: sf.getFilePath(), start: insertPos, end: insertPos, newText: `${lead}\n${indent}${propertyText}${trail}` };
  }
  if (hasTrailingComma) {
    const commaPos = last.getEnd() + afterLast.indexOf(',') + 1;
    return { file: sf.getFilePath(), start: commaPos, end: commaPos, newText: ` ${propertyText},` };
  }
  return { file: sf.getFilePath(), start: last.getEnd(), end: last.getEnd(), newText: `, ${propertyText}` };
}

/** The whitespace that starts the line `offset` stands on. */
export function indentOf(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const m = /^[ \t]*/.exec(text.slice(lineStart, offset));
  return m ? m[0] : '';
}

/**
 * Sets argument `index` of a call or `new` expression to `argText`,
 * filling skipped optional arguments with `undefined`.
 */
export function setArgument(call: Node, index: number, argText: string): TextEdit {
  if (!Node.isCallExpression(call) && !Node.isNewExpression(call)) throw new Error('setArgument needs a call');
  const args = call.getArguments();
  const sf = call.getSourceFile();
  if (index < args.length) return replaceNode(args[index]!, argText);
  const padding = Array.from({ length: index - args.length }, () => 'undefined');
  const parts = [...padding, argText].join(', ');
  if (args.length > 0) {
    const last = args[args.length - 1]!;
    return { file: sf.getFilePath(), start: last.getEnd(), end: last.getEnd(), newText: `, ${parts}` };
  }
  // `new Redis` has no parentheses at all.
  const text = call.getText();
  if (Node.isNewExpression(call) && !text.trimEnd().endsWith(')')) {
    return { file: sf.getFilePath(), start: call.getEnd(), end: call.getEnd(), newText: `(${parts})` };
  }
  const close = call.getEnd() - 1;
  return { file: sf.getFilePath(), start: close, end: close, newText: parts };
}

/** Inserts an argument before argument `index` (the callback keeps its place last). */
export function insertArgumentBefore(call: Node, index: number, argText: string): TextEdit {
  if (!Node.isCallExpression(call) && !Node.isNewExpression(call)) throw new Error('insertArgumentBefore needs a call');
  const arg = call.getArguments()[index]!;
  return { file: call.getSourceFile().getFilePath(), start: arg.getStart(), end: arg.getStart(), newText: `${argText}, ` };
}

/** `10000` → `10_000`, as people write long literals. */
export function formatMs(ms: number): string {
  const s = String(ms);
  return ms >= 10_000 && Number.isInteger(ms) ? s.replace(/\B(?=(\d{3})+(?!\d))/g, '_') : s;
}
