/**
 * Which files the CLI parses for the retry rules, judged from text alone.
 * Each test is a superset of what `candidates` (sites.ts) and the library
 * checks look at: a loop whose body holds a `catch` or a failure check, a
 * function that calls itself from a failure path. Bodies are found by
 * matching brackets with a small lexer that skips strings, templates,
 * comments and regular expressions; whenever it is unsure, the file is kept.
 */
import { isIdentifierCode, isWordCode, type Prefilter } from '../prefilter.ts';
import { RETRY_LIBRARIES } from './libraries.ts';

/** What `loopMayRetry` and `checkKind` read in a condition as a failed attempt. */
const FAILURE_WORDS = /\bok\b|status|\berr(or)?\b/i;
const KEYWORDS = new Set([
  'if', 'for', 'while', 'do', 'switch', 'catch', 'return', 'function', 'await', 'typeof', 'new', 'super', 'import', 'void', 'delete', 'throw', 'yield',
  'case', 'else', 'in', 'of', 'instanceof', 'async', 'constructor', 'get', 'set', 'static', 'public', 'private', 'protected', 'readonly', 'override',
]);
/** How far a statement without braces is taken to reach. */
const STATEMENT_REACH = 400;

const OPENERS: Record<string, string> = { '(': ')', '{': '}', '[': ']' };

/**
 * The index just past the bracket that closes the one at `open`, skipping
 * strings, template literals (with their `${}`), comments and regular
 * expressions; -1 when the text ends first or the lexer loses its way.
 */
export function closeOf(text: string, open: number): number {
  const stack: string[] = [OPENERS[text[open]!]!];
  let prev = text[open]!; // The last significant character: tells a regex from a division.
  for (let i = open + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Most characters are letters, digits and spaces: nothing to do but remember the last significant one.
    if (isPlain(code)) {
      if (code > 32) prev = 'a';
      continue;
    }
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return -1;
      i = nl;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return -1;
      i = end + 1;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      if (text[j] !== c) return -1;
      i = j;
      prev = c;
      continue;
    }
    if (c === '`') {
      // A template: its `${` opens a brace that its `}` closes, back into the template.
      stack.push('`');
      i = skipTemplate(text, i + 1, stack);
      if (i < 0) return -1;
      prev = '`';
      continue;
    }
    if (c === '/' && (/[(,=:[!&|?{};+\-*%<>~^]/.test(prev) || /\b(?:return|typeof|case|do|else|in|of|void|yield|await)\s*$/.test(text.slice(Math.max(0, i - 8), i)))) {
      // A regular expression literal.
      let j = i + 1;
      let cls = false;
      while (j < text.length && text[j] !== '\n' && (cls || text[j] !== '/')) {
        if (text[j] === '\\') j++;
        else if (text[j] === '[') cls = true;
        else if (text[j] === ']') cls = false;
        j++;
      }
      if (text[j] !== '/') return -1;
      i = j;
      prev = 'a';
      continue;
    }
    if (c === '(' || c === '{' || c === '[') stack.push(OPENERS[c]!);
    else if (c === ')' || c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i + 1;
      if (stack[stack.length - 1] === '`') {
        // The `}` of a `${…}` inside a template: go on with the template's text.
        i = skipTemplate(text, i + 1, stack);
        if (i < 0) return -1;
        prev = '`';
        continue;
      }
    }
    if (!/\s/.test(c)) prev = c;
  }
  return -1;
}

/**
 * ASCII letters, digits, `_`, `$`, `.`, space, tab and line breaks: characters
 * that open or close nothing and cannot start a regular expression, and
 * after which a `/` divides (for `prev`, one stands for all: none is in the
 * set of characters after which a `/` starts a regular expression).
 */
function isPlain(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 32 || code === 10 || code === 9 || code === 13 || code === 95 || code === 36 || code === 46
  );
}

