import * as fs from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';
import {
  CodeActionKind,
  DiagnosticSeverity,
  DiagnosticTag,
  type CodeAction,
  type Diagnostic,
  type Position,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { ruleDocsUrl, type Finding, type Fix, type Position as FaultlinePosition, type Severity, type TextEdit } from '../../rules/types.ts';
import { UNUSED_SUPPRESSION_RULE_ID } from '../../rules/suppressions.ts';
import { editsConflict } from '../fixes.ts';
import { FixAllKind } from '../../protocol/messages.ts';

export const SOURCE = 'faultline';

export function uriToPath(uri: string): string | undefined {
  return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
}

export function pathToUri(file: string): string {
  return pathToFileURL(file).href;
}

/** Faultline positions are 1-based; LSP's are 0-based, both in UTF-16 code units. */
function toLsp(p: FaultlinePosition): Position {
  return { line: p.line - 1, character: p.column - 1 };
}

function severity(s: Severity): DiagnosticSeverity {
  return s === 'error' ? DiagnosticSeverity.Error : s === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information;
}

/** The key that ties a diagnostic the client sends back to the finding it came from. */
export function diagnosticKey(d: Pick<Diagnostic, 'range' | 'code' | 'message'>): string {
  return `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}|${String(d.code)}|${d.message}`;
}

export function toDiagnostic(f: Finding, uri: string): Diagnostic {
  const d: Diagnostic = {
    range: { start: toLsp(f.location.startPos), end: toLsp(f.location.endPos) },
    severity: severity(f.severity),
    code: f.ruleId,
    source: SOURCE,
    message: f.message,
    data: { fingerprint: f.fingerprint },
  };
  if (f.ruleId !== UNUSED_SUPPRESSION_RULE_ID) d.codeDescription = { href: ruleDocsUrl(f.ruleId) };
  else d.tags = [DiagnosticTag.Unnecessary];
  if (f.related.length > 0) {
    d.relatedInformation = f.related.map((r) => ({
      location: { uri: r.file === f.location.file ? uri : pathToUri(r.file), range: { start: toLsp(r.startPos), end: toLsp(r.endPos) } },
      message: r.message,
    }));
  }
  return d;
}

/** Maps an offset of a file's analysed text to an LSP position. */
export type PositionAt = (file: string, offset: number) => Position;

function workspaceEdit(edits: readonly TextEdit[], positionAt: PositionAt, versions: (uri: string) => number | null): WorkspaceEdit {
  const byUri = new Map<string, LspTextEdit[]>();
  for (const e of edits) {
    const uri = pathToUri(e.file);
    const list = byUri.get(uri) ?? [];
    list.push({ range: { start: positionAt(e.file, e.start), end: positionAt(e.file, e.end) }, newText: e.newText });
    byUri.set(uri, list);
  }
  // A fix that makes a new file (the idempotency helper) creates it first, then fills it.
  const documentChanges: WorkspaceEdit['documentChanges'] = [];
  for (const [uri, list] of byUri) {
    const file = uriToPath(uri);
    if (file && !fs.existsSync(file)) documentChanges.push({ kind: 'create', uri, options: { ignoreIfExists: true } });
    documentChanges.push({ textDocument: { uri, version: versions(uri) }, edits: list });
  }
  return { documentChanges };
}

/** The quick fixes of one finding, plus "suppress for this line". */
export function quickFixes(
  f: Finding,
  diagnostic: Diagnostic,
  text: string,
  positionAt: PositionAt,
  versions: (uri: string) => number | null,
): CodeAction[] {
  const actions: CodeAction[] = f.fixes
    .filter((fix) => fix.applicability !== 'displayOnly' || fix.edits.length > 0)
    .map((fix) => ({
      title: fix.applicability === 'unsafe' ? `${fix.title} (changes behaviour)` : fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: fix.isPreferred === true,
      edit: workspaceEdit(fix.edits, positionAt, versions),
    }));
  if (f.ruleId !== UNUSED_SUPPRESSION_RULE_ID) actions.push(suppressAction(f, diagnostic, text, positionAt, versions));
  return actions;
}

/** Inserts `// faultline-disable-next-line <rule> -- <reason>` above the finding's line, at its indentation. */
function suppressAction(f: Finding, diagnostic: Diagnostic, text: string, positionAt: PositionAt, versions: (uri: string) => number | null): CodeAction {
  const lineStart = text.lastIndexOf('\n', f.location.start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const edit: TextEdit = {
    file: f.location.file,
    start: lineStart,
    end: lineStart,
    newText: `${indent}// faultline-disable-next-line ${f.ruleId} -- <reason>\n`,
  };
  return {
    title: `Suppress ${f.ruleId} for this line`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    edit: workspaceEdit([edit], positionAt, versions),
  };
}

/**
 * "Fix all Faultline problems in this file": the preferred fix of each
 * finding, skipping those whose edits collide with one already taken.
 * Fixes that change behaviour join only when `unsafe` is true.
 */
export function fixAllAction(findings: readonly Finding[], unsafe: boolean, positionAt: PositionAt, versions: (uri: string) => number | null): CodeAction | undefined {
  const taken: TextEdit[] = [];
  for (const f of findings) {
    if (f.suppression) continue;
    const allowed = (fix: Fix) => fix.applicability === 'safe' || (unsafe && fix.applicability === 'unsafe');
    const fix = f.fixes.find((x) => x.isPreferred && allowed(x)) ?? f.fixes.find(allowed);
    if (!fix) continue;
    if (fix.edits.some((e) => taken.some((t) => t.file === e.file && editsConflict(t, e)))) continue;
    taken.push(...fix.edits);
  }
  if (taken.length === 0) return undefined;
  return { title: 'Fix all Faultline problems in this file', kind: FixAllKind, edit: workspaceEdit(taken, positionAt, versions) };
}
