/**
 * Shared helpers for the annotated fixtures under `test/fixtures/<rule>/<case>/`.
 *
 * A fixture is a mini project (a `tsconfig.json` and `.ts` files). A line that
 * ends with `// expect: <ruleId>` or `// expect: <ruleId>/<messageId>` (several
 * separated by commas) expects exactly that many findings starting on that
 * line; every other line expects none.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project, ts } from 'ts-morph';
import type { Finding } from '../../rules/types.ts';

export const TEST_ROOT = path.resolve(__dirname, '..');
export const FIXTURES_ROOT = path.join(TEST_ROOT, 'fixtures');
/** Scratch space for copies of fixtures; inside the repository so `node_modules` still resolves. */
export const TMP_ROOT = path.join(TEST_ROOT, '.tmp-fix');

export interface Fixture {
  /** The rule folder: `missing-timeout`. */
  rule: string;
  /** The case folder: `fetch-global`. */
  name: string;
  /** Absolute path of the case folder. */
  dir: string;
}

/** Every `test/fixtures/<rule>/<case>/` folder that holds a `tsconfig.json`, sorted. */
export function discoverFixtures(root: string = FIXTURES_ROOT): Fixture[] {
  const out: Fixture[] = [];
  if (!fs.existsSync(root)) return out;
  for (const rule of sortedDirs(root)) {
    for (const name of sortedDirs(path.join(root, rule))) {
      const dir = path.join(root, rule, name);
      if (fs.existsSync(path.join(dir, 'tsconfig.json'))) out.push({ rule, name, dir });
    }
  }
  return out;
}

function sortedDirs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
    .map((e) => e.name)
    .sort();
}

/** The `.ts` files of a fixture (declaration files excluded), as absolute paths. */
export function fixtureSourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const child = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(child);
      } else if (/\.[cm]?tsx?$/.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name)) {
        out.push(child);
      }
    }
  };
  walk(dir);
  return out.sort();
}

export interface Expectation {
  /** Path relative to the fixture folder, `/`-separated. */
  file: string;
  line: number;
  ruleId: string;
  messageId?: string;
}

const EXPECT_RE = /\/\/\s*expect:\s*(.+?)\s*$/;

/** Parses the `// expect:` annotations of every file of a fixture. */
export function parseExpectations(dir: string): Expectation[] {
  const out: Expectation[] = [];
  for (const file of fixtureSourceFiles(dir)) {
    const rel = relPath(dir, file);
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    lines.forEach((text, i) => {
      const m = EXPECT_RE.exec(text);
      if (!m) return;
      for (const raw of m[1]!.split(',')) {
        const entry = raw.trim();
        if (entry === '') continue;
        const slash = entry.indexOf('/');
        const ruleId = slash === -1 ? entry : entry.slice(0, slash);
        const messageId = slash === -1 ? undefined : entry.slice(slash + 1);
        if (!/^[\w-]+$/.test(ruleId) || (messageId !== undefined && !/^\w+$/.test(messageId))) {
          throw new Error(`${rel}:${i + 1}: malformed expectation '${entry}'`);
        }
        out.push({ file: rel, line: i + 1, ruleId, ...(messageId ? { messageId } : {}) });
      }
    });
  }
  return out;
}

export function relPath(dir: string, file: string): string {
  return path.relative(dir, file).split(path.sep).join('/');
}

export interface Comparison {
  missing: Expectation[];
  unexpected: Finding[];
  matched: number;
}

/**
 * Matches findings to expectations as multisets keyed by (file, line, ruleId,
 * messageId). Expectations that name a message id are matched first, so a bare
 * `// expect: rule` takes whatever finding of that rule is left on its line.
 */
export function compareToExpectations(dir: string, findings: readonly Finding[], expectations: readonly Expectation[]): Comparison {
  const remaining = [...findings];
  const missing: Expectation[] = [];
  let matched = 0;
  const ordered = [...expectations].sort((a, b) => Number(b.messageId !== undefined) - Number(a.messageId !== undefined));
  for (const exp of ordered) {
    const idx = remaining.findIndex(
      (f) =>
        relPath(dir, f.location.file) === exp.file &&
        f.location.startPos.line === exp.line &&
        f.ruleId === exp.ruleId &&
        (exp.messageId === undefined || f.messageId === exp.messageId),
    );
    if (idx === -1) missing.push(exp);
    else {
      remaining.splice(idx, 1);
      matched++;
    }
  }
  const byPlace = (a: { file: string; line: number }, b: { file: string; line: number }): number =>
    a.file.localeCompare(b.file) || a.line - b.line;
  missing.sort(byPlace);
  return { missing, unexpected: remaining, matched };
}

/** A readable report of a comparison, with the source line and the finding messages. */
export function formatComparison(dir: string, cmp: Comparison): string {
  const lines: string[] = [];
  const sourceLine = (rel: string, line: number): string => {
    try {
      const text = fs.readFileSync(path.join(dir, rel), 'utf8').split(/\r?\n/)[line - 1] ?? '';
      return text.replace(/\s*\/\/\s*expect:.*$/, '').trim();
    } catch {
      return '';
    }
  };
  if (cmp.missing.length > 0) {
    lines.push(`missing (${cmp.missing.length}): expected but not reported`);
    for (const m of cmp.missing) {
      lines.push(`  - ${m.file}:${m.line}  ${m.ruleId}${m.messageId ? `/${m.messageId}` : ''}`);
      lines.push(`      | ${sourceLine(m.file, m.line)}`);
    }
  }
  if (cmp.unexpected.length > 0) {
    lines.push(`unexpected (${cmp.unexpected.length}): reported but not expected`);
    for (const f of cmp.unexpected) {
      const rel = relPath(dir, f.location.file);
      lines.push(`  + ${rel}:${f.location.startPos.line}:${f.location.startPos.column}  ${f.ruleId}/${f.messageId}: ${f.message}`);
      lines.push(`      | ${sourceLine(rel, f.location.startPos.line)}`);
    }
  }
  return lines.join('\n');
}

/** Findings not silenced by a suppression comment. */
export function unsuppressed(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.suppression === undefined);
}

/**
 * Type-checks a fixture (or a copy of one) with its own tsconfig and the real
 * installed libraries. Returns one formatted line per diagnostic.
 */
export function typecheckFixture(dir: string): string[] {
  const project = new Project({ tsConfigFilePath: path.join(dir, 'tsconfig.json') });
  const diagnostics = project.getPreEmitDiagnostics();
  return diagnostics.map((d) => {
    const sf = d.getSourceFile();
    const where = sf ? `${relPath(dir, sf.getFilePath())}:${sf.getLineAndColumnAtPos(d.getStart() ?? 0).line}` : '(global)';
    const msg = ts.flattenDiagnosticMessageText(d.compilerObject.messageText, '\n');
    return `${where}: TS${d.getCode()}: ${msg}`;
  });
}
