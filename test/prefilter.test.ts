/**
 * The text prefilters that decide which files the CLI parses. A file left
 * out is a finding lost, so the tests check both directions: what must be
 * kept, and that ordinary code is left out (else the prefilter saves nothing).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { selectFilesToParse, specifierResolver, textImports, type Prefilter } from '../rules/core/prefilter.ts';
import { closeOf, mayHoldRetry } from '../rules/core/retry/prefilter.ts';
import { lint } from '../rules/engine.ts';
import { defaultAnalysisOptions } from '../rules/types.ts';

describe('closeOf: bracket matching over TypeScript text', () => {
  const close = (text: string): string => text.slice(0, closeOf(text, 0));
  it('skips brackets in strings, templates, comments and regular expressions', () => {
    assert.equal(close("{ a('}'); b(\"{\"); }; rest"), "{ a('}'); b(\"{\"); }");
    assert.equal(close('{ const t = `x ${ {a: 1}.a } }`; } rest'), '{ const t = `x ${ {a: 1}.a } }`; }');
    assert.equal(close('{ // }\n /* } */ x(); } rest'), '{ // }\n /* } */ x(); }');
    assert.equal(close('{ const re = /[}]/g; if (a / b) {} } rest'), '{ const re = /[}]/g; if (a / b) {} }');
    assert.equal(close('( a, (b), [c] ) rest'), '( a, (b), [c] )');
  });
  it('says -1 when the text ends first or the brackets do not pair', () => {
    assert.equal(closeOf('{ a(', 0), -1);
    assert.equal(closeOf('{ a) }', 0), -1);
    assert.equal(closeOf("{ 'unterminated }", 0), -1);
  });
});

describe('mayHoldRetry: the retry rules\' text test', () => {
  it('keeps loops whose body holds a catch or a failure check', () => {
    assert.equal(mayHoldRetry('for (let i = 0; i < 3; i++) {\n  try { return await op(); } catch (e) { last = e; }\n}'), true);
    assert.equal(mayHoldRetry('while (true) {\n  const res = await fetch(url);\n  if (!res.ok) continue;\n  return res;\n}'), true);
    assert.equal(mayHoldRetry("do { const s = '}'; try { res = await op(s); } catch { res = undefined; } } while (!res);"), true);
    assert.equal(mayHoldRetry('for (const x of xs) if (x.error) await again(x);'), true);
  });
  it('keeps functions that call themselves from a failure path', () => {
    assert.equal(mayHoldRetry('async function load(n: number): Promise<string> {\n  try { return await get(); } catch { return load(n - 1); }\n}'), true);
    assert.equal(mayHoldRetry('function poll() { return op().catch(() => poll()); }'), true);
    assert.equal(mayHoldRetry('const tick = () => op().then(done, () => setTimeout(tick, 500));'), true);
    assert.equal(mayHoldRetry('class C {\n  async send(m: string) {\n    const res = await post(m);\n    if (res.ok) return res;\n    else return this.send(m);\n  }\n}'), true);
  });
  it('keeps what it cannot read', () => {
    assert.equal(mayHoldRetry('for (const x of xs) { if (x) { '), true);
    // A loop body without braces is read 400 characters far: an if cut off there leaves the rest unknown.
    const noisy = "      console.log('a fairly long diagnostic line that is here only to make this block long enough');\n".repeat(5);
    assert.equal(mayHoldRetry(`for (let i = 0; i < 3; i++)\n  try {\n    if (verbose) {\n${noisy}    }\n    return await fetchThing();\n  } catch (e) {\n    console.log(e);\n  }`), true);
  });
  it('takes a dot ending a comment, or a spread, for no receiver', () => {
    assert.equal(mayHoldRetry("export function poll(id: string, attempt = 0): void {\n  fetchStatus(id).catch((err) => {\n    console.error('status failed', err);\n    // Try again.\n    poll(id, attempt + 1);\n  });\n}"), true);
    assert.equal(mayHoldRetry('export function loadAll(attempt = 0): string[] {\n  try {\n    return readItems();\n  } catch (err) {\n    if (attempt > 3) throw err;\n    return [...loadAll(attempt + 1)];\n  }\n}'), true);
    // Through another receiver it is no call to itself.
    assert.equal(mayHoldRetry("class S {\n  warn(m: string) { return m; }\n  async run() {\n    try { await op(); } catch (e) { this.logger.warn('x'); }\n  }\n}"), false);
  });
  it('leaves out loops and recursion without a failure path, and catches outside loops', () => {
    assert.equal(mayHoldRetry('export function total(o: { items: string[] }): number {\n  let sum = 0;\n  for (const item of o.items) sum += item.length;\n  return sum;\n}'), false);
    assert.equal(mayHoldRetry("export async function get(id: string) {\n  try { return await db.find(id); } catch (e) { throw new Error('x', { cause: e }); }\n}\nexport function names(xs: string[]) { for (const x of xs) { if (x.length) out.push(x); } }"), false);
    assert.equal(mayHoldRetry('function walk(n: Node): void {\n  visit(n);\n  for (const c of n.children) walk(c);\n}'), false);
    assert.equal(mayHoldRetry("function f(q: Query) {\n  if (q.status) { where.push('status'); }\n  return f2(q);\n}\nfunction f2(q: Query) { return q; }"), false);
  });
});

