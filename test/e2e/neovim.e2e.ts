/**
 * Faultline's language server in another editor: Neovim's built-in LSP
 * client (Debian's neovim 0.7.2), headless, talking to dist/server.js over
 * stdio. The same findings as `faultline lint --format json`, the quick
 * fixes and source.fixAll.faultline, with nothing of VS Code involved.
 *
 * Run: `npm run test:e2e`. Tools: `bash scripts/e2e-install.sh` (neovim).
 * Record of the session: test-output/e2e/neovim/record.json.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it, type TestContext } from 'node:test';
import { applyEdits, chooseTargets, lint, menuTitle, prepareWorkspace, preferredFix, type LintFinding } from './helpers/example.ts';
import { killTree } from './helpers/processes.ts';
import { OUT, SERVER, nvimPath, requireBuilt, versionOf } from './helpers/tools.ts';

const OUT_DIR = path.join(OUT, 'neovim');
const SCRIPT = path.join(__dirname, 'nvim', 'lsp-client.lua');
const SEVERITY: Record<number, LintFinding['severity']> = { 1: 'error', 2: 'warning', 3: 'info' };

interface LspDiagnostic {
  range: { start: { line: number; character: number } };
  severity: number;
  code: string;
  source: string;
  message: string;
}
interface Record_ {
  error?: string;
  steps: string[];
  logs: string[];
  uri: string;
  diagnostics: Record<string, LspDiagnostic[]>;
  final_status?: { state: string; findings: number };
  quickfixes: { line: number; code: string; actions: { title: string; kind: string; isPreferred: boolean }[] }[];
  applied_quickfix?: { title: string; line: number };
  after_quickfix?: LspDiagnostic[];
  text_after_quickfix?: string;
  fixall_actions: { title: string; kind: string }[];
  after_fixall?: LspDiagnostic[];
}

function rows(ds: LspDiagnostic[], file: string): string[] {
  return ds.filter((d) => d.source === 'faultline').map((d) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code} ${SEVERITY[d.severity]} ${d.message}`);
}
const expectedRows = (fs_: LintFinding[]): string[] => fs_.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId} ${f.severity} ${f.message}`).sort();

/** Runs the Lua client in a headless Neovim and returns what it recorded. */
async function runNeovim(ws: string, file: string, t: TestContext): Promise<Record_> {
  const nvim = nvimPath();
  const out = path.join(OUT_DIR, 'record.json');
  fs.rmSync(out, { force: true });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-nvim-'));
  const started = Date.now();
  const proc = spawn(nvim, ['--headless', '-n', '-i', 'NONE', '-u', SCRIPT], {
    cwd: ws,
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      XDG_DATA_HOME: path.join(home, 'data'),
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_CACHE_HOME: path.join(home, 'cache'),
      FAULTLINE_NVIM_CMD: JSON.stringify([process.execPath, SERVER, '--stdio']),
      FAULTLINE_NVIM_ROOT: ws,
      FAULTLINE_NVIM_FILE: path.join(ws, file),
      FAULTLINE_NVIM_OUT: out,
      FAULTLINE_NVIM_TIMEOUT_MS: '30000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (d) => (output += String(d)));
  proc.stderr.on('data', (d) => (output += String(d)));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      output += '\n(killed after 120 s)';
      void killTree(proc.pid!, { graceMs: 500 });
    }, 120_000);
    proc.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  // Neovim is gone; its language server must be too.
  if (proc.pid) await killTree(proc.pid, { graceMs: 500 });
  fs.rmSync(home, { recursive: true, force: true });
  t.diagnostic(`${versionOf(nvim)}: session of ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${code}`);
  if (!fs.existsSync(out)) throw new Error(`Neovim (exit ${code}) wrote no record to ${out}; its output:\n${output}`);
  const record = JSON.parse(fs.readFileSync(out, 'utf8')) as Record_;
  fs.writeFileSync(out, JSON.stringify(record, null, 2));
  if (record.error || code !== 0) {
    throw new Error(`the Neovim session failed (exit ${code}) after steps ${JSON.stringify(record.steps)}: ${record.error}\nserver log:\n${record.logs.join('\n')}\n${output}`);
  }
  return record;
}

// A missing tool fails here, by name (and cancels the steps below); it never skips.
it('has its tools: nvim and the built server', () => {
  nvimPath();
  requireBuilt(SERVER);
});

