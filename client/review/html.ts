import { randomBytes } from 'node:crypto';
import { REVIEW_STATUSES, STATUS_LABELS, type ReviewModel } from '../../protocol/review.ts';
import { escapeHtml, renderChecklist } from './render.ts';
import { REVIEW_CSS } from './style.ts';
import { REVIEW_SCRIPT } from './webview-script.ts';

/**
 * The review panel's page: a pure function of the model, the nonce and the
 * webview's CSP source, so that tests can check it in Node and render it in
 * Chromium. Strict CSP: nothing loads from anywhere; the one style and the
 * one script carry the nonce.
 */

export interface ReviewPageInput {
  /** A fresh random value per page: the only key to the page's style and script. */
  nonce: string;
  /** `webview.cspSource`: styles VS Code itself injects come from there. */
  cspSource: string;
  /** The checklist, or undefined while it loads. */
  model?: ReviewModel;
  /** Shown instead of the checklist when there is none (the server is not running). */
  message?: string;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

export function contentSecurityPolicy(nonce: string, cspSource: string): string {
  return `default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'none'; font-src 'none'; connect-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'`;
}

export function reviewPageHtml(input: ReviewPageInput): string {
  const { nonce, cspSource } = input;
  // The nonce sits in attributes: it must not be able to close them.
  if (!/^[A-Za-z0-9+/=]+$/.test(nonce)) throw new Error('a nonce must be base64');
  // VS Code's source is a list such as `'self' https://*.vscode-cdn.net`: quotes are fine; a `;` would start another directive.
  if (/["<>;\n]/.test(cspSource)) throw new Error('unexpected characters in the CSP source');
  const body = input.model ? renderChecklist(input.model) : `<p class="muted">${escapeHtml(input.message ?? 'Loading the design review…')}</p>`;
  const radios = REVIEW_STATUSES.map(
    (s) => `<label><input type="radio" name="status" value="${s}"> ${escapeHtml(STATUS_LABELS[s])}</label>`,
  ).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(nonce, cspSource)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Design Review</title>
<style nonce="${nonce}">${REVIEW_CSS}</style>
</head>
<body>
<header class="toolbar">
<h1>Design Review</h1>
<div class="filters" role="group" aria-label="Show">
<button type="button" data-filter="all" aria-pressed="true">All</button>
<button type="button" data-filter="open" aria-pressed="false">Open</button>
<button type="button" data-filter="not-met" aria-pressed="false">Not met</button>
<button type="button" data-filter="required" aria-pressed="false">Required</button>
</div>
<span id="filter-count" class="muted" aria-live="polite"></span>
<span class="spacer"></span>
<button type="button" id="refresh" class="secondary">Refresh</button>
</header>
<div id="notice" role="status" aria-live="polite"></div>
<main id="checklist" aria-label="Checklist">${body}</main>
<dialog id="answer-dialog" aria-labelledby="answer-title" aria-describedby="answer-question">
<form id="answer-form">
<h2 id="answer-title">Answer</h2>
<p id="answer-question"></p>
<fieldset><legend>Status</legend>${radios}</fieldset>
<label class="block" for="answer-note">Note</label>
<textarea id="answer-note" rows="5" maxlength="10000"></textarea>
<label class="block" for="answer-by">Reviewer</label>
<input id="answer-by" type="text" maxlength="200" autocomplete="name">
<div class="actions">
<button type="button" id="answer-clear" class="secondary">Remove answer</button>
<button type="button" id="answer-cancel" class="secondary">Cancel</button>
<button type="submit" id="answer-save">Save</button>
</div>
</form>
</dialog>
<script nonce="${nonce}">${REVIEW_SCRIPT}</script>
</body>
</html>
`;
}
