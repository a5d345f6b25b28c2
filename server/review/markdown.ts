import { STATUS_LABELS, type ReviewItem, type ReviewModel, type ReviewPlace, type ReviewStatus } from '../../protocol/review.ts';

/**
 * The checklist as Markdown, for a pull request comment or a GitHub job
 * summary: totals and failing required items first, then a table per
 * concern, then the places behind each piece of evidence in collapsed
 * blocks. Every text that comes from the code or the review file is
 * escaped: it shows as written, never as Markdown or HTML, and mentions
 * notify nobody.
 */

export interface MarkdownOptions {
  /** Links places to `${linkBase}/${path}#L${line}` (a GitHub blob URL at the commit); plain `path:line` without it. */
  linkBase?: string;
  /** Places listed per fact before "and N more". */
  maxPlaces?: number;
  /** The heading's name for what was reviewed. */
  title?: string;
}

const ICONS: Record<ReviewStatus, string> = { met: '✅', 'not-met': '❌', 'not-applicable': '➖', open: '⬜' };

/** Escapes text for Markdown (and the HTML GitHub allows in it), on one line. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '&#64;')
    // Brackets are escaped, so parentheses can never complete a link; `#` and `+` matter only at a line's start, which a cell never is.
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

function codeSpan(text: string): string {
  const clean = text.replace(/\r?\n|\r/g, ' ');
  const fence = clean.includes('`') ? '``' : '`';
  return `${fence}${fence.length > 1 ? ' ' : ''}${clean.replace(/\|/g, '\\|')}${fence.length > 1 ? ' ' : ''}${fence}`;
}

function placeLink(p: ReviewPlace, opts: MarkdownOptions): string {
  const where = `${p.path}:${p.line}`;
  if (!opts.linkBase) return codeSpan(where);
  const url = `${opts.linkBase.replace(/\/$/, '')}/${p.path.split('/').map(encodeURIComponent).join('/')}#L${p.line}`;
  // encodeURIComponent leaves parentheses, which would end the link's destination.
  return `[${escapeMarkdown(where)}](${url.replace(/\(/g, '%28').replace(/\)/g, '%29')})`;
}

function statusCell(item: ReviewItem): string {
  const source = item.statusSource === 'automatic' ? ' (from the code)' : '';
  const flags = [
    item.required ? '**required**' : '',
    item.conflict && item.automatic ? `⚠ the code says ${STATUS_LABELS[item.automatic.status].toLowerCase()}` : '',
    item.evidenceChanged ? '⚠ evidence changed since the answer' : '',
  ].filter(Boolean);
  return `${ICONS[item.status]} ${STATUS_LABELS[item.status]}${source}${flags.length ? `<br>${flags.join('<br>')}` : ''}`;
}

function answerCell(item: ReviewItem): string {
  const a = item.answer;
  if (!a) return item.automatic ? escapeMarkdown(item.automatic.reason) : '';
  const who = [a.by, a.at ? a.at.slice(0, 10) : ''].filter(Boolean).map(escapeMarkdown).join(', ');
  return `${a.note ? escapeMarkdown(a.note) : '<i>no note</i>'}${who ? ` — ${who}` : ''}`;
}

export function renderReviewMarkdown(model: ReviewModel, opts: MarkdownOptions = {}): string {
  const max = opts.maxPlaces ?? 8;
  const out: string[] = [];
  out.push(`## Design review${opts.title ? `: ${escapeMarkdown(opts.title)}` : ''}`, '');
  const totals = (['met', 'not-met', 'not-applicable', 'open'] as const).map((s) => `${ICONS[s]} ${model.totals[s]} ${STATUS_LABELS[s].toLowerCase()}`).join(' · ');
  out.push(totals, '');
  if (model.requiredFailing.length > 0) {
    out.push(`**${model.requiredFailing.length} required ${model.requiredFailing.length === 1 ? 'item is' : 'items are'} not met:** ${model.requiredFailing.map(codeSpan).join(', ')}`, '');
  }
  if (model.reviewFile.error) out.push(`> ⚠ ${escapeMarkdown(model.reviewFile.error.message)} The answers are not shown.`, '');
  else if (!model.reviewFile.exists) out.push(`> No answers yet: ${codeSpan(model.reviewFile.path)} does not exist. Answer in the editor (Faultline: Open Design Review) and commit the file.`, '');
  if (model.hidden.length > 0) out.push(`_${model.hidden.length} ${model.hidden.length === 1 ? 'item is' : 'items are'} hidden by faultline.config.json._`, '');
  if (model.configError) out.push(`> ⚠ ${escapeMarkdown(model.configError)} The built-in checklist is shown.`, '');

  for (const group of model.groups) {
    const c = group.counts;
    out.push(`### ${escapeMarkdown(group.title)}`, '');
    out.push(`${c.met} met, ${c['not-met']} not met, ${c['not-applicable']} not applicable, ${c.open} open`, '');
    out.push('| Item | Status | Evidence | Answer |', '| --- | --- | --- | --- |');
    for (const item of group.items) {
      const question = `${escapeMarkdown(item.question)}<br>${codeSpan(item.id)}${item.custom ? ' (project item)' : ''}`;
      const evidence = item.evidence ? escapeMarkdown(item.evidence.summary) : '';
      out.push(`| ${question} | ${statusCell(item)} | ${evidence} | ${answerCell(item)} |`);
    }
    out.push('');
    const detailed = group.items.filter((i) => i.evidence && (i.evidence.facts.length > 0 || i.evidence.notes.length > 0));
    if (detailed.length === 0) continue;
    out.push('<details><summary>Where the evidence is</summary>', '');
    for (const item of detailed) {
      out.push(`**${escapeMarkdown(item.question)}**`, '');
      for (const note of item.evidence!.notes) out.push(`- _${escapeMarkdown(note)}_`);
      for (const fact of item.evidence!.facts) {
        const shown = fact.places.slice(0, max).map((p) => `${placeLink(p, opts)} ${escapeMarkdown(p.label)}`);
        const more = fact.places.length > max ? `; and ${fact.places.length - max} more` : '';
        out.push(`- ${escapeMarkdown(fact.label)} (${fact.places.length}): ${shown.join('; ')}${more}`);
      }
      out.push('');
    }
    out.push('</details>', '');
  }
  if (model.orphanAnswers.length > 0) {
    out.push(`_${model.orphanAnswers.length} ${model.orphanAnswers.length === 1 ? 'answer is' : 'answers are'} kept in ${codeSpan(model.reviewFile.path)} for items not shown: ${model.orphanAnswers.map(codeSpan).join(', ')}._`, '');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
