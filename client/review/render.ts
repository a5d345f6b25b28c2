import { REVIEW_STATUSES, STATUS_LABELS, type ReviewFact, type ReviewItem, type ReviewModel, type ReviewStatus } from '../../protocol/review.ts';

/**
 * The checklist as HTML, for the review panel's webview. A pure function
 * of the model: tested in Node and rendered in Chromium by the tests.
 * Every text from the code (file names, labels) or the review file (notes,
 * names) goes through `escapeHtml`; nothing here emits a script, a style
 * attribute or an event handler (the page's CSP would block them anyway).
 */

/** Escapes text for HTML content and for attribute values in double or single quotes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const e = escapeHtml;

/** An id usable in HTML ids from an item or group id (which config may choose): only safe characters survive. */
export function domId(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^a-zA-Z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

const ORDER: ReviewStatus[] = ['not-met', 'open', 'met', 'not-applicable'];

function countsText(counts: Record<ReviewStatus, number>): string {
  return ORDER.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${STATUS_LABELS[s].toLowerCase()}`)
    .join(', ');
}

function badge(status: ReviewStatus, source: ReviewItem['statusSource']): string {
  const from = source === 'automatic' ? ' <span class="badge-source">(from the code)</span>' : '';
  return `<span class="badge status-${status}"><span class="badge-icon" aria-hidden="true"></span>${e(STATUS_LABELS[status])}${from}</span>`;
}

function factHtml(item: ReviewItem, fact: ReviewFact): string {
  const key = `${item.id}|${fact.key}`;
  const places = fact.places
    .map((p) => {
      const where = `${p.path}:${p.line}`;
      const focusKey = `place|${item.id}|${fact.key}|${p.path}:${p.line}:${p.column}`;
      return `<li><button type="button" class="place" data-place="${p.id}" data-focus="${e(focusKey)}" aria-label="${e(`Open ${p.path} at line ${p.line}: ${p.label}`)}"><span class="place-path">${e(where)}</span> <span class="place-label">${e(p.label)}</span></button></li>`;
    })
    .join('');
  return `<details class="fact" data-key="${e(key)}"><summary>${e(fact.label)} <span class="count">(${fact.places.length})</span></summary><ul class="places">${places}</ul></details>`;
}

function answerHtml(item: ReviewItem): string {
  const a = item.answer;
  const warnings: string[] = [];
  if (item.conflict && item.automatic) warnings.push(`The code says ${STATUS_LABELS[item.automatic.status].toLowerCase()}: ${item.automatic.reason}`);
  if (item.evidenceChanged && a?.evidence) warnings.push(`The evidence changed since this answer. Then: ${a.evidence}`);
  if (item.failing) warnings.push(item.status === 'met' ? 'Required: fails until the code is fixed or the item is marked not applicable.' : 'Required, and not met.');
  const warn = warnings.map((w) => `<p class="warning"><span class="warning-icon" aria-hidden="true">⚠</span> ${e(w)}</p>`).join('');
  if (!a) return `<div class="answer answer-none"><p class="muted">No answer yet.</p>${warn}</div>`;
  const when = a.at ? new Date(a.at) : undefined;
  const whenText = when && !Number.isNaN(when.getTime()) ? when.toISOString().slice(0, 10) : '';
  const who = [a.by, whenText].filter(Boolean).join(', ');
  return (
    `<div class="answer"><p><span class="label">Answer:</span> ${e(STATUS_LABELS[a.status])}${who ? ` <span class="muted">— ${e(who)}</span>` : ''}</p>` +
    `${a.note ? `<p class="note">${e(a.note)}</p>` : ''}${warn}</div>`
  );
}

function itemHtml(item: ReviewItem, editable: boolean): string {
  const qid = domId('q', item.id);
  const ev = item.evidence;
  const evidence = ev
    ? `<div class="evidence"><p><span class="label">From the code:</span> ${e(ev.summary)}</p>` +
      (item.automatic ? `<p class="automatic muted">Status from the code: ${e(STATUS_LABELS[item.automatic.status].toLowerCase())}. ${e(item.automatic.reason)}</p>` : '') +
      ev.notes.map((n) => `<p class="note muted">${e(n)}</p>`).join('') +
      ev.facts.map((f) => factHtml(item, f)).join('') +
      '</div>'
    : '';
  const tags = [item.required ? '<span class="tag tag-required">Required</span>' : '', item.custom ? '<span class="tag">Project item</span>' : ''].join('');
  const a = item.answer;
  const data = [
    `data-item="${e(item.id)}"`,
    `data-status="${item.status}"`,
    `data-required="${item.required}"`,
    `data-question="${e(item.question)}"`,
    a ? `data-answer-status="${a.status}" data-answer-note="${e(a.note)}" data-answer-by="${e(a.by)}"` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const button = editable
    ? `<button type="button" class="answer-button secondary" data-answer="${e(item.id)}" data-focus="${e(`answer|${item.id}`)}" aria-describedby="${qid}">${a ? 'Edit answer…' : 'Answer…'}</button>`
    : '';
  return (
    `<article class="item status-${item.status}" id="${domId('item', item.id)}" aria-labelledby="${qid}" tabindex="-1" ${data}>` +
    `<div class="item-head">${badge(item.status, item.statusSource)}<h3 id="${qid}">${e(item.question)}</h3>${tags}</div>` +
    `<p class="why"><span class="label">Why:</span> ${e(item.why)} <code class="item-id">${e(item.id)}</code></p>` +
    evidence +
    answerHtml(item) +
    button +
    '</article>'
  );
}

/** The body of the panel: summary, banners, navigation and the groups. */
export function renderChecklist(model: ReviewModel): string {
  const editable = !model.reviewFile.error;
  const banners: string[] = [];
  if (model.reviewFile.error) {
    banners.push(
      `<div class="banner banner-error" role="alert"><p><strong>The review file cannot be read.</strong> ${e(model.reviewFile.error.message)}</p>` +
        `<p>Answers are not shown, and Faultline will not write the file until it is fixed, so that none of the answers in it is lost.</p>` +
        `<button type="button" class="open-file secondary">Open ${e(model.reviewFile.path)}</button></div>`,
    );
  }
  if (model.configError) banners.push(`<div class="banner banner-warning" role="alert"><p>${e(model.configError)}. The built-in checklist is shown.</p></div>`);
  if (model.requiredFailing.length > 0) {
    banners.push(`<div class="banner banner-warning"><p><strong>${model.requiredFailing.length} required ${model.requiredFailing.length === 1 ? 'item is' : 'items are'} not met:</strong> ${model.requiredFailing.map((id) => `<code>${e(id)}</code>`).join(', ')}</p></div>`);
  }
  const totals = REVIEW_STATUSES.map((s) => `<li class="total status-${s}"><span class="badge-icon" aria-hidden="true"></span><span class="total-count">${model.totals[s]}</span> ${e(STATUS_LABELS[s].toLowerCase())}</li>`).join('');
  const nav = model.groups
    .map((g) => `<li><a href="#${domId('group', g.id)}" data-group="${e(domId('group', g.id))}">${e(g.title)}</a> <span class="muted">${e(countsText(g.counts))}</span></li>`)
    .join('');
  const groups = model.groups
    .map((g) => {
      const gid = domId('group', g.id);
      return (
        `<section class="group" id="${gid}" aria-labelledby="${gid}-title">` +
        `<h2 id="${gid}-title" tabindex="-1">${e(g.title)} <span class="group-counts muted">${e(countsText(g.counts))}</span></h2>` +
        g.items.map((i) => itemHtml(i, editable)).join('') +
        '</section>'
      );
    })
    .join('');
  const file = model.reviewFile.exists ? `Answers in <button type="button" class="link open-file">${e(model.reviewFile.path)}</button>` : `Answers will be saved in <code>${e(model.reviewFile.path)}</code>; commit it.`;
  return (
    `<div id="review-root" data-reviewer="${e(model.reviewer)}" data-editable="${editable}">` +
    `<section class="overview" aria-label="Summary"><ul class="totals">${totals}</ul><p class="muted file-line">${file}` +
    `${model.hidden.length ? ` · ${model.hidden.length} hidden by faultline.config.json` : ''}${model.orphanAnswers.length ? ` · ${model.orphanAnswers.length} answers kept for items not shown` : ''}</p></section>` +
    banners.join('') +
    `<nav aria-label="Concerns"><ul class="group-nav">${nav}</ul></nav>` +
    groups +
    '</div>'
  );
}
