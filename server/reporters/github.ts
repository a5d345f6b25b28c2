import type { Finding, Severity } from '../../rules/types.ts';
import { relativePath, type ReportContext } from './types.ts';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/**
 * GitHub Actions workflow commands, one per unsuppressed finding:
 * `::error file=src/a.ts,line=3,col=7,endLine=3,endColumn=20,title=…::message`.
 * Paths are relative to the root, which in a workflow is the checkout.
 */
export function formatGithub(findings: readonly Finding[], ctx: ReportContext): string {
  let out = '';
  for (const f of findings) {
    if (f.suppression) continue;
    const { startPos, endPos } = f.location;
    const single = startPos.line === endPos.line;
    // GitHub reads columns only for an annotation on a single line.
    const props: [string, string | number][] = single
      ? [
          ['file', relativePath(ctx.root, f.location.file)],
          ['line', startPos.line],
          ['col', startPos.column],
          ['endLine', endPos.line],
          ['endColumn', endPos.column],
        ]
      : [
          ['file', relativePath(ctx.root, f.location.file)],
          ['line', startPos.line],
          ['endLine', endPos.line],
        ];
    props.push(['title', `Faultline (${f.ruleId})`]);
    let message = f.message;
    for (const r of f.related) {
      message += `\n  ${relativePath(ctx.root, r.file)}:${r.startPos.line}:${r.startPos.column}: ${r.message}`;
    }
    const propText = props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
    out += `::${COMMAND[f.severity]} ${propText}::${escapeData(message)}\n`;
  }
  return out;
}

/** Escapes a command's message, as `@actions/core` does: `%`, CR and LF. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property's value: as data, plus `:` and `,`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
