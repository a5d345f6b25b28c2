import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Finding, Fix, Position, RuleMeta, SeveritySetting, Severity, SourceRange } from './types.ts';

/**
 * Suppression comments, as ESLint's disable directives:
 *
 * - `// faultline-disable-next-line missing-timeout -- reason` silences the line after the comment;
 * - `// faultline-disable-line missing-timeout -- reason` silences the line the comment stands on;
 * - `/* faultline-disable missing-timeout -- reason *\/` anywhere in a file silences the whole file.
 *
 * Rule ids are comma-separated; no id means every rule. The text after `--`
 * is the justification (SARIF `suppressions[].justification`). A comment, or
 * one rule id of it, that silences nothing becomes an `unused-suppression`
 * finding whose safe fix removes it.
 */

export const UNUSED_SUPPRESSION_RULE_ID = 'unused-suppression';

/** Metadata of the `unused-suppression` pseudo-rule, for configuration, SARIF and docs. */
export const unusedSuppressionRule: RuleMeta = {
  id: UNUSED_SUPPRESSION_RULE_ID,
  defaultSeverity: 'warning',
  shortDescription: 'Suppression comment that silences nothing',
  fullDescription:
    'A `faultline-disable` comment, or one rule id listed in it, that silences no finding. Stale suppressions hide the next real finding on that line.',
  messages: { unused: 'This suppression comment silences nothing: {detail}.' },
  docs: {
    whatItDoes: 'Reports `faultline-disable-next-line`, `faultline-disable-line` and `faultline-disable` comments (or single rule ids in them) that silence no finding.',
    why: 'A suppression outlives the code it was written for: once the call is fixed or moved, the comment silently swallows whatever finding appears on that line next.',
    incorrect: '// faultline-disable-next-line missing-timeout -- upstream is local\nconst x = 1;\n',
    correct: '// faultline-disable-next-line missing-timeout -- upstream is local\nawait fetch(url);\n',
    fixSafety: 'The fix removes the comment (or the unused rule id from its list). It is safe: comments do not change behaviour.',
    references: ['ESLint `--report-unused-disable-directives`: https://eslint.org/docs/latest/use/command-line-interface#--report-unused-disable-directives'],
  },
};

export type SuppressionScope = 'next-line' | 'line' | 'file';

/** One suppression comment found in a file. */
export interface SuppressionComment {
  scope: SuppressionScope;
  /** The rule ids listed, in order; empty means every rule. */
  ruleIds: { id: string; start: number; end: number }[];
  justification: string;
  /** The comment's full text, delimiters included. */
  text: string;
  /** Offsets of the comment (0-based, end exclusive). */
  start: number;
  end: number;
  /** The 1-based line a finding must start on to be silenced (undefined for `file`). */
  targetLine?: number;
}

export interface SuppressionOptions {
  /**
   * Severity of `unused-suppression` findings (`off` reports none). Defaults
   * to the pseudo-rule's default, `warning`.
   */
  unusedSeverity?: SeveritySetting;
  /**
   * Known rules that did not run (set to `off`). A listed id of such a rule
   * cannot have silenced anything and is not reported as unused:
   * `--rule missing-timeout=off` must not flag every `missing-timeout`
   * comment. Unknown ids (typos) are still reported.
   */
  disabledRuleIds?: ReadonlySet<string> | readonly string[];
}

/**
 * Marks findings silenced by suppression comments (`suppression` set, not
 * dropped) and adds one `unused-suppression` finding per comment, or per
 * listed rule id of a comment, that silences nothing. Findings in files
 * missing from `files` are returned unchanged.
 */
