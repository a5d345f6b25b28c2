/**
 * The design-review checklist: what a team reviewing a service's design asks
 * about failure, grouped by concern. Each item is a one-line question and a
 * short why; items the code can speak to name the evidence that answers
 * them (computed in evidence.ts). Plain data: the CLI report, the language
 * server and the editor panel all read it from here.
 */

/** The concerns, in the order the checklist shows them. */
export const REVIEW_GROUPS = [
  { id: 'requirements', title: 'Requirements' },
  { id: 'timeouts', title: 'Timeouts' },
  { id: 'retries', title: 'Retries and backoff' },
  { id: 'idempotency', title: 'Idempotency and deduplication' },
  { id: 'circuit-breakers', title: 'Circuit breakers' },
  { id: 'bulkheads', title: 'Bulkheads and isolation' },
  { id: 'health-checks', title: 'Health checks' },
  { id: 'degradation', title: 'Graceful degradation and fallbacks' },
  { id: 'caching', title: 'Caching' },
  { id: 'queues', title: 'Durable queues' },
  { id: 'observability', title: 'Observability' },
  { id: 'chaos', title: 'Chaos experiments' },
] as const;

export type ReviewGroupId = (typeof REVIEW_GROUPS)[number]['id'];

/** What the code can say about an item; each id is computed by one probe in evidence.ts. */
export type EvidenceId =
  | 'outbound-deadlines'
  | 'inbound-timeouts'
  | 'retry-backoff'
  | 'retry-bounds'
  | 'retry-policies'
  | 'queue-handlers'
  | 'idempotency-keys'
  | 'deduplication'
  | 'circuit-breakers'
  | 'fallbacks'
  | 'bulkheads'
  | 'concurrency'
  | 'health-endpoints'
  | 'shutdown'
  | 'caches'
  | 'queues'
  | 'dead-letter'
  | 'ordering'
  | 'logging'
  | 'correlation'
  | 'metrics'
  | 'tracing';

export interface ChecklistItem {
  /** Stable id (`group.name`): the key of the answer in the review file and of `review.required`/`hidden`. */
  id: string;
  group: ReviewGroupId;
  /** The one-line question a reviewer answers. */
  question: string;
  /** Why it matters, in a sentence or two. */
  why: string;
  /** The evidence the code gives, if it can give any. */
  evidence?: EvidenceId;
}

