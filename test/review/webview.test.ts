import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, newNonce, reviewPageHtml } from '../../client/review/html.ts';
import { domId, escapeHtml, renderChecklist } from '../../client/review/render.ts';
import { parseWebviewMessage } from '../../protocol/review.ts';
import { HOSTILE, hostileModel } from './helpers.ts';

const NONCE = 'dGVzdC1ub25jZS0xMjM0NTY3';
const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

/** Every opening tag of a page: name and raw attribute text. */
function tags(html: string): { name: string; attrs: string }[] {
  return [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s>"'=]+(?:=(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*\/?>/g)].map((m) => ({ name: m[1]!.toLowerCase(), attrs: m[2] ?? '' }));
}

describe('the review panel page', () => {
  const page = reviewPageHtml({ nonce: NONCE, cspSource: CSP_SOURCE, model: hostileModel() });

  it('has a strict CSP: nothing by default, style and script by nonce only', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
    assert.equal(csp, contentSecurityPolicy(NONCE, CSP_SOURCE));
    assert.match(csp!, /^default-src 'none'; style-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net 'nonce-dGVzdC1ub25jZS0xMjM0NTY3'; script-src 'nonce-dGVzdC1ub25jZS0xMjM0NTY3';/);
    assert.doesNotMatch(csp!, /unsafe-inline|unsafe-eval|\*|https?:\/\/(?!file\+)/);
  });

  it('has exactly one style and one script, both with the nonce; no handlers, style attributes or remote resources', () => {
    const all = tags(page);
    const scripts = all.filter((t) => t.name === 'script');
    const styles = all.filter((t) => t.name === 'style');
    assert.deepEqual(scripts.map((t) => t.attrs.trim()), [`nonce="${NONCE}"`]);
    assert.deepEqual(styles.map((t) => t.attrs.trim()), [`nonce="${NONCE}"`]);
    for (const t of all) {
      for (const [, name, value] of t.attrs.matchAll(/\s([^\s=>"']+)(?:=(?:"([^"]*)"|'[^']*'|[^\s>"']+))?/g)) {
        assert.doesNotMatch(name!, /^on|^style$/i, `<${t.name}${t.attrs}>`);
        if (/^(src|srcset|href|action|formaction)$/i.test(name!)) assert.match(value ?? '', /^#/, `<${t.name}${t.attrs}>`);
      }
    }
    assert.ok(!all.some((t) => ['img', 'iframe', 'link', 'object', 'embed', 'base'].includes(t.name)));
  });

  it('shows a file name, a note and a reviewer with <script> in them as text', () => {
    const body = renderChecklist(hostileModel());
    assert.ok(!body.includes('<script'), 'no script tag in the checklist');
    assert.ok(!/<img|<b[\s>]/.test(body));
    assert.ok(body.includes('src/&lt;script&gt;alert(1)&lt;/script&gt;.ts:3'));
    assert.ok(body.includes(escapeHtml(HOSTILE.label)));
    assert.ok(body.includes('Looks fine &lt;script&gt;alert(&quot;note&quot;)&lt;/script&gt;'));
    // Attribute values cannot be closed by the text in them.
    assert.ok(body.includes(`data-answer-by="${escapeHtml(HOSTILE.by)}"`));
    assert.ok(body.includes('data-reviewer="Ana &lt;ana@example.com&gt;"'));
    for (const t of tags(body)) for (const [, value] of t.attrs.matchAll(/=\s*"([^"]*)"/g)) assert.doesNotMatch(value!, /[<>"]/);
    assert.equal(escapeHtml(`<a href='x'>&"`), '&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
  });

  it('keeps ids safe whatever the item id', () => {
    assert.equal(domId('item', 'team.run book"<x>'), 'item-team_2erun_20book_22_3cx_3e');
  });

  it('is keyboard and screen-reader friendly: landmarks, headings, labelled controls, a live region', () => {
    assert.match(page, /<main id="checklist" aria-label="Checklist">/);
    assert.match(page, /<div id="notice" role="status" aria-live="polite">/);
    assert.match(page, /<dialog id="answer-dialog" aria-labelledby="answer-title"/);
    assert.match(page, /<fieldset><legend>Status<\/legend>/);
    assert.match(page, /<label class="block" for="answer-note">Note<\/label>/);
    assert.match(page, /<div class="filters" role="group" aria-label="Show">/);
    const body = renderChecklist(hostileModel());
    assert.match(body, /<article class="item status-met" id="item-timeouts_2edeadlines" aria-labelledby="q-timeouts_2edeadlines" tabindex="-1"/);
    assert.match(body, /<button type="button" class="place" data-place="0" [^>]*aria-label="Open src\/&lt;script&gt;alert\(1\)&lt;\/script&gt;.ts at line 3: /);
    // Status is in words, not only in colour.
    assert.match(body, /<span class="badge status-met"><span class="badge-icon" aria-hidden="true"><\/span>Met<\/span>/);
    // Every button says what it does.
    for (const b of body.match(/<button[^>]*>[\s\S]*?<\/button>/g) ?? []) assert.match(b.replace(/<[^>]+>/g, '').trim() + (/aria-label="[^"]+"/.test(b) ? 'x' : ''), /\S/);
  });

  it('disables editing, and says why, when the review file is broken', () => {
    const model = hostileModel();
    model.reviewFile.error = { message: '.faultline/review.json: invalid JSON at line 4, column 3: <oops>', line: 4, column: 3 };
    const body = renderChecklist(model);
    assert.match(body, /data-editable="false"/);
    assert.doesNotMatch(body, /class="answer-button/);
    assert.match(body, /<div class="banner banner-error" role="alert"><p><strong>The review file cannot be read.<\/strong> .faultline\/review.json: invalid JSON at line 4, column 3: &lt;oops&gt;<\/p>/);
  });

  it('refuses nonces and CSP sources that could break out of their attribute', () => {
    assert.throws(() => reviewPageHtml({ nonce: 'a" onload="x', cspSource: CSP_SOURCE }));
    assert.throws(() => reviewPageHtml({ nonce: NONCE, cspSource: "x'; script-src *" }));
    assert.doesNotThrow(() => reviewPageHtml({ nonce: NONCE, cspSource: "'self' https://*.vscode-cdn.net" }));
    assert.match(newNonce(), /^[A-Za-z0-9+/]{24}$/);
    assert.notEqual(newNonce(), newNonce());
  });
});

describe('messages from the webview', () => {
  it('accepts the known shapes and drops anything else', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'openPlace', placeId: 3, extra: 1 }), { type: 'openPlace', placeId: 3 });
    assert.deepEqual(parseWebviewMessage({ type: 'setAnswer', itemId: 'timeouts.deadlines', status: 'met', note: 'ok', by: 'Ana' }), {
      type: 'setAnswer',
      itemId: 'timeouts.deadlines',
      status: 'met',
      note: 'ok',
      by: 'Ana',
    });
    assert.equal(parseWebviewMessage({ type: 'openPlace', placeId: '/etc/passwd' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'openPlace', placeId: -1 }), undefined);
    assert.equal(parseWebviewMessage({ type: 'setAnswer', itemId: 'x', status: 'done', note: '', by: '' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'setAnswer', itemId: 'x', status: 'met', note: 'n'.repeat(10_001), by: '' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'runCommand', command: 'rm -rf' }), undefined);
    assert.equal(parseWebviewMessage(null), undefined);
    assert.equal(parseWebviewMessage('ready'), undefined);
  });
});
