/**
 * The review panel's page in a real browser: Debian's Chromium, headless,
 * with the page's own HTML (strict CSP, nonce) and a stand-in for the VS
 * Code API. Saves test-output/review/panel.png (and panel-dialog.png, the
 * answer dialog open) for a person to look at, and checks in the live DOM
 * that the script ran under the CSP, that a script without the nonce did
 * not, and that hostile text shows as text.
 *
 * Without Chromium the test fails in CI (`CI` set) and is skipped, with the
 * reason printed, elsewhere. Install it with `apt-get install chromium`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { reviewPageHtml } from '../../client/review/html.ts';
import { computeReview } from '../../server/review/command.ts';
import { serializeReviewFile } from '../../server/review/file.ts';
import type { ReviewModel } from '../../protocol/review.ts';
import { copyExample, HOSTILE, ROOT } from './helpers.ts';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));
const CHROMIUM = CANDIDATES.find((p) => fs.existsSync(p));
const OUT_DIR = path.join(ROOT, 'test-output', 'review');
const NONCE = 'c2NyZWVuc2hvdC1ub25jZQ==';
// What VS Code 1.100's `webview.cspSource` is.
const CSP_SOURCE = "'self' https://*.vscode-cdn.net";

const MISSING = `Chromium is not installed (looked for ${CANDIDATES.join(', ')}): install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;
if (!CHROMIUM && !process.env.CI) console.log(`# skipping the review panel screenshot: ${MISSING}`);

/** VS Code's Dark Modern colours, as the workbench sets them on a webview. */
const THEME = `:root {
  --vscode-font-family: "DejaVu Sans", system-ui, sans-serif; --vscode-font-size: 13px; --vscode-editor-font-family: "DejaVu Sans Mono", monospace;
  --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-editor-background: #1f1f1f;
  --vscode-editorWidget-background: #202020; --vscode-widget-border: #313131; --vscode-panel-border: #2b2b2b;
  --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff; --vscode-button-hoverBackground: #026ec1;
  --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc; --vscode-button-secondaryHoverBackground: #3c3c3c;
  --vscode-textLink-foreground: #4daafc; --vscode-textLink-activeForeground: #4daafc; --vscode-focusBorder: #0078d4;
  --vscode-input-background: #313131; --vscode-input-foreground: #cccccc; --vscode-input-border: #3c3c3c;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8;
  --vscode-activityBarBadge-background: #0078d4; --vscode-activityBarBadge-foreground: #ffffff;
  --vscode-testing-iconPassed: #73c991; --vscode-testing-iconFailed: #f14c4c; --vscode-editorWarning-foreground: #cca700;
  --vscode-disabledForeground: #8b8b8b; --vscode-inputValidation-errorBorder: #be1100; --vscode-textBlockQuote-background: #2b2b2b;
  --vscode-textCodeBlock-background: #2b2b2b;
}`;

/** The page as VS Code would show it, plus the stand-in for `acquireVsCodeApi` (which the webview host injects). */
function standInPage(model: ReviewModel, opts: { openDialog?: boolean; open?: string[] } = {}): string {
  const page = reviewPageHtml({ nonce: NONCE, cspSource: CSP_SOURCE, model });
  const standIn = `<script nonce="${NONCE}">
window.acquireVsCodeApi = function () {
  var posted = [];
  return {
    postMessage: function (m) { posted.push(m); document.documentElement.setAttribute('data-posted', JSON.stringify(posted)); },
    getState: function () { return { filter: 'all', open: ${JSON.stringify(opts.open ?? [])} }; },
    setState: function () {}
  };
};
window.addEventListener('load', function () {
  // A live update from the extension, carrying markup that must stay text.
  window.postMessage({ type: 'notice', level: 'info', message: '<b id="injected">bold?</b> Answer saved.' }, '*');
  ${opts.openDialog ? "var b = document.querySelector('.answer-button'); if (b) b.click();" : ''}
});
</script>
<script>document.documentElement.setAttribute('data-unnonced', 'ran');</script>
`;
  const withTheme = page.replace('</head>', `<style nonce="${NONCE}">${THEME}</style>\n</head>`).replace('<body>', '<body class="vscode-dark">');
  const at = withTheme.lastIndexOf(`<script nonce="${NONCE}">`);
  return withTheme.slice(0, at) + standIn + withTheme.slice(at);
}

