/**
 * A stand-in for the engine: three regex "rules" over real files, so that
 * the CLI's orchestration (config, fixes, baseline, exit codes) is tested
 * without depending on what the real rules find.
 *
 * - `fake-fetch` (error): `fetch(...)` without `signal`; unsafe fix adds `, { signal }`.
 * - `fake-var` (warning): `var` at the start of a line; safe fix writes `let`.
 * - `fake-semi` (info): `;;`; safe fix writes `;` (overlapping matches need several passes).
 * A file containing `CRASH` makes `fake-fetch` throw on it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { ProjectLoadError } from '../../rules/core/project.ts';
import type { LintRequest, LintResult, InternalError } from '../../rules/engine.ts';
import { applySuppressions, LineIndex, unusedSuppressionRule } from '../../rules/suppressions.ts';
import type { Finding, Fix, RuleMeta, Severity } from '../../rules/types.ts';
import type { EngineDeps } from '../../server/lint-command.ts';

function meta(id: string, defaultSeverity: Severity): RuleMeta {
  return {
    id,
    defaultSeverity,
    shortDescription: `${id} short`,
    fullDescription: `${id} full`,
    messages: { m: `${id} message` },
    docs: { whatItDoes: 'x', why: 'y', incorrect: 'a', correct: 'b', fixSafety: 'z', references: [] },
  };
}

export const FAKE_RULES: RuleMeta[] = [meta('fake-fetch', 'error'), meta('fake-var', 'warning'), meta('fake-semi', 'info'), unusedSuppressionRule];

const PATTERNS: Record<string, { re: RegExp; fix: (m: RegExpExecArray, start: number, file: string) => Fix | undefined }> = {
  'fake-fetch': {
    re: /fetch\(([^)]*)\)/g,
    fix: (m, start, file) => ({
      title: 'Add a signal',
      applicability: 'unsafe',
      edits: [{ file, start: start + m[0].length - 1, end: start + m[0].length - 1, newText: ', { signal }' }],
    }),
  },
  'fake-var': { re: /^var\b/gm, fix: (_m, start, file) => ({ title: 'Use let', applicability: 'safe', edits: [{ file, start, end: start + 3, newText: 'let' }] }) },
  'fake-semi': { re: /(?=;;)/g, fix: (_m, start, file) => ({ title: 'One semicolon', applicability: 'safe', edits: [{ file, start, end: start + 2, newText: ';' }] }) },
};

function listFiles(p: string): string[] {
  const stat = fs.statSync(p);
  if (stat.isFile()) return p.endsWith('.ts') ? [p] : [];
  return fs
    .readdirSync(p, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules')
    .flatMap((e) => listFiles(path.join(p, e.name)))
    .sort();
}

export interface FakeEngine extends EngineDeps {
  calls: LintRequest[];
}

export function fakeEngine(): FakeEngine {
  const calls: LintRequest[] = [];
  const lint = (req: LintRequest): LintResult => {
    calls.push(req);
    const ignored = req.ignore?.length ? picomatch(req.ignore, { dot: true }) : () => false;
    const files = req.paths
      .map((p) => path.resolve(req.cwd, p))
      .flatMap((p) => {
        if (!fs.existsSync(p)) throw new ProjectLoadError(`no such file or folder: ${p}`);
        return listFiles(p);
      })
      .filter((f) => !ignored(path.relative(req.cwd, f).split(path.sep).join('/')));
    const findings: Finding[] = [];
    const internalErrors: InternalError[] = [];
    // As TypeScript does, offsets count from after a byte order mark.
    const texts = files.map((file) => ({ file, text: fs.readFileSync(file, 'utf8').replace(/^\ufeff/, '') }));
    for (const { file, text } of texts) {
      const lines = new LineIndex(text);
      const seen = new Map<string, number>();
      for (const rule of FAKE_RULES) {
        const pattern = PATTERNS[rule.id];
        const setting = req.options.rules[rule.id] ?? rule.defaultSeverity;
        if (!pattern || setting === 'off') continue;
        if (rule.id === 'fake-fetch' && text.includes('CRASH')) {
          internalErrors.push({ ruleId: rule.id, message: 'Error: boom\n    at fake (fake-engine.ts:1:1)', file });
          continue;
        }
        const re = new RegExp(pattern.re.source, pattern.re.flags);
        for (let m = re.exec(text); m; m = re.exec(text)) {
          if (m[0] === '') re.lastIndex++;
          const start = m.index;
          const end = start + Math.max(m[0].length, 2);
          if (rule.id === 'fake-fetch' && m[1]!.includes('signal')) continue;
          const fix = pattern.fix(m, start, file);
          const key = `${rule.id}\0${path.relative(req.cwd, file)}\0${text.slice(start, end)}`;
          const n = seen.get(key) ?? 0;
          seen.set(key, n + 1);
          findings.push({
            ruleId: rule.id,
            messageId: 'm',
            message: `${rule.id} message`,
            severity: setting,
            location: { file, start, end, startPos: lines.positionAt(start), endPos: lines.positionAt(end) },
            related: [],
            fixes: fix ? [fix] : [],
            fingerprint: createHash('sha256').update(`${key}\0${n}`).digest('hex').slice(0, 32),
          });
        }
      }
    }
    req.onProgress?.(1, 1);
    // As the real engine does today: no options, so the command settles unused suppressions itself.
    return {
      findings: applySuppressions(findings, texts, req.cwd),
      files,
      internalErrors,
    };
  };
  return { lint, rules: FAKE_RULES, version: '9.9.9', calls };
}
