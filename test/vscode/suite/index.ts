/**
 * API-level tests of the Faultline extension, run inside a VS Code
 * extension host (by @vscode/test-electron through test/vscode/run.ts, or
 * inside code-server by test/e2e/code-server-api.e2e.ts). No mocha: plain
 * assert and the tiny runner below.
 *
 * Input (env FAULTLINE_VSCODE_PLAN): a JSON file written by the launcher with
 * the workspace, what `faultline lint --format json` reports for it, and
 * the expected text of the files after the fixes.
 * Output: the exit code of the extension host (test-electron) and, when
 * FAULTLINE_VSCODE_RESULT is set, a JSON report (code-server).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface PlanFinding {
  file: string;
  line: number;
  column: number;
  ruleId: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
}
export interface Plan {
  workspace: string;
  findings: PlanFinding[];
  quickFix: { finding: PlanFinding; title: string; expectedText: string };
  fixAll: { file: string; expectedText: string };
}

const SEVERITY: Record<number, string> = {
  [vscode.DiagnosticSeverity.Error]: 'error',
  [vscode.DiagnosticSeverity.Warning]: 'warning',
  [vscode.DiagnosticSeverity.Information]: 'info',
};

function plan(): Plan {
  const file = process.env.FAULTLINE_VSCODE_PLAN;
  if (!file) throw new Error('FAULTLINE_VSCODE_PLAN is not set: run the suite with `npm run test:vscode`');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Plan;
}

/** Faultline's diagnostics of the whole workspace, as comparable strings. */
function faultlineRows(root: string): string[] {
  return vscode.languages
    .getDiagnostics()
    .flatMap(([uri, ds]) =>
      ds
        .filter((d) => d.source === 'faultline')
        .map((d) => {
          const code = typeof d.code === 'object' ? d.code.value : d.code;
          return `${path.relative(root, uri.fsPath).split(path.sep).join('/')}:${d.range.start.line + 1}:${d.range.start.character + 1} ${code} ${SEVERITY[d.severity]} ${d.message}`;
        }),
    )
    .sort();
}
const expectedRows = (fs_: PlanFinding[]): string[] => fs_.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId} ${f.severity} ${f.message}`).sort();

/** Resolves when `check()` holds, re-checking on every diagnostics change; fails with `what` after `timeoutMs`. */
function waitForDiagnostics(what: string, timeoutMs: number, check: () => boolean, detail: () => string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const sub = vscode.languages.onDidChangeDiagnostics(() => {
      if (!check()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`));
    }, timeoutMs);
  });
}

function diff(got: string[], want: string[]): string {
  return `missing: ${JSON.stringify(want.filter((w) => !got.includes(w)), null, 1)}\nextra: ${JSON.stringify(got.filter((g) => !want.includes(g)), null, 1)}`;
}

async function open(root: string, rel: string): Promise<vscode.TextDocument> {
  const doc = await step(`openTextDocument(${rel})`, vscode.workspace.openTextDocument(vscode.Uri.file(path.join(root, rel))));
  await step(`showTextDocument(${rel})`, vscode.window.showTextDocument(doc));
  return doc;
}

/** Awaits `p`; a failure names the step it failed in. */
async function step<T>(name: string, p: Thenable<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * The code actions of a range. A request made while the language client is
 * still catching up with a document it just opened can come back
 * "Canceled" (the editor's own lightbulb simply asks again): ask again, up
 * to 5 times, once the document's diagnostics have been republished.
 */
async function codeActions(uri: vscode.Uri, range: vscode.Range, kind: string): Promise<vscode.CodeAction[]> {
  for (let attempt = 1; ; attempt++) {
    const republished = nextDiagnostics(uri, 3_000);
    try {
      const result = (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', uri, range, kind)) as vscode.CodeAction[] | undefined;
      return result ?? [];
    } catch (err) {
      if (attempt >= 5 || !(err instanceof Error) || err.message !== 'Canceled') throw new Error(`vscode.executeCodeActionProvider(${kind}) failed after ${attempt} attempts: ${String(err)}`);
      console.log(`vscode.executeCodeActionProvider(${kind}) on ${uri.fsPath}: Canceled; asking again`);
      await republished;
    }
  }
}

/** Resolves on the next diagnostics change of `uri`, or after `timeoutMs`. */
function nextDiagnostics(uri: vscode.Uri, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) done();
    });
    const timer = setTimeout(done, timeoutMs);
  });
}

type Test = { name: string; fn: () => Promise<void> };

