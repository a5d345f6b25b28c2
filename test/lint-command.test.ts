/**
 * The `faultline lint` command in-process, on a fake engine (test/support/fake-engine.ts):
 * options, configuration, fixes, baselines, reports and exit codes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../server/cli.ts';
import type { CommandIO } from '../server/lint-command.ts';
import { fakeEngine } from './support/fake-engine.ts';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-cmd-'));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;

/** A fresh project folder with the given files. */
function project(files: Record<string, string>): string {
  const dir = path.join(tmpRoot, `p${counter++}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function cli(cwd: string, args: string[], tty = false) {
  const io: CommandIO & { out: string; err: string } = {
    cwd,
    env: {},
    out: '',
    err: '',
    stdout(s) {
      this.out += s;
    },
    stderr(s) {
      this.err += s;
    },
    stdoutIsTTY: false,
    stderrIsTTY: tty,
  };
  const engine = fakeEngine();
  const code = main(['node', 'faultline', ...args], io, engine);
  return { code, stdout: io.out, stderr: io.err, calls: engine.calls };
}

function assertOneLineError(r: { code: number; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^faultline: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

describe('exit codes', () => {
  it('0 and no output when clean', () => {
    const dir = project({ 'src/a.ts': 'let a = 1;\n' });
    const r = cli(dir, ['lint']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  });

  it('1 on an error, with the text report on stdout', () => {
    const dir = project({ 'src/a.ts': "fetch('x');\n" });
    const r = cli(dir, ['lint']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      ['src/a.ts', '  1:1  error  fake-fetch message  fake-fetch', '', '✖ 1 problem (1 error, 0 warnings, 0 infos)', '  1 fixable with --fix --unsafe-fixes', ''].join('\n'),
    );
    assert.equal(r.stderr, '');
  });

  it('warnings pass unless --fail-on or --max-warnings says otherwise', () => {
    const dir = project({ 'a.ts': 'var a = 1;\n' });
    assert.equal(cli(dir, ['lint']).code, 0);
    assert.equal(cli(dir, ['lint', '--fail-on', 'warning']).code, 1);
    assert.equal(cli(dir, ['lint', '--fail-on', 'warn']).code, 1);
    assert.equal(cli(dir, ['lint', '--max-warnings', '1']).code, 0);
    const r = cli(dir, ['lint', '--max-warnings', '0']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'faultline: too many warnings (1); the maximum allowed is 0\n');
  });

  it('--quiet shows errors only', () => {
    const dir = project({ 'a.ts': "var a = fetch('x');\n" });
    const r = cli(dir, ['lint', '--quiet', '--format', 'json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).map((f: { ruleId: string }) => f.ruleId), ['fake-fetch']);
  });

  it('--rule overrides severities', () => {
    const dir = project({ 'a.ts': "fetch('x');\n" });
    assert.equal(cli(dir, ['lint', '--rule', 'fake-fetch=warn']).code, 0);
    const off = cli(dir, ['lint', '--rule', 'fake-fetch=off']);
    assert.deepEqual([off.code, off.stdout], [0, '']);
    assert.equal(cli(dir, ['lint', '--rule', 'fake-fetch=off', '--rule', 'fake-fetch=error']).code, 1);
  });

  it('2 with one line for usage mistakes', () => {
    const dir = project({ 'a.ts': '' });
    assertOneLineError(cli(dir, ['lint', '--rule', 'nope=off']), /unknown rule "nope" in --rule \(known rules: fake-fetch, fake-semi, fake-var, unused-suppression\)/);
    assertOneLineError(cli(dir, ['lint', '--rule', 'fake-var=loud']), /invalid --rule "fake-var=loud"/);
    assertOneLineError(cli(dir, ['lint', '--format', 'xml']), /argument 'xml' is invalid/);
    assertOneLineError(cli(dir, ['lint', '--fxi']), /^faultline: unknown option '--fxi' \(Did you mean --fix\?\)/);
    assertOneLineError(cli(dir, ['lint', '--max-warnings', 'many']), /--max-warnings/);
    assertOneLineError(cli(dir, ['lint', '--unsafe-fixes']), /--unsafe-fixes only applies with --fix/);
    assertOneLineError(cli(dir, ['lint', 'missing-dir']), /no such file or folder: .*missing-dir/);
    assertOneLineError(cli(dir, ['frobnicate']), /unknown command 'frobnicate'/);
  });

  it('2 when a rule crashes, after reporting what the others found', () => {
    const dir = project({ 'a.ts': 'var x; // CRASH\n' });
    const r = cli(dir, ['lint']);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /fake-var/);
    assert.equal(r.stderr, 'faultline: rule fake-fetch crashed on a.ts: Error: boom\n');
  });

  it('--version and --help exit 0', () => {
    const v = cli(tmpRoot, ['--version']);
    assert.deepEqual([v.code, v.stdout], [0, '9.9.9\n']);
    const h = cli(tmpRoot, ['lint', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--unsafe-fixes/);
  });
});

describe('configuration', () => {
  it('reads faultline.config.json: rules, ignore, and paths relative to its folder', () => {
    const dir = project({
      'faultline.config.json': JSON.stringify({ rules: { 'fake-var': 'error' }, ignore: ['gen/**'], defaultTimeoutMs: 1234 }),
      'src/a.ts': 'var a;\n',
      'gen/b.ts': 'var b;\n',
    });
    const r = cli(path.join(dir, 'src'), ['lint', '.', '--format', 'json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).map((f: { file: string }) => f.file), ['src/a.ts']);
    assert.equal(r.calls[0]!.cwd, dir);
    assert.equal(r.calls[0]!.options.defaultTimeoutMs, 1234);
    assert.deepEqual(r.calls[0]!.paths, [path.join(dir, 'src')]);
    const all = cli(dir, ['lint', '--format', 'json']);
    assert.deepEqual(JSON.parse(all.stdout).map((f: { file: string }) => f.file), ['src/a.ts']);
  });

  it('--rule wins over the file', () => {
    const dir = project({ 'faultline.config.json': '{"rules": {"fake-var": "error"}}', 'a.ts': 'var a;\n' });
    assert.equal(cli(dir, ['lint', '--rule', 'fake-var=info']).code, 0);
  });

  it('2 with one line naming the file and the problem', () => {
    const broken = project({ 'faultline.config.json': '{\n  "rules": {,\n}', 'a.ts': '' });
    assertOneLineError(cli(broken, ['lint']), /^faultline: faultline\.config\.json: invalid JSON at line 2, column 13: /);
    const unknown = project({ 'faultline.config.json': '{"rulez": {}}', 'a.ts': '' });
    assertOneLineError(cli(unknown, ['lint']), /^faultline: faultline\.config\.json: unknown key "rulez"\n$/);
    const rule = project({ 'faultline.config.json': '{"rules": {"nope": "off"}}', 'a.ts': '' });
    assertOneLineError(cli(rule, ['lint']), /unknown rule "nope" in "rules"/);
    assertOneLineError(cli(rule, ['lint', '--config', 'other.json']), /^faultline: other\.json: no such config file\n$/);
  });

  it('--project passes tsconfigs on', () => {
    const dir = project({ 'a.ts': '' });
    const r = cli(dir, ['lint', '-p', 'tsconfig.a.json', '--project', 'b/tsconfig.json']);
    assert.deepEqual(r.calls[0]!.tsconfigs, [path.join(dir, 'tsconfig.a.json'), path.join(dir, 'b', 'tsconfig.json')]);
  });
});

describe('unused suppressions', () => {
  const text = '// faultline-disable-next-line fake-var -- generated\nvar a;\n// faultline-disable-next-line fake-var\nlet b;\n';

  it('follow the configured severity, and off drops them', () => {
    const dir = project({ 'a.ts': text });
    assert.equal(cli(dir, ['lint']).code, 0);
    assert.equal(cli(dir, ['lint', '--rule', 'unused-suppression=error']).code, 1);
    const off = cli(dir, ['lint', '--rule', 'unused-suppression=off']);
    assert.deepEqual([off.code, off.stdout], [0, 'no problems, 1 suppressed\n']);
  });

  it('are not reported (nor removed by --fix) for rules that are off', () => {
    const dir = project({ 'a.ts': text });
    const r = cli(dir, ['lint', '--rule', 'fake-var=off', '--fix']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '0 fixes applied\n']);
    assert.equal(fs.readFileSync(path.join(dir, 'a.ts'), 'utf8'), text);
  });
});

describe('--fix', () => {
  it('applies safe fixes over several passes, writes the files and reports what remains', () => {
    const dir = project({ 'a.ts': "var a = 1;;;\nvar b = fetch('x');\n" });
    const r = cli(dir, ['lint', '--fix', '--format', 'json']);
    assert.equal(fs.readFileSync(path.join(dir, 'a.ts'), 'utf8'), "let a = 1;\nlet b = fetch('x');\n");
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).map((f: { ruleId: string }) => f.ruleId), ['fake-fetch']);
    // var, var, ;; (the overlapping ;; waits for the second pass), ;;.
    assert.equal(r.stderr, '4 fixes applied\n1 hidden fix can be enabled with --unsafe-fixes\n');
    // The second and third lint only look at the changed file.
    assert.deepEqual(r.calls.slice(1).map((c) => c.paths), [[path.join(dir, 'a.ts')], [path.join(dir, 'a.ts')]]);
  });

  it('--unsafe-fixes applies unsafe fixes too', () => {
    const dir = project({ 'a.ts': "fetch('x');\n", 'b.ts': 'let ok = 1;\n' });
    const r = cli(dir, ['lint', '--fix', '--unsafe-fixes']);
    assert.equal(fs.readFileSync(path.join(dir, 'a.ts'), 'utf8'), "fetch('x', { signal });\n");
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '1 fix applied\n']);
  });

  it('removes unused suppression comments and leaves suppressed findings alone', () => {
    const text = ['// faultline-disable-next-line fake-var -- legacy', 'var a;', '// faultline-disable-next-line fake-fetch', 'let b;', ''].join('\n');
    const dir = project({ 'a.ts': text });
    const r = cli(dir, ['lint', '--fix']);
    assert.equal(fs.readFileSync(path.join(dir, 'a.ts'), 'utf8'), ['// faultline-disable-next-line fake-var -- legacy', 'var a;', 'let b;', ''].join('\n'));
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'no problems, 1 suppressed\n', '1 fix applied\n']);
  });

  it('keeps a byte order mark', () => {
    const dir = project({ 'a.ts': '\ufeffvar a;\n' });
    cli(dir, ['lint', '--fix']);
    assert.equal(fs.readFileSync(path.join(dir, 'a.ts'), 'utf8'), '\ufefflet a;\n');
  });
});

describe('baselines', () => {
  it('--baseline-write records the findings; --baseline hides them but not new ones', () => {
    const dir = project({ 'src/a.ts': "fetch('x');\nvar v;\n" });
    const w = cli(dir, ['lint', '--baseline-write', 'faultline-baseline.json']);
    assert.deepEqual([w.code, w.stdout, w.stderr], [0, '', 'wrote 2 findings to baseline faultline-baseline.json\n']);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'faultline-baseline.json'), 'utf8'));
    assert.deepEqual(written.findings.map((f: { ruleId: string; file: string }) => [f.ruleId, f.file]), [
      ['fake-fetch', 'src/a.ts'],
      ['fake-var', 'src/a.ts'],
    ]);
    assert.equal(cli(dir, ['lint', '--baseline', 'faultline-baseline.json']).code, 0);
    // Lines added above move the findings, not their fingerprints.
    fs.writeFileSync(path.join(dir, 'src/a.ts'), "\n\nfetch('x');\nvar v;\nfetch('y');\n");
    const r = cli(dir, ['lint', '--baseline', 'faultline-baseline.json', '--format', 'json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).map((f: { line: number }) => f.line), [5]);
  });

  it('2 for a broken or missing baseline', () => {
    const dir = project({ 'a.ts': '', 'broken.json': '{"version": 1, "findings": {}}' });
    assertOneLineError(cli(dir, ['lint', '--baseline', 'broken.json']), /^faultline: baseline broken\.json is not a Faultline baseline/);
    assertOneLineError(cli(dir, ['lint', '--baseline', 'nope.json']), /^faultline: baseline nope\.json does not exist\n$/);
  });
});

describe('output', () => {
  it('--output writes the report to a file', () => {
    const dir = project({ 'a.ts': "fetch('x');\n" });
    const r = cli(dir, ['lint', '--format', 'sarif', '--output', 'out/report.sarif']);
    assert.deepEqual([r.code, r.stdout], [1, '']);
    const log = JSON.parse(fs.readFileSync(path.join(dir, 'out/report.sarif'), 'utf8'));
    assert.equal(log.runs[0].tool.driver.version, '9.9.9');
    assert.equal(log.runs[0].results[0].ruleId, 'fake-fetch');
  });

  it('--format github', () => {
    const dir = project({ 'a.ts': "fetch('x');\n" });
    assert.equal(cli(dir, ['lint', '--format', 'github']).stdout, '::error file=a.ts,line=1,col=1,endLine=1,endColumn=11,title=Faultline (fake-fetch)::fake-fetch message\n');
  });

  it('shows progress on stderr only on a terminal', () => {
    const dir = project({ 'a.ts': '' });
    assert.equal(cli(dir, ['lint']).stderr, '');
    assert.match(cli(dir, ['lint'], true).stderr, /analysing 1\/1 project…/);
  });
});
