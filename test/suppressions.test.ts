import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits } from '../server/fixes.ts';
import { applySuppressions, findSuppressionComments, LineIndex, scanComments } from '../rules/suppressions.ts';
import type { Finding } from '../rules/types.ts';

const ROOT = '/repo';
const FILE = '/repo/src/a.ts';

/** A finding of `ruleId` on the first non-blank character of a 1-based line. */
function findingOn(text: string, line: number, ruleId = 'missing-timeout'): Finding {
  const lines = text.split('\n');
  const lineStart = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  const indent = lines[line - 1]!.length - lines[line - 1]!.trimStart().length;
  const start = lineStart + indent;
  const end = lineStart + lines[line - 1]!.length;
  return {
    ruleId,
    messageId: 'm',
    message: `${ruleId} here`,
    severity: 'error',
    location: { file: FILE, start, end, startPos: { line, column: indent + 1 }, endPos: { line, column: lines[line - 1]!.length + 1 } },
    related: [],
    fixes: [],
    fingerprint: `fp-${ruleId}-${line}`,
  };
}

function run(text: string, lines: (number | [number, string])[], options = {}) {
  const findings = lines.map((l) => (Array.isArray(l) ? findingOn(text, l[0], l[1]) : findingOn(text, l)));
  const out = applySuppressions(findings, [{ file: FILE, text }], ROOT, options);
  return {
    out,
    suppressed: out.filter((f) => f.suppression).map((f) => `${f.ruleId}@${f.location.startPos.line}`),
    active: out.filter((f) => !f.suppression && f.ruleId !== 'unused-suppression').map((f) => `${f.ruleId}@${f.location.startPos.line}`),
    unused: out.filter((f) => f.ruleId === 'unused-suppression'),
  };
}

