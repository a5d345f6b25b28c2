import type { Finding, SourceRange } from '../../rules/types.ts';
import { relativePath, type ReportContext } from './types.ts';

/**
 * The `--format json` output: an array of findings, in the engine's order,
 * suppressed ones included. This shape is a public contract (add fields,
 * never rename or remove them):
 *
 * ```ts
 * type JsonFinding = {
 *   ruleId: string;
 *   messageId: string;
 *   severity: 'error' | 'warning' | 'info';
 *   message: string;
 *   file: string;              // relative to the project root, '/'-separated
 *   line: number;              // 1-based
 *   column: number;            // 1-based, UTF-16 code units
 *   endLine: number;
 *   endColumn: number;         // exclusive
 *   related: { file: string; line: number; column: number; endLine: number; endColumn: number; message: string }[];
 *   fixes: {
 *     title: string;
 *     applicability: 'safe' | 'unsafe' | 'displayOnly';
 *     isPreferred: boolean;
 *     edits: { file: string; start: number; end: number; newText: string }[]; // 0-based UTF-16 offsets, end exclusive
 *   }[];
 *   fingerprint: string;       // stable across unrelated edits; what baselines match on
 *   suppression: null | { kind: 'inSource'; justification: string; file: string; line: number; column: number; endLine: number; endColumn: number };
 * };
 * ```
 */
export interface JsonFinding {
  ruleId: string;
  messageId: string;
  severity: Finding['severity'];
  message: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  related: (JsonSpan & { message: string })[];
  fixes: {
    title: string;
    applicability: Finding['fixes'][number]['applicability'];
    isPreferred: boolean;
    edits: { file: string; start: number; end: number; newText: string }[];
  }[];
  fingerprint: string;
  suppression: null | ({ kind: 'inSource'; justification: string } & JsonSpan);
}

interface JsonSpan {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Maps findings to the documented JSON shape (exported for the language server and tests). */
export function toJsonFindings(findings: readonly Finding[], ctx: Pick<ReportContext, 'root'>): JsonFinding[] {
  const span = (r: SourceRange): JsonSpan => ({
    file: relativePath(ctx.root, r.file),
    line: r.startPos.line,
    column: r.startPos.column,
    endLine: r.endPos.line,
    endColumn: r.endPos.column,
  });
  return findings.map((f) => {
    const { file, line, column, endLine, endColumn } = span(f.location);
    return {
      ruleId: f.ruleId,
      messageId: f.messageId,
      severity: f.severity,
      message: f.message,
      file,
      line,
      column,
      endLine,
      endColumn,
      related: f.related.map((r) => ({ ...span(r), message: r.message })),
      fixes: f.fixes.map((x) => ({
        title: x.title,
        applicability: x.applicability,
        isPreferred: x.isPreferred === true,
        edits: x.edits.map((e) => ({ file: relativePath(ctx.root, e.file), start: e.start, end: e.end, newText: e.newText })),
      })),
      fingerprint: f.fingerprint,
      suppression: f.suppression
        ? { kind: f.suppression.kind, justification: f.suppression.justification, ...span(f.suppression.location) }
        : null,
    };
  });
}

export function formatJson(findings: readonly Finding[], ctx: ReportContext): string {
  return `${JSON.stringify(toJsonFindings(findings, ctx), null, 2)}\n`;
}