describe('textImports: specifiers and whether they bring types only', () => {
  const typeOnly = (text: string): boolean[] => textImports(text).map((i) => i.typeOnly);
  it('reads import type, inline type bindings and type re-exports as types only', () => {
    assert.deepEqual(typeOnly("import type { A } from './a';"), [true]);
    assert.deepEqual(typeOnly("import type * as ns from './a';"), [true]);
    assert.deepEqual(typeOnly("import type A from './a';"), [true]);
    assert.deepEqual(typeOnly("import {\n  type A,\n  type B as C,\n} from './a';"), [true]);
    assert.deepEqual(typeOnly("export type { A } from './a';"), [true]);
    assert.deepEqual(typeOnly("export { type A } from './a';"), [true]);
  });
  it('reads anything with a value, or that it cannot read, as a value import', () => {
    assert.deepEqual(typeOnly("import { type A, b } from './a';"), [false]);
    assert.deepEqual(typeOnly("import type from './a';"), [false]); // a default import named `type`
    assert.deepEqual(typeOnly("import A, { type B } from './a';"), [false]);
    assert.deepEqual(typeOnly("import './a';"), [false]);
    assert.deepEqual(typeOnly("const m = await import('./a');"), [false]);
    assert.deepEqual(typeOnly("const m = require('./a');"), [false]);
    assert.deepEqual(typeOnly("export * from './a';"), [false]);
    assert.deepEqual(typeOnly("import { type A, // the order\n type B } from './a';"), [false]);
  });
});

