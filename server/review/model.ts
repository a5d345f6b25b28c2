import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHECKLIST, REVIEW_GROUPS, type ChecklistItem } from '../../rules/review/catalogue.ts';
import type { Evidence, EvidenceSet } from '../../rules/review/evidence.ts';
import {
  REVIEW_STATUSES,
  type ReviewEvidence,
  type ReviewGroup,
  type ReviewItem,
  type ReviewModel,
  type ReviewPlace,
  type ReviewStatus,
} from '../../protocol/review.ts';
import type { ReviewConfig } from '../config.ts';
import { readReviewFile, ReviewFileError, type StoredAnswer } from './file.ts';

/**
 * The checklist as the CLI prints it and the editor shows it: the
 * catalogue (plus the project's own items, minus hidden ones), the code's
 * evidence, and the reviewers' answers, merged into one `ReviewModel`.
 */

export interface BuildReviewInput {
  /** The folder paths are shown relative to (the config file's folder, or the workspace folder). */
  root: string;
  evidence: EvidenceSet;
  answers: Record<string, StoredAnswer>;
  config: ReviewConfig;
  reviewFile: { file: string; exists: boolean; error?: ReviewFileError };
  reviewer?: string;
  configError?: string;
  now?: Date;
}

function emptyCounts(): Record<ReviewStatus, number> {
  return Object.fromEntries(REVIEW_STATUSES.map((s) => [s, 0])) as Record<ReviewStatus, number>;
}

export function buildReviewModel(input: BuildReviewInput): ReviewModel {
  const { root, config } = input;
  const rel = (file: string) => path.relative(root, file).split(path.sep).join('/');
  let nextPlace = 0;
  const toEvidence = (e: Evidence): ReviewEvidence => ({
    summary: e.summary,
    counts: e.counts,
    notes: e.notes,
    facts: e.facts.map((f) => ({
      key: f.key,
      label: f.label,
      places: f.places.map(
        (p): ReviewPlace => ({
          id: nextPlace++,
          uri: pathToFileURL(p.file).href,
          path: rel(p.file),
          line: p.startPos.line,
          column: p.startPos.column,
          endLine: p.endPos.line,
          endColumn: p.endPos.column,
          label: p.label,
        }),
      ),
    })),
  });

  const required = new Set(config.required);
  const hidden = new Set(config.hidden);
  const catalogue: (ChecklistItem & { custom: boolean })[] = [
    ...CHECKLIST.map((i) => ({ ...i, custom: false })),
    ...config.items.map((i) => ({ id: i.id, group: i.group, question: i.question, why: i.why ?? '', custom: true })),
  ];
  const known = new Set(catalogue.map((i) => i.id));

  const groups: ReviewGroup[] = REVIEW_GROUPS.map((g) => ({ id: g.id, title: g.title, items: [], counts: emptyCounts() }));
  const totals = emptyCounts();
  const requiredFailing: string[] = [];
  for (const item of catalogue) {
    if (hidden.has(item.id)) continue;
    const evidence = item.evidence ? input.evidence[item.evidence] : undefined;
    const automatic = evidence?.automatic;
    const stored = input.answers[item.id];
    const answer = stored ? { status: stored.status, note: stored.note, by: stored.by, at: stored.at, ...(stored.evidence !== undefined ? { evidence: stored.evidence } : {}) } : undefined;
    const status: ReviewStatus = answer?.status ?? automatic?.status ?? 'open';
    const isRequired = required.has(item.id);
    // A `met` answer does not outweigh what the code proves: the item fails until the code is fixed or it is marked not applicable.
    const failing = isRequired && (!(status === 'met' || status === 'not-applicable') || (status === 'met' && automatic?.status === 'not-met'));
    const reviewItem: ReviewItem = {
      id: item.id,
      group: item.group,
      question: item.question,
      why: item.why,
      custom: item.custom,
      required: isRequired,
      ...(evidence ? { evidence: toEvidence(evidence) } : {}),
      ...(automatic ? { automatic: { status: automatic.status, reason: automatic.reason } } : {}),
      ...(answer ? { answer } : {}),
      status,
      statusSource: answer ? 'answer' : automatic ? 'automatic' : 'none',
      conflict: Boolean(answer && automatic && answer.status !== 'open' && answer.status !== automatic.status),
      evidenceChanged: Boolean(answer?.evidence !== undefined && evidence && answer.evidence !== evidence.summary),
      failing,
    };
    const group = groups.find((g) => g.id === item.group)!;
    group.items.push(reviewItem);
    group.counts[status]++;
    totals[status]++;
    if (failing) requiredFailing.push(item.id);
  }

  const err = input.reviewFile.error;
  return {
    root,
    rootUri: pathToFileURL(root).href,
    reviewFile: {
      path: rel(input.reviewFile.file),
      uri: pathToFileURL(input.reviewFile.file).href,
      exists: input.reviewFile.exists,
      ...(err ? { error: { message: err.message, ...(err.line !== undefined ? { line: err.line } : {}), ...(err.column !== undefined ? { column: err.column } : {}) } } : {}),
    },
    generatedAt: (input.now ?? new Date()).toISOString(),
    groups: groups.filter((g) => g.items.length > 0),
    totals,
    requiredFailing,
    hidden: [...hidden],
    orphanAnswers: Object.keys(input.answers).filter((id) => !known.has(id)).sort(),
    reviewer: input.reviewer ?? '',
    ...(input.configError ? { configError: input.configError } : {}),
  };
}

export interface AssembleReviewInput {
  root: string;
  evidence: EvidenceSet;
  config: ReviewConfig;
  reviewer?: string;
  configError?: string;
  now?: Date;
}

/** Where the review file of a root is, and how messages name it (relative to the root). */
export function reviewFileOf(root: string, config: ReviewConfig): { file: string; name: string } {
  const file = path.resolve(root, config.file);
  return { file, name: path.relative(root, file).split(path.sep).join('/') };
}

/** Reads the review file and builds the model. A broken file gives a model without answers that carries the error. */
export function assembleReview(input: AssembleReviewInput): ReviewModel {
  const { file, name } = reviewFileOf(input.root, input.config);
  let answers: Record<string, StoredAnswer> = {};
  let exists = false;
  let error: ReviewFileError | undefined;
  try {
    const read = readReviewFile(file, name);
    answers = read.data.answers;
    exists = read.exists;
  } catch (err) {
    if (!(err instanceof ReviewFileError)) throw err;
    error = err;
    exists = true;
  }
  return buildReviewModel({ ...input, answers, reviewFile: { file, exists, ...(error ? { error } : {}) } });
}