function tests(p: Plan): Test[] {
  const root = p.workspace;
  let remaining = [...p.findings];
  return [
    {
      name: 'activates on a TypeScript file and publishes the CLI\'s findings for the whole workspace',
      fn: async () => {
        assert.equal(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, root, 'the example is the open folder');
        const quiet = fs.readdirSync(path.join(root, 'src')).find((f) => f.endsWith('.ts') && !p.findings.some((x) => x.file === `src/${f}`));
        await open(root, `src/${quiet ?? 'config.ts'}`);
        const ext = vscode.extensions.getExtension('faultline.faultline');
        assert.ok(ext, 'the extension under development is loaded');
        await waitForDiagnostics('Faultline\'s diagnostics to match the CLI', 90_000, () => JSON.stringify(faultlineRows(root)) === JSON.stringify(expectedRows(remaining)), () => diff(faultlineRows(root), expectedRows(remaining)));
        assert.ok(ext.isActive, 'the extension is active');
      },
    },
    {
      name: 'offers the fix through vscode.executeCodeActionProvider; applying and saving it fixes the file and the diagnostic goes',
      fn: async () => {
        const f = p.quickFix.finding;
        const doc = await open(root, f.file);
        const uri = doc.uri;
        const diagnostic = vscode.languages.getDiagnostics(uri).find((d) => d.source === 'faultline' && d.range.start.line === f.line - 1);
        assert.ok(diagnostic, `a Faultline diagnostic on ${f.file}:${f.line}`);
        const actions = await codeActions(uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
        const titles = actions.map((a) => a.title);
        const action = actions.find((a) => a.title === p.quickFix.title);
        assert.ok(action?.edit, `the quick fix "${p.quickFix.title}" is offered with an edit; offered: ${JSON.stringify(titles)}`);
        assert.equal(action.isPreferred, true, 'it is the preferred fix');
        assert.ok(titles.includes(`Suppress ${f.ruleId} for this line`), `a suppression is offered too: ${JSON.stringify(titles)}`);
        assert.ok(await step('workspace.applyEdit', vscode.workspace.applyEdit(action.edit)), 'the edit applies');
        assert.ok(await step('save', doc.save()), 'the document saves');
        assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), p.quickFix.expectedText, `${f.file} on disk holds exactly the fix`);
        remaining = remaining.filter((x) => x !== p.findings.find((y) => y.file === f.file && y.line === f.line && y.ruleId === f.ruleId));
        const inFile = (): string[] => faultlineRows(root).filter((r) => r.startsWith(`${f.file}:`));
        await waitForDiagnostics(`the diagnostic on ${f.file}:${f.line} to go`, 30_000, () => !inFile().some((r) => r.startsWith(`${f.file}:${f.line}:`)), () => JSON.stringify(inFile()));
      },
    },
    {
      name: 'fixes every finding of a file with source.fixAll.faultline',
      fn: async () => {
        const doc = await open(root, p.fixAll.file);
        await waitForDiagnostics(`Faultline diagnostics on ${p.fixAll.file}`, 30_000, () => vscode.languages.getDiagnostics(doc.uri).some((d) => d.source === 'faultline'), () => '');
        const actions = await codeActions(doc.uri, new vscode.Range(0, 0, 0, 0), 'source.fixAll.faultline');
        assert.deepEqual(actions.map((a) => [a.title, a.kind?.value]), [['Fix all Faultline problems in this file', 'source.fixAll.faultline']]);
        assert.ok(await step('workspace.applyEdit', vscode.workspace.applyEdit(actions[0]!.edit!)), 'the edit applies');
        assert.ok(await step('save', doc.save()), 'the document saves');
        assert.equal(fs.readFileSync(doc.uri.fsPath, 'utf8'), p.fixAll.expectedText, `${p.fixAll.file} on disk holds every preferred fix`);
        await waitForDiagnostics(`no Faultline diagnostic left on ${p.fixAll.file}`, 30_000, () => !vscode.languages.getDiagnostics(doc.uri).some((d) => d.source === 'faultline'), () =>
          JSON.stringify(vscode.languages.getDiagnostics(doc.uri).map((d) => d.message)),
        );
      },
    },
  ];
}

/** The extension host calls this (extensionTestsPath); a rejection makes the run fail. */
export async function run(): Promise<void> {
  const results: { name: string; ok: boolean; ms: number; error?: string }[] = [];
  let list: Test[];
  try {
    list = tests(plan());
  } catch (err) {
    list = [{ name: 'reads the plan', fn: () => Promise.reject(err) }];
  }
  for (const t of list) {
    const started = Date.now();
    try {
      await t.fn();
      results.push({ name: t.name, ok: true, ms: Date.now() - started });
      console.log(`ok - ${t.name} (${Date.now() - started} ms)`);
    } catch (err) {
      const error = err instanceof Error ? `${err.message}\n${(err.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(err);
      results.push({ name: t.name, ok: false, ms: Date.now() - started, error });
      console.log(`not ok - ${t.name}\n${error}`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  if (process.env.FAULTLINE_VSCODE_RESULT) fs.writeFileSync(process.env.FAULTLINE_VSCODE_RESULT, JSON.stringify({ results }, null, 2));
  if (failed > 0) throw new Error(`${failed} of ${results.length} Faultline extension tests failed`);
}