describe('selectFilesToParse', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-prefilter-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (files: Record<string, string>): string[] =>
    Object.entries(files).map(([name, text]) => {
      const file = path.join(root, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      return file;
    });
  const rel = (set: Set<string>): string[] => [...set].map((f) => path.relative(root, f).split(path.sep).join('/')).sort();

  it('follows relative imports, tsconfig path aliases and re-exporting indexes, to the depth asked', () => {
    const files = write({
      'src/worker.ts': "import { Worker } from 'bullmq';\nimport { place } from './services/index.js';\n",
      'src/services/index.ts': "export { place } from './orders.js';\n",
      'src/services/orders.ts': "import { save } from '@app/repo/orders.js';\n",
      'src/repo/orders.ts': "import { insert } from '../db/query.js';\n",
      'src/db/query.ts': "import { pool } from './pool.js';\n",
      'src/db/pool.ts': "import pg from 'pg';\n",
      'src/unrelated.ts': 'export const x = 1;\n',
      'src/main.ts': "import { worker } from './worker.js';\n",
    });
    const resolve = specifierResolver({ baseUrl: root, paths: { '@app/*': ['src/*'] } }, root, new Set(files));
    const test = (importDepth: number): Prefilter => ({ module: (m) => m === 'bullmq', words: [], importDepth });
    assert.deepEqual(rel(selectFilesToParse(files, [test(2)], resolve).selected), ['src/main.ts', 'src/repo/orders.ts', 'src/services/index.ts', 'src/services/orders.ts', 'src/worker.ts']);
    assert.deepEqual(rel(selectFilesToParse(files, [test(9)], resolve).selected), ['src/db/pool.ts', 'src/db/query.ts', 'src/main.ts', 'src/repo/orders.ts', 'src/services/index.ts', 'src/services/orders.ts', 'src/worker.ts']);
  });

  it('passes relevance to importers only from files a module made direct, when asked', () => {
    const files = write({
      'q/queue.ts': "import { Queue } from 'bullmq';\nexport const q = new Queue('x');\n",
      'q/jobs.ts': "import { q } from './queue.js';\n",
      'q/retry.ts': "import { sleep } from './sleep.js';\nexport async function run() { for (;;) { try { return await op(); } catch { await sleep(100); } } }\n",
      'q/sleep.ts': 'export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));\n',
      'q/caller.ts': "import { run } from './retry.js';\n",
    }).filter((f) => f.includes(`${path.sep}q${path.sep}`));
    const test: Prefilter = { module: (m) => m === 'bullmq', words: [], text: mayHoldRetry, importersOf: 'module' };
    assert.deepEqual(rel(selectFilesToParse(files, [test]).selected), ['q/jobs.ts', 'q/queue.ts', 'q/retry.ts', 'q/sleep.ts']);
  });

  it('links files through values only, when the rule follows no types', () => {
    const files = write({
      't/client.ts': "import axios from 'axios';\nexport const api = axios.create();\nexport interface Api { get(): void }\n",
      't/types-only.ts': "import type { Api } from './client.js';\nexport function use(a: Api) { a.get(); }\n",
      't/inline-types.ts': "import { type Api } from './client.js';\n",
      't/reexported-type.ts': "export type { Api } from './client.js';\n",
      't/value.ts': "import { api, type Api } from './client.js';\nexport const x: Api = api;\n",
      't/side-effect.ts': "import './client.js';\n",
      't/dto.ts': 'export interface Order { id: string }\n',
      't/config.ts': 'export const timeoutMs = 5000;\n',
      't/direct.ts': "import got from 'got';\nimport type { Order } from './dto.js';\nimport { timeoutMs } from './config.js';\n",
    }).filter((f) => f.includes(`${path.sep}t${path.sep}`));
    const test: Prefilter = { module: (m) => m === 'axios' || m === 'got', words: [], valueImportsOnly: true };
    assert.deepEqual(rel(selectFilesToParse(files, [test]).selected), ['t/client.ts', 't/config.ts', 't/direct.ts', 't/side-effect.ts', 't/value.ts']);
    // Without the flag, a type import links as an import does.
    assert.equal(selectFilesToParse(files, [{ ...test, valueImportsOnly: false }]).selected.size, files.length);
  });

  it('links a type import only to a file that may declare or pass on a class, when asked', () => {
    const files = write({
      'c/worker.ts': "import { Worker } from 'bullmq';\nimport type { Repo } from './repo.js';\nimport type { Job } from './dto.js';\nimport type { Other } from './index.js';\n",
      'c/repo.ts': 'export class Repo { insert() {} }\n',
      'c/dto.ts': 'export interface Job { id: string }\n',
      'c/index.ts': "export { Other } from './other.js';\n",
      'c/other.ts': 'export class Other {}\n',
    }).filter((f) => f.includes(`${path.sep}c${path.sep}`));
    const test: Prefilter = { module: (m) => m === 'bullmq', words: [], importDepth: 2, typeImportsOfClassesOnly: true };
    assert.deepEqual(rel(selectFilesToParse(files, [test]).selected), ['c/index.ts', 'c/other.ts', 'c/repo.ts', 'c/worker.ts']);
  });

  it('passes relevance through a re-exporting index whatever comments its export list holds', () => {
    const files = write({
      'r/client.ts': "import axios from 'axios';\nexport const api = axios.create();\n",
      'r/index.ts': "export {\n  // import this, not ./client.js, from the rest of the app\n  api,\n} from './client.js';\n",
      'r/app.ts': "import { api } from './index.js';\nexport const load = () => api.get('/x');\n",
    }).filter((f) => f.includes(`${path.sep}r${path.sep}`));
    const test: Prefilter = { module: (m) => m === 'axios', words: [], importDepth: 0 };
    assert.deepEqual(rel(selectFilesToParse(files, [test]).selected), ['r/app.ts', 'r/client.ts', 'r/index.ts']);
  });

  it('keeps processor files that a direct file names by path', () => {
    const files = write({
      'p/start.ts': "import { Worker } from 'bullmq';\nimport * as path from 'node:path';\nnew Worker('q', path.join(__dirname, 'processor.js'));\n",
      'p/processor.ts': 'export default async function (job: unknown) { return job; }\n',
      'p/other.ts': 'export const y = 2;\n',
    }).filter((f) => f.includes(`${path.sep}p${path.sep}`));
    const test: Prefilter = { module: (m) => m === 'bullmq', words: [], namesFiles: true };
    assert.deepEqual(rel(selectFilesToParse(files, [test]).selected), ['p/processor.ts', 'p/start.ts']);
  });

  it('does not take an import specifier for a processor path: imports are parsed when reached', () => {
    const files = write({
      'n/start.ts': "import { Worker } from 'bullmq';\nimport { save } from './repo.js';\nconst dto = require('./dto.js');\nnew Worker('q', './processor.js');\n",
      'n/processor.ts': 'export default async function (job: unknown) { return job; }\n',
      'n/repo.ts': 'export const save = () => 1;\n',
      'n/dto.ts': 'export const dto = 1;\n',
    }).filter((f) => f.includes(`${path.sep}n${path.sep}`));
    const test: Prefilter = { module: (m) => m === 'bullmq', words: [], namesFiles: true };
    assert.deepEqual(rel(selectFilesToParse(files, [test], undefined, false).selected), ['n/processor.ts', 'n/start.ts']);
  });
});

