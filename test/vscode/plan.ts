import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits, chooseTargets, lint, menuTitle, preferredFix, type LintFinding } from '../e2e/helpers/example.ts';
import { ROOT } from '../e2e/helpers/tools.ts';
import type { Plan, PlanFinding } from './suite/index.ts';

const brief = (f: LintFinding): PlanFinding => ({ file: f.file, line: f.line, column: f.column, ruleId: f.ruleId, severity: f.severity, message: f.message });

/**
 * What the in-editor suite checks, from `faultline lint --format json` on
 * the workspace: every finding, and the exact text each fix must leave.
 */
export function makePlan(workspace: string): Plan {
  const findings = lint(workspace);
  if (findings.length === 0) throw new Error(`faultline lint reports nothing in ${workspace}: nothing to test`);
  const { quickFix, fixAllFile } = chooseTargets(findings);
  const fix = preferredFix(quickFix)!;
  const read = (rel: string): string => fs.readFileSync(path.join(workspace, rel), 'utf8');
  const inFile = findings.filter((f) => f.file === fixAllFile && preferredFix(f));
  return {
    workspace,
    findings: findings.map(brief),
    quickFix: { finding: brief(quickFix), title: menuTitle(fix), expectedText: applyEdits(read(quickFix.file), fix.edits, quickFix.file) },
    fixAll: { file: fixAllFile, expectedText: applyEdits(read(fixAllFile), inFile.flatMap((f) => preferredFix(f)!.edits), fixAllFile) },
  };
}

/** Bundles test/vscode/suite/index.ts (CommonJS, `vscode` external) into `outDir`; returns the entry file. */
export async function bundleSuite(outDir: string): Promise<string> {
  fs.mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, 'index.js');
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'test', 'vscode', 'suite', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return outfile;
}
