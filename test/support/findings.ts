/**
 * A fixed, hand-made list of findings for the reporter tests: every shape a
 * reporter must handle (related locations in the same and in another file,
 * safe and unsafe fixes, a suppressed finding, characters GitHub escapes).
 */
import { unusedSuppressionRule } from '../../rules/suppressions.ts';
import type { Finding, RuleMeta, SourceRange } from '../../rules/types.ts';

export const ROOT = '/repo';

export function range(file: string, start: number, end: number, line: number, column: number, endLine: number, endColumn: number): SourceRange {
  return { file, start, end, startPos: { line, column }, endPos: { line: endLine, column: endColumn } };
}

export const fakeRule: RuleMeta = {
  id: 'missing-timeout',
  defaultSeverity: 'error',
  shortDescription: 'Outbound calls that can wait forever',
  fullDescription: 'Finds outbound calls whose client sets no deadline.',
  messages: { noDeadline: '`{callee}` call has no deadline.' },
  docs: {
    whatItDoes: 'Reports outbound calls without a deadline.',
    why: 'A stalled upstream holds the request forever.',
    incorrect: "await fetch('https://x');\n",
    correct: "await fetch('https://x', { signal: AbortSignal.timeout(5_000) });\n",
    fixSafety: 'Unsafe: a deadline changes behaviour.',
    references: ['fetch: https://developer.mozilla.org/en-US/docs/Web/API/fetch'],
  },
};

export const RULES: RuleMeta[] = [fakeRule, unusedSuppressionRule];

const orders = `${ROOT}/src/orders.ts`;
const http = `${ROOT}/src/http.ts`;
const retry = `${ROOT}/src/util/retry.ts`;

export const FINDINGS: Finding[] = [
  {
    ruleId: 'missing-timeout',
    messageId: 'noDeadline',
    message: '`axios.get` call has no deadline.',
    severity: 'error',
    location: range(orders, 210, 232, 12, 5, 12, 27),
    related: [
      { ...range(http, 40, 56, 3, 14, 3, 30), message: 'the client is created here' },
      { ...range(orders, 400, 410, 20, 3, 20, 13), message: 'called again here' },
    ],
    fixes: [
      {
        title: 'Add `timeout: 10_000`',
        applicability: 'unsafe',
        isPreferred: true,
        edits: [{ file: orders, start: 231, end: 231, newText: ', { timeout: 10_000 }' }],
      },
    ],
    fingerprint: '0123456789abcdef0123456789abcdef',
  },
  {
    ruleId: 'unused-suppression',
    messageId: 'unused',
    message: 'This suppression comment silences nothing: no missing-timeout finding on the next line.',
    severity: 'warning',
    location: range(orders, 500, 546, 30, 1, 30, 47),
    related: [],
    fixes: [{ title: 'Remove the unused suppression comment', applicability: 'safe', isPreferred: true, edits: [{ file: orders, start: 500, end: 547, newText: '' }] }],
    fingerprint: 'fedcba9876543210fedcba9876543210',
  },
  {
    ruleId: 'missing-timeout',
    messageId: 'noDeadline',
    message: 'Deadline of 50% of calls: a, b\nnext line',
    severity: 'info',
    location: range(retry, 60, 90, 4, 10, 6, 2),
    related: [],
    fixes: [],
    fingerprint: '00000000000000000000000000000001',
  },
  {
    ruleId: 'missing-timeout',
    messageId: 'noDeadline',
    message: '`fetch` call has no deadline.',
    severity: 'error',
    location: range(orders, 700, 718, 40, 3, 40, 21),
    related: [],
    fixes: [],
    fingerprint: '00000000000000000000000000000002',
    suppression: { kind: 'inSource', justification: 'local sidecar', location: range(orders, 640, 697, 39, 1, 39, 58) },
  },
];
