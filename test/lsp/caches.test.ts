import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { faultline, LspClient, SERVER, uriOf } from '../helpers/lsp.ts';

/**
 * The language server keeps facts across keystrokes (the file list, the
 * import graph, per-file facts, the wrappers of the edited file): these
 * tests edit one file and check that what another file's analysis sees
 * follows.
 */

const WRAPPER = `export async function getJson(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, init);
  return res.json();
}
`;
const WRAPPER_BOUNDED = WRAPPER.replace('fetch(url, init)', 'fetch(url, { ...init, signal: AbortSignal.timeout(5000) })');
const CALLER = `import { getJson } from './http';

export async function order(id: string): Promise<unknown> {
  return getJson(\`https://orders.internal/\${id}\`);
}
`;
const CLIENT = `import axios from 'axios';

export const api = axios.create({ baseURL: 'https://api.internal' });
`;
const USER_ONE = `import { api } from './client';

export async function one(): Promise<unknown> {
  return api.get('/one');
}
`;
const USER_TWO = USER_ONE.replace("return api.get('/one');", "await api.get('/two');\n  return api.get('/one');");
const USER_NONE = `export async function one(): Promise<unknown> {
  return 1;
}
`;

describe('language server caches across files', { skip: fs.existsSync(SERVER) ? false : 'dist/server.js is missing: run `npm run build`' }, () => {
  let client: LspClient;
  let dir: string;
  const file = (name: string): string => path.join(dir, 'src', name);
  const versions = new Map<string, number>();
  /** Sends the whole text as a new version and waits for its diagnostics. */
  const edit = async (name: string, text: string) => {
    const uri = uriOf(file(name));
    const v = (versions.get(uri) ?? 1) + 1;
    versions.set(uri, v);
    client.change(uri, v, [{ text }]);
    return faultline((await client.diagnosticsFor(uri, v)).diagnostics);
  };
  const open = async (name: string, text: string) => {
    const uri = uriOf(file(name));
    versions.set(uri, 1);
    client.open(uri, text, 1);
    return faultline((await client.diagnosticsFor(uri, 1)).diagnostics);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-lsp-caches-'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext' }, include: ['src'] }));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(file('http.ts'), WRAPPER);
    fs.writeFileSync(file('orders.ts'), CALLER);
    fs.writeFileSync(file('client.ts'), CLIENT);
    // On disk the importing file does not import the client yet: the import graph is first built without the edge.
    fs.writeFileSync(file('use.ts'), USER_NONE);
    client = new LspClient();
    await client.initialize(dir);
  });

  after(async () => {
    await client.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a wrapper edited in one open file changes the findings of its callers in another', async () => {
    await open('http.ts', WRAPPER);
    const before = await open('orders.ts', CALLER);
    assert.deepEqual(before.map((d) => [d.range.start.line, String(d.message).startsWith('`getJson` passes its `signal`')]), [[3, true]]);

    // The wrapper now sets its own deadline: its callers need none.
    assert.deepEqual(await edit('http.ts', WRAPPER_BOUNDED), []);
    assert.deepEqual(await edit('orders.ts', CALLER), []);

    // And back.
    assert.deepEqual(await edit('http.ts', WRAPPER), []);
    assert.deepEqual((await edit('orders.ts', CALLER)).map((d) => d.range.start.line), [3]);
  });

  it('calls added or removed in an importing file change the related locations of a client made in another', async () => {
    // The importing file starts without the import: the import graph must learn of it from the edit.
    await open('use.ts', USER_NONE);
    const none = await open('client.ts', CLIENT);
    assert.equal(none.length, 1);
    assert.match(String(none[0]!.message), /Every call through it inherits none/);

    await edit('use.ts', USER_ONE);
    const first = await edit('client.ts', CLIENT);
    assert.match(String(first[0]!.message), /Its 1 call inherits none/);
    assert.deepEqual(first[0]!.relatedInformation?.map((r) => [path.basename(r.location.uri), r.location.range.start.line]), [['use.ts', 3]]);

    // A second call through the client in the importing file.
    await edit('use.ts', USER_TWO);
    const two = await edit('client.ts', CLIENT);
    assert.match(String(two[0]!.message), /Its 2 calls inherit none/);
    assert.deepEqual(two[0]!.relatedInformation?.map((r) => [path.basename(r.location.uri), r.location.range.start.line]), [['use.ts', 3], ['use.ts', 4]]);

    // The importing file no longer imports the client.
    await edit('use.ts', USER_NONE);
    const gone = await edit('client.ts', CLIENT);
    assert.match(String(gone[0]!.message), /Every call through it inherits none/);
    assert.deepEqual(gone[0]!.relatedInformation ?? [], []);
  });

  it('a file that vanishes from the project or comes back is seen by the files that import it', async () => {
    const caller = `${CALLER}
export async function ping(): Promise<Response> {
  return fetch('https://status.internal/ping');
}
`;
    assert.deepEqual((await edit('orders.ts', caller)).map((d) => d.range.start.line), [3, 7]);

    // Deleted on disk while open, then closed: the server drops it from the project (no file event says so).
    fs.rmSync(file('http.ts'));
    void client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(file('http.ts')), type: 3 }] });
    void client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: uriOf(file('http.ts')) } });
    assert.deepEqual((await edit('orders.ts', caller)).map((d) => d.range.start.line), [7], 'the import resolves to nothing: no wrapper to judge');

    fs.writeFileSync(file('http.ts'), WRAPPER);
    void client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(file('http.ts')), type: 1 }] });
    assert.deepEqual((await edit('orders.ts', caller)).map((d) => d.range.start.line), [3, 7]);
  });
});