export function applySuppressions(
  findings: Finding[],
  files: { file: string; text: string }[],
  root: string,
  options: SuppressionOptions = {},
): Finding[] {
  const unusedSeverity = options.unusedSeverity ?? unusedSuppressionRule.defaultSeverity;
  const disabled = new Set(options.disabledRuleIds ?? []);
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byFile.get(f.location.file);
    if (list) list.push(f);
    else byFile.set(f.location.file, [f]);
  }

  const out: Finding[] = findings.map((f) => f);
  const index = new Map(findings.map((f, i) => [f, i]));
  for (const { file, text } of files) {
    // Cheap pre-check: almost no file has a suppression comment.
    if (!text.includes('faultline-disable')) continue;
    const lines = new LineIndex(text);
    const comments = findSuppressionComments(text, lines);
    if (comments.length === 0) continue;

    // usage[c] holds the rule ids comment c silenced ('*' for an id-less comment).
    const usage = comments.map(() => new Set<string>());
    for (const finding of byFile.get(file) ?? []) {
      if (finding.suppression || finding.ruleId === UNUSED_SUPPRESSION_RULE_ID) continue;
      const c = matchingComment(comments, finding);
      if (c === undefined) continue;
      const comment = comments[c]!;
      usage[c]!.add(comment.ruleIds.length === 0 ? '*' : finding.ruleId);
      out[index.get(finding)!] = {
        ...finding,
        suppression: { kind: 'inSource', justification: comment.justification, location: rangeIn(file, lines, comment.start, comment.end) },
      };
    }

    if (unusedSeverity === 'off') continue;
    const rel = relativePath(root, file);
    const seen = new Map<string, number>();
    comments.forEach((comment, c) => {
      for (const unused of unusedParts(comment, usage[c]!, disabled)) {
        out.push(unusedFinding(unused, comment, file, rel, text, lines, unusedSeverity, seen));
      }
    });
  }
  return out.sort(compareFindings);
}

/** The comment that silences a finding: a line-level one first (more specific), then a file-level one. */
function matchingComment(comments: SuppressionComment[], finding: Finding): number | undefined {
  const covers = (c: SuppressionComment): boolean => c.ruleIds.length === 0 || c.ruleIds.some((r) => r.id === finding.ruleId);
  const line = finding.location.startPos.line;
  const lineLevel = comments.findIndex((c) => c.scope !== 'file' && c.targetLine === line && covers(c));
  if (lineLevel >= 0) return lineLevel;
  const fileLevel = comments.findIndex((c) => c.scope === 'file' && covers(c));
  return fileLevel >= 0 ? fileLevel : undefined;
}

interface UnusedPart {
  /** Undefined when the whole comment is unused. */
  id?: { id: string; start: number; end: number };
  /** Rule ids named in the message (empty for an id-less comment). */
  ids: string[];
}

function unusedParts(comment: SuppressionComment, used: Set<string>, disabled: Set<string>): UnusedPart[] {
  if (comment.ruleIds.length === 0) return used.size > 0 ? [] : [{ ids: [] }];
  // An id whose rule did not run could not have silenced anything: not reported.
  const candidates = comment.ruleIds.filter((r) => !used.has(r.id) && !disabled.has(r.id));
  if (candidates.length === 0) return [];
  const anyUsedOrSkipped = candidates.length < comment.ruleIds.length;
  if (!anyUsedOrSkipped) return [{ ids: candidates.map((r) => r.id) }];
  return candidates.map((r) => ({ id: r, ids: [r.id] }));
}

function unusedFinding(
  part: UnusedPart,
  comment: SuppressionComment,
  file: string,
  rel: string,
  text: string,
  lines: LineIndex,
  severity: Severity,
  seen: Map<string, number>,
): Finding {
  const where = comment.scope === 'next-line' ? 'on the next line' : comment.scope === 'line' ? 'on this line' : 'in this file';
  const what = part.ids.length === 0 ? 'no finding' : `no ${joinOr(part.ids)} finding`;
  const detail = `${what} ${where}`;
  const message = part.id
    ? `This suppression of ${part.id.id} silences nothing: ${detail}.`
    : `This suppression comment silences nothing: ${detail}.`;
  const fix: Fix = part.id
    ? {
        title: `Remove \`${part.id.id}\` from the suppression comment`,
        applicability: 'safe',
        isPreferred: true,
        edits: [{ file, ...removeListedId(comment, part.id), newText: '' }],
      }
    : {
        title: 'Remove the unused suppression comment',
        applicability: 'safe',
        isPreferred: true,
        edits: [{ file, ...removeComment(text, comment.start, comment.end), newText: '' }],
      };
  const range = part.id ? rangeIn(file, lines, part.id.start, part.id.end) : rangeIn(file, lines, comment.start, comment.end);
  const key = `${UNUSED_SUPPRESSION_RULE_ID}\0${rel}\0${comment.text}${part.id ? `\0${part.id.id}` : ''}`;
  const n = seen.get(key) ?? 0;
  seen.set(key, n + 1);
  // Identical comments in one file get an occurrence counter, as the engine's fingerprints do.
  const fingerprint = createHash('sha256').update(n === 0 ? key : `${key}\0${n}`).digest('hex').slice(0, 32);
  return {
    ruleId: UNUSED_SUPPRESSION_RULE_ID,
    messageId: 'unused',
    message,
    severity,
    location: range,
    related: [],
    fixes: [fix],
    fingerprint,
  };
}