describe('Faultline in Neovim (built-in LSP client, server over stdio)', { timeout: 4 * 60_000 }, () => {
  let ws: string;
  let findings: LintFinding[];
  let target: string;
  let original: string;
  let record: Record_;

  before(() => {
    fs.rmSync(OUT_DIR, { recursive: true, force: true });
    fs.mkdirSync(OUT_DIR, { recursive: true });
    requireBuilt(SERVER);
    nvimPath();
    ws = prepareWorkspace('neovim');
    findings = lint(ws);
    assert.ok(findings.length > 0, 'the example has findings');
    // The file with the most fixable findings (webhooks.ts today): quick fix, then fix all.
    target = chooseTargets(findings).fixAllFile;
    original = fs.readFileSync(path.join(ws, target), 'utf8');
  });

  it('receives the same diagnostics as `faultline lint --format json`, for the open file and the rest of the workspace', { timeout: 150_000 }, async (t: TestContext) => {
    record = await runNeovim(ws, target, t);
    const got = Object.entries(record.diagnostics)
      .flatMap(([uri, ds]) => rows(ds, path.relative(ws, fileURLToPath(uri)).split(path.sep).join('/')))
      .sort();
    assert.deepEqual(got, expectedRows(findings));
    assert.ok(record.diagnostics[record.uri]?.some((d) => d.source === 'faultline'), `the open file ${target} has Faultline diagnostics`);
    assert.deepEqual(record.final_status && { state: record.final_status.state, findings: record.final_status.findings }, { state: 'idle', findings: findings.length }, 'faultline/status reports the count');
  });

  it('offers each finding\'s fix (preferred) and a suppression as quick fixes', () => {
    assert.ok(record, 'the Neovim session ran');
    const inFile = findings.filter((f) => f.file === target);
    assert.equal(record.quickfixes.length, inFile.length, `one code-action request per diagnostic of ${target}`);
    for (const f of inFile) {
      const q = record.quickfixes.find((x) => x.line === f.line && x.code === f.ruleId);
      assert.ok(q, `code actions were asked for ${target}:${f.line}`);
      const fix = preferredFix(f)!;
      assert.ok(
        q.actions.some((a) => a.title === menuTitle(fix) && a.isPreferred && a.kind === 'quickfix'),
        `${target}:${f.line} offers "${menuTitle(fix)}" as the preferred quick fix; offered ${JSON.stringify(q.actions)}`,
      );
      assert.ok(q.actions.some((a) => a.title === `Suppress ${f.ruleId} for this line`), `and the suppression; offered ${JSON.stringify(q.actions)}`);
    }
  });

  it('applies the preferred quick fix: the file changes as expected and its diagnostic goes', () => {
    assert.ok(record?.applied_quickfix, 'a quick fix was applied');
    const f = findings.find((x) => x.file === target && x.line === record.applied_quickfix!.line)!;
    assert.equal(record.applied_quickfix.title, menuTitle(preferredFix(f)!));
    assert.equal(record.text_after_quickfix, applyEdits(original, preferredFix(f)!.edits, target), 'the buffer holds the original with exactly the fix\'s edits');
    const left = (record.after_quickfix ?? []).filter((d) => d.source === 'faultline');
    const want = findings.filter((x) => x.file === target && x !== f);
    assert.deepEqual(left.map((d) => `${d.code} ${d.message}`).sort(), want.map((x) => `${x.ruleId} ${x.message}`).sort(), 'the other findings of the file stay, that one goes');
  });

  it('applies source.fixAll.faultline: every finding of the file fixed on disk, no diagnostic left', () => {
    assert.deepEqual(record?.fixall_actions.map((a) => a.kind), ['source.fixAll.faultline']);
    assert.equal(record.fixall_actions[0]!.title, 'Fix all Faultline problems in this file');
    const inFile = findings.filter((f) => f.file === target);
    const expected = applyEdits(original, inFile.flatMap((f) => preferredFix(f)!.edits), target);
    assert.equal(fs.readFileSync(path.join(ws, target), 'utf8'), expected, `${target} on disk (after :write) holds every preferred fix`);
    assert.deepEqual((record.after_fixall ?? []).filter((d) => d.source === 'faultline'), []);
    assert.deepEqual(lint(ws).filter((f) => f.file === target), [], 'the CLI agrees: nothing left in the file');
  });
});
