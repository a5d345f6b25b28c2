/**
 * The real `faultline` executable on small projects: the source entry under
 * tsx, and the esbuild bundle behind bin/faultline.js. These depend on the
 * real `missing-timeout` rule reporting a plain `fetch(url)`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const REPO = path.resolve(__dirname, '..');
const TSX = pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const ENTRY = path.join(REPO, 'server', 'main-cli.ts');

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-cli-'));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;

const UNBOUNDED = "export async function rates() {\n  const res = await fetch('https://rates.example/today');\n  return res.json();\n}\n";
const BOUNDED = "export async function rates() {\n  const res = await fetch('https://rates.example/today', { signal: AbortSignal.timeout(5_000) });\n  return res.json();\n}\n";

function project(files: Record<string, string>): string {
  const dir = path.join(tmpRoot, `p${counter++}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function faultline(cwd: string, args: string[], command: string[] = ['--import', TSX, ENTRY], extraEnv: Record<string, string> = {}) {
  const env = { ...process.env, ...extraEnv };
  delete env.FAULTLINE_DEBUG;
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [...command, ...args], { cwd, encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^faultline: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

describe('faultline lint (source entry)', () => {
  it('exits 0 with no output on a clean project', () => {
    const dir = project({ 'src/rates.ts': BOUNDED });
    const r = faultline(dir, ['lint']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  });

  it('exits 1 on a fetch without a deadline, reporting it', () => {
    const dir = project({ 'src/rates.ts': UNBOUNDED });
    const r = faultline(dir, ['lint']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^src\/rates\.ts\n  2:\d+ +error +.+ missing-timeout\n/);
    assert.match(r.stdout, /✖ 1 problem \(1 error, 0 warnings, 0 infos\)/);
    assert.equal(r.stderr, '');
  });

  it('honours --rule and the config file', () => {
    const dir = project({ 'src/rates.ts': UNBOUNDED });
    assert.equal(faultline(dir, ['lint', '--rule', 'missing-timeout=warn']).code, 0);
    assert.equal(faultline(dir, ['lint', '--rule', 'missing-timeout=warn', '--max-warnings', '0']).code, 1);
    fs.writeFileSync(path.join(dir, 'faultline.config.json'), '{"rules": {"missing-timeout": "off"}}');
    assert.deepEqual(faultline(dir, ['lint']).code, 0);
  });

  it('exits 2 with one line for config, usage and project errors', () => {
    const dir = project({ 'src/rates.ts': UNBOUNDED, 'faultline.config.json': '{"rules": {"missing-timeout": "error",}}' });
    assertOneLineError(faultline(dir, ['lint']), /^faultline: faultline\.config\.json: invalid JSON at line 1, column 39: /);
    assertOneLineError(faultline(dir, ['lint', '--config', 'none.json']), /^faultline: none\.json: no such config file\n$/);
    assertOneLineError(faultline(dir, ['lint', '--format', 'xml']), /'xml' is invalid/);
    assertOneLineError(faultline(dir, ['lint', '--rule', 'no-such-rule=off']), /unknown rule "no-such-rule"/);
    assertOneLineError(faultline(project({ 'a.ts': BOUNDED }), ['lint', 'nowhere']), /no such file or folder/);
    const badTsconfig = project({ 'tsconfig.json': '{"compilerOptions": {"target": 42}}', 'a.ts': BOUNDED });
    assertOneLineError(faultline(badTsconfig, ['lint', '--project', 'tsconfig.json']), /tsconfig\.json/);
  });

  it('--fix applies only safe fixes and says how many unsafe ones it left', () => {
    const text = `// faultline-disable-next-line missing-timeout -- nothing here any more\nexport const x = 1;\n${UNBOUNDED}`;
    const dir = project({ 'src/rates.ts': text });
    const r = faultline(dir, ['lint', '--fix']);
    assert.equal(r.code, 1);
    assert.equal(fs.readFileSync(path.join(dir, 'src/rates.ts'), 'utf8'), `export const x = 1;\n${UNBOUNDED}`);
    assert.equal(r.stderr, '1 fix applied\n1 hidden fix can be enabled with --unsafe-fixes\n');
  });

  it('--fix --unsafe-fixes adds the deadline and exits 0', () => {
    const dir = project({ 'src/rates.ts': UNBOUNDED, 'faultline.config.json': '{"defaultTimeoutMs": 5000}' });
    const r = faultline(dir, ['lint', '--fix', '--unsafe-fixes']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '1 fix applied\n']);
    const fixed = fs.readFileSync(path.join(dir, 'src/rates.ts'), 'utf8');
    assert.match(fixed, /fetch\('https:\/\/rates\.example\/today', \{ signal: AbortSignal\.timeout\(5_?000\) \}\)/);
    assert.equal(faultline(dir, ['lint']).code, 0);
  });

  it('--fix --unsafe-fixes creates the idempotency helper once for many handlers', () => {
    const worker = (queue: string) =>
      `import { Worker } from 'bullmq';\nimport nodemailer from 'nodemailer';\n\nconst mailer = nodemailer.createTransport({ host: 'smtp.internal' });\n\nexport const ${queue}Worker = new Worker('${queue}', async (job) => {\n  await mailer.sendMail({ to: job.data.to, subject: '${queue}' });\n});\n`;
    const dir = project({ 'package.json': '{"name": "mailers"}', 'src/welcome.worker.ts': worker('welcome'), 'src/receipt.worker.ts': worker('receipt'), 'src/reminder.worker.ts': worker('reminder') });
    const r = faultline(dir, ['lint', '--fix', '--unsafe-fixes', '--rule', 'missing-timeout=off']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // Planned again after the helper exists: each later fix imports it instead of creating it over again.
    const helper = fs.readFileSync(path.join(dir, 'src/idempotency.ts'), 'utf8');
    assert.equal(helper.match(/export (async )?function runOnce/g)?.length, 1, helper);
    for (const name of ['welcome', 'receipt', 'reminder']) {
      assert.match(fs.readFileSync(path.join(dir, `src/${name}.worker.ts`), 'utf8'), /import \{ runOnce \} from '\.\/idempotency(\.js)?';/);
    }
    assert.equal(faultline(dir, ['lint', '--rule', 'missing-timeout=off']).code, 0);
  });

  it('writes SARIF that validates against the 2.1.0 schema, with suppressions', () => {
    const text = `${UNBOUNDED}// faultline-disable-next-line missing-timeout -- health check of a local sidecar\nexport const ping = () => fetch('http://localhost:9000/ping');\n`;
    const dir = project({ 'src/rates.ts': text });
    const r = faultline(dir, ['lint', '--format', 'sarif', '--output', 'faultline.sarif']);
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(fs.readFileSync(path.join(dir, 'faultline.sarif'), 'utf8'));
    const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(__dirname, 'vendor', 'sarif-schema-2.1.0.json'), 'utf8')));
    assert.equal(validate(log), true, JSON.stringify(validate.errors, null, 2));
    const results = log.runs[0].results;
    assert.deepEqual(results.map((x: { ruleId: string; suppressions?: unknown[] }) => [x.ruleId, x.suppressions?.length ?? 0]), [
      ['missing-timeout', 0],
      ['missing-timeout', 1],
    ]);
    assert.equal(results[1].suppressions[0].justification, 'health check of a local sidecar');
    assert.equal(log.runs[0].tool.driver.rules[0].id, 'missing-timeout');
  });

  it('baselines round-trip by fingerprint', () => {
    const dir = project({ 'src/rates.ts': UNBOUNDED });
    assert.equal(faultline(dir, ['lint', '--baseline-write', 'baseline.json']).code, 0);
    assert.equal(faultline(dir, ['lint', '--baseline', 'baseline.json']).code, 0);
    fs.writeFileSync(path.join(dir, 'src/rates.ts'), `// a comment\n\n${UNBOUNDED}export const more = () => fetch('https://other.example');\n`);
    const r = faultline(dir, ['lint', '--baseline', 'baseline.json', '--format', 'json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).map((f: { line: number }) => f.line), [7]);
    fs.writeFileSync(path.join(dir, 'broken.json'), 'not json');
    assertOneLineError(faultline(dir, ['lint', '--baseline', 'broken.json']), /^faultline: baseline broken\.json is not valid JSON/);
  });
});

describe('bin/faultline.js (esbuild bundle)', () => {
  it('builds and runs', () => {
    const build = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
    assert.equal(build.status, 0, build.stderr);
    const bin = path.join(REPO, 'bin', 'faultline.js');
    assert.ok(fs.statSync(bin).mode & 0o111, 'bin/faultline.js is executable');
    // bin/faultline.js reads the bundle as Latin-1, which is the same text only when every byte is ASCII.
    const bytes = fs.readFileSync(path.join(REPO, 'dist', 'cli.js'));
    assert.equal(bytes.findIndex((b) => b > 0x7f), -1, 'dist/cli.js is ASCII');
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const version = faultline(tmpRoot, ['--version'], [bin]);
    assert.deepEqual([version.code, version.stdout], [0, `${pkg.version}\n`]);
    const dir = project({ 'src/rates.ts': UNBOUNDED });
    const r = faultline(dir, ['lint', '--format', 'github'], [bin]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^::error file=src\/rates\.ts,line=2,col=\d+,endLine=2,endColumn=\d+,title=Faultline \(missing-timeout\)::/);
  });

  it('keeps V8\'s code cache of the bundle per command in the temporary folder; answers are the same with it, without it and with a broken one', () => {
    const bin = path.join(REPO, 'bin', 'faultline.js');
    const tmp = fs.mkdtempSync(path.join(tmpRoot, 'cache-'));
    const dir = project({ 'src/rates.ts': UNBOUNDED });
    const lint = (env: Record<string, string>) => faultline(dir, ['lint', '--format', 'json'], [bin], { TMPDIR: tmp, ...env });
    const plain = lint({ FAULTLINE_NO_COMPILE_CACHE: '1' });
    assert.equal(plain.code, 1, plain.stderr);
    assert.equal(fs.existsSync(path.join(tmp, 'faultline-compile-cache')), false, 'FAULTLINE_NO_COMPILE_CACHE=1 writes no cache');
    const first = lint({});
    const cacheDir = path.join(tmp, 'faultline-compile-cache');
    const caches = fs.readdirSync(cacheDir);
    assert.equal(caches.length, 1, `one cache after one lint: ${caches.join(', ')}`);
    assert.match(caches[0]!, /^cli-[0-9a-f]{24}-lint\.bin$/);
    const cacheFile = path.join(cacheDir, caches[0]!);
    assert.ok(fs.statSync(cacheFile).size > 100_000, 'the cache holds the compiled bundle');
    const second = lint({});
    fs.writeFileSync(cacheFile, 'not a code cache');
    const broken = lint({});
    for (const r of [first, second, broken]) assert.deepEqual([r.code, r.stdout, r.stderr], [plain.code, plain.stdout, plain.stderr]);
    assert.ok(fs.statSync(cacheFile).size > 100_000, 'a cache V8 rejects is written again');
    // Caches of bundles long gone (other builds, installs, Node versions) are pruned when one is written.
    const old = Date.now() / 1000 - 86_400;
    for (let i = 0; i < 12; i++) {
      const stale = path.join(cacheDir, `cli-${String(i).padStart(24, '0')}-lint.bin`);
      fs.writeFileSync(stale, 'stale');
      fs.utimesSync(stale, old + i, old + i);
    }
    fs.writeFileSync(cacheFile, 'not a code cache');
    assert.equal(lint({}).code, plain.code);
    const left = fs.readdirSync(cacheDir);
    assert.equal(left.length, 8, left.join(', '));
    assert.ok(left.includes(caches[0]!), 'the cache just written stays');
    assert.ok(!left.includes(`cli-${'0'.repeat(24)}-lint.bin`), 'the oldest caches go');
  });
});
