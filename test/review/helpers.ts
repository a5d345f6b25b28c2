import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project, ts } from 'ts-morph';
import { loadProjects } from '../../rules/core/project.ts';
import { collectEvidence, type Evidence, type EvidenceSet, type EvidenceUnit } from '../../rules/review/evidence.ts';
import type { EvidenceId } from '../../rules/review/catalogue.ts';
import { defaultAnalysisOptions } from '../../rules/types.ts';
import type { ReviewModel } from '../../protocol/review.ts';
import { buildReviewModel } from '../../server/review/model.ts';

export const ROOT = path.join(__dirname, '..', '..');
export const EXAMPLE = path.join(ROOT, 'examples', 'orders-service');

let example: EvidenceSet | undefined;

/** The evidence of examples/orders-service, computed once per test file. */
export function exampleEvidence(): EvidenceSet {
  if (!example) {
    const units: EvidenceUnit[] = loadProjects({ paths: [EXAMPLE], cwd: EXAMPLE }).map((l) => ({
      project: l.project,
      files: l.files.map((f) => l.project.getSourceFileOrThrow(f)),
      options: defaultAnalysisOptions(),
      root: EXAMPLE,
    }));
    example = collectEvidence(units);
  }
  return example;
}

/** Evidence computed over sources held in memory (paths under /virtual). */
export function evidenceOf(sources: Record<string, string>): EvidenceSet {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, allowJs: true },
    skipLoadingLibFiles: true,
  });
  const files = Object.entries(sources).map(([name, text]) => project.createSourceFile(path.posix.resolve('/virtual', name), text));
  return collectEvidence([{ project, files, options: defaultAnalysisOptions(), root: '/virtual' }]);
}

/** `file:line` of each place of a fact, relative to `root`, in file order. */
export function placesOf(e: Evidence | undefined, key: string, root = EXAMPLE): string[] {
  const f = e?.facts.find((x) => x.key === key);
  return (f?.places ?? []).map((p) => `${path.relative(root, p.file).split(path.sep).join('/')}:${p.startPos.line}`);
}

export function get(set: EvidenceSet, id: EvidenceId): Evidence {
  const e = set[id];
  if (!e) throw new Error(`no evidence ${id}`);
  return e;
}

/** A copy of the example service (sources and tsconfig) in a fresh folder. */
export function copyExample(into: string): string {
  const dest = path.join(into, 'orders-service');
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(path.join(EXAMPLE, 'src'), path.join(dest, 'src'), { recursive: true });
  fs.copyFileSync(path.join(EXAMPLE, 'tsconfig.json'), path.join(dest, 'tsconfig.json'));
  fs.copyFileSync(path.join(EXAMPLE, 'package.json'), path.join(dest, 'package.json'));
  return dest;
}

/** Text that must show as written wherever it appears: a file name, a label, a note, a name. */
export const HOSTILE = {
  file: '/ws/src/<script>alert(1)</script>.ts',
  label: 'fetch <img src=x onerror=alert(2)> | pipe *bold*',
  note: 'Looks fine <script>alert("note")</script>\n@octocat | [link](javascript:alert(3))',
  by: '"><b onmouseover=alert(4)>Mallory</b>',
};

/**
 * A checklist built from hand-made evidence with hostile texts in it, a
 * required item failing, an answer, a conflict and a custom item: the
 * renderers' test input.
 */
export function hostileModel(): ReviewModel {
  const place = (line: number, label: string) => ({ file: HOSTILE.file, start: line * 10, end: line * 10 + 5, startPos: { line, column: 3 }, endPos: { line, column: 8 }, label });
  const evidence: EvidenceSet = {
    'outbound-deadlines': {
      id: 'outbound-deadlines',
      summary: '3 outbound calls, 1 without a deadline <script>alert(5)</script>',
      counts: { calls: 3, unboundedCalls: 1 },
      facts: [{ key: 'unbounded-calls', label: 'Calls without a deadline', places: [place(3, HOSTILE.label)] }],
      notes: [],
      automatic: { status: 'not-met', reason: 'missing-timeout reports 1 call without a deadline.' },
    },
    'circuit-breakers': {
      id: 'circuit-breakers',
      summary: '1 circuit breaker',
      counts: { breakers: 1 },
      facts: [{ key: 'breakers', label: 'Circuit breakers', places: [place(7, 'cockatiel circuit breaker, guarding shippingApi (axios)')] }],
      notes: [],
    },
  };
  return buildReviewModel({
    root: '/ws',
    evidence,
    answers: {
      'timeouts.deadlines': { status: 'met', note: HOSTILE.note, by: HOSTILE.by, at: '2025-03-01T10:00:00.000Z', evidence: 'an older summary' },
      'circuit-breakers.failing-dependency': { status: 'met', note: 'Shipping fails most; it has one.', by: 'Ana', at: '2025-03-02T10:00:00.000Z', evidence: '1 circuit breaker' },
      'gone.item': { status: 'met', note: '', by: 'x', at: '' },
    },
    config: {
      file: '.faultline/review.json',
      required: ['timeouts.deadlines', 'idempotency.handlers'],
      hidden: ['caching.stampede'],
      items: [{ id: 'team.runbook', group: 'chaos', question: 'Is there a runbook <for> every alert?', why: 'On call & at night.' }],
    },
    reviewFile: { file: '/ws/.faultline/review.json', exists: true },
    reviewer: 'Ana <ana@example.com>',
    now: new Date('2025-03-04T00:00:00.000Z'),
  });
}