function joinOr(ids: string[]): string {
  if (ids.length <= 1) return ids.join('');
  return `${ids.slice(0, -1).join(', ')} or ${ids[ids.length - 1]}`;
}

/** The span to delete so that `id` leaves the comma-separated list: `, id` or `id, `. */
function removeListedId(comment: SuppressionComment, id: { start: number; end: number }): { start: number; end: number } {
  const i = comment.ruleIds.findIndex((r) => r.start === id.start);
  const prev = comment.ruleIds[i - 1];
  if (prev) return { start: prev.end, end: id.end };
  const next = comment.ruleIds[i + 1];
  return next ? { start: id.start, end: next.start } : { start: id.start, end: id.end };
}

/**
 * The span to delete to remove a comment: its whole line(s) with the line
 * break when nothing else stands there, else the comment and the blanks that
 * separate it from the code.
 */
export function removeComment(text: string, start: number, end: number): { start: number; end: number } {
  let lineStart = start;
  while (lineStart > 0 && !isLineBreak(text.charCodeAt(lineStart - 1))) lineStart--;
  let lineEnd = end;
  while (lineEnd < text.length && !isLineBreak(text.charCodeAt(lineEnd))) lineEnd++;
  const before = text.slice(lineStart, start);
  const after = text.slice(end, lineEnd);
  if (/^[ \t]*$/.test(before) && /^[ \t]*$/.test(after)) {
    let stop = lineEnd;
    if (text.startsWith('\r\n', stop)) stop += 2;
    else if (stop < text.length) stop += 1;
    return { start: lineStart, end: stop };
  }
  if (/^[ \t]*$/.test(after)) {
    // Trailing comment: take the blanks before it too.
    let s = start;
    while (s > lineStart && (text[s - 1] === ' ' || text[s - 1] === '\t')) s--;
    return { start: s, end: lineEnd };
  }
  // Code follows the comment on its line: take the blanks after it.
  let e = end;
  while (e < lineEnd && (text[e] === ' ' || text[e] === '\t')) e++;
  return { start, end: e };
}

const DIRECTIVE = /^faultline-disable(-next-line|-line)?(?=\s|$)/;

/** Every suppression comment of a file, in order. Other comments, and comment-like text in strings, are skipped. */
export function findSuppressionComments(text: string, lines: LineIndex = new LineIndex(text)): SuppressionComment[] {
  const out: SuppressionComment[] = [];
  for (const c of scanComments(text)) {
    const bodyStart = c.start + 2;
    const bodyEnd = c.kind === 'block' ? c.end - 2 : c.end;
    const raw = text.slice(bodyStart, bodyEnd);
    const lead = raw.length - raw.trimStart().length;
    const body = raw.slice(lead);
    const m = DIRECTIVE.exec(body);
    if (!m) continue;
    const scope: SuppressionScope = m[1] === '-next-line' ? 'next-line' : m[1] === '-line' ? 'line' : 'file';
    const restStart = bodyStart + lead + m[0].length;
    const rest = text.slice(restStart, bodyEnd);
    // `--` (standing alone) starts the justification, as in ESLint.
    const sep = /(?:^|\s)--(?:\s|$)/.exec(rest);
    const listText = sep ? rest.slice(0, sep.index) : rest;
    const justification = sep ? rest.slice(sep.index + sep[0].length).trim() : '';
    const ruleIds: SuppressionComment['ruleIds'] = [];
    const idPattern = /[^\s,]+/g;
    for (let id = idPattern.exec(listText); id; id = idPattern.exec(listText)) {
      ruleIds.push({ id: id[0], start: restStart + id.index, end: restStart + id.index + id[0].length });
    }
    const comment: SuppressionComment = { scope, ruleIds, justification, text: text.slice(c.start, c.end), start: c.start, end: c.end };
    if (scope === 'next-line') comment.targetLine = lines.positionAt(c.end).line + 1;
    else if (scope === 'line') comment.targetLine = lines.positionAt(c.start).line;
    out.push(comment);
  }
  return out;
}

interface CommentSpan {
  kind: 'line' | 'block';
  start: number;
  end: number;
}

/** Keywords after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/**
 * The comments of a JavaScript/TypeScript text. A small lexer: it skips
 * strings, template literals (with nested `${}`) and regular expression
 * literals (told from divisions by the token before them, as editors do).
 */