function chromium(args: string[], file: string): { status: number | null; stdout: string; stderr: string } {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-chromium-'));
  try {
    const r = spawnSync(
      CHROMIUM!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--mute-audio',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=3000',
        ...args,
        pathToFileURL(file).href,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

function isPng(file: string): boolean {
  const head = fs.readFileSync(file).subarray(0, 8);
  return head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

describe('the review panel in Chromium', { skip: !CHROMIUM && !process.env.CI ? MISSING : false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-panel-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // The example service with a few answers, one of them hostile.
  const service = copyExample(tmp);
  fs.mkdirSync(path.join(service, '.faultline'));
  fs.writeFileSync(
    path.join(service, '.faultline', 'review.json'),
    serializeReviewFile({
      version: 1,
      answers: {
        'timeouts.deadlines': { status: 'not-met', note: 'Inventory, pg and the SQS publisher have no deadline: OPS-12.', by: 'Ana Ruiz', at: '2025-03-01T10:00:00.000Z', evidence: '20 outbound calls, 12 without a deadline; 7 clients, 3 created without a timeout.' },
        'circuit-breakers.failing-dependency': { status: 'not-met', note: 'Payments fails most (see the incident log); only shipping has a breaker.', by: 'Bo', at: '2025-03-02T09:00:00.000Z' },
        'requirements.query-or-command': { status: 'met', note: `GET /orders and /products are queries; the rest are commands. ${HOSTILE.note}`, by: HOSTILE.by, at: '2025-03-01T12:00:00.000Z' },
        'caching.strategy': { status: 'not-applicable', note: 'Nothing is read often enough to cache.', by: 'Ana Ruiz', at: '2025-03-01T12:30:00.000Z' },
      },
    }),
  );
  fs.writeFileSync(path.join(service, 'faultline.config.json'), JSON.stringify({ review: { required: ['timeouts.deadlines', 'idempotency.handlers'] } }));
  const model = { ...computeReview({ paths: ['.'], project: [] }, { cwd: service }), reviewer: 'Ana Ruiz' };
  const page = path.join(tmp, 'panel.html');
  fs.writeFileSync(page, standInPage(model, { open: ['timeouts.deadlines|unbounded-calls', 'circuit-breakers.failing-dependency|breakers'] }));

  it('runs the page under its CSP and shows hostile text as text', () => {
    if (!CHROMIUM) assert.fail(`${MISSING} (required in CI)`);
    const r = chromium(['--dump-dom'], page);
    assert.equal(r.status, 0, r.stderr);
    const dom = r.stdout;
    // What the page shows, without the scripts' own source text.
    const shown = dom.replace(/<script[\s\S]*?<\/script>/g, '');
    assert.match(dom, /data-posted="\[\{&quot;type&quot;:&quot;ready&quot;\}\]"/, 'the nonce\'d script ran and said it is ready');
    assert.doesNotMatch(dom, /<html[^>]*data-unnonced/, 'a script without the nonce must not run');
    assert.ok(shown.includes('Looks fine &lt;script&gt;alert("note")&lt;/script&gt;'), 'the note shows <script> as text');
    assert.ok(!shown.includes('<b onmouseover'), 'the reviewer name is text');
    assert.match(dom, /<div id="notice" role="status" aria-live="polite" class="">&lt;b id="injected"&gt;bold\?&lt;\/b&gt; Answer saved.<\/div>/, 'a notice is text');
    assert.ok(!shown.includes('<b id="injected"'), 'no element was made from the notice');
    assert.match(dom, /<details class="fact" data-key="timeouts.deadlines\|unbounded-calls" open="">/, 'open sections come back from the state');
  });

  it('saves test-output/review/panel.png and panel-dialog.png', () => {
    if (!CHROMIUM) assert.fail(`${MISSING} (required in CI)`);
    fs.mkdirSync(OUT_DIR, { recursive: true });
    const png = path.join(OUT_DIR, 'panel.png');
    fs.rmSync(png, { force: true });
    const r = chromium(['--window-size=1100,2400', `--screenshot=${png}`], page);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(png) && isPng(png), `no screenshot at ${png}: ${r.stderr}`);
    assert.ok(fs.statSync(png).size > 20_000, 'the screenshot has content');

    const dialogPage = path.join(tmp, 'panel-dialog.html');
    fs.writeFileSync(dialogPage, standInPage(model, { openDialog: true }));
    const dialogPng = path.join(OUT_DIR, 'panel-dialog.png');
    const d = chromium(['--window-size=1100,900', `--screenshot=${dialogPng}`], dialogPage);
    assert.equal(d.status, 0, d.stderr);
    assert.ok(fs.existsSync(dialogPng) && isPng(dialogPng));
    console.log(`# review panel screenshots: ${path.relative(ROOT, png)}, ${path.relative(ROOT, dialogPng)}`);
  });
});
