import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Project, ts } from 'ts-morph';
import { CHECKLIST, REVIEW_GROUPS } from '../../rules/review/catalogue.ts';
import { collectEvidence, mergeOutputs, PROBES } from '../../rules/review/evidence.ts';
import { defaultAnalysisOptions } from '../../rules/types.ts';
import { evidenceOf, get, placesOf } from './helpers.ts';

/** The probes on small programs held in memory, for the libraries the example does not use. */

const at = (e: Parameters<typeof placesOf>[0], key: string) => placesOf(e, key, '/virtual');

describe('review probes', () => {
  it('opossum: a breaker around a function, what it guards, and its fallback', () => {
    const ev = evidenceOf({
      'prices.ts': `import CircuitBreaker from 'opossum';
const BASE = process.env.PRICES_URL!;
async function getPrice(id: string) {
  return fetch(\`\${BASE}/prices/\${id}\`, { signal: AbortSignal.timeout(1_000) });
}
export const breaker = new CircuitBreaker(getPrice, { timeout: 3_000, resetTimeout: 30_000 });
breaker.fallback(() => null);
`,
    });
    const b = get(ev, 'circuit-breakers');
    assert.deepEqual(at(b, 'breakers'), ['prices.ts:6']);
    assert.match(b.facts[0]!.places[0]!.label, /^opossum circuit breaker \(timeout 3_000, resetTimeout 30_000\), guarding fetch BASE$/);
    assert.equal(b.counts.unguardedDependencies, 0);
    assert.deepEqual(at(get(ev, 'fallbacks'), 'fallbacks'), ['prices.ts:7']);
  });

  it('bulkheads: cockatiel bulkhead and p-limit, with the dependencies they guard', () => {
    const ev = evidenceOf({
      'api.ts': `import { bulkhead } from 'cockatiel';
import pLimit from 'p-limit';
import axios from 'axios';
const api = axios.create({ timeout: 1_000 });
const isolation = bulkhead(10, 5);
const limit = pLimit(4);
export const a = () => isolation.execute(() => api.get('/a'));
export const b = (url: string) => limit(() => fetch(url, { signal: AbortSignal.timeout(500) }));
`,
    });
    const e = get(ev, 'bulkheads');
    assert.deepEqual(at(e, 'bulkheads'), ['api.ts:5', 'api.ts:6']);
    const labels = e.facts[0]!.places.map((p) => p.label);
    assert.deepEqual(labels, ['cockatiel bulkhead (limit 10, queue 5), guarding api (axios)', 'p-limit bulkhead (limit 4), guarding fetch url']);
    assert.equal(get(ev, 'concurrency').counts.bulkheads, 2);
  });

  it('observability: a structured logger, correlation ids in headers and logs, request context', () => {
    const ev = evidenceOf({
      'client.ts': `import pino from 'pino';
import { AsyncLocalStorage } from 'node:async_hooks';
const logger = pino();
export const context = new AsyncLocalStorage<{ requestId: string }>();
export async function call(requestId: string) {
  logger.info({ requestId }, 'calling the ledger');
  return fetch('https://ledger.internal/entries', { headers: { 'x-request-id': requestId }, signal: AbortSignal.timeout(1_000) });
}
`,
    });
    assert.equal(get(ev, 'logging').counts.loggerImports, 1);
    const c = get(ev, 'correlation');
    assert.equal(c.counts.outboundWithId, 1);
    assert.equal(c.counts.logCallsWithId, 1);
    assert.equal(c.counts.context, 1);
    assert.match(c.summary, /^Correlation id in 1 of 1 outbound call .* and 1 of 1 log call/);
  });

  it('health: a readiness check that queries the database, a liveness check that checks nothing; pool limits left at defaults', () => {
    const ev = evidenceOf({
      'app.ts': `import express from 'express';
import { Pool } from 'pg';
const pool = new Pool({ connectionTimeoutMillis: 1_000, statement_timeout: 2_000 });
const app = express();
app.get('/readyz', async (_req, res) => {
  await pool.query('select 1');
  res.send('ok');
});
app.get('/livez', (_req, res) => res.send('ok'));
`,
    });
    const h = get(ev, 'health-endpoints');
    assert.deepEqual(at(h, 'checking'), ['app.ts:5']);
    assert.deepEqual(at(h, 'static'), ['app.ts:9']);
    assert.match(h.facts[0]!.places[0]!.label, /GET \/readyz, checks pool \(pg\)/);
    assert.deepEqual(at(get(ev, 'concurrency'), 'defaults'), ['app.ts:3']);
  });

  it('queues: kafkajs and amqplib consumers, and a dead-letter exchange', () => {
    const ev = evidenceOf({
      'consumers.ts': `import { Kafka } from 'kafkajs';
import amqp from 'amqplib';
const kafka = new Kafka({ brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'orders' });
export async function run() {
  await consumer.run({ eachMessage: async ({ message }) => { console.log(String(message.value)); } });
  const conn = await amqp.connect('amqp://rabbit');
  const channel = await conn.createChannel();
  await channel.assertQueue('jobs', { arguments: { 'x-dead-letter-exchange': 'jobs.dlx' } });
  await channel.consume('jobs', (msg) => { if (msg) channel.ack(msg); });
}
`,
    });
    const h = get(ev, 'queue-handlers');
    assert.deepEqual(at(h, 'handlers').length ? at(h, 'handlers') : [...at(h, 'others'), ...at(h, 'unsafe')].sort(), ['consumers.ts:10', 'consumers.ts:6']);
    assert.deepEqual(at(get(ev, 'dead-letter'), 'configured'), ['consumers.ts:9']);
    assert.equal(get(ev, 'queues').counts.consumers, 2);
  });

  it('says which rules are missing instead of counting nothing', () => {
    const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { target: ts.ScriptTarget.ES2022 }, skipLoadingLibFiles: true });
    const sf = project.createSourceFile(path.posix.join('/virtual', 'a.ts'), `export const x = () => fetch('https://a');\n`);
    const ev = collectEvidence([{ project, files: [sf], options: defaultAnalysisOptions(), root: '/virtual' }], []);
    assert.match(get(ev, 'retry-backoff').summary, /^Not counted: the retry-without-backoff rule is not available/);
    assert.equal(get(ev, 'retry-backoff').automatic, undefined);
    // The outbound inventory is missing-timeout's analysis, which runs without the rule being registered; only its findings are missing.
    assert.equal(get(ev, 'outbound-deadlines').counts.calls, 1);
  });

  it('merges the evidence of several projects', () => {
    const merged = mergeOutputs([
      { counts: { calls: 2 }, facts: [{ key: 'k', label: 'K', places: [{ file: '/b.ts', start: 5, end: 6, startPos: { line: 1, column: 6 }, endPos: { line: 1, column: 7 }, label: 'b' }] }], notes: ['n'] },
      { counts: { calls: 3 }, facts: [{ key: 'k', label: 'K', places: [{ file: '/a.ts', start: 1, end: 2, startPos: { line: 1, column: 2 }, endPos: { line: 1, column: 3 }, label: 'a' }] }], notes: ['n'] },
    ]);
    assert.deepEqual(merged.counts, { calls: 5 });
    assert.deepEqual(merged.facts[0]!.places.map((p) => p.label), ['a', 'b']);
    assert.deepEqual(merged.notes, ['n']);
  });
});

