import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../server/cli.ts';
import type { CommandIO } from '../../server/lint-command.ts';
import type { ReviewModel } from '../../protocol/review.ts';
import { serializeReviewFile } from '../../server/review/file.ts';
import { copyExample, ROOT } from './helpers.ts';

function run(cwd: string, args: string[], env: Record<string, string | undefined> = {}): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = { cwd, env, stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stdoutIsTTY: false, stderrIsTTY: false };
  const code = main(['node', 'faultline', 'review', ...args], io);
  return { code, stdout, stderr };
}

describe('faultline review', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-review-cli-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const service = copyExample(tmp);
  const reviewFile = path.join(service, '.faultline', 'review.json');
  const config = path.join(service, 'faultline.config.json');

  it('prints the checklist as Markdown and exits 0 when nothing is required', () => {
    const r = run(service, []);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^## Design review: orders-service\n/);
    assert.match(r.stdout, /20 outbound calls, 12 without a deadline/);
  });

  it('exits 1 while a required item is not met, naming it', () => {
    fs.writeFileSync(config, JSON.stringify({ review: { required: ['timeouts.deadlines', 'chaos.rollback'] } }));
    const r = run(service, []);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'faultline: 2 required review items are not met: timeouts.deadlines, chaos.rollback\n');
    assert.match(r.stdout, /\*\*2 required items are not met:\*\* `timeouts.deadlines`, `chaos.rollback`/);
  });

  it('passes once the reviewer marks them (a waiver for what the code proves must be "not applicable")', () => {
    fs.mkdirSync(path.dirname(reviewFile), { recursive: true });
    const answers = {
      'timeouts.deadlines': { status: 'not-applicable' as const, note: 'Accepted until OPS-12; see the ticket.', by: 'Ana', at: '2025-03-01T10:00:00.000Z' },
      'chaos.rollback': { status: 'met' as const, note: 'Gremlin halt button; blast radius one pod.', by: 'Bo', at: '2025-03-01T10:00:00.000Z' },
    };
    fs.writeFileSync(reviewFile, serializeReviewFile({ version: 1, answers }));
    const r = run(service, ['--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const model = JSON.parse(r.stdout) as ReviewModel;
    assert.deepEqual(model.requiredFailing, []);
    const items = model.groups.flatMap((g) => g.items);
    assert.equal(items.find((i) => i.id === 'chaos.rollback')?.answer?.by, 'Bo');
    assert.equal(items.find((i) => i.id === 'timeouts.deadlines')?.evidence?.counts.unboundedCalls, 12);

    // `met` on what the code proves not met still fails.
    fs.writeFileSync(reviewFile, serializeReviewFile({ version: 1, answers: { ...answers, 'timeouts.deadlines': { ...answers['timeouts.deadlines'], status: 'met' } } }));
    assert.equal(run(service, []).code, 1);
  });

  it('exits 2 on a broken review file, naming the file and line', () => {
    const broken = '{\n  "version": 1,\n  "answers": {\n    "chaos.rollback": { "status": "done" }\n  }\n}\n';
    fs.writeFileSync(reviewFile, broken);
    const r = run(service, []);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'faultline: .faultline/review.json: line 4, column 25: "answers.chaos.rollback.status" must be one of "met", "not-met", "not-applicable", "open"\n');
    assert.equal(r.stdout, '');
    assert.equal(fs.readFileSync(reviewFile, 'utf8'), broken);
    fs.rmSync(reviewFile);
  });

  it('exits 2 on a configuration error', () => {
    fs.writeFileSync(config, JSON.stringify({ review: { hidden: ['timeouts.deadline'] } }));
    const r = run(service, []);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^faultline: faultline.config.json: unknown review item "timeouts.deadline" in "review.hidden\[0\]"; did you mean "timeouts.deadlines"\?\n$/);
    fs.rmSync(config);
  });

  it('links to the commit inside GitHub Actions and writes to --output', () => {
    const out = path.join(tmp, 'summary.md');
    const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_SHA: 'abc123', GITHUB_WORKSPACE: tmp };
    const r = run(service, ['-o', out], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(fs.readFileSync(out, 'utf8'), /\[src\/clients\/inventory.ts:23\]\(https:\/\/github.com\/acme\/shop\/blob\/abc123\/orders-service\/src\/clients\/inventory.ts#L23\)/);
  });

  it('runs from the bundle (bin/faultline.js)', { skip: fs.existsSync(path.join(ROOT, 'dist', 'cli.js')) ? false : 'dist/cli.js is missing: run `npm run build`' }, () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'faultline.js'), 'review', '--format', 'json'], { cwd: service, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as ReviewModel).groups.length, 12);
  });
});
