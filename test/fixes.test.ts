import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits, chooseFix, countHiddenUnsafeFixes, editsConflict, planFixes } from '../server/fixes.ts';
import type { Applicability, Finding, Fix } from '../rules/types.ts';
import { range } from './support/findings.ts';

function finding(fixes: Fix[], extra: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'r',
    messageId: 'm',
    message: 'm',
    severity: 'error',
    location: range('/f.ts', 0, 1, 1, 1, 1, 2),
    related: [],
    fixes,
    fingerprint: 'x',
    ...extra,
  };
}

function fix(applicability: Applicability, edits: [number, number, string][], file = '/f.ts', isPreferred?: boolean): Fix {
  return { title: `${applicability} fix`, applicability, isPreferred, edits: edits.map(([start, end, newText]) => ({ file, start, end, newText })) };
}

describe('applyEdits', () => {
  it('applies edits given in any order against the original offsets', () => {
    assert.equal(
      applyEdits('const a = 1;', [
        { start: 11, end: 11, newText: ' // one' },
        { start: 0, end: 5, newText: 'let' },
      ]),
      'let a = 1 // one;',
    );
    assert.equal(applyEdits('abc', [{ start: 1, end: 1, newText: 'x' }, { start: 1, end: 1, newText: 'y' }]), 'axybc');
    assert.equal(applyEdits('abc', []), 'abc');
  });

  it('throws on overlapping or out-of-range edits', () => {
    assert.throws(() => applyEdits('abcdef', [{ start: 0, end: 3, newText: '' }, { start: 2, end: 4, newText: '' }]), RangeError);
    assert.throws(() => applyEdits('abc', [{ start: 2, end: 9, newText: '' }]), RangeError);
  });

  it('tells colliding edits apart from touching ones', () => {
    assert.equal(editsConflict({ start: 0, end: 3, newText: '' }, { start: 2, end: 4, newText: '' }), true);
    assert.equal(editsConflict({ start: 0, end: 3, newText: '' }, { start: 3, end: 4, newText: '' }), false);
    assert.equal(editsConflict({ start: 3, end: 3, newText: 'a' }, { start: 3, end: 3, newText: 'b' }), true);
  });
});

describe('planning', () => {
  it('chooses the preferred allowed fix; unsafe only when asked; never displayOnly or suppressed', () => {
    const safe = fix('safe', [[0, 1, 'a']]);
    const preferredUnsafe = fix('unsafe', [[0, 1, 'b']], '/f.ts', true);
    assert.equal(chooseFix(finding([preferredUnsafe, safe]), false), safe);
    assert.equal(chooseFix(finding([preferredUnsafe, safe]), true), preferredUnsafe);
    assert.equal(chooseFix(finding([fix('displayOnly', [[0, 1, 'c']])]), true), undefined);
    const suppression = { kind: 'inSource' as const, justification: '', location: range('/f.ts', 0, 1, 1, 1, 1, 2) };
    assert.equal(chooseFix(finding([safe], { suppression }), true), undefined);
  });

  it('defers fixes that collide with one taken earlier, whole fixes across files', () => {
    const a = finding([fix('safe', [[0, 2, 'x']])]);
    const b = finding([fix('safe', [[1, 3, 'y']])]);
    const c = finding([{ title: 'two files', applicability: 'safe', edits: [{ file: '/g.ts', start: 0, end: 0, newText: 'z' }, { file: '/f.ts', start: 2, end: 3, newText: 'w' }] }]);
    const plan = planFixes([a, b, c], { unsafe: false });
    assert.deepEqual(plan.applied.map((p) => p.finding), [a, c]);
    assert.deepEqual(plan.deferred.map((p) => p.finding), [b]);
    assert.deepEqual(plan.edits.get('/f.ts')!.map((e) => e.newText), ['x', 'w']);
    assert.deepEqual(plan.edits.get('/g.ts')!.map((e) => e.newText), ['z']);
  });

  it('counts hidden unsafe fixes', () => {
    assert.equal(
      countHiddenUnsafeFixes([finding([fix('unsafe', [[0, 1, '']])]), finding([fix('safe', [[0, 1, '']]), fix('unsafe', [[0, 1, '']])]), finding([])]),
      1,
    );
  });
});