describe('the checklist catalogue', () => {
  it('has unique ids, known groups, a question and a why for every item', () => {
    const ids = CHECKLIST.map((i) => i.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const item of CHECKLIST) {
      assert.ok(REVIEW_GROUPS.some((g) => g.id === item.group), item.id);
      assert.ok(item.id.startsWith(`${item.group}.`) || item.id.split('.')[0] === item.group, `${item.id} is named after its group`);
      assert.ok(item.question.endsWith('?'), `${item.id}: a question`);
      assert.ok(item.why.length > 20 && !item.why.includes('\n'), `${item.id}: a short why`);
    }
  });

  it('covers every concern of the issue, and every evidence id has a probe', () => {
    assert.deepEqual(
      REVIEW_GROUPS.map((g) => g.id),
      ['requirements', 'timeouts', 'retries', 'idempotency', 'circuit-breakers', 'bulkheads', 'health-checks', 'degradation', 'caching', 'queues', 'observability', 'chaos'],
    );
    for (const g of REVIEW_GROUPS) assert.ok(CHECKLIST.some((i) => i.group === g.id), g.id);
    const probes = new Set(PROBES.map((p) => p.id));
    for (const item of CHECKLIST) if (item.evidence) assert.ok(probes.has(item.evidence), `${item.id}: no probe for ${item.evidence}`);
    assert.equal(probes.size, PROBES.length, 'one probe per evidence id');
  });
});
