import type { Finding, Severity } from '../../rules/types.ts';
import { plural, relativePath, type ReportContext } from './types.ts';

/**
 * ESLint's "stylish" layout: findings grouped by file, one aligned row each
 * (`line:col  severity  message  rule-id`), related locations beneath, then
 * a summary. Suppressed findings are only counted.
 *
 * ```
 * src/orders.ts
 *   12:5  error    `fetch` call has no timeout  missing-timeout
 *                  ↳ 30:3  the instance is created here
 *
 * ✖ 1 problem (1 error, 0 warnings, 0 infos)
 * ```
 */
export function formatText(findings: readonly Finding[], ctx: ReportContext): string {
  const paint = painter(ctx.color === true);
  const shown = findings.filter((f) => !f.suppression);
  const suppressed = findings.length - shown.length;

  const byFile = new Map<string, Finding[]>();
  for (const f of shown) {
    const list = byFile.get(f.location.file);
    if (list) list.push(f);
    else byFile.set(f.location.file, [f]);
  }

  let out = '';
  for (const [file, list] of byFile) {
    const rows = list.map((f) => ({
      pos: `${f.location.startPos.line}:${f.location.startPos.column}`,
      severity: f.severity,
      message: f.message.replace(/\s*\r?\n\s*/g, ' '),
      ruleId: f.ruleId,
      finding: f,
    }));
    const posWidth = Math.max(...rows.map((r) => r.pos.length));
    const sevWidth = Math.max(...rows.map((r) => r.severity.length));
    const msgWidth = Math.max(...rows.map((r) => r.message.length));
    out += `${paint.underline(relativePath(ctx.root, file))}\n`;
    for (const r of rows) {
      const sev = paint.severity(r.severity, r.severity.padEnd(sevWidth));
      out += `  ${paint.dim(r.pos.padEnd(posWidth))}  ${sev}  ${r.message.padEnd(msgWidth)}  ${paint.dim(r.ruleId)}`.trimEnd() + '\n';
      const indent = ' '.repeat(2 + posWidth + 2 + sevWidth + 2);
      for (const rel of r.finding.related) {
        const where = rel.file === file ? '' : `${relativePath(ctx.root, rel.file)}:`;
        out += `${indent}↳ ${paint.dim(`${where}${rel.startPos.line}:${rel.startPos.column}`)}  ${rel.message}\n`;
      }
    }
    out += '\n';
  }

  const count = (s: Severity): number => shown.filter((f) => f.severity === s).length;
  const errors = count('error');
  const warnings = count('warning');
  const infos = count('info');
  const suppressedNote = suppressed > 0 ? `, ${suppressed} suppressed` : '';
  if (shown.length === 0) {
    return suppressed > 0 ? `no problems${suppressedNote}\n` : '';
  }
  const summary = `✖ ${plural(shown.length, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${plural(infos, 'info')})${suppressedNote}`;
  out += `${paint.summary(errors > 0 ? 'error' : warnings > 0 ? 'warning' : 'info', summary)}\n`;

  const safe = shown.filter((f) => f.fixes.some((x) => x.applicability === 'safe')).length;
  const unsafe = shown.filter((f) => !f.fixes.some((x) => x.applicability === 'safe') && f.fixes.some((x) => x.applicability === 'unsafe')).length;
  if (safe > 0 || unsafe > 0) {
    const parts: string[] = [];
    if (safe > 0) parts.push(`${safe} fixable with --fix`);
    if (unsafe > 0) parts.push(`${unsafe} ${safe > 0 ? 'more' : 'fixable'} with --fix --unsafe-fixes`);
    out += `  ${parts.join(', ')}\n`;
  }
  return out;
}

interface Painter {
  underline(s: string): string;
  dim(s: string): string;
  severity(severity: Severity, s: string): string;
  summary(severity: Severity, s: string): string;
}

function painter(enabled: boolean): Painter {
  const wrap = (open: string, close: string) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  const colour: Record<Severity, (s: string) => string> = { error: wrap('31', '39'), warning: wrap('33', '39'), info: wrap('36', '39') };
  const bold = wrap('1', '22');
  return {
    underline: wrap('4', '24'),
    dim: wrap('2', '22'),
    severity: (severity, s) => colour[severity](s),
    summary: (severity, s) => bold(colour[severity](s)),
  };
}
