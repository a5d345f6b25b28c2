import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { applyBaseline, BaselineError, createBaseline, parseBaseline, readBaseline, writeBaseline } from '../server/baseline.ts';
import type { Finding } from '../rules/types.ts';
import { FINDINGS, ROOT } from './support/findings.ts';

describe('baseline', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-baseline-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('records unsuppressed findings with rule, relative file and message, sorted', () => {
    assert.deepEqual(createBaseline(FINDINGS, ROOT), {
      version: 1,
      findings: [
        { fingerprint: '0123456789abcdef0123456789abcdef', ruleId: 'missing-timeout', file: 'src/orders.ts', message: '`axios.get` call has no deadline.' },
        {
          fingerprint: 'fedcba9876543210fedcba9876543210',
          ruleId: 'unused-suppression',
          file: 'src/orders.ts',
          message: 'This suppression comment silences nothing: no missing-timeout finding on the next line.',
        },
        { fingerprint: '00000000000000000000000000000001', ruleId: 'missing-timeout', file: 'src/util/retry.ts', message: 'Deadline of 50% of calls: a, b\nnext line' },
      ],
    });
  });

  it('round-trips through a file and drops exactly the recorded findings', () => {
    const file = path.join(tmp, 'nested', 'baseline.json');
    writeBaseline(file, FINDINGS, ROOT);
    const baseline = readBaseline(file);
    const fresh: Finding = { ...FINDINGS[0]!, fingerprint: 'ffffffffffffffffffffffffffffffff' };
    const { findings, matched } = applyBaseline([...FINDINGS, fresh], baseline);
    assert.equal(matched, 3);
    // The suppressed finding stays (it is not the baseline's business), and so does the new one.
    assert.deepEqual(findings.map((f) => f.fingerprint), ['00000000000000000000000000000002', 'ffffffffffffffffffffffffffffffff']);
  });

  it('matches by fingerprint, never by line', () => {
    const baseline = createBaseline([FINDINGS[0]!], ROOT);
    const moved: Finding = { ...FINDINGS[0]!, location: { ...FINDINGS[0]!.location, startPos: { line: 99, column: 1 } } };
    assert.equal(applyBaseline([moved], baseline).findings.length, 0);
    const sameLineOtherFingerprint: Finding = { ...FINDINGS[0]!, fingerprint: 'another' };
    assert.equal(applyBaseline([sameLineOtherFingerprint], baseline).findings.length, 1);
  });

  it('rejects broken baselines with one clear line', () => {
    const cases: [string, RegExp][] = [
      ['{', /^baseline b\.json is not valid JSON \(/],
      ['[]', /^baseline b\.json is not a Faultline baseline/],
      ['{"version": 2, "findings": []}', /^baseline b\.json has unsupported version 2 \(expected 1\)$/],
      ['{"version": 1}', /^baseline b\.json is not a Faultline baseline/],
      ['{"version": 1, "findings": [{"ruleId": "x"}]}', /^baseline b\.json: findings\[0\] has no "fingerprint" string$/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseBaseline(text, 'b.json'), (err: unknown) => err instanceof BaselineError && message.test(err.message) && !err.message.includes('\n'));
    }
    assert.throws(() => readBaseline(path.join(tmp, 'missing.json'), 'missing.json'), { name: 'BaselineError', message: 'baseline missing.json does not exist' });
  });
});
