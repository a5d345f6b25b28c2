/**
 * The design review as the language server, the CLI and the VS Code
 * extension exchange it: the checklist with its evidence and answers
 * (`ReviewModel`), the two requests that fetch and edit it, and the
 * messages between the review panel's webview and the extension.
 *
 * Plain method names and payload types only, as in messages.ts: the server
 * and the client bundle different versions of vscode-jsonrpc, whose
 * `RequestType` classes are nominal (private members), so a shared
 * `RequestType` object would type-check on one side only. `RequestDef`
 * carries the parameter and result types instead.
 */

/** A reviewer's status, or what an unanswered item shows. */
export type ReviewStatus = 'met' | 'not-met' | 'not-applicable' | 'open';
export const REVIEW_STATUSES: readonly ReviewStatus[] = ['met', 'not-met', 'not-applicable', 'open'];

/** Words for a status, shared by the report, the panel and the tree. */
export const STATUS_LABELS: Record<ReviewStatus, string> = {
  met: 'Met',
  'not-met': 'Not met',
  'not-applicable': 'Not applicable',
  open: 'Open',
};

/** One place in the code that is evidence for an item. */
export interface ReviewPlace {
  /** Unique within one model: the panel sends it back to open the place. */
  id: number;
  uri: string;
  /** Relative to the review's root, with `/`. */
  path: string;
  /** 1-based. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  label: string;
}

export interface ReviewFact {
  key: string;
  label: string;
  places: ReviewPlace[];
}

export interface ReviewEvidence {
  summary: string;
  counts: Record<string, number>;
  facts: ReviewFact[];
  notes: string[];
}

/** A reviewer's answer, as the review file stores it. */
export interface ReviewAnswer {
  status: ReviewStatus;
  note: string;
  /** Who answered. */
  by: string;
  /** When, as an ISO 8601 time. */
  at: string;
  /** The evidence summary when the answer was given, to tell when it has changed since. */
  evidence?: string;
}

export interface ReviewItem {
  id: string;
  group: string;
  question: string;
  why: string;
  /** Added in faultline.config.json (`review.items`), not built in. */
  custom: boolean;
  /** Listed in `review.required`: `faultline review` fails while it is not met. */
  required: boolean;
  evidence?: ReviewEvidence;
  /** What the code decides on its own, where that is sound. */
  automatic?: { status: 'met' | 'not-met'; reason: string };
  answer?: ReviewAnswer;
  /** The status shown: the answer's, else the automatic one, else open. */
  status: ReviewStatus;
  statusSource: 'answer' | 'automatic' | 'none';
  /** The answer and the automatic status disagree. */
  conflict: boolean;
  /** The evidence summary is not the one the answer was given on. */
  evidenceChanged: boolean;
  /** Required and not met (a `met` answer does not pass while the code says not met). */
  failing: boolean;
}

export interface ReviewGroup {
  id: string;
  title: string;
  items: ReviewItem[];
  counts: Record<ReviewStatus, number>;
}

export interface ReviewFileState {
  /** Relative to the root, with `/`. */
  path: string;
  uri: string;
  exists: boolean;
  /** The file cannot be read: answers are not shown and nothing is written until it is fixed. */
  error?: { message: string; line?: number; column?: number };
}

export interface ReviewModel {
  root: string;
  rootUri: string;
  reviewFile: ReviewFileState;
  generatedAt: string;
  groups: ReviewGroup[];
  totals: Record<ReviewStatus, number>;
  /** Ids of required items that are not met. */
  requiredFailing: string[];
  /** Ids hidden by `review.hidden`. */
  hidden: string[];
  /** Answers in the review file for items that no longer exist: kept in the file, not shown. */
  orphanAnswers: string[];
  /** The name new answers are signed with unless the reviewer types another. */
  reviewer: string;
  /** faultline.config.json could not be read: the built-in checklist is shown. */
  configError?: string;
}

/** A request's method with its parameter and result types. */
export interface RequestDef<P, R> {
  method: string;
  /** Type carriers only; never read. */
  _params?: P;
  _result?: R;
}

export interface ReviewParams {
  /** The workspace folder to review; the first one when absent. */
  folderUri?: string;
}

/** client → server request: the checklist of a workspace folder, with the code's evidence and the review file's answers. */
export const ReviewRequest: RequestDef<ReviewParams, ReviewModel> = { method: 'faultline/review' };

export interface SetAnswerParams extends ReviewParams {
  itemId: string;
  /** The new answer (the server stamps the time and the evidence), or null to remove it. */
  answer: { status: ReviewStatus; note: string; by: string } | null;
}

/**
 * client → server request: records or removes one answer in the review
 * file and returns the checklist anew. Fails (a response error naming the
 * file and line) when the review file cannot be read: it is never written
 * over.
 */
export const SetAnswerRequest: RequestDef<SetAnswerParams, ReviewModel> = { method: 'faultline/review/setAnswer' };

/** Command ids of the review (package.json `contributes`). */
export const ReviewCommands = {
  open: 'faultline.openDesignReview',
  refresh: 'faultline.refreshDesignReview',
  openItem: 'faultline.openDesignReviewItem',
} as const;

/** The explorer view that shows the checklist's groups. */
export const REVIEW_VIEW_ID = 'faultline.designReview';

// ---- the panel's webview -------------------------------------------------------------------

/** extension → webview */
export type ExtensionToWebview =
  /**
   * The checklist, rendered by the extension with every text escaped. What
   * the answer dialog needs (question, answer, reviewer) travels in data
   * attributes of that HTML, read back as plain strings.
   */
  | { type: 'render'; html: string }
  /** Something to say to the user, and to screen readers (a live region). */
  | { type: 'notice'; level: 'info' | 'error'; message: string }
  /** Scroll to an item and focus it (from the tree view). */
  | { type: 'focusItem'; itemId: string };

/** webview → extension */
export type WebviewToExtension =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'openPlace'; placeId: number }
  | { type: 'setAnswer'; itemId: string; status: ReviewStatus; note: string; by: string }
  | { type: 'clearAnswer'; itemId: string }
  | { type: 'openReviewFile' };

const MAX_TEXT = 10_000;

/**
 * Checks a message from the webview. The webview renders text from the
 * workspace, so the extension trusts nothing it sends: unknown shapes are
 * dropped, texts are bounded.
 */
export function parseWebviewMessage(raw: unknown): WebviewToExtension | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  const str = (v: unknown, max = MAX_TEXT): v is string => typeof v === 'string' && v.length <= max;
  switch (m.type) {
    case 'ready':
    case 'refresh':
    case 'openReviewFile':
      return { type: m.type };
    case 'openPlace':
      return Number.isInteger(m.placeId) && (m.placeId as number) >= 0 ? { type: 'openPlace', placeId: m.placeId as number } : undefined;
    case 'setAnswer':
      if (!str(m.itemId, 200) || !str(m.note) || !str(m.by, 200) || !REVIEW_STATUSES.includes(m.status as ReviewStatus)) return undefined;
      return { type: 'setAnswer', itemId: m.itemId, status: m.status as ReviewStatus, note: m.note, by: m.by };
    case 'clearAnswer':
      return str(m.itemId, 200) ? { type: 'clearAnswer', itemId: m.itemId } : undefined;
    default:
      return undefined;
  }
}
