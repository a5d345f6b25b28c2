import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { formatGithub, escapeData, escapeProperty } from '../server/reporters/github.ts';
import { formatJson, type JsonFinding } from '../server/reporters/json.ts';
import { formatSarif, FINGERPRINT_KEY } from '../server/reporters/sarif.ts';
import { formatText } from '../server/reporters/text.ts';
import { FINDINGS, RULES, ROOT, range } from './support/findings.ts';
import type { Finding } from '../rules/types.ts';
import type * as sarif from 'sarif';

const ctx = { root: ROOT, rules: RULES, toolVersion: '1.2.3' };

describe('text reporter', () => {
  it('groups by file, aligns rows, shows related locations and a summary', () => {
    assert.equal(
      formatText(FINDINGS, ctx),
      [
        'src/orders.ts',
        '  12:5  error    `axios.get` call has no deadline.                                                        missing-timeout',
        '                 ↳ src/http.ts:3:14  the client is created here',
        '                 ↳ 20:3  called again here',
        '  30:1  warning  This suppression comment silences nothing: no missing-timeout finding on the next line.  unused-suppression',
        '',
        'src/util/retry.ts',
        '  4:10  info  Deadline of 50% of calls: a, b next line  missing-timeout',
        '',
        '✖ 3 problems (1 error, 1 warning, 1 info), 1 suppressed',
        '  1 fixable with --fix, 1 more with --fix --unsafe-fixes',
        '',
      ].join('\n'),
    );
  });

  it('prints nothing when there is nothing, and counts suppressed findings when all are', () => {
    assert.equal(formatText([], ctx), '');
    assert.equal(formatText([FINDINGS[3]!], ctx), 'no problems, 1 suppressed\n');
  });

  it('pluralises the summary', () => {
    const one = formatText([FINDINGS[2]!], ctx);
    assert.match(one, /^✖ 1 problem \(0 errors, 0 warnings, 1 info\)$/m);
  });

  it('colours only when asked', () => {
    assert.doesNotMatch(formatText(FINDINGS, ctx), /\u001b\[/);
    const coloured = formatText(FINDINGS, { ...ctx, color: true });
    assert.match(coloured, /\u001b\[31merror  \u001b\[39m/);
    // Stripping the colours gives the plain text back.
    assert.equal(coloured.replace(/\u001b\[\d+m/g, ''), formatText(FINDINGS, ctx));
  });
});

describe('json reporter', () => {
  const parsed = JSON.parse(formatJson(FINDINGS, ctx)) as JsonFinding[];

  it('keeps every finding, suppressed ones included, in order', () => {
    assert.deepEqual(
      parsed.map((f) => [f.ruleId, f.file, f.line, f.suppression === null]),
      [
        ['missing-timeout', 'src/orders.ts', 12, true],
        ['unused-suppression', 'src/orders.ts', 30, true],
        ['missing-timeout', 'src/util/retry.ts', 4, true],
        ['missing-timeout', 'src/orders.ts', 40, false],
      ],
    );
  });

  it('has the documented shape', () => {
    assert.deepEqual(parsed[0], {
      ruleId: 'missing-timeout',
      messageId: 'noDeadline',
      severity: 'error',
      message: '`axios.get` call has no deadline.',
      file: 'src/orders.ts',
      line: 12,
      column: 5,
      endLine: 12,
      endColumn: 27,
      related: [
        { file: 'src/http.ts', line: 3, column: 14, endLine: 3, endColumn: 30, message: 'the client is created here' },
        { file: 'src/orders.ts', line: 20, column: 3, endLine: 20, endColumn: 13, message: 'called again here' },
      ],
      fixes: [
        {
          title: 'Add `timeout: 10_000`',
          applicability: 'unsafe',
          isPreferred: true,
          edits: [{ file: 'src/orders.ts', start: 231, end: 231, newText: ', { timeout: 10_000 }' }],
        },
      ],
      fingerprint: '0123456789abcdef0123456789abcdef',
      suppression: null,
    });
    assert.deepEqual(parsed[3]!.suppression, {
      kind: 'inSource',
      justification: 'local sidecar',
      file: 'src/orders.ts',
      line: 39,
      column: 1,
      endLine: 39,
      endColumn: 58,
    });
  });

  it('prints an empty array when clean', () => {
    assert.equal(formatJson([], ctx), '[]\n');
  });
});

describe('github reporter', () => {
  it('writes one workflow command per unsuppressed finding, escaped', () => {
    assert.equal(
      formatGithub(FINDINGS, ctx),
      [
        '::error file=src/orders.ts,line=12,col=5,endLine=12,endColumn=27,title=Faultline (missing-timeout)::`axios.get` call has no deadline.%0A  src/http.ts:3:14: the client is created here%0A  src/orders.ts:20:3: called again here',
        '::warning file=src/orders.ts,line=30,col=1,endLine=30,endColumn=47,title=Faultline (unused-suppression)::This suppression comment silences nothing: no missing-timeout finding on the next line.',
        // Spans several lines: no columns. Info is a notice. `%` and the line break are escaped.
        '::notice file=src/util/retry.ts,line=4,endLine=6,title=Faultline (missing-timeout)::Deadline of 50%25 of calls: a, b%0Anext line',
        '',
      ].join('\n'),
    );
  });

  it('escapes property values per the Actions toolkit', () => {
    assert.equal(escapeData('a%b\r\nc: d, e'), 'a%25b%0D%0Ac: d, e');
    assert.equal(escapeProperty('a%b\r\nc: d, e'), 'a%25b%0D%0Ac%3A d%2C e');
    const odd: Finding = { ...FINDINGS[1]!, location: range('/repo/src/a,b:c%.ts', 0, 1, 1, 1, 1, 2), message: 'x\ry' };
    assert.equal(
      formatGithub([odd], ctx),
      '::warning file=src/a%2Cb%3Ac%25.ts,line=1,col=1,endLine=1,endColumn=2,title=Faultline (unused-suppression)::x%0Dy\n',
    );
  });

  it('prints nothing when clean', () => {
    assert.equal(formatGithub([FINDINGS[3]!], ctx), '');
  });
});

describe('sarif reporter', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'vendor', 'sarif-schema-2.1.0.json'), 'utf8'));
  // The official schema itself trips Ajv's strictRequired check (a `required` under `anyOf`); everything else is strict.
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const log = JSON.parse(formatSarif(FINDINGS, ctx)) as sarif.Log;
  const run = log.runs[0]!;

  it('is valid against the SARIF 2.1.0 schema', () => {
    assert.equal(validate(log), true, JSON.stringify(validate.errors, null, 2));
    assert.equal(validate(JSON.parse(formatSarif([], ctx))), true, JSON.stringify(validate.errors, null, 2));
  });

  it('the validator does reject broken logs', () => {
    const broken = structuredClone(log);
    (broken.runs[0]!.results![0] as { level: string }).level = 'info';
    assert.equal(validate(broken), false);
  });

  it('describes the tool and its rules from their metadata', () => {
    const driver = run.tool.driver;
    assert.equal(driver.name, 'Faultline');
    assert.equal(driver.version, '1.2.3');
    assert.equal(driver.informationUri, 'https://github.com/faultline-dev/faultline');
    assert.deepEqual(
      driver.rules!.map((r) => [r.id, r.defaultConfiguration?.level, r.helpUri]),
      [
        ['missing-timeout', 'error', 'https://github.com/faultline-dev/faultline/blob/main/docs/rules/missing-timeout.md'],
        ['unused-suppression', 'warning', 'https://github.com/faultline-dev/faultline/blob/main/docs/rules/unused-suppression.md'],
      ],
    );
    const rule = driver.rules![0]!;
    assert.equal(rule.shortDescription!.text, 'Outbound calls that can wait forever');
    assert.equal(rule.fullDescription!.text, 'Finds outbound calls whose client sets no deadline.');
    assert.match(rule.help!.text, /^What it does: Reports outbound calls without a deadline\./);
    assert.match(rule.help!.markdown!, /## Why is this bad\?\n\nA stalled upstream holds the request forever\./);
    assert.match(rule.help!.markdown!, /```ts\nawait fetch\('https:\/\/x'\);\n```/);
    assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: 'file:///repo/' } });
  });

  it('maps findings to results', () => {
    const [first, second, third, fourth] = run.results!;
    assert.deepEqual(first!.locations, [
      {
        physicalLocation: {
          artifactLocation: { uri: 'src/orders.ts', uriBaseId: '%SRCROOT%' },
          region: { startLine: 12, startColumn: 5, endLine: 12, endColumn: 27, charOffset: 210, charLength: 22 },
        },
      },
    ]);
    assert.equal(first!.ruleId, 'missing-timeout');
    assert.equal(first!.ruleIndex, 0);
    assert.equal(second!.ruleIndex, 1);
    assert.deepEqual([first!.level, second!.level, third!.level], ['error', 'warning', 'note']);
    assert.deepEqual(first!.partialFingerprints, { [FINGERPRINT_KEY]: '0123456789abcdef0123456789abcdef' });
    assert.equal(first!.relatedLocations!.length, 2);
    assert.deepEqual(first!.relatedLocations![0]!.message, { text: 'the client is created here' });
    assert.deepEqual(first!.fixes, [
      {
        description: { text: 'Add `timeout: 10_000`' },
        artifactChanges: [
          {
            artifactLocation: { uri: 'src/orders.ts', uriBaseId: '%SRCROOT%' },
            replacements: [{ deletedRegion: { charOffset: 231, charLength: 0 }, insertedContent: { text: ', { timeout: 10_000 }' } }],
          },
        ],
        properties: { applicability: 'unsafe' },
      },
    ]);
    assert.equal(first!.suppressions, undefined);
    assert.equal(fourth!.suppressions![0]!.kind, 'inSource');
    assert.equal(fourth!.suppressions![0]!.justification, 'local sidecar');
  });

  it('uses an absolute file URI for files outside the root', () => {
    const outside: Finding = { ...FINDINGS[2]!, location: range('/elsewhere/x y.ts', 0, 1, 1, 1, 1, 2) };
    const out = JSON.parse(formatSarif([outside], ctx)) as sarif.Log;
    assert.deepEqual(out.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation, { uri: 'file:///elsewhere/x%20y.ts' });
    assert.equal(validate(out), true, JSON.stringify(validate.errors, null, 2));
  });
});