export function scanComments(text: string): CommentSpan[] {
  const out: CommentSpan[] = [];
  const templateDepth: number[] = [];
  let braceDepth = 0;
  // What came last, for the regex-or-division decision: 'operand' after a value, 'operator' otherwise.
  let last: 'operand' | 'operator' = 'operator';
  let i = 0;
  const n = text.length;
  const scanTemplate = (): void => {
    // At the character after '`' or after the '}' that closes a substitution.
    while (i < n) {
      const ch = text[i];
      if (ch === '\\') i += 2;
      else if (ch === '`') {
        i++;
        last = 'operand';
        return;
      } else if (ch === '$' && text[i + 1] === '{') {
        i += 2;
        templateDepth.push(braceDepth);
        braceDepth++;
        last = 'operator';
        return;
      } else i++;
    }
  };
  while (i < n) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '/' && next === '/') {
      let e = i + 2;
      while (e < n && !isLineBreak(text.charCodeAt(e))) e++;
      out.push({ kind: 'line', start: i, end: e });
      i = e;
    } else if (ch === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      const e = close < 0 ? n : close + 2;
      out.push({ kind: 'block', start: i, end: e });
      i = e;
    } else if (ch === '"' || ch === "'") {
      i++;
      while (i < n && text[i] !== ch && !isLineBreak(text.charCodeAt(i))) i += text[i] === '\\' ? 2 : 1;
      i++;
      last = 'operand';
    } else if (ch === '`') {
      i++;
      scanTemplate();
    } else if (ch === '/') {
      if (last === 'operator') {
        // A regular expression literal: up to the closing '/' outside a class.
        i++;
        let inClass = false;
        while (i < n && !isLineBreak(text.charCodeAt(i))) {
          const c = text[i];
          if (c === '\\') i += 2;
          else {
            if (c === '[') inClass = true;
            else if (c === ']') inClass = false;
            else if (c === '/' && !inClass) break;
            i++;
          }
        }
        i++;
        while (i < n && /[A-Za-z]/.test(text[i]!)) i++;
        last = 'operand';
      } else {
        i++;
        last = 'operator';
      }
    } else if (ch === '{') {
      braceDepth++;
      i++;
      last = 'operator';
    } else if (ch === '}') {
      braceDepth--;
      i++;
      if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braceDepth) {
        templateDepth.pop();
        scanTemplate();
      } else {
        // After a block `}` a regex may follow; after an object literal a division. Blocks are the common case.
        last = 'operator';
      }
    } else if (/[A-Za-z_$0-9\u0080-\uffff]/.test(ch)) {
      let e = i + 1;
      while (e < n && /[A-Za-z_$0-9\u0080-\uffff]/.test(text[e]!)) e++;
      const word = text.slice(i, e);
      last = REGEX_AFTER_WORD.has(word) ? 'operator' : 'operand';
      i = e;
    } else if (ch === ')' || ch === ']') {
      i++;
      last = 'operand';
    } else if (ch === ' ' || ch === '\t' || isLineBreak(ch.charCodeAt(0))) {
      i++;
    } else {
      // `++`/`--` leave an operand an operand (`i++ / 2`); other punctuation expects one.
      if ((ch === '+' || ch === '-') && next === ch && last === 'operand') {
        i += 2;
        continue;
      }
      i++;
      last = 'operator';
    }
  }
  return out;
}

function isLineBreak(code: number): boolean {
  return code === 10 || code === 13 || code === 0x2028 || code === 0x2029;
}

/**
 * Offsets to 1-based lines and columns, counting line breaks as TypeScript
 * does (`\n`, `\r\n`, `\r`, U+2028, U+2029) and columns in UTF-16 code units.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13 && text.charCodeAt(i + 1) === 10) {
        this.starts.push(i + 2);
        i++;
      } else if (isLineBreak(c)) {
        this.starts.push(i + 1);
      }
    }
  }

  positionAt(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

function rangeIn(file: string, lines: LineIndex, start: number, end: number): SourceRange {
  return { file, start, end, startPos: lines.positionAt(start), endPos: lines.positionAt(end) };
}

function relativePath(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** The engine's order: file, offset, rule, message id. */
function compareFindings(a: Finding, b: Finding): number {
  return (
    a.location.file.localeCompare(b.location.file) ||
    a.location.start - b.location.start ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.messageId.localeCompare(b.messageId)
  );
}
