import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CodeAction, TextDocumentEdit } from 'vscode-languageserver-protocol/node';
import { applyLspEdits, faultline, LspClient, SERVER, uriOf } from '../helpers/lsp.ts';

const SERVICE = `import axios from 'axios';

export const payments = axios.create({ baseURL: 'https://payments.internal' });

export async function charge(orderId: string): Promise<unknown> {
  const res = await fetch(\`https://ledger.internal/orders/\${orderId}\`, { method: 'POST' });
  await payments.post('/charges', { orderId });
  return res.json();
}
`;

function workspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-lsp-'));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext' }, include: ['src'] }));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'service.ts'), SERVICE);
  fs.writeFileSync(path.join(dir, 'src', 'other.ts'), `export async function ping(): Promise<Response> {\n  return fetch('https://status.internal/ping');\n}\n`);
  return dir;
}

function editsOf(action: CodeAction): { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[] {
  const changes = (action.edit?.documentChanges ?? []) as TextDocumentEdit[];
  return changes.flatMap((c) => c.edits as { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]);
}

describe('language server over stdio', { skip: fs.existsSync(SERVER) ? false : 'dist/server.js is missing: run `npm run build`' }, () => {
  let client: LspClient;
  let dir: string;
  let uri: string;

  before(async () => {
    dir = workspace();
    uri = uriOf(path.join(dir, 'src', 'service.ts'));
    client = new LspClient();
    const init = (await client.initialize(dir)) as { capabilities: { codeActionProvider: { codeActionKinds: string[] }; textDocumentSync: { change: number } } };
    assert.equal(init.capabilities.textDocumentSync.change, 2, 'incremental sync');
    assert.ok(init.capabilities.codeActionProvider.codeActionKinds.includes('source.fixAll.faultline'));
  });

  after(async () => {
    await client.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('publishes diagnostics for an opened document, with code, docs link, source and related locations', async () => {
    client.open(uri, SERVICE, 1);
    const p = await client.diagnosticsFor(uri, 1);
    const ds = faultline(p.diagnostics);
    assert.deepEqual(ds.map((d) => [d.code, d.range.start.line]).sort(), [['missing-timeout', 2], ['missing-timeout', 5]]);
    const client0 = ds.find((d) => d.range.start.line === 2)!;
    assert.match(String(client0.message), /axios is created without a timeout/);
    assert.equal(client0.codeDescription?.href.endsWith('/docs/rules/missing-timeout.md'), true);
    assert.equal(client0.relatedInformation?.length, 1);
    assert.equal(client0.relatedInformation?.[0]?.location.range.start.line, 6);
    const fetchD = ds.find((d) => d.range.start.line === 5)!;
    // The range is the call expression, from `fetch` to its closing parenthesis.
    assert.equal(fetchD.range.start.character, SERVICE.split('\n')[5]!.indexOf('fetch('));
  });

  it('analyses the rest of the workspace in the background', async () => {
    const other = uriOf(path.join(dir, 'src', 'other.ts'));
    const p = await client.diagnostics(other, (x) => x.diagnostics.length > 0);
    assert.equal(faultline(p.diagnostics)[0]?.range.start.line, 1);
  });

  it('answers code actions for a file the background scan analysed, also before the editor\'s didOpen arrives', async () => {
    // An editor that opens a file and asks for its fixes at once can send the request ahead of didOpen.
    const file = path.join(dir, 'src', 'other.ts');
    const other = uriOf(file);
    const p = await client.diagnostics(other, (x) => x.diagnostics.length > 0);
    const d = faultline(p.diagnostics)[0]!;
    const actions = (await client.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri: other },
      range: d.range,
      context: { diagnostics: [d], only: ['quickfix', 'source.fixAll.faultline'] },
    })) as CodeAction[];
    const fixAll = actions.find((a) => a.kind === 'source.fixAll.faultline');
    assert.ok(fixAll, `a fix-all action: ${JSON.stringify(actions.map((a) => a.title))}`);
    const preferred = actions.find((a) => a.kind === 'quickfix' && a.isPreferred);
    assert.ok(preferred, `a preferred quick fix: ${JSON.stringify(actions.map((a) => a.title))}`);
    const fixed = applyLspEdits(fs.readFileSync(file, 'utf8'), editsOf(preferred));
    assert.match(fixed.split('\n')[1]!, /fetch\('https:\/\/status\.internal\/ping', \{ signal: AbortSignal\.timeout\(10_000\) \}\)/);
    // Edits of a file the editor has not opened carry no version: they apply to the text the editor loads.
    assert.equal(((fixAll.edit?.documentChanges ?? []) as TextDocumentEdit[])[0]?.textDocument.version, null);
  });

  it('re-analyses after an incremental edit', async () => {
    // Give the fetch call a deadline: its finding goes, the axios one stays.
    const line = SERVICE.split('\n')[5]!;
    const at = line.indexOf("{ method: 'POST' }") + "{ method: 'POST'".length;
    client.change(uri, 2, [{ range: { start: { line: 5, character: at }, end: { line: 5, character: at } }, text: ', signal: AbortSignal.timeout(5000)' }]);
    const p = await client.diagnosticsFor(uri, 2);
    assert.deepEqual(faultline(p.diagnostics).map((d) => d.range.start.line), [2]);
  });

  it('publishes the latest version last when edits come in a burst', async () => {
    const text2 = SERVICE.replace("{ method: 'POST' }", "{ method: 'POST', signal: AbortSignal.timeout(5000) }");
    for (let v = 3; v <= 12; v++) client.change(uri, v, [{ text: v % 2 === 0 ? SERVICE : text2 }]);
    const p = await client.diagnosticsFor(uri, 12);
    assert.equal(faultline(p.diagnostics).length, 2);
    await new Promise((r) => setTimeout(r, 200));
    const last = client.published.filter((x) => x.uri === uri).at(-1)!;
    assert.equal(last.version, 12, 'no stale result is published after the newest one');
  });

  it('offers the fix as a preferred quick fix; applying it removes the diagnostic', async () => {
    const text = SERVICE;
    client.change(uri, 13, [{ text }]);
    const p = await client.diagnosticsFor(uri, 13);
    const d = faultline(p.diagnostics).find((x) => x.range.start.line === 5)!;
    const actions = (await client.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d], only: ['quickfix'] },
    })) as CodeAction[];
    const preferred = actions.find((a) => a.isPreferred);
    assert.ok(preferred, `a preferred fix among ${actions.map((a) => a.title).join(', ')}`);
    assert.match(preferred.title, /AbortSignal\.timeout\(10_000\)/);
    assert.ok(actions.some((a) => a.title === 'Suppress missing-timeout for this line'));
    const fixed = applyLspEdits(text, editsOf(preferred));
    assert.match(fixed.split('\n')[5]!, /\{ method: 'POST', signal: AbortSignal\.timeout\(10_000\) \}/);
    client.change(uri, 14, [{ text: fixed }]);
    const after = await client.diagnosticsFor(uri, 14);
    assert.deepEqual(faultline(after.diagnostics).map((x) => x.range.start.line), [2]);
  });

  it('suppresses a finding for one line with a reason placeholder', async () => {
    client.change(uri, 15, [{ text: SERVICE }]);
    const p = await client.diagnosticsFor(uri, 15);
    const d = faultline(p.diagnostics).find((x) => x.range.start.line === 5)!;
    const actions = (await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
    const suppress = actions.find((a) => a.title.startsWith('Suppress'))!;
    const text = applyLspEdits(SERVICE, editsOf(suppress));
    assert.equal(text.split('\n')[5], '  // faultline-disable-next-line missing-timeout -- <reason>');
    client.change(uri, 16, [{ text }]);
    const after = await client.diagnosticsFor(uri, 16);
    assert.deepEqual(faultline(after.diagnostics).map((x) => x.range.start.line), [2]);
  });

  it('fixes every problem of the file with source.fixAll.faultline when asked', async () => {
    client.change(uri, 17, [{ text: SERVICE }]);
    await client.diagnosticsFor(uri, 17);
    const invoked = (await client.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll.faultline'], triggerKind: 1 },
    })) as CodeAction[];
    assert.equal(invoked.length, 1);
    assert.equal(invoked[0]!.kind, 'source.fixAll.faultline');
    const fixed = applyLspEdits(SERVICE, editsOf(invoked[0]!));
    assert.match(fixed, /axios\.create\(\{ baseURL: 'https:\/\/payments\.internal', timeout: 10_000 \}\)/);
    client.change(uri, 18, [{ text: fixed }]);
    const after = await client.diagnosticsFor(uri, 18);
    assert.deepEqual(faultline(after.diagnostics), []);

    // On save (automatic trigger) only fixes that keep behaviour apply: adding a deadline does not.
    client.change(uri, 19, [{ text: SERVICE }]);
    await client.diagnosticsFor(uri, 19);
    const onSave = (await client.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll.faultline'], triggerKind: 2 },
    })) as CodeAction[];
    assert.deepEqual(onSave, []);
  });

  it('reports a broken faultline.config.json on the file itself and keeps going with defaults', async () => {
    const cfg = path.join(dir, 'faultline.config.json');
    fs.writeFileSync(cfg, '{\n  "rules": { "missing-timeout": "error" },\n  "defaultTimeoutMs": \n}\n');
    void client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(cfg), type: 1 }] });
    const p = await client.diagnostics(uriOf(cfg), (x) => x.diagnostics.length > 0);
    assert.match(String(p.diagnostics[0]!.message), /faultline\.config\.json: invalid JSON at line 4/);
    assert.equal(p.diagnostics[0]!.range.start.line, 3);
    client.change(uri, 20, [{ text: SERVICE }]);
    const still = await client.diagnosticsFor(uri, 20);
    assert.equal(faultline(still.diagnostics).length, 2, 'analysis goes on with defaults');

    // Mended: the config diagnostic clears and the config applies (rule off).
    fs.writeFileSync(cfg, JSON.stringify({ rules: { 'missing-timeout': 'off' } }));
    void client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(cfg), type: 2 }] });
    client.change(uri, 21, [{ text: SERVICE }]);
    const off = await client.diagnosticsFor(uri, 21);
    assert.deepEqual(faultline(off.diagnostics), []);
    await client.diagnostics(uriOf(cfg), (x) => x.diagnostics.length === 0);
    fs.rmSync(cfg);
    void client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(cfg), type: 3 }] });
  });

  it('survives a syntax error mid-typing and a binary file', async () => {
    const broken = SERVICE.replace('return res.json();', 'return res.json(;\n  if (');
    client.change(uri, 22, [{ text: broken }]);
    const p = await client.diagnosticsFor(uri, 22);
    assert.ok(faultline(p.diagnostics).length >= 1, 'findings of the parts that parse still show');
    const bin = uriOf(path.join(dir, 'src', 'blob.ts'));
    client.open(bin, 'const a = 1;\u0000\u0001\u0002 fetch("x")', 1);
    const pb = await client.diagnosticsFor(bin, 1);
    assert.deepEqual(pb.diagnostics, []);
    client.change(uri, 23, [{ text: SERVICE }]);
    const ok = await client.diagnosticsFor(uri, 23);
    assert.equal(faultline(ok.diagnostics).length, 2, 'the server still answers');
  });

  it('answers a cancelled request without dying', async () => {
    const { CancellationTokenSource } = await import('vscode-languageserver-protocol/node');
    const source = new CancellationTokenSource();
    const pending = client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 5, character: 0 }, end: { line: 5, character: 1 } }, context: { diagnostics: [] } }, source.token);
    source.cancel();
    await pending.then(
      () => undefined,
      (err: { code?: number }) => assert.equal(err.code, -32800),
    );
    client.change(uri, 24, [{ text: SERVICE }]);
    const p = await client.diagnosticsFor(uri, 24);
    assert.equal(faultline(p.diagnostics).length, 2);
  });
});