describe('applySuppressions', () => {
  it('disable-next-line silences the next line only, keeping the finding with its justification and location', () => {
    const text = ['// faultline-disable-next-line missing-timeout -- local sidecar', 'fetch(a);', 'fetch(b);'].join('\n');
    const r = run(text, [2, 3]);
    assert.deepEqual(r.suppressed, ['missing-timeout@2']);
    assert.deepEqual(r.active, ['missing-timeout@3']);
    assert.deepEqual(r.unused, []);
    const s = r.out.find((f) => f.suppression)!.suppression!;
    assert.equal(s.kind, 'inSource');
    assert.equal(s.justification, 'local sidecar');
    assert.deepEqual([s.location.start, s.location.end, s.location.startPos, s.location.endPos], [0, 63, { line: 1, column: 1 }, { line: 1, column: 64 }]);
  });

  it('disable-line silences the line it trails', () => {
    const text = ['fetch(a); // faultline-disable-line missing-timeout -- tested elsewhere', 'fetch(b);'].join('\n');
    const r = run(text, [1, 2]);
    assert.deepEqual(r.suppressed, ['missing-timeout@1']);
    assert.deepEqual(r.active, ['missing-timeout@2']);
    assert.equal(r.out[0]!.suppression!.justification, 'tested elsewhere');
    assert.deepEqual(r.out[0]!.suppression!.location.startPos, { line: 1, column: 11 });
  });

  it('a file-level comment anywhere silences the whole file', () => {
    const text = ['fetch(a);', 'fetch(b);', '/* faultline-disable missing-timeout -- batch job, no SLA */'].join('\n');
    const r = run(text, [1, 2]);
    assert.deepEqual(r.suppressed, ['missing-timeout@1', 'missing-timeout@2']);
    assert.equal(r.out[0]!.suppression!.justification, 'batch job, no SLA');
    assert.deepEqual(r.unused, []);
  });

  it('takes comma-separated lists, and no id means every rule', () => {
    const text = ['// faultline-disable-next-line other-rule, missing-timeout', 'fetch(a);', '// faultline-disable-next-line', 'fetch(b);'].join('\n');
    const r = run(text, [2, [2, 'other-rule'], 4, [4, 'third']]);
    assert.deepEqual(r.suppressed.sort(), ['missing-timeout@2', 'missing-timeout@4', 'other-rule@2', 'third@4']);
    assert.deepEqual(r.unused, []);
    assert.equal(r.out.find((f) => f.suppression)!.suppression!.justification, '');
  });

  it('does not silence other rules or lines', () => {
    const text = ['// faultline-disable-next-line other-rule', 'fetch(a);'].join('\n');
    const r = run(text, [2]);
    assert.deepEqual(r.active, ['missing-timeout@2']);
    assert.equal(r.unused.length, 1);
  });

  it('reports an unused next-line comment with a safe fix that removes its whole line', () => {
    const text = ['const x = 1;', '  // faultline-disable-next-line missing-timeout -- old', '  const y = 2;', ''].join('\n');
    const r = run(text, []);
    assert.equal(r.unused.length, 1);
    const u = r.unused[0]!;
    assert.equal(u.ruleId, 'unused-suppression');
    assert.equal(u.messageId, 'unused');
    assert.equal(u.severity, 'warning');
    assert.equal(u.message, 'This suppression comment silences nothing: no missing-timeout finding on the next line.');
    assert.deepEqual([u.location.startPos, u.location.endPos], [{ line: 2, column: 3 }, { line: 2, column: 56 }]);
    assert.match(u.fingerprint, /^[0-9a-f]{32}$/);
    assert.equal(u.fixes.length, 1);
    assert.equal(u.fixes[0]!.applicability, 'safe');
    assert.equal(applyEdits(text, u.fixes[0]!.edits), 'const x = 1;\n  const y = 2;\n');
  });

  it('removes only a trailing comment (and the blanks before it) when code shares its line', () => {
    const text = 'const y = 2; // faultline-disable-line missing-timeout\nnext();\n';
    const u = run(text, []).unused;
    assert.equal(u[0]!.message, 'This suppression comment silences nothing: no missing-timeout finding on this line.');
    assert.equal(applyEdits(text, u[0]!.fixes[0]!.edits), 'const y = 2;\nnext();\n');
  });

  it('removes a leading block comment and the blanks after it', () => {
    const text = '/* faultline-disable-line */ const y = 2;\n';
    const u = run(text, []).unused;
    assert.equal(u[0]!.message, 'This suppression comment silences nothing: no finding on this line.');
    assert.equal(applyEdits(text, u[0]!.fixes[0]!.edits), 'const y = 2;\n');
  });

  it('reports an unused file-level comment', () => {
    const text = '/* faultline-disable missing-timeout, other-rule */\r\nconst y = 2;\r\n';
    const u = run(text, []).unused;
    assert.equal(u.length, 1);
    assert.equal(u[0]!.message, 'This suppression comment silences nothing: no missing-timeout or other-rule finding in this file.');
    assert.equal(applyEdits(text, u[0]!.fixes[0]!.edits), 'const y = 2;\r\n');
  });

  it('reports each unused id of a list whose other ids are used, and removes just that id', () => {
    const text = ['// faultline-disable-next-line missing-timeout, stale-one, other-rule -- why', 'fetch(a);'].join('\n');
    const r = run(text, [2, [2, 'other-rule']]);
    assert.deepEqual(r.suppressed.sort(), ['missing-timeout@2', 'other-rule@2']);
    assert.equal(r.unused.length, 1);
    const u = r.unused[0]!;
    assert.equal(u.message, 'This suppression of stale-one silences nothing: no stale-one finding on the next line.');
    assert.deepEqual([u.location.startPos, u.location.endPos], [{ line: 1, column: 49 }, { line: 1, column: 58 }]);
    assert.equal(
      applyEdits(text, u.fixes[0]!.edits),
      ['// faultline-disable-next-line missing-timeout, other-rule -- why', 'fetch(a);'].join('\n'),
    );
  });

  it('removes the first id of a list with the comma after it', () => {
    const text = ['// faultline-disable-next-line stale-one, missing-timeout', 'fetch(a);'].join('\n');
    const u = run(text, [2]).unused;
    assert.equal(applyEdits(text, u[0]!.fixes[0]!.edits), ['// faultline-disable-next-line missing-timeout', 'fetch(a);'].join('\n'));
  });

  it('credits only the most specific comment: a redundant file-level comment is unused', () => {
    const text = ['/* faultline-disable missing-timeout */', '// faultline-disable-next-line missing-timeout', 'fetch(a);'].join('\n');
    const r = run(text, [3]);
    assert.deepEqual(r.suppressed, ['missing-timeout@3']);
    assert.equal(r.unused.length, 1);
    assert.equal(r.unused[0]!.location.startPos.line, 1);
  });

  it('does not report ids of rules that did not run, but does report unknown ids', () => {
    const text = ['// faultline-disable-next-line missing-timeout', 'x();', '// faultline-disable-next-line missing-timout', 'y();'].join('\n');
    const r = run(text, [], { disabledRuleIds: ['missing-timeout'] });
    assert.equal(r.unused.length, 1);
    assert.equal(r.unused[0]!.location.startPos.line, 3);
  });

  it('follows the configured severity of unused-suppression, and off reports none', () => {
    const text = '// faultline-disable-next-line missing-timeout\nx();\n';
    assert.equal(run(text, [], { unusedSeverity: 'error' }).unused[0]!.severity, 'error');
    assert.equal(run(text, [], { unusedSeverity: 'off' }).unused.length, 0);
  });

  it('fingerprints depend on the comment, not on its line', () => {
    const text = '// faultline-disable-next-line missing-timeout\nx();\n';
    const a = run(text, []).unused[0]!.fingerprint;
    const b = run(`\n\n${text}`, []).unused[0]!.fingerprint;
    const c = run(text.replace('missing-timeout', 'missing-timeout -- why'), []).unused[0]!.fingerprint;
    assert.equal(a, b);
    assert.notEqual(a, c);
    const twice = run(`${text}${text}`, []).unused.map((u) => u.fingerprint);
    assert.equal(twice.length, 2);
    assert.notEqual(twice[0], twice[1]);
  });

  it('ignores lookalikes in strings, templates, regexes and other comments', () => {
    const text = [
      "const s = '// faultline-disable-next-line';",
      'const t = `${a /* x */} // faultline-disable-line ${`/* faultline-disable */`}`;',
      'const r = /\\/\\/ faultline-disable-line [/]/g.test(s) ? 1 / 2 : 3;',
      '// not faultline-disable-next-line',
      '// faultline-disable-nextline missing-timeout',
      '/** faultline-disable */',
    ].join('\n');
    assert.deepEqual(findSuppressionComments(text), []);
  });

  it('leaves files without comments and findings of other files alone', () => {
    const other: Finding = { ...findingOn('fetch(a);', 1), location: { ...findingOn('fetch(a);', 1).location, file: '/repo/src/b.ts' } };
    const out = applySuppressions([other], [{ file: FILE, text: '/* faultline-disable */\nfetch(a);' }], ROOT);
    assert.equal(out.filter((f) => f.suppression).length, 0);
    assert.equal(out.filter((f) => f.ruleId === 'unused-suppression').length, 1);
  });
});

describe('comment scanner and positions', () => {
  it('finds line and block comments, skipping strings and regular expressions', () => {
    const text = "a = '//x'; b = /\\/*/; // one\n/* two */ c = x / 2; /* three */";
    assert.deepEqual(
      scanComments(text).map((c) => text.slice(c.start, c.end)),
      ['// one', '/* two */', '/* three */'],
    );
  });

  it('counts lines as TypeScript does', () => {
    const idx = new LineIndex('a\r\nb\rc\nd\u2028e');
    assert.deepEqual([0, 3, 5, 7, 9].map((o) => idx.positionAt(o)), [
      { line: 1, column: 1 },
      { line: 2, column: 1 },
      { line: 3, column: 1 },
      { line: 4, column: 1 },
      { line: 5, column: 1 },
    ]);
    assert.deepEqual(idx.positionAt(1), { line: 1, column: 2 });
  });
});
