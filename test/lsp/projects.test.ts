import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Node, ts } from 'ts-morph';
import { analyzeProject } from '../../rules/engine.ts';
import { ModelCache, ProgramModel } from '../../rules/core/program.ts';
import { allRules } from '../../rules/index.ts';
import type { AnalysisOptions } from '../../rules/types.ts';
import { ProjectHost } from '../../server/lsp/projects.ts';

const OPTIONS: AnalysisOptions = { rules: {}, defaultTimeoutMs: 10_000, customClients: [], timeoutWrappers: [] };
const TEXT = `import axios from 'axios';

export const api = axios.create({ baseURL: 'https://api.internal' });

export async function load(id: string): Promise<unknown> {
  const res = await fetch(\`https://orders.internal/\${id}\`);
  await api.get('/x');
  return res.json();
}
`;

/** A workspace folder with a tsconfig over `src/` and one file in it; removed after `body`. */
function withWorkspace(name: string, text: string, body: (dir: string, file: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-host-'));
  try {
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext' }, include: ['src'] }));
    fs.mkdirSync(path.join(dir, 'src'));
    const file = path.join(dir, 'src', name);
    fs.writeFileSync(file, text);
    body(dir, file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A language server's project host over `dir`, with every file loaded. */
function loadedHost(dir: string): ProjectHost {
  const host = new ProjectHost([dir], () => {});
  host.workspaceFiles();
  while (host.loadSome() > 0);
  return host;
}

describe('ProjectHost: replacing an edited file', () => {
  it('forgets the wrappers of the old text, keeps the SourceFile, and analyses the new text as a fresh project would', () => {
    withWorkspace('a.ts', TEXT, (dir, file) => {
      const host = loadedHost(dir);
      const cache = new ModelCache();
      const run = (text: string) => {
        const updated = host.update(file, text);
        assert.ok('sf' in updated);
        const model = new ProgramModel(updated.hosted.project, OPTIONS, cache);
        return { sf: updated.sf, findings: analyzeProject(updated.hosted.project, [updated.sf], OPTIONS, dir, allRules, model).findings };
      };
      const first = run(`${TEXT}// 1\n`);
      const wrapped: Node[] = first.sf.getDescendants();
      assert.ok(wrapped.length > 0);
      let text = TEXT;
      for (let i = 0; i < 20; i++) {
        text = i % 2 === 0 ? TEXT.replace("fetch(`https://orders.internal/${id}`)", `fetch(\`https://orders.internal/\${id}\`, { signal: AbortSignal.timeout(${i + 1}) })`) : `${TEXT}// ${i}\n`;
        const { sf, findings } = run(text);
        assert.equal(sf, first.sf, 'the same SourceFile wrapper');
        assert.equal(sf.getFullText(), text);
        // A fresh project with the same text finds the same.
        const u = loadedHost(dir).update(file, text);
        assert.ok('sf' in u);
        const expected = analyzeProject(u.hosted.project, [u.sf], OPTIONS, dir, allRules, new ProgramModel(u.hosted.project, OPTIONS)).findings;
        assert.deepEqual(findings, expected);
      }
      assert.ok(wrapped.every((n) => n.wasForgotten()), 'the old text\'s wrappers are forgotten');
      // Nodes of the new text wrap the new compiler nodes.
      const call = first.sf.getDescendants().find((n) => Node.isCallExpression(n));
      assert.ok(call && text.includes(call.getText()));
    });
  });

  it('parses an edit incrementally into the same tree a fresh parse gives, through syntax errors mid-typing', () => {
    withWorkspace('a.ts', TEXT, (dir, file) => {
      const host = loadedHost(dir);
      const shape = (sf: ts.SourceFile): string[] => {
        const out: string[] = [];
        const visit = (n: ts.Node, parent: ts.Node | undefined): void => {
          assert.equal(n.parent, parent, `parent of ${ts.SyntaxKind[n.kind]} at ${n.pos}`);
          out.push(`${ts.SyntaxKind[n.kind]}@${n.pos}-${n.end}`);
          ts.forEachChild(n, (c) => visit(c, n));
        };
        ts.forEachChild(sf, (c) => visit(c, sf));
        return out;
      };
      // Typing the signal option into the fetch call one character at a time, then deleting it again.
      const anchor = TEXT.indexOf('`);') + 1;
      const typed = ', { signal: AbortSignal.timeout(5_000) }';
      const texts: string[] = [];
      for (let i = 1; i <= typed.length; i++) texts.push(TEXT.slice(0, anchor) + typed.slice(0, i) + TEXT.slice(anchor));
      for (let i = typed.length - 1; i >= 0; i--) texts.push(TEXT.slice(0, anchor) + typed.slice(0, i) + TEXT.slice(anchor));
      texts.push(`// header\n${TEXT}`, TEXT.replace('export async function', 'async function'), TEXT);
      for (const text of texts) {
        const updated = host.update(file, text);
        assert.ok('sf' in updated);
        const fresh = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
        assert.deepEqual(shape(updated.sf.compilerNode), shape(fresh), `the tree after editing to:\n${text}`);
        assert.equal(updated.sf.getFullText(), text);
      }
      // Reused, not made again: the import at the top survives an edit at the bottom.
      const top = (host.update(file, TEXT) as { sf: { compilerNode: ts.SourceFile } }).sf.compilerNode.statements[0];
      const after = host.update(file, `${TEXT}// more\n`);
      assert.ok('sf' in after);
      assert.equal(after.sf.compilerNode.statements[0], top, 'the unchanged statement is the same node');
      // The findings of the last text, analysed on the reused tree, are a fresh project's.
      const last = host.update(file, `${TEXT} `);
      assert.ok('sf' in last);
      const findings = analyzeProject(last.hosted.project, [last.sf], OPTIONS, dir, allRules, new ProgramModel(last.hosted.project, OPTIONS)).findings;
      assert.deepEqual(
        findings.map((f) => [f.ruleId, f.messageId, f.location.start]),
        [
          ['missing-timeout', 'clientNoDeadline', TEXT.indexOf('axios.create')],
          ['missing-timeout', 'noDeadline', TEXT.indexOf('fetch(')],
        ],
      );
    });
  });

  it('analyses a big file after incremental edits as a fresh project would (statements outside the edit keep their scans)', () => {
    const section = (i: number, bounded: boolean) =>
      `export async function load${i}(id: string): Promise<unknown> {\n  const res = await fetch(\`https://orders.internal/${i}/\${id}\`${bounded ? ', { signal: AbortSignal.timeout(2_000) }' : ''});\n  return res.json();\n}\n`;
    const big = (unbounded: Set<number>) => Array.from({ length: 90 }, (_, i) => section(i, !unbounded.has(i))).join('\n');
    withWorkspace('big.ts', big(new Set([3])), (dir, file) => {
      const host = loadedHost(dir);
      const analyse = (h: ProjectHost, text: string) => {
        const u = h.update(file, text);
        assert.ok('sf' in u);
        return analyzeProject(u.hosted.project, [u.sf], OPTIONS, dir, allRules, new ProgramModel(u.hosted.project, OPTIONS)).findings;
      };
      for (const unbounded of [new Set([3]), new Set([3, 50]), new Set([50]), new Set([50, 89]), new Set<number>()]) {
        const text = big(unbounded);
        const findings = analyse(host, text);
        assert.deepEqual(findings, analyse(loadedHost(dir), text));
        assert.equal(findings.length, unbounded.size);
      }
    });
  });
});
