import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-languageserver-protocol/node';
import { ReviewRequest, SetAnswerRequest, type ReviewModel, type SetAnswerParams } from '../../protocol/review.ts';
import { LspClient, SERVER, uriOf } from '../helpers/lsp.ts';
import { copyExample } from './helpers.ts';

/** The design review's requests, against the built server over stdio, as the extension sends them. */
describe('faultline/review over LSP', { skip: fs.existsSync(SERVER) ? false : 'dist/server.js is missing: run `npm run build`' }, () => {
  let client: LspClient;
  let dir: string;
  let service: string;
  const reviewFile = () => path.join(service, '.faultline', 'review.json');

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-review-lsp-'));
    service = copyExample(dir);
    fs.writeFileSync(path.join(service, 'faultline.config.json'), JSON.stringify({ review: { required: ['timeouts.deadlines'] } }));
    client = new LspClient();
    await client.initialize(service);
  });

  after(async () => {
    await client.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const review = () => client.conn.sendRequest<ReviewModel>(ReviewRequest.method, { folderUri: uriOf(service) });
  const setAnswer = (params: SetAnswerParams) => client.conn.sendRequest<ReviewModel>(SetAnswerRequest.method, params);
  const item = (m: ReviewModel, id: string) => m.groups.flatMap((g) => g.items).find((i) => i.id === id)!;

  it('returns the checklist with the evidence of the whole workspace', async () => {
    const m = await review();
    assert.equal(m.root, service);
    const t = item(m, 'timeouts.deadlines');
    assert.match(t.evidence!.summary, /^20 outbound calls, 12 without a deadline/);
    assert.equal(t.status, 'not-met');
    assert.deepEqual(m.requiredFailing, ['timeouts.deadlines']);
    assert.equal(m.reviewFile.exists, false);
    const place = t.evidence!.facts[0]!.places[0]!;
    assert.equal(place.uri, uriOf(path.join(service, 'src', 'clients', 'pricing.ts')));
    assert.equal(place.line, 26);
  });

  it('follows unsaved text of open documents', async () => {
    const file = path.join(service, 'src', 'notifications', 'webhooks.ts');
    const text = fs.readFileSync(file, 'utf8').replace("    body,\n  });\n  if (!res.ok) {\n    console.warn(`order.placed", "    body,\n    signal: AbortSignal.timeout(5_000),\n  });\n  if (!res.ok) {\n    console.warn(`order.placed");
    client.open(uriOf(file), text, 1);
    await client.diagnosticsFor(uriOf(file), 1);
    const m = await review();
    assert.match(item(m, 'timeouts.deadlines').evidence!.summary, /^20 outbound calls, 11 without a deadline/);
  });

  it('writes an answer with who, when and the evidence it was given on', async () => {
    const m = await setAnswer({ folderUri: uriOf(service), itemId: 'timeouts.deadlines', answer: { status: 'not-applicable', note: 'Waived until OPS-12.', by: 'Ana' } });
    const t = item(m, 'timeouts.deadlines');
    assert.equal(t.status, 'not-applicable');
    assert.deepEqual(m.requiredFailing, []);
    const stored = JSON.parse(fs.readFileSync(reviewFile(), 'utf8'));
    assert.equal(stored.answers['timeouts.deadlines'].by, 'Ana');
    assert.match(stored.answers['timeouts.deadlines'].at, /^\d{4}-\d\d-\d\dT/);
    assert.match(stored.answers['timeouts.deadlines'].evidence, /^20 outbound calls, 11 without a deadline/);
    const cleared = await setAnswer({ folderUri: uriOf(service), itemId: 'timeouts.deadlines', answer: null });
    assert.equal(item(cleared, 'timeouts.deadlines').answer, undefined);
  });

  it('refuses unknown items', async () => {
    await assert.rejects(setAnswer({ folderUri: uriOf(service), itemId: 'no.such-item', answer: { status: 'met', note: '', by: 'x' } }), (err: unknown) => {
      assert.ok(err instanceof ResponseError);
      assert.match(err.message, /has no item "no.such-item"/);
      return true;
    });
  });

  it('shows a broken review file and refuses to write it, leaving it as it was', async () => {
    // A merge conflict left in the file.
    const broken = '{\n  "version": 1,\n  "answers": {\n<<<<<<< HEAD\n    "chaos.rollback": { "status": "met", "by": "Bo" }\n=======\n    "chaos.rollback": { "status": "not-met", "by": "Cy" }\n>>>>>>> main\n  }\n}\n';
    fs.writeFileSync(reviewFile(), broken);
    const m = await review();
    assert.match(m.reviewFile.error!.message, /^\.faultline\/review\.json: invalid JSON at line 4, column 1/);
    assert.equal(m.reviewFile.error!.line, 4);
    await assert.rejects(setAnswer({ folderUri: uriOf(service), itemId: 'chaos.rollback', answer: { status: 'open', note: '', by: 'x' } }), (err: unknown) => {
      assert.ok(err instanceof ResponseError);
      assert.match(err.message, /line 4, column 1.*does not write over a review file it cannot read/);
      return true;
    });
    assert.equal(fs.readFileSync(reviewFile(), 'utf8'), broken);
  });

  it('refuses folders outside the workspace', async () => {
    await assert.rejects(client.conn.sendRequest(ReviewRequest.method, { folderUri: uriOf(os.tmpdir()) }), /is not in the workspace/);
  });
});
