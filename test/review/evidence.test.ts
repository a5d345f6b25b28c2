import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allRules } from '../../rules/index.ts';
import { exampleEvidence, get, placesOf } from './helpers.ts';

/**
 * The design review's evidence on examples/orders-service. Each expected
 * place was read off the fixture's sources (and its README's tables of
 * intended findings), not off the output.
 */

const has = (id: string) => allRules.some((r) => r.id === id);

describe('evidence on the example service', () => {
  const ev = exampleEvidence();

  it('counts outbound calls and those without a deadline (missing-timeout T1–T6)', () => {
    const e = get(ev, 'outbound-deadlines');
    assert.deepEqual(placesOf(e, 'unbounded-calls'), [
      'src/clients/pricing.ts:26', // T4: fetchJson without init
      'src/db/orders-repository.ts:83', // T5: pool.query ×4 and pool.connect
      'src/db/orders-repository.ts:88',
      'src/db/orders-repository.ts:96',
      'src/db/orders-repository.ts:100',
      'src/db/pool.ts:16',
      'src/events/sqs-publisher.ts:19', // T6: the send through the unbounded SQS client
      'src/http/catalog-routes.ts:11', // T1: calls through inventoryApi
      'src/http/orders-routes.ts:37',
      'src/notifications/webhooks.ts:25', // T2
      'src/notifications/webhooks.ts:38', // T3: `timeout` ignored by fetch
      'src/workers/charge-worker.ts:40',
    ]);
    assert.deepEqual(placesOf(e, 'unbounded-clients'), ['src/clients/inventory.ts:23', 'src/db/pool.ts:4', 'src/events/sqs-publisher.ts:6']);
    assert.deepEqual(placesOf(e, 'bounded-calls'), [
      'src/clients/payments.ts:60', // AbortSignal.timeout
      'src/clients/pricing.ts:30', // wrapper called with a signal
      'src/clients/shipping.ts:47', // through shippingApi (timeout: 4_000)
      'src/clients/shipping.ts:57',
      'src/db/reporting.ts:26', // through reportingPool (connectionTimeoutMillis, statement_timeout)
      'src/notifications/webhooks.ts:54', // controller aborted by a timer
    ]);
    assert.deepEqual(placesOf(e, 'forwarders'), ['src/lib/http.ts:14']);
    // Bounded or exempt clients the rule leaves out of its inventory: never counted as without a deadline.
    const notUnbounded = [...placesOf(e, 'bounded-clients'), ...placesOf(e, 'unjudged')];
    for (const p of ['src/db/reporting.ts:5', 'src/clients/shipping.ts:21', 'src/events/restock-consumer.ts:7', 'src/queue/connection.ts:5']) assert.ok(notUnbounded.includes(p), p);
    assert.equal(e.counts.calls, 20);
    assert.equal(e.counts.unboundedCalls, 12);
    assert.equal(e.counts.clients, 7);
    assert.equal(e.counts.unboundedClients, 3);
    assert.equal(e.counts.findings, 6);
    assert.match(e.summary, /^20 outbound calls, 12 without a deadline/);
    assert.equal(e.automatic?.status, 'not-met');
  });

  it('finds the inbound server timeouts', () => {
    assert.deepEqual(placesOf(get(ev, 'inbound-timeouts'), 'inbound'), ['src/server.ts:20', 'src/server.ts:21']);
  });

  it('counts retries without backoff from retry-without-backoff (R1, R2)', { skip: has('retry-without-backoff') ? false : 'the retry-without-backoff rule has not landed' }, () => {
    const e = get(ev, 'retry-backoff');
    assert.deepEqual(placesOf(e, 'findings'), ['src/lib/retry.ts:12', 'src/queue/orders-queue.ts:25']);
    assert.equal(e.automatic?.status, 'not-met');
  });

  it('lists the retry mechanisms and which retry every error', () => {
    const e = get(ev, 'retry-policies');
    assert.deepEqual(placesOf(e, 'filtered'), ['src/clients/shipping.ts:33', 'src/lib/backoff.ts:11']);
    assert.deepEqual(placesOf(e, 'everything'), ['src/lib/retry.ts:3', 'src/queue/orders-queue.ts:25']);
  });

  it('finds the two queue handlers (R3: the charge worker is unsafe to repeat; the restock handler is idempotent)', () => {
    const e = get(ev, 'queue-handlers');
    assert.equal(e.counts.handlers, 2);
    if (!has('non-idempotent-handler')) {
      assert.deepEqual(placesOf(e, 'handlers'), ['src/events/restock-consumer.ts:46', 'src/workers/charge-worker.ts:17']);
      assert.match(e.notes.join(' '), /non-idempotent-handler rule is not available/);
      assert.equal(e.automatic, undefined);
    } else {
      assert.deepEqual(placesOf(e, 'unsafe'), ['src/workers/charge-worker.ts:17']);
      assert.deepEqual(placesOf(e, 'others'), ['src/events/restock-consumer.ts:46']);
      assert.match(e.summary, /^2 queue handlers, 1 unsafe to repeat/);
      assert.equal(e.automatic?.status, 'not-met');
    }
  });

  it('finds the cockatiel circuit breaker and the dependency it guards', () => {
    const e = get(ev, 'circuit-breakers');
    assert.deepEqual(placesOf(e, 'breakers'), ['src/clients/shipping.ts:38']);
    assert.match(e.facts[0]!.places[0]!.label, /cockatiel circuit breaker .*guarding shippingApi \(axios\)$/);
    assert.equal(e.counts.guardedDependencies, 1);
    assert.ok(placesOf(e, 'unguarded').includes('src/clients/inventory.ts:23'));
    assert.ok(!placesOf(e, 'unguarded').includes('src/clients/shipping.ts:21'));
  });

  it('finds no bulkhead, and the pool and worker limits', () => {
    assert.equal(get(ev, 'bulkheads').counts.bulkheads, 0);
    const c = get(ev, 'concurrency');
    assert.deepEqual(placesOf(c, 'set'), ['src/db/pool.ts:6', 'src/db/reporting.ts:7', 'src/workers/charge-worker.ts:44']);
    assert.deepEqual(placesOf(c, 'defaults'), []);
  });

  it('finds the health endpoint and that it checks nothing', () => {
    const e = get(ev, 'health-endpoints');
    assert.deepEqual(placesOf(e, 'static'), ['src/server.ts:15']);
    assert.equal(e.counts.checkingDependencies, 0);
  });

  it('finds the SIGTERM handler that drains', () => {
    const e = get(ev, 'shutdown');
    assert.deepEqual(placesOf(e, 'handlers'), ['src/server.ts:50']);
    assert.match(e.summary, /stops or closes/);
  });

  it('counts POST calls and the one idempotency key', () => {
    const e = get(ev, 'idempotency-keys');
    assert.deepEqual(placesOf(e, 'with-key'), ['src/clients/shipping.ts:47']);
    assert.deepEqual(placesOf(e, 'without-key'), [
      'src/clients/payments.ts:60',
      'src/clients/pricing.ts:30',
      'src/http/orders-routes.ts:37',
      'src/notifications/webhooks.ts:25',
      'src/notifications/webhooks.ts:38',
      'src/notifications/webhooks.ts:54',
      'src/workers/charge-worker.ts:40',
    ]);
  });

  it('finds deduplication at the producer and the consumer', () => {
    const e = get(ev, 'deduplication');
    assert.deepEqual(placesOf(e, 'producer'), ['src/events/sqs-publisher.ts:24']);
    assert.deepEqual(placesOf(e, 'no-job-id'), ['src/queue/orders-queue.ts:25']);
    assert.deepEqual(placesOf(e, 'consumer'), ['src/events/restock-consumer.ts:54', 'src/events/restock-consumer.ts:59']);
  });

  it('finds no dead-letter queue, the failed-job handler and the failed jobs kept', () => {
    const e = get(ev, 'dead-letter');
    assert.equal(e.counts.configured, 0);
    assert.deepEqual(placesOf(e, 'failed-handlers'), ['src/workers/charge-worker.ts:47']);
    assert.deepEqual(placesOf(e, 'kept'), ['src/queue/orders-queue.ts:21']);
  });

  it('finds ordering (a FIFO group) and a consumer that runs jobs in parallel', () => {
    const e = get(ev, 'ordering');
    assert.deepEqual(placesOf(e, 'ordered'), ['src/events/sqs-publisher.ts:23']);
    assert.deepEqual(placesOf(e, 'parallel'), ['src/workers/charge-worker.ts:44']);
  });

  it('lists the queues, producers and consumers', () => {
    const e = get(ev, 'queues');
    assert.deepEqual(placesOf(e, 'queues'), ['src/queue/orders-queue.ts:19']);
    assert.deepEqual(placesOf(e, 'producers'), ['src/events/sqs-publisher.ts:20']);
    assert.deepEqual(placesOf(e, 'consumers'), ['src/events/restock-consumer.ts:28', 'src/workers/charge-worker.ts:15']);
  });

  it('counts console logging, and finds no structured logger, correlation id, metrics, tracing or cache', () => {
    const logging = get(ev, 'logging');
    assert.equal(logging.counts.loggerImports, 0);
    assert.deepEqual(placesOf(logging, 'console'), [
      'src/db/pool.ts:12',
      'src/db/reporting.ts:15',
      'src/http/router.ts:56',
      'src/lib/retry.ts:11',
      'src/notifications/webhooks.ts:31',
      'src/notifications/webhooks.ts:45',
      'src/notifications/webhooks.ts:61',
      'src/server.ts:26',
      'src/server.ts:31',
      'src/server.ts:39',
      'src/server.ts:54',
      'src/workers/charge-worker.ts:48',
    ]);
    const correlation = get(ev, 'correlation');
    assert.equal(correlation.counts.idMentions, 0);
    assert.match(correlation.summary, /none of 20 outbound calls and none of 12 log calls/);
    assert.equal(get(ev, 'metrics').counts.libraries, 0);
    assert.equal(get(ev, 'tracing').counts.libraries, 0);
    assert.equal(get(ev, 'caches').counts.libraries, 0);
    assert.equal(get(ev, 'fallbacks').counts.fallbacks, 0);
  });
});
