/**
 * The language server's latency: the time from `didChange` to the
 * `publishDiagnostics` of that version, for a 2,000-line file inside the
 * generated project, over many single-character edits; beside it, the pure
 * parse of the same file in this process, and the server's memory after
 * it scanned the whole workspace.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ts } from 'ts-morph';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';

export interface LspResult {
  edits: number;
  lines: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  parseMs: number;
  scanMs: number;
  rssAfterScanMb: number;
}

/** A 2,000-line module of the kind a service has: clients, calls with and without deadlines, plain code. */
function bigModule(): string {
  const out = ["import axios from 'axios';", '', "export const partner = axios.create({ baseURL: 'https://partner.internal', timeout: 5_000 });", ''];
  for (let i = 0; out.length < 1990; i++) {
    out.push(
      `// section ${i}`,
      `export interface Order${i} { id: string; total: number; items: string[]; }`,
      '',
      `export async function load${i}(id: string): Promise<Order${i}> {`,
      `  const res = await fetch(\`https://orders.internal/v${i}/\${id}\`, { signal: AbortSignal.timeout(2_000) });`,
      `  if (!res.ok) throw new Error(\`order \${id}: \${res.status}\`);`,
      `  return (await res.json()) as Order${i};`,
      '}',
      '',
      `export async function notify${i}(id: string): Promise<void> {`,
      i % 5 === 0 ? `  await fetch('https://hooks.internal/orders', { method: 'POST', body: id });` : `  await partner.post('/notify', { id });`,
      '}',
      '',
      `export function total${i}(o: Order${i}): number {`,
      '  let sum = 0;',
      '  for (const item of o.items) sum += item.length;',
      '  return sum + o.total;',
      '}',
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

export async function benchLsp(projectDir: string, server: string, edits: number): Promise<LspResult> {
  const file = path.join(projectDir, 'src', 'bench-big-module.ts');
  const text = bigModule();
  const lines = text.split('\n').length - 1;
  const uri = pathToFileURL(file).href;
  // The file exists on disk too, as it would in a real workspace (the scan loads it).
  fs.writeFileSync(file, text);
  const proc = spawn(process.execPath, [...(process.env.FAULTLINE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), server, '--stdio'], { stdio: 'pipe' });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  const waiting = new Map<number, (t: number) => void>();
  let idleResolve: (() => void) | undefined;
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    if (p.uri === uri && p.version !== undefined) waiting.get(p.version)?.(performance.now());
  });
  conn.onNotification('faultline/status', (p: { state: string }) => {
    if (p.state === 'idle') idleResolve?.();
  });
  const rules = JSON.parse(process.env.FAULTLINE_BENCH_RULES ?? '{}') as Record<string, string>;
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({ enable: true, rules, defaultTimeoutMs: 10_000 })));
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  try {
    const rootUri = pathToFileURL(projectDir).href;
    const scanStart = performance.now();
    const idle = new Promise<void>((resolve) => (idleResolve = resolve));
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'generated' }],
      capabilities: { workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } }, textDocument: { publishDiagnostics: { versionSupport: true } } },
    });
    await conn.sendNotification('initialized', {});
    let scanTimer: NodeJS.Timeout | undefined;
    await Promise.race([idle, new Promise((_, reject) => (scanTimer = setTimeout(() => reject(new Error('the workspace scan did not finish within 10 minutes')), 600_000)))]).finally(() => clearTimeout(scanTimer));
    const scanMs = performance.now() - scanStart;
    const rssAfterScanMb = rssMb(proc.pid!);

    const published = (version: number): Promise<number> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no diagnostics for version ${version} within 30 s`)), 30_000);
        waiting.set(version, (t) => {
          clearTimeout(timer);
          waiting.delete(version);
          resolve(t);
        });
      });
    const first = published(1);
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text } });
    await first;

    // Each edit types one character into a comment, as a person typing would.
    const line = text.split('\n').findIndex((l) => l.startsWith('// section 20'));
    const times: number[] = [];
    for (let v = 2; v < 2 + edits; v++) {
      const done = published(v);
      const sent = performance.now();
      await conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: { line, character: 14 + v - 2 }, end: { line, character: 14 + v - 2 } }, text: 'x' }],
      });
      times.push((await done) - sent);
    }
    times.sort((a, b) => a - b);

    // The pure parse of the same file, warm, in this process.
    const parses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const t = performance.now();
      ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      parses.push(performance.now() - t);
    }
    parses.sort((a, b) => a - b);
    return { edits, lines, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), maxMs: times[times.length - 1]!, parseMs: percentile(parses, 50), scanMs, rssAfterScanMb };
  } finally {
    if (process.env.FAULTLINE_BENCH_NODE_ARGS) {
      // A server killed by a signal writes no --cpu-prof profile: ask it to exit (the protocol's shutdown and exit), as an editor does.
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5_000))]);
        await conn.sendNotification('exit');
      } catch {
        // the server is gone already
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 30_000)))]).finally(() => clearTimeout(timer));
    }
    conn.dispose();
    proc.stdin.end();
    proc.kill('SIGKILL');
    fs.rmSync(file, { force: true });
  }
}
