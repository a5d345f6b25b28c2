import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseReviewFile, positionOf, readReviewFile, ReviewFileError, serializeReviewFile, writeAnswer, type ReviewFileData } from '../../server/review/file.ts';

const NAME = '.faultline/review.json';

function errorOf(text: string): ReviewFileError {
  try {
    parseReviewFile(text, NAME);
  } catch (err) {
    assert.ok(err instanceof ReviewFileError, `expected a ReviewFileError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/);
    return err;
  }
  assert.fail('expected the review file to be rejected');
}

const DATA: ReviewFileData = {
  version: 1,
  answers: {
    'timeouts.deadlines': { status: 'not-met', note: 'Inventory and pg have no deadline yet.\nTicket OPS-12.', by: 'Ana Ruiz', at: '2025-03-01T10:00:00.000Z', evidence: '20 outbound calls, 12 without a deadline' },
    'chaos.rollback': { status: 'open', note: '', by: 'Bo', at: '2025-03-02T09:30:00.000Z' },
    'team.runbook': { status: 'met', note: 'An answer for an item that no longer exists is kept.', by: 'Cy', at: '2025-01-01T00:00:00.000Z' },
  },
};

describe('the review file', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-review-file-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('round-trips: parse(serialize(x)) is x, and serializing is stable (sorted ids, fixed keys, final newline)', () => {
    const text = serializeReviewFile(DATA);
    assert.deepEqual(parseReviewFile(text, NAME), DATA);
    assert.equal(serializeReviewFile(parseReviewFile(text, NAME)), text);
    assert.ok(text.endsWith('}\n'));
    assert.deepEqual(Object.keys(JSON.parse(text).answers), ['chaos.rollback', 'team.runbook', 'timeouts.deadlines']);
    assert.deepEqual(Object.keys(JSON.parse(text).answers['timeouts.deadlines']), ['status', 'note', 'by', 'at', 'evidence']);
  });

  it('reads a missing file as an empty review, and an empty file too', () => {
    assert.deepEqual(readReviewFile(path.join(tmp, 'none.json'), NAME), { data: { version: 1, answers: {} }, exists: false });
    assert.deepEqual(parseReviewFile('\ufeff\n', NAME), { version: 1, answers: {} });
  });

  it('names the file, line and column of a JSON syntax error', () => {
    const err = errorOf('{\n  "version": 1,\n  "answers": {\n    "timeouts.deadlines": { "status": "met", }\n  }\n}\n');
    assert.equal(err.message, '.faultline/review.json: invalid JSON at line 4, column 46: expected a double-quoted key but found character "}"');
    assert.equal(err.line, 4);
  });

  it('names the line of a wrong value, an unknown key or a newer version', () => {
    const text = '{\n  "version": 1,\n  "answers": {\n    "retries.backoff": {\n      "status": "done"\n    }\n  }\n}\n';
    const err = errorOf(text);
    assert.equal(err.message, '.faultline/review.json: line 5, column 7: "answers.retries.backoff.status" must be one of "met", "not-met", "not-applicable", "open"');
    assert.equal(errorOf('{"answers": {"a.b": {"status": "met", "owner": "x"}}}').message, '.faultline/review.json: line 1, column 39: "answers.a.b.owner" is not a key of an answer (expected "status", "note", "by", "at", "evidence")');
    assert.match(errorOf('{"version": 2}').message, /line 1, column 2: "version" must be 1; this file was written by a newer Faultline/);
    assert.match(errorOf('[]').message, /the review file must be a JSON object/);
    assert.match(errorOf('{"answers": {"a.b": {"status": "met", "at": "yesterday"}}}').message, /"answers.a.b.at" must be a date and time/);
  });

  it('finds the position of nested keys', () => {
    assert.deepEqual(positionOf('{"a": {"b": [1, {"c": 2}], "c": 3}}', ['a', 'c']), { line: 1, column: 28 });
    assert.deepEqual(positionOf('{"a": 1}', ['missing']), { line: 1, column: 1 });
  });

  it('writes one answer and keeps the others, those of unknown items included, leaving no temporary file', () => {
    const file = path.join(tmp, 'w', '.faultline', 'review.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, serializeReviewFile(DATA));
    writeAnswer(file, NAME, 'retries.backoff', { status: 'met', note: 'Jittered backoff everywhere.', by: 'Ana', at: '2025-03-03T00:00:00.000Z' });
    const after1 = readReviewFile(file, NAME).data;
    assert.deepEqual(Object.keys(after1.answers).sort(), ['chaos.rollback', 'retries.backoff', 'team.runbook', 'timeouts.deadlines']);
    assert.deepEqual(after1.answers['timeouts.deadlines'], DATA.answers['timeouts.deadlines']);
    writeAnswer(file, NAME, 'chaos.rollback', null);
    assert.deepEqual(Object.keys(readReviewFile(file, NAME).data.answers).sort(), ['retries.backoff', 'team.runbook', 'timeouts.deadlines']);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['review.json']);
  });

  it('creates the folder and the file for the first answer', () => {
    const file = path.join(tmp, 'fresh', '.faultline', 'review.json');
    writeAnswer(file, NAME, 'timeouts.deadlines', { status: 'not-applicable', note: 'No outbound calls.', by: 'Bo', at: '2025-03-03T00:00:00.000Z' });
    assert.equal(readReviewFile(file, NAME).data.answers['timeouts.deadlines']?.status, 'not-applicable');
  });

  it('refuses to write over a broken file, with its line, and leaves every byte of it as it was', () => {
    const file = path.join(tmp, 'broken', '.faultline', 'review.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A merge conflict left in the file: the answers on both sides must survive.
    const broken = serializeReviewFile(DATA).replace('"chaos.rollback": {', '<<<<<<< HEAD\n    "chaos.rollback": {');
    fs.writeFileSync(file, broken);
    assert.throws(
      () => writeAnswer(file, NAME, 'retries.backoff', { status: 'met', note: '', by: 'Ana', at: '2025-03-03T00:00:00.000Z' }),
      (err: unknown) => {
        assert.ok(err instanceof ReviewFileError);
        assert.match(err.message, /^\.faultline\/review\.json: invalid JSON at line 4, column 5: .*Fix the file first: Faultline does not write over a review file it cannot read/);
        assert.equal(err.line, 4);
        return true;
      },
    );
    assert.equal(fs.readFileSync(file, 'utf8'), broken);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['review.json']);
  });
});
