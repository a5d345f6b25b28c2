/**
 * Where a JSON text goes wrong. `JSON.parse` names a position only for some
 * errors (and the wording changes between Node versions), so a small
 * recursive-descent checker finds the first offending character itself.
 */

export interface JsonErrorLocation {
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  reason: string;
}

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Locates the first syntax error of `text`; for valid JSON it returns the end of the text with reason "no error". */
export function locateJsonError(text: string): JsonErrorLocation {
  let offset = text.length;
  let reason = 'no error';
  try {
    const end = value(text, skip(text, 0));
    const rest = skip(text, end);
    if (rest < text.length) throw new JsonSyntaxError(rest, `unexpected ${describe(text, rest)} after the end of the value`);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    offset = err.offset;
    reason = err.message;
  }
  return { offset, ...lineColumn(text, offset), reason };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describe(text: string, i: number): string {
  return i >= text.length ? 'end of file' : `character ${JSON.stringify(text[i])}`;
}

function skip(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

function expect(text: string, i: number, what: string): never {
  throw new JsonSyntaxError(i, `expected ${what} but found ${describe(text, i)}`);
}

/** Parses one value at `i` (no leading blanks); returns the offset after it. */
function value(text: string, i: number): number {
  const c = text[i];
  if (c === '{') return object(text, i);
  if (c === '[') return array(text, i);
  if (c === '"') return string(text, i);
  if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number(text, i);
  for (const word of ['true', 'false', 'null']) {
    if (text.startsWith(word, i)) return i + word.length;
  }
  return expect(text, i, 'a value');
}

function object(text: string, i: number): number {
  i = skip(text, i + 1);
  if (text[i] === '}') return i + 1;
  for (;;) {
    if (text[i] !== '"') expect(text, i, 'a double-quoted key');
    i = skip(text, string(text, i));
    if (text[i] !== ':') expect(text, i, '":"');
    i = skip(text, value(text, skip(text, i + 1)));
    if (text[i] === '}') return i + 1;
    if (text[i] !== ',') expect(text, i, '"," or "}"');
    i = skip(text, i + 1);
  }
}

function array(text: string, i: number): number {
  i = skip(text, i + 1);
  if (text[i] === ']') return i + 1;
  for (;;) {
    i = skip(text, value(text, i));
    if (text[i] === ']') return i + 1;
    if (text[i] !== ',') expect(text, i, '"," or "]"');
    i = skip(text, i + 1);
  }
}

function string(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) throw new JsonSyntaxError(j, 'unterminated string or control character in string');
    if (c === 0x5c) {
      const e = text[j + 1];
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) throw new JsonSyntaxError(j, 'invalid \\u escape');
        j += 5;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) j++;
      else throw new JsonSyntaxError(j, 'invalid escape in string');
    }
  }
  throw new JsonSyntaxError(text.length, 'unterminated string');
}

function number(text: string, i: number): number {
  const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
  if (!m) return expect(text, i, 'a number');
  return i + m[0].length;
}