/** From inside a template's text: the index of its closing backtick (popped), or of the `{` of a `${` (pushed); -1 at the end. */
function skipTemplate(text: string, from: number, stack: string[]): number {
  for (let j = from; j < text.length; j++) {
    const c = text[j]!;
    if (c === '\\') j++;
    else if (c === '`') {
      stack.pop();
      return j;
    } else if (c === '$' && text[j + 1] === '{') {
      stack.push('}');
      return j + 1;
    }
  }
  return -1;
}

/** A parenthesised header from `from` (just past its keyword): its text and where it ends; undefined when its brackets cannot be matched. */
function headerAt(text: string, from: number): { header: string; end: number } | undefined {
  const open = text.indexOf('(', from);
  if (open < 0) return undefined;
  const close = closeOf(text, open);
  return close < 0 ? undefined : { header: text.slice(open, close), end: close };
}

/** The braced block or the one statement that starts at `from` (after white space): its text and where it ends; undefined when its braces cannot be matched. */
function bodyAt(text: string, from: number): { body: string; end: number } | undefined {
  const i = skipSpaces(text, from);
  if (text[i] === '{') {
    const close = closeOf(text, i);
    return close < 0 ? undefined : { body: text.slice(i, close), end: close };
  }
  const end = Math.min(text.length, i + STATEMENT_REACH);
  return { body: text.slice(i, end), end };
}

/**
 * The text a construct governs, from `from` (just past its keyword): a
 * parenthesised header if it has one, then a braced block or one statement.
 * Undefined when the brackets cannot be matched.
 */
function governed(text: string, from: number, withHeader: boolean): { header: string; body: string } | undefined {
  const h = withHeader ? headerAt(text, from) : { header: '', end: from };
  const b = h && bodyAt(text, h.end);
  return b && { header: h.header, body: b.body };
}

/** Whether `region` holds a failure path: a `catch`, a `.then(` (its rejection callback), or an `if` that tests a failure word. */
function holdsFailurePath(region: string): boolean {
  if (/\bcatch\b|\.then\s*\(/.test(region)) return true;
  // A loop's body may be cut short (a statement without braces is read STATEMENT_REACH characters far):
  // an if whose body cannot be matched there leaves the rest unknown, so the file is kept.
  for (const m of region.matchAll(/\bif\s*\(/g)) {
    const g = governed(region, m.index! + 2, true);
    if (!g || FAILURE_WORDS.test(g.header)) return true;
  }
  return false;
}

// Keywords are found with indexOf and checked in place: a regular expression of
// `\b`-led alternatives is several times slower over every file of a project.

/** The index of the first character at or after `from` that is not white space. */
function skipSpaces(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 32 || (code >= 9 && code <= 13)) continue;
    if (code < 128 || !/\s/.test(text[i]!)) break;
  }
  return i;
}

/** Where `word` stands as a whole word (`\bword\b`). */
function wholeWords(text: string, word: string): number[] {
  const out: number[] = [];
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + word.length)) {
    if (!isWordCode(text.charCodeAt(at - 1)) && !isWordCode(text.charCodeAt(at + word.length))) out.push(at);
  }
  return out;
}

/** Whether `word` at `at` is followed by an opening parenthesis (`if (`, `while(`); its index, or -1. */
function parenAfter(text: string, at: number, word: string): number {
  const open = skipSpaces(text, at + word.length);
  return text[open] === '(' ? open : -1;
}

/** A loop whose body holds a failure path: `loopMayRetry`'s shape. A loop is `for (`, `for await (`, `while (` or `do`. */
function loopWithFailurePath(text: string): boolean {
  const mayRetry = (from: number, withHeader: boolean): boolean => {
    const g = governed(text, from, withHeader);
    return !g || holdsFailurePath(g.body);
  };
  for (const at of wholeWords(text, 'for')) {
    let open = skipSpaces(text, at + 3);
    if (open > at + 3 && text.startsWith('await', open)) open = skipSpaces(text, open + 5);
    if (text[open] === '(' && mayRetry(open, true)) return true;
  }
  for (const at of wholeWords(text, 'while')) {
    const open = parenAfter(text, at, 'while');
    if (open >= 0 && mayRetry(open, true)) return true;
  }
  for (const at of wholeWords(text, 'do')) if (mayRetry(at + 2, false)) return true;
  return false;
}