describe('language server: files that depend on an edited one', { skip: fs.existsSync(SERVER) ? false : 'dist/server.js is missing: run `npm run build`' }, () => {
  const HTTP = "export function getJson(url: string, init?: RequestInit): Promise<Response> {\n  return fetch(url, init);\n}\n";
  const BOUNDED = "export function getJson(url: string, init?: RequestInit): Promise<Response> {\n  return fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });\n}\n";
  const USE = "import { getJson } from './http.js';\n\nexport const load = () => getJson('https://orders.internal/today');\n";
  const CLOSED = "import { getJson } from './http.js';\n\nexport const ping = () => getJson('https://status.internal/ping');\n";
  let client: LspClient;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-lsp-deps-'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext' }, include: ['src'] }));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'http.ts'), HTTP);
    fs.writeFileSync(path.join(dir, 'src', 'use.ts'), USE);
    fs.writeFileSync(path.join(dir, 'src', 'closed.ts'), CLOSED);
    client = new LspClient();
    await client.initialize(dir);
  });

  after(async () => {
    await client.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('analyses the open and closed files that import an edited file again once typing pauses', async () => {
    const http = uriOf(path.join(dir, 'src', 'http.ts'));
    const use = uriOf(path.join(dir, 'src', 'use.ts'));
    const closed = uriOf(path.join(dir, 'src', 'closed.ts'));
    client.open(http, HTTP, 1);
    client.open(use, USE, 1);
    const before = await client.diagnosticsFor(use, 1);
    assert.deepEqual(faultline(before.diagnostics).map((d) => [d.code, d.range.start.line]), [['missing-timeout', 2]], 'the call passes no deadline to the wrapper');
    await client.diagnostics(closed, (p) => faultline(p.diagnostics).length === 1);
    const published = client.published.length;
    // The wrapper now sets a deadline of its own: its callers are fine.
    client.change(http, 2, [{ text: BOUNDED }]);
    await client.diagnosticsFor(http, 2);
    const fresh = (uri: string) => (p: { uri: string; diagnostics: unknown[] }) => client.published.indexOf(p as never) >= published && p.uri === uri;
    const after = await client.diagnostics(use, (p) => fresh(use)(p));
    assert.deepEqual(faultline(after.diagnostics), [], 'the open importer is analysed again');
    const closedAfter = await client.diagnostics(closed, (p) => fresh(closed)(p));
    assert.deepEqual(faultline(closedAfter.diagnostics), [], 'and so is the closed one');
  });
});
