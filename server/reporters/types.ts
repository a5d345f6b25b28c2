import * as path from 'node:path';
import type { Finding, RuleMeta, Severity } from '../../rules/types.ts';

/** What every reporter may need besides the findings. Reporters are pure: same input, same text. */
export interface ReportContext {
  /** Paths are shown relative to this folder (SARIF's `%SRCROOT%`). */
  root: string;
  /** Metadata of every rule that may appear (SARIF `tool.driver.rules`). */
  rules: readonly RuleMeta[];
  /** Faultline's version (SARIF `tool.driver.version`). */
  toolVersion: string;
  /** ANSI colours in the text format. */
  color?: boolean;
}

export type Reporter = (findings: readonly Finding[], ctx: ReportContext) => string;

export const FORMATS = ['text', 'json', 'sarif', 'github'] as const;
export type Format = (typeof FORMATS)[number];

/** A file's path relative to the root, with `/` separators (absolute when outside the root). */
export function relativePath(root: string, file: string): string {
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return file.split(path.sep).join('/');
  return rel.split(path.sep).join('/');
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** Whether `severity` is at least `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return RANK[severity] >= RANK[threshold];
}

/** `1 error`, `2 errors`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
