import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../rules/types.ts';
import { relativePath } from './reporters/types.ts';

/**
 * A baseline: the findings a project has accepted for now. Written by
 * `--baseline-write`, read by `--baseline`, matched by fingerprint only
 * (never by line, so edits above a finding do not resurrect it). Rule id,
 * file and message are there for people reviewing the file's diff.
 */
export interface Baseline {
  version: 1;
  findings: BaselineEntry[];
}

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  /** Relative to the project root, `/`-separated. */
  file: string;
  message: string;
}

/** A baseline file that cannot be used; the message is one line naming the file. */
export class BaselineError extends Error {
  override name = 'BaselineError';
}

/** The baseline of the unsuppressed findings, sorted so that the file diffs well. */
export function createBaseline(findings: readonly Finding[], root: string): Baseline {
  const entries = findings
    .filter((f) => !f.suppression)
    .map((f) => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, file: relativePath(root, f.location.file), message: f.message }));
  entries.sort((a, b) => a.file.localeCompare(b.file) || a.ruleId.localeCompare(b.ruleId) || a.fingerprint.localeCompare(b.fingerprint));
  return { version: 1, findings: entries };
}

export function serializeBaseline(baseline: Baseline): string {
  return `${JSON.stringify(baseline, null, 2)}\n`;
}

export function writeBaseline(file: string, findings: readonly Finding[], root: string): Baseline {
  const baseline = createBaseline(findings, root);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, serializeBaseline(baseline));
  } catch (err) {
    throw new BaselineError(`cannot write baseline ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return baseline;
}

/** Parses a baseline's text; `name` is how messages name the file. Throws `BaselineError`. */
export function parseBaseline(text: string, name: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BaselineError(`baseline ${name} is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const shape = `expected {"version": 1, "findings": [{"fingerprint": "…", …}]}`;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new BaselineError(`baseline ${name} is not a Faultline baseline: ${shape}`);
  const obj = data as Record<string, unknown>;
  if (obj.version !== 1) throw new BaselineError(`baseline ${name} has unsupported version ${JSON.stringify(obj.version)} (expected 1)`);
  if (!Array.isArray(obj.findings)) throw new BaselineError(`baseline ${name} is not a Faultline baseline: ${shape}`);
  const findings: BaselineEntry[] = obj.findings.map((e: unknown, i: number) => {
    const entry = e as Partial<BaselineEntry> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.fingerprint !== 'string' || entry.fingerprint === '') {
      throw new BaselineError(`baseline ${name}: findings[${i}] has no "fingerprint" string`);
    }
    return { fingerprint: entry.fingerprint, ruleId: String(entry.ruleId ?? ''), file: String(entry.file ?? ''), message: String(entry.message ?? '') };
  });
  return { version: 1, findings };
}

export function readBaseline(file: string, name: string = file): Baseline {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BaselineError(code === 'ENOENT' ? `baseline ${name} does not exist` : `cannot read baseline ${name}: ${code ?? String(err)}`);
  }
  return parseBaseline(text, name);
}

/** Drops the findings whose fingerprint the baseline holds; suppressed findings are left as they are. */
export function applyBaseline(findings: readonly Finding[], baseline: Baseline): { findings: Finding[]; matched: number } {
  const known = new Set(baseline.findings.map((e) => e.fingerprint));
  const kept: Finding[] = [];
  let matched = 0;
  for (const f of findings) {
    if (!f.suppression && known.has(f.fingerprint)) matched++;
    else kept.push(f);
  }
  return { findings: kept, matched };
}
