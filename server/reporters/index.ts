import type { Finding } from '../../rules/types.ts';
import { formatGithub } from './github.ts';
import { formatJson } from './json.ts';
import { formatSarif } from './sarif.ts';
import { formatText } from './text.ts';
import type { Format, ReportContext, Reporter } from './types.ts';

export { FORMATS, type Format, type ReportContext, type Reporter } from './types.ts';

/** One reporter per `--format`. */
export const reporters: Record<Format, Reporter> = {
  text: formatText,
  json: formatJson,
  sarif: formatSarif,
  github: formatGithub,
};

export function report(format: Format, findings: readonly Finding[], ctx: ReportContext): string {
  return reporters[format](findings, ctx);
}
