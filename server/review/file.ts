import * as fs from 'node:fs';
import * as path from 'node:path';
import { REVIEW_STATUSES, type ReviewStatus } from '../../protocol/review.ts';
import { locateJsonError } from '../json-error.ts';

/**
 * The review file (`.faultline/review.json` by default): the reviewers'
 * answers, committed with the code and reviewed in pull requests.
 *
 * ```json
 * {
 *   "version": 1,
 *   "answers": {
 *     "timeouts.deadlines": { "status": "met", "note": "…", "by": "Ana", "at": "2025-03-01T10:00:00.000Z", "evidence": "…" }
 *   }
 * }
 * ```
 *
 * Written with answers sorted by id and keys in a fixed order, so that a
 * change of one answer is a change of a few lines. A file that cannot be
 * read (broken JSON, a wrong status) is never written over: writing is
 * refused, with the file and line, until someone fixes it; the answers in
 * it stay as they are. (Writing a backup and starting afresh would leave
 * two files to reconcile by hand, and the next pull request would delete
 * every answer.)
 */

export const REVIEW_FILE_VERSION = 1;

/** One answer as stored. */
export interface StoredAnswer {
  status: ReviewStatus;
  note: string;
  by: string;
  at: string;
  evidence?: string;
}

export interface ReviewFileData {
  version: number;
  /** By item id; ids the checklist no longer has are kept as they are. */
  answers: Record<string, StoredAnswer>;
}

/** A review file that cannot be used. The message is one line naming the file and, when known, the line. */
export class ReviewFileError extends Error {
  override name = 'ReviewFileError';
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

const ANSWER_KEYS = ['status', 'note', 'by', 'at', 'evidence'] as const;

/** Parses and checks the text of a review file; `name` is how messages name it. Throws `ReviewFileError`. */
export function parseReviewFile(text: string, name: string): ReviewFileData {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { version: REVIEW_FILE_VERSION, answers: {} };
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    const at = locateJsonError(body);
    throw new ReviewFileError(`${name}: invalid JSON at line ${at.line}, column ${at.column}: ${at.reason}`, name, at.line, at.column);
  }
  const fail = (pointer: string[], problem: string): never => {
    const at = positionOf(body, pointer);
    const where = pointer.length > 0 ? `"${pointer.join('.')}" ` : '';
    throw new ReviewFileError(`${name}: line ${at.line}, column ${at.column}: ${where}${problem}`, name, at.line, at.column);
  };
  if (!isObject(data)) return fail([], 'the review file must be a JSON object');
  for (const key of Object.keys(data)) if (key !== 'version' && key !== 'answers' && key !== '$schema') fail([key], 'is not a key of a review file (expected "version" and "answers")');
  const version = data.version ?? REVIEW_FILE_VERSION;
  if (version !== REVIEW_FILE_VERSION) fail(['version'], `must be ${REVIEW_FILE_VERSION}; this file was written by a newer Faultline`);
  const rawAnswers = data.answers ?? {};
  if (!isObject(rawAnswers)) return fail(['answers'], 'must be an object of answers by item id');
  const answers: Record<string, StoredAnswer> = {};
  for (const [id, raw] of Object.entries(rawAnswers)) {
    if (!isObject(raw)) return fail(['answers', id], 'must be an object with "status", "note", "by" and "at"');
    for (const key of Object.keys(raw)) if (!(ANSWER_KEYS as readonly string[]).includes(key)) fail(['answers', id, key], `is not a key of an answer (expected ${ANSWER_KEYS.map((k) => `"${k}"`).join(', ')})`);
    if (!REVIEW_STATUSES.includes(raw.status as ReviewStatus)) fail(['answers', id, 'status'], `must be one of ${REVIEW_STATUSES.map((s) => `"${s}"`).join(', ')}`);
    for (const key of ['note', 'by', 'at', 'evidence'] as const) if (raw[key] !== undefined && typeof raw[key] !== 'string') fail(['answers', id, key], 'must be a string');
    if (typeof raw.at === 'string' && raw.at !== '' && Number.isNaN(Date.parse(raw.at))) fail(['answers', id, 'at'], 'must be a date and time (ISO 8601)');
    answers[id] = {
      status: raw.status as ReviewStatus,
      note: (raw.note as string | undefined) ?? '',
      by: (raw.by as string | undefined) ?? '',
      at: (raw.at as string | undefined) ?? '',
      ...(typeof raw.evidence === 'string' ? { evidence: raw.evidence } : {}),
    };
  }
  return { version: REVIEW_FILE_VERSION, answers };
}

/** The file's text: answers sorted by id, keys in a fixed order, two-space indent, a final newline. */
export function serializeReviewFile(data: ReviewFileData): string {
  const answers: Record<string, StoredAnswer> = {};
  for (const id of Object.keys(data.answers).sort()) {
    const a = data.answers[id]!;
    answers[id] = { status: a.status, note: a.note, by: a.by, at: a.at, ...(a.evidence !== undefined ? { evidence: a.evidence } : {}) };
  }
  return `${JSON.stringify({ version: REVIEW_FILE_VERSION, answers }, null, 2)}\n`;
}

/** Reads the review file; a file that does not exist is an empty review. Throws `ReviewFileError`. */
export function readReviewFile(file: string, name: string): { data: ReviewFileData; exists: boolean } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { data: { version: REVIEW_FILE_VERSION, answers: {} }, exists: false };
    throw new ReviewFileError(`${name}: cannot read: ${code ?? String(err)}`, name);
  }
  return { data: parseReviewFile(text, name), exists: true };
}

/**
 * Sets (or, with `null`, removes) one answer. Reads the file afresh, so
 * that answers written meanwhile (a pull, another editor) are kept, and
 * replaces it in one rename, so that a crash leaves the old file whole.
 * Throws `ReviewFileError` without writing anything when the file cannot
 * be read.
 */
export function writeAnswer(file: string, name: string, itemId: string, answer: StoredAnswer | null): ReviewFileData {
  let current: ReviewFileData;
  try {
    current = readReviewFile(file, name).data;
  } catch (err) {
    if (!(err instanceof ReviewFileError)) throw err;
    throw new ReviewFileError(`${err.message}. Fix the file first: Faultline does not write over a review file it cannot read, so that no answer in it is lost.`, err.file, err.line, err.column);
  }
  const answers = { ...current.answers };
  if (answer) answers[itemId] = answer;
  else delete answers[itemId];
  const next = { version: REVIEW_FILE_VERSION, answers };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, serializeReviewFile(next));
  fs.renameSync(tmp, file);
  return next;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Line and column (1-based) of the value at a key path in valid JSON: the
 * key's own position for the last segment, so that "line 7" points at
 * `"status": "done"`. Falls back to the closest parent found.
 */
export function positionOf(text: string, pointer: readonly string[]): { line: number; column: number } {
  let best = 0;
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  // Walks one value; `depth` is how many segments of the pointer the path so far matches.
  const value = (depth: number, matching: boolean): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      while (i < text.length && text[i] !== '}') {
        ws();
        const keyAt = i;
        const key = str();
        const hit = matching && depth < pointer.length && key === pointer[depth];
        if (hit) best = keyAt;
        ws();
        i++; // :
        value(depth + 1, hit);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '[') {
      i++;
      ws();
      while (i < text.length && text[i] !== ']') {
        value(depth + 1, false);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '"') {
      str();
    } else {
      while (i < text.length && /[^,}\]\s]/.test(text[i]!)) i++;
    }
  };
  value(0, true);
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < best; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: best - lineStart + 1 };
}