/** Modifiers that may stand before a method's name. */
const METHOD_MODIFIERS = new Set(['public', 'private', 'protected', 'static', 'async', 'override', 'readonly']);

/** The index of the last character before `from` that is not white space (-1 when there is none). */
function skipSpacesBack(text: string, from: number): number {
  let i = from - 1;
  for (; i >= 0; i--) {
    const code = text.charCodeAt(i);
    if (code === 32 || (code >= 9 && code <= 13)) continue;
    if (code < 128 || !/\s/.test(text[i]!)) break;
  }
  return i;
}

/** Whether `function` (or `function*`) stands right before the name at `at`. */
function functionKeywordBefore(text: string, at: number): boolean {
  let i = skipSpacesBack(text, at);
  if (text[i] === '*') i = skipSpacesBack(text, i);
  const start = i - 7;
  return start >= 0 && text.startsWith('function', start) && !isWordCode(text.charCodeAt(start - 1));
}

/**
 * Whether what stands before the name at `at` can start a method: the start
 * of a line, or `{`, `;`, `}`, then modifiers and a `*`. Read back at most
 * `LOOK_BACK` characters; whenever it is unsure, it says yes.
 */
function methodStartBefore(text: string, at: number): boolean {
  const limit = at - LOOK_BACK;
  for (let i = at - 1; i >= 0 && i >= limit; ) {
    const code = text.charCodeAt(i);
    if (code === 10) return true;
    if (code === 32 || code === 9 || code === 13 || code === 11 || code === 12 || code === 42 /* * */) {
      i--;
      continue;
    }
    if (code === 123 || code === 125 || code === 59) return true; // { } ;
    if (!isWordCode(code)) return code >= 128; // Unsure beyond ASCII.
    let start = i;
    while (start > 0 && isWordCode(text.charCodeAt(start - 1))) start--;
    if (!METHOD_MODIFIERS.has(text.slice(start, i + 1))) return false;
    i = start - 1;
  }
  return true;
}
/** After a method's name: type parameters, then its parameter list. */
const AFTER_METHOD_NAME = /\s*(?:<[^>]*>)?\s*\(/y;
/** After a variable's or property's name: it is given a function. */
const AFTER_VARIABLE_NAME = /\s*[?!]?\s*[:=]\s*(?:async\s*)?(?:function\b|\(|[A-Za-z_$][\w$]*\s*=>)/y;
/** How far back a declaration's start is looked for. */
const LOOK_BACK = 160;

/**
 * Whether the file declares a function that `name` calls: a function
 * declaration, a method, or a variable or property given a function. Each
 * occurrence of the name is read in place (no regular expression is built
 * per name: a file calls hundreds of names).
 */
function declaresFunction(text: string, name: string): boolean {
  if (KEYWORDS.has(name)) return false;
  // The call itself is one occurrence; a declaration needs another.
  const first = text.indexOf(name);
  if (first < 0 || text.indexOf(name, first + name.length) < 0) return false;
  for (let at = first; at >= 0; at = text.indexOf(name, at + 1)) {
    const end = at + name.length;
    const after = text.charCodeAt(end);
    const prev = at > 0 ? text[at - 1]! : '';
    if (!isIdentifierCode(after) && functionKeywordBefore(text, at)) return true;
    if (/[\w$.]/.test(prev)) continue;
    AFTER_METHOD_NAME.lastIndex = end;
    if (AFTER_METHOD_NAME.test(text) && methodStartBefore(text, at)) return true;
    AFTER_VARIABLE_NAME.lastIndex = end;
    if (AFTER_VARIABLE_NAME.test(text)) return true;
  }
  return false;
}

/** Names called in `region`: `name(`, `this.name(`, `name<T>(`, and `setTimeout(name`. */
const CALLED = /setTimeout\s*\(\s*([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(/g;

/** A call to one of the file's own functions inside a failure path, or a failure path that could not be read. */
function failurePathCalls(text: string): boolean {
  const known = new Map<string, boolean>();
  // Where a failure path starts: a catch clause, a `.catch(` or `.then(` callback, an `if (` that may test for failure.
  const starts: { word: 'catch' | '.then' | 'if'; at: number }[] = wholeWords(text, 'catch').map((at) => ({ word: 'catch', at }));
  for (let at = text.indexOf('.then'); at >= 0; at = text.indexOf('.then', at + 5)) if (parenAfter(text, at, '.then') >= 0) starts.push({ word: '.then', at });
  for (const at of wholeWords(text, 'if')) if (parenAfter(text, at, 'if') >= 0) starts.push({ word: 'if', at });
  for (const { word, at } of starts) {
    let region: string | undefined;
    const callback = word === '.then' || (word === 'catch' && text[at - 1] === '.');
    if (callback) {
      // `.catch(onRejected)`, `.then(onFulfilled, onRejected)`: the arguments.
      const open = text.indexOf('(', at);
      const close = closeOf(text, open);
      region = close < 0 ? undefined : text.slice(open, close);
    } else if (word === 'catch') {
      region = governed(text, at + 5, /^\s*\(/.test(text.slice(at + 5)))?.body;
    } else {
      const h = headerAt(text, at + 2);
      // An `if` on something else is no failure path, nor is its else branch: its body is not even read.
      if (h && !FAILURE_WORDS.test(h.header)) continue;
      const b = h && bodyAt(text, h.end);
      region = b ? b.body + elseBranch(text, b.end) : undefined;
    }
    if (region === undefined) return true;
    for (const c of region.matchAll(CALLED)) {
      // A function calls itself by its name, `this.name(` or `setTimeout(name`: a call through another receiver
      // (`this.logger.warn(`, `res.json(`) is no self-call, whatever the file declares.
      if (c[2] !== undefined && !selfCallable(region, c.index!)) continue;
      const name = c[1] ?? c[2]!;
      let isDeclared = known.get(name);
      if (isDeclared === undefined) known.set(name, (isDeclared = declaresFunction(text, name)));
      if (isDeclared) return true;
    }
  }
  return false;
}

/**
 * Whether the call whose name starts at `at` may be by the bare name or
 * through `this` (`this.name(`, `this?.name(`): false only when a member
 * access through another receiver is plain (`this.logger.warn(`). A `.` that
 * ends a comment (`// Try again.` on the line above) or a spread (`...name(`)
 * is no receiver's.
 */
function selfCallable(text: string, at: number): boolean {
  let i = skipSpacesBack(text, at);
  if (text[i] !== '.') return true;
  if (text[i - 1] === '.') return true; // A spread.
  const lineStart = text.lastIndexOf('\n', i) + 1;
  if (text.slice(lineStart, i).includes('//')) return true; // Perhaps a comment (or a URL in a string): unsure.
  i = skipSpacesBack(text, i);
  if (text[i] === '?') i = skipSpacesBack(text, i);
  return i >= 3 && text.startsWith('this', i - 3) && !isIdentifierCode(text.charCodeAt(i - 4));
}

/** The else branch that follows an if statement's body ending at `from`; the whole rest when it cannot be told. */
function elseBranch(text: string, from: number): string {
  const rest = /^\s*else\b/.exec(text.slice(from, from + 64));
  if (!rest) return '';
  return governed(text, from + rest[0].length, false)?.body ?? text.slice(from);
}

/** A file that may hold a hand-written retry: a loop, or a function that calls itself, with a failure path. */
export function mayHoldRetry(text: string): boolean {
  return loopWithFailurePath(text) || failurePathCalls(text);
}

/**
 * Retry libraries (and the files that import the file that configures one:
 * a queue made in one file gets its jobs in another), files that may hold a
 * hand-written retry, and sleep and backoff helpers (`setTimeout`, `backoff`),
 * with the files they import (a helper's body is read across files).
 */
export const RETRY_PREFILTER: Prefilter = {
  module: (m: string) => RETRY_LIBRARIES.has(m),
  words: ['setTimeout', 'ackoff'],
  text: mayHoldRetry,
  importersOf: 'module',
  valueImportsOnly: true,
};