describe('the handler rule alone, parsing files on first use, finds what parsing every file finds', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-handler-lazy-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const project = (name: string, files: Record<string, string>): string => {
    const dir = path.join(root, name);
    const all: Record<string, string> = {
      'package.json': '{ "name": "svc", "dependencies": { "bullmq": "*", "pg": "*" } }\n',
      'tsconfig.json': '{ "compilerOptions": { "strict": true, "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022" }, "include": ["src"] }\n',
      ...files,
    };
    for (const [file, text] of Object.entries(all)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    return dir;
  };
  const handlerOnlyOptions = () => {
    const options = defaultAnalysisOptions();
    options.rules = { 'missing-timeout': 'off', 'retry-without-backoff': 'off', 'unbounded-retry': 'off' };
    return options;
  };
  const handlerOnly = (dir: string, parseAll = false) =>
    lint({ paths: [dir], cwd: dir, options: handlerOnlyOptions(), parseAll }).findings.filter((f) => f.ruleId === 'non-idempotent-handler');

  it('follows a handler into the classes it is typed with, and leaves files of interfaces unparsed', () => {
    const dir = project('interfaces', {
      'src/worker.ts': [
        "import { Worker, type Job } from 'bullmq';",
        "import type { CreateOrder } from './order.dto.js';",
        "import type { OrdersService } from './orders.service.js';",
        '',
        'export function start(service: OrdersService): Worker {',
        "  return new Worker<CreateOrder>('orders', async (job: Job<CreateOrder>) => {",
        '    await service.create(job.data);',
        '  });',
        '}',
        '',
      ].join('\n'),
      'src/orders.service.ts': [
        "import type { CreateOrder, Order } from './order.dto.js';",
        "import type { OrdersRepository } from './orders.repository.js';",
        '',
        'export class OrdersService {',
        '  constructor(private readonly repo: OrdersRepository) {}',
        '  create(input: CreateOrder): Promise<Order> {',
        '    return this.repo.insert(input);',
        '  }',
        '}',
        '',
      ].join('\n'),
      'src/orders.repository.ts': [
        "import type { Pool } from 'pg';",
        "import type { CreateOrder, Order } from './order.dto.js';",
        '',
        'export class OrdersRepository {',
        '  constructor(private readonly pool: Pool) {}',
        '  async insert(input: CreateOrder): Promise<Order> {',
        "    const res = await this.pool.query('INSERT INTO orders (sku) VALUES ($1) RETURNING id, sku', [input.sku]);",
        '    return res.rows[0];',
        '  }',
        '}',
        '',
      ].join('\n'),
      'src/order.dto.ts': 'export interface CreateOrder {\n  sku: string;\n}\n\nexport interface Order extends CreateOrder {\n  id: string;\n}\n',
    });
    const options = handlerOnlyOptions();
    const result = lint({ paths: [dir], cwd: dir, options });
    const handler = result.findings.filter((f) => f.ruleId === 'non-idempotent-handler');
    assert.equal(handler.length, 1, JSON.stringify(result.findings, null, 2));
    // Reached through the service's typed member: the insert two calls deep.
    assert.deepEqual(handler[0]!.related?.map((r) => path.basename(r.file)), ['orders.repository.ts']);
    assert.ok(handler[0]!.fixes?.some((f) => f.edits.some((e) => e.file.endsWith('idempotency.ts'))), 'the guard fix creates the helper');
    // worker.ts up front; the service and the repository when the analysis follows them. The DTO file holds
    // interfaces only: neither following a type nor planning the fix's import needs it parsed.
    assert.equal(result.timing?.parsedFiles, 3);
    const all = lint({ paths: [dir], cwd: dir, options, parseAll: true });
    assert.deepEqual(all.findings, result.findings);
  });

  it('follows a typed member to a class passed on by an exported variable', () => {
    const dir = project('alias', {
      'src/worker.ts': "import { Worker, type Job } from 'bullmq';\nimport type { OrdersService } from './orders.service.js';\n\nexport function start(service: OrdersService): Worker {\n  return new Worker('orders', async (job: Job<{ sku: string }>) => {\n    await service.create(job.data.sku);\n  });\n}\n",
      'src/orders.service.ts': "import type { OrdersRepository } from './repository.js';\n\nexport class OrdersService {\n  constructor(private readonly repo: OrdersRepository) {}\n  create(sku: string): Promise<void> {\n    return this.repo.insert(sku);\n  }\n}\n",
      'src/repository.ts': "import { PgOrdersRepository } from './pg-orders.repository.js';\n\n// The repository the app uses.\nexport const OrdersRepository = PgOrdersRepository;\nexport type OrdersRepository = PgOrdersRepository;\n",
      'src/pg-orders.repository.ts': "import type { Pool } from 'pg';\n\nexport class PgOrdersRepository {\n  constructor(private readonly pool: Pool) {}\n  async insert(sku: string): Promise<void> {\n    await this.pool.query('INSERT INTO orders (sku) VALUES ($1)', [sku]);\n  }\n}\n",
    });
    const found = handlerOnly(dir);
    assert.equal(found.length, 1, JSON.stringify(found, null, 2));
    assert.deepEqual(found, handlerOnly(dir, true));
  });

  it('reports each handler of a cycle of calls, whichever is analysed first', () => {
    const dir = project('cycle', {
      'src/w.ts': "import { Worker } from 'bullmq';\nimport pg from 'pg';\n\nconst pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5_000, statement_timeout: 10_000 });\n\nasync function saveTree(id: string, n: number): Promise<void> {\n  await pool.query('INSERT INTO nodes (id) VALUES ($1)', [id]);\n  if (n > 0) await saveChildren(id, n - 1);\n}\n\nasync function saveChildren(id: string, n: number): Promise<void> {\n  for (const child of [id + 'a', id + 'b']) await saveTree(child, n);\n}\n\nexport const w1 = new Worker('trees', async (job) => {\n  await saveTree(job.data.id, 3);\n}, { connection: { host: 'localhost', port: 6379 } });\n\nexport const w2 = new Worker('children', async (job) => {\n  await saveChildren(job.data.id, 3);\n}, { connection: { host: 'localhost', port: 6379 } });\n",
    });
    const found = handlerOnly(dir);
    assert.equal(found.length, 2, JSON.stringify(found, null, 2));
    assert.ok(found.every((f) => f.related?.some((r) => /INSERT INTO nodes/.test(fs.readFileSync(r.file, 'utf8').slice(r.start, r.end)))), JSON.stringify(found, null, 2));
  });
});