/** Every built-in item. A test checks that ids are unique and that each names a known group. */
export const CHECKLIST: readonly ChecklistItem[] = [
  // Requirements: the reviewer's ground truth; the code cannot say what the business needs.
  {
    id: 'requirements.query-or-command',
    group: 'requirements',
    question: 'Which operations are queries and which are commands that change state?',
    why: 'A query can be retried, cached and served stale; a command needs idempotency and a clear answer to "did it happen?".',
  },
  {
    id: 'requirements.staleness',
    group: 'requirements',
    question: 'How stale may the data a caller sees be?',
    why: 'Acceptable staleness decides whether a cache, a replica or a fallback value is a valid answer when the source is down.',
  },
  {
    id: 'requirements.bottleneck',
    group: 'requirements',
    question: 'Which resource is the bottleneck, and what is its limit?',
    why: 'Under load the scarcest resource (connections, a rate limit, a worker pool) fails first; its limit sets every other number.',
  },
  {
    id: 'requirements.downstream-protection',
    group: 'requirements',
    question: 'How are downstream resources protected from this service under load?',
    why: 'Without limits, a traffic spike or a retry storm here becomes an outage of the database or the service we call.',
    evidence: 'concurrency',
  },
  {
    id: 'requirements.node-failure',
    group: 'requirements',
    question: 'What happens to in-flight work when one instance or node fails?',
    why: 'Work held only in memory is lost with its process; a request half done may have charged, written or sent already.',
  },
  {
    id: 'requirements.partition',
    group: 'requirements',
    question: 'What does the service do when a network partition cuts it off from a dependency?',
    why: 'A partition looks like a slow dependency, not an error: calls hang, and both sides may keep acting on old state.',
  },

  {
    id: 'timeouts.deadlines',
    group: 'timeouts',
    question: 'Is every outbound call bounded by a deadline?',
    why: 'A call without a deadline waits as long as the other side lets it; one stalled dependency then holds every request, socket and worker.',
    evidence: 'outbound-deadlines',
  },
  {
    id: 'timeouts.budget',
    group: 'timeouts',
    question: "Do outbound deadlines fit inside the caller's own deadline (a time budget across hops)?",
    why: 'An inner call that outlives the outer request does work nobody waits for, and retries inside it multiply the delay.',
    evidence: 'inbound-timeouts',
  },

  {
    id: 'retries.backoff',
    group: 'retries',
    question: 'Is every retry backed off, with jitter?',
    why: 'Immediate retries hit a struggling dependency again at once and in step with every other client: a retry storm.',
    evidence: 'retry-backoff',
  },
  {
    id: 'retries.bounded',
    group: 'retries',
    question: 'Is every retry bounded in attempts or in total time?',
    why: 'An endless retry turns a short outage into permanent extra load and hides the failure from the caller.',
    evidence: 'retry-bounds',
  },
  {
    id: 'retries.transient-only',
    group: 'retries',
    question: 'Are only transient errors retried (timeouts, 429, 5xx), never validation or other 4xx errors?',
    why: 'Retrying a request that can never succeed wastes capacity and delays the error the caller needs to see.',
    evidence: 'retry-policies',
  },

  {
    id: 'idempotency.handlers',
    group: 'idempotency',
    question: 'Is every queue consumer safe to run twice on the same message?',
    why: 'Queues deliver at least once and jobs are retried: a handler that charges or inserts without a key does it again.',
    evidence: 'queue-handlers',
  },
  {
    id: 'idempotency.keys',
    group: 'idempotency',
    question: 'Do calls that change state downstream carry an idempotency key?',
    why: 'A retried payment or shipment without a key is a second payment or shipment when the first answer was lost.',
    evidence: 'idempotency-keys',
  },
  {
    id: 'idempotency.deduplication',
    group: 'idempotency',
    question: 'Are duplicate messages removed, at the producer (deduplication ids, job ids) or the consumer (a processed-messages table)?',
    why: 'Producers retry sends too; without an id to compare, a duplicate looks like new work.',
    evidence: 'deduplication',
  },

  {
    id: 'circuit-breakers.failing-dependency',
    group: 'circuit-breakers',
    question: 'Is there a circuit breaker around the dependency that fails most?',
    why: 'A breaker stops sending work to a dependency that is down, so callers fail fast and the dependency can recover.',
    evidence: 'circuit-breakers',
  },
  {
    id: 'circuit-breakers.open-behaviour',
    group: 'circuit-breakers',
    question: 'What does a caller get while the breaker is open, and who is told?',
    why: 'An open breaker is an outage of that feature; it needs a fallback or a clear error, and an alert.',
    evidence: 'fallbacks',
  },

  {
    id: 'bulkheads.isolation',
    group: 'bulkheads',
    question: 'Is a slow dependency kept from using up all workers, sockets or connections (a bulkhead)?',
    why: 'Without a bulkhead, one slow dependency fills the shared pool and takes down features that do not even use it.',
    evidence: 'bulkheads',
  },
  {
    id: 'bulkheads.pools',
    group: 'bulkheads',
    question: 'Are connection pools and worker concurrency sized from the expected load, not left at defaults?',
    why: 'Pool sizes and concurrency are the real limits of the service; defaults are guesses made for someone else.',
    evidence: 'concurrency',
  },

  {
    id: 'health-checks.endpoints',
    group: 'health-checks',
    question: 'Do health checks take a bad instance out of rotation?',
    why: 'A load balancer keeps sending traffic to an instance until a health check says otherwise.',
    evidence: 'health-endpoints',
  },
  {
    id: 'health-checks.readiness',
    group: 'health-checks',
    question: 'Are liveness and readiness separate, and does readiness check what the instance needs to serve?',
    why: 'A liveness check that calls the database restarts every instance when the database blinks; a readiness check that checks nothing keeps broken ones in.',
    evidence: 'health-endpoints',
  },
  {
    id: 'health-checks.shutdown',
    group: 'health-checks',
    question: 'Does the service stop taking work and drain in-flight requests and jobs on SIGTERM?',
    why: 'Every deploy stops instances; without draining, each deploy fails the requests and jobs that were running.',
    evidence: 'shutdown',
  },

  {
    id: 'degradation.fallbacks',
    group: 'degradation',
    question: 'Does the service degrade (cached, partial or default answers) rather than fail when a dependency is down?',
    why: 'Most features can answer something useful without their least important dependency; an error page cannot.',
    evidence: 'fallbacks',
  },
  {
    id: 'degradation.load-shedding',
    group: 'degradation',
    question: 'When saturated, does it reject early (429 or 503) instead of queueing without limit?',
    why: 'Queued requests time out anyway, after using memory and holding connections; rejecting early keeps the rest fast.',
  },

  {
    id: 'caching.strategy',
    group: 'caching',
    question: 'Is there a cache in front of hot or slow reads, with a stated time to live and invalidation?',
    why: 'A cache absorbs load and can serve while the source is down, but only within a staleness the requirements accept.',
    evidence: 'caches',
  },
  {
    id: 'caching.stampede',
    group: 'caching',
    question: 'Is a storm of misses (a cache stampede) prevented when a hot key expires or the cache restarts?',
    why: 'A cold cache sends all its traffic to the source at once, often more than the source was ever sized for.',
  },

  {
    id: 'queues.dead-letter',
    group: 'queues',
    question: 'Does a message that keeps failing end in a dead-letter queue that someone watches?',
    why: 'A poison message otherwise blocks the queue or is retried forever; dropped silently, it is lost work.',
    evidence: 'dead-letter',
  },
  {
    id: 'queues.ordering',
    group: 'queues',
    question: 'Does any consumer depend on message order, and is that order kept (FIFO groups, partition keys)?',
    why: 'Retries and parallel consumers reorder messages; a "shipped" before its "paid" corrupts state.',
    evidence: 'ordering',
  },
  {
    id: 'queues.backlog',
    group: 'queues',
    question: 'What happens when a queue backs up, and who is alerted?',
    why: 'A growing backlog is the first sign of a slow consumer; unnoticed, it becomes hours of delay or a full broker.',
    evidence: 'queues',
  },

  {
    id: 'observability.structured-logs',
    group: 'observability',
    question: 'Are logs structured (fields, levels), not free text?',
    why: 'During an incident one filters by order, customer and error; free text can only be grepped.',
    evidence: 'logging',
  },
  {
    id: 'observability.correlation',
    group: 'observability',
    question: 'Is a correlation id passed on every outbound call and written in every log line?',
    why: 'Without it, the log lines of one failed request are scattered across services with nothing to join them.',
    evidence: 'correlation',
  },
  {
    id: 'observability.latency',
    group: 'observability',
    question: 'Are latency percentiles (p50, p99) measured per endpoint and per dependency?',
    why: 'Averages hide the slow tail where timeouts and retries begin.',
    evidence: 'metrics',
  },
  {
    id: 'observability.errors',
    group: 'observability',
    question: 'Are error rates measured and alerted on?',
    why: 'An error rate is the steady-state signal that tells a partial failure from normal noise.',
    evidence: 'metrics',
  },
  {
    id: 'observability.tracing',
    group: 'observability',
    question: 'Can one follow a request across services (distributed tracing)?',
    why: 'A trace shows which hop was slow or failed; logs of each service alone do not.',
    evidence: 'tracing',
  },

  {
    id: 'chaos.steady-state',
    group: 'chaos',
    question: 'What steady state (a metric and its normal range) shows that the service is healthy?',
    why: 'An experiment needs a measurable "normal" to compare against; without one it only shows that something happened.',
  },
  {
    id: 'chaos.hypothesis',
    group: 'chaos',
    question: 'Which failure experiment tests the design, and what is the hypothesis?',
    why: 'The design review makes claims (the breaker opens, the queue absorbs the spike); an experiment checks one.',
  },
  {
    id: 'chaos.rollback',
    group: 'chaos',
    question: 'How is an experiment stopped and rolled back (abort conditions, blast radius)?',
    why: 'An experiment that cannot be stopped quickly is an incident.',
  },
];

/** A group by id. */
export function reviewGroup(id: string): (typeof REVIEW_GROUPS)[number] | undefined {
  return REVIEW_GROUPS.find((g) => g.id === id);
}

/** A built-in item by id. */
export function checklistItem(id: string): ChecklistItem | undefined {
  return CHECKLIST.find((i) => i.id === id);
}
