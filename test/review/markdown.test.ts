import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assembleReview, buildReviewModel } from '../../server/review/model.ts';
import { escapeMarkdown, renderReviewMarkdown } from '../../server/review/markdown.ts';
import { reviewConfigOf } from '../../server/config.ts';
import { EXAMPLE, exampleEvidence, HOSTILE, hostileModel } from './helpers.ts';

describe('the review model', () => {
  const model = hostileModel();
  const item = (id: string) => model.groups.flatMap((g) => g.items).find((i) => i.id === id);

  it('takes the answer over the automatic status, and says when they disagree or the evidence moved', () => {
    const t = item('timeouts.deadlines')!;
    assert.equal(t.status, 'met');
    assert.equal(t.statusSource, 'answer');
    assert.equal(t.conflict, true);
    assert.equal(t.evidenceChanged, true);
    // A `met` answer does not pass a required item while the code proves it is not met.
    assert.equal(t.failing, true);
    const b = item('circuit-breakers.failing-dependency')!;
    assert.deepEqual([b.status, b.conflict, b.evidenceChanged, b.failing], ['met', false, false, false]);
  });

  it('uses the automatic status without an answer, open without either', () => {
    assert.equal(item('requirements.staleness')!.status, 'open');
    assert.equal(item('requirements.staleness')!.statusSource, 'none');
  });

  it('lists failing required items, hides hidden ones, adds project items, and keeps answers of unknown items', () => {
    assert.deepEqual(model.requiredFailing, ['timeouts.deadlines', 'idempotency.handlers']);
    assert.equal(item('caching.stampede'), undefined);
    assert.deepEqual(model.hidden, ['caching.stampede']);
    assert.equal(item('team.runbook')!.custom, true);
    assert.deepEqual(model.orphanAnswers, ['gone.item']);
    const total = Object.values(model.totals).reduce((a, b) => a + b, 0);
    assert.equal(total, model.groups.reduce((n, g) => n + g.items.length, 0));
  });

  it('gives every place a unique id, a relative path and a file URI', () => {
    const places = model.groups.flatMap((g) => g.items.flatMap((i) => i.evidence?.facts.flatMap((f) => f.places) ?? []));
    assert.equal(new Set(places.map((p) => p.id)).size, places.length);
    assert.equal(places[0]!.path, 'src/<script>alert(1)</script>.ts');
    assert.match(places[0]!.uri, /^file:\/\/\/ws\/src\/%3Cscript%3Ealert\(1\)%3C\/script%3E\.ts$/);
  });

  it('reports a broken review file without answers, naming it', () => {
    const m = buildReviewModel({
      root: '/ws',
      evidence: {},
      answers: {},
      config: reviewConfigOf(undefined),
      reviewFile: { file: '/ws/.faultline/review.json', exists: true, error: Object.assign(new Error('.faultline/review.json: invalid JSON at line 3, column 1: x'), { name: 'ReviewFileError', file: 'f', line: 3, column: 1 }) },
    });
    assert.deepEqual(m.reviewFile.error, { message: '.faultline/review.json: invalid JSON at line 3, column 1: x', line: 3, column: 1 });
  });
});

describe('the Markdown report', () => {
  it('escapes text from the code and the review file: no HTML, no links, no mentions, no broken tables', () => {
    const md = renderReviewMarkdown(hostileModel());
    // Code spans show their text as written (GitHub escapes them); everywhere else no tag may appear.
    const outsideCode = md.replace(/`[^`\n]*`/g, '');
    assert.doesNotMatch(outsideCode, /<(script|img|b)[\s>]/);
    assert.match(md, /Looks fine &lt;script&gt;alert\("note"\)&lt;\/script&gt; &#64;octocat \\\| \\\[link\\\]\(javascript:alert\(3\)\)/);
    assert.match(md, /&quot;|"&gt;&lt;b onmouseover=alert\(4\)&gt;Mallory&lt;\/b&gt;/);
    assert.match(md, /`src\/<script>alert\(1\)<\/script>\.ts:3` fetch &lt;img src=x onerror=alert\(2\)&gt; \\\| pipe \\\*bold\\\*/);
    // Every table row has exactly the five unescaped pipes of four cells.
    for (const line of md.split('\n').filter((l) => l.startsWith('| '))) assert.equal(line.replace(/\\\|/g, '').split('|').length - 1, 5, line);
    assert.equal(escapeMarkdown('a\nb'), 'a b');
  });

  it('leads with the totals and the failing required items, and flags conflicts', () => {
    const md = renderReviewMarkdown(hostileModel(), { title: 'orders-service' });
    const lines = md.split('\n');
    assert.equal(lines[0], '## Design review: orders-service');
    assert.match(lines[2]!, /^✅ 2 met · ❌ 0 not met · ➖ 0 not applicable · ⬜ \d+ open$/);
    assert.equal(lines[4], '**2 required items are not met:** `timeouts.deadlines`, `idempotency.handlers`');
    assert.match(md, /✅ Met<br>\*\*required\*\*<br>⚠ the code says not met<br>⚠ evidence changed since the answer/);
    assert.match(md, /_1 item is hidden by faultline.config.json._/);
    assert.match(md, /_1 answer is kept in `.faultline\/review.json` for items not shown: `gone.item`._/);
    assert.match(md, /Is there a runbook &lt;for&gt; every alert\?<br>`team.runbook` \(project item\)/);
  });

  it('links places to the commit when given a base URL', () => {
    const md = renderReviewMarkdown(hostileModel(), { linkBase: 'https://github.com/o/r/blob/abc123/' });
    assert.match(md, /\[src\/&lt;script&gt;alert\(1\)&lt;\/script&gt;\.ts:3\]\(https:\/\/github\.com\/o\/r\/blob\/abc123\/src\/%3Cscript%3Ealert%281%29%3C\/script%3E\.ts#L3\)/);
  });

  it('renders the example service with its evidence', () => {
    const model = assembleReview({ root: EXAMPLE, evidence: exampleEvidence(), config: reviewConfigOf(undefined), now: new Date('2025-03-04T00:00:00Z') });
    const md = renderReviewMarkdown(model, { maxPlaces: 3 });
    assert.match(md, /\| Is every outbound call bounded by a deadline\?<br>`timeouts.deadlines` \| ❌ Not met \(from the code\) \| 20 outbound calls, 12 without a deadline/);
    assert.match(md, /- Calls without a deadline \(12\): `src\/clients\/pricing.ts:26` .*; and 9 more/);
    assert.match(md, /> No answers yet: `.faultline\/review.json` does not exist/);
    assert.ok(HOSTILE.file.length > 0);
  });
});
