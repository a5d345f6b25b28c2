import { reportRetryFindings, retryFixes, type RetryState } from './core/retry/findings.ts';
import { RETRY_PREFILTER } from './core/retry/prefilter.ts';
import { defineRule } from './rule.ts';

/**
 * unbounded-retry: retries with no attempt or time limit. A request that
 * retries forever never answers its caller while the dependency is down,
 * and keeps loading the dependency for as long as the failure lasts.
 * Connection loops that back off are meant to run as long as the process
 * and are not reported.
 */

export const unboundedRetry = defineRule<RetryState>({
  id: 'unbounded-retry',
  defaultSeverity: 'error',
  shortDescription: 'Retries that never give up',
  fullDescription:
    'Finds retries with no attempt or time limit: hand-written loops and recursion that swallow the error and try again with no counter or deadline checked, cockatiel `retry()` without `maxAttempts`, p-retry and async-retry with `forever: true` and no `maxRetryTime`, and `retries: Infinity`, which those two libraries cannot even start with.',
  messages: {
    loopNoLimit:
      'This {what} has no attempt or time limit: while the dependency is down it never gives up, so its caller waits forever and the load on the dependency never stops. Count the attempts and rethrow after the last one, or stop at a deadline.',
    recursionNoLimit:
      'This {what} calls itself again on every failure, with nothing that counts down or a deadline: while the dependency is down it never gives up and its caller waits forever. Pass the number of attempts left and stop at zero.',
    libraryNoLimit: '{api} never gives up: {default}, for as long as the failure lasts. {remedy}.',
    retriesInfinity:
      '`retries: Infinity` does not make {api} retry forever: the `retry` package it uses builds the list of all `retries` delays up front, so the call never starts and the process runs out of memory. Use `forever: true` with `maxRetryTime`.',
  },
  docs: {
    whatItDoes: [
      'Reports a retry that nothing stops while the failure lasts.',
      '',
      '- **Hand-written retries** (the same loops and recursion that `retry-without-backoff` reads): a loop is bounded when its condition, or a condition under which it throws, returns or breaks, reads a counter the loop steps (`attempt++`, `retries--`), the clock (`Date.now()`, `performance.now()`), or an abort signal with a deadline; a `for…of` loop is bounded by its list. A recursion is bounded when a parameter it passes up or down (`retries - 1`, `attempt + 1`), or the clock, is tested.',
      '- **Libraries**: cockatiel `retry()` without `maxAttempts` (its default is `Infinity`) or with `maxAttempts: Infinity`; p-retry and async-retry with `forever: true` and no `maxRetryTime`; `retries: Infinity` in p-retry and async-retry, which the `retry` package turns into an endless loop before the first attempt (`retriesInfinity`); axios-retry `retries: Infinity`; BullMQ `attempts: Infinity`.',
      '- **Connection loops are not reported**: a loop or recursion whose operation connects, subscribes, consumes or listens (`consumer.connect()`, `channel.consume()`, `new WebSocket()`, or a function named `connect…`), and that waits between attempts, is a consumer’s lifeline meant to run as long as the process does; giving up would leave the service running without its connection. Whether its delay grows is still `retry-without-backoff`’s business. A connection loop that does not wait at all is reported: it spins forever.',
      '- **Never reported**: ioredis reconnection, and `maxRetriesPerRequest: null` on the connection of a BullMQ worker, which BullMQ requires for its blocking commands.',
      '',
      'Severity: `error`, as for a missing timeout: a request that retries forever is a request that never ends, holding its caller, its memory and its share of the dependency until the dependency comes back.',
    ].join('\n'),
    why:
      'A retry is a bet that the next attempt will succeed soon. Without a limit the bet never closes: during an outage every request that reaches the retry stays in it, callers time out (or do not), work piles up, and the dependency gets a steady stream of attempts that never lets it recover. A limit (a number of attempts, or a deadline) turns a long outage into a fast, visible failure that the caller can handle.',
    incorrect: `declare function sendToBroker(event: object): Promise<void>;

async function publish(event: object): Promise<void> {
  let delay = 100;
  while (true) {
    try {
      await sendToBroker(event);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }
}`,
    correct: `declare function sendToBroker(event: object): Promise<void>;

async function publish(event: object): Promise<void> {
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      await sendToBroker(event);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }
}`,
    fixSafety:
      'Every fix is unsafe, because after it the code gives up where it used to keep trying: `faultline lint --fix` applies them only with `--unsafe-fixes`, and the editor offers them as quick fixes. A loop gets a counter and `if (++attempt >= 5) throw err;` on its failure path (`catch` gains a binding when it has none); cockatiel gets `maxAttempts: 3`; p-retry and async-retry get `maxRetryTime: 60_000`, and `retries: Infinity` becomes `forever: true` with it. When the nearest package.json lists cockatiel or p-retry, a loop of the simplest shape can instead be replaced by the library’s policy. Recursion gets no fix: adding a parameter changes every caller.',
    references: [
      'docs/library-defaults.md: each library default this rule relies on.',
      'cockatiel 3.2.1 dist/Policy.js:246-247: `retry()` defaults to `maxAttempts: Infinity`.',
      'retry 0.13.1 (used by p-retry 6.2.1 and async-retry 1.3.3) lib/retry.js:6: `forever` (or `retries === Infinity`) retries forever; lib/retry_operation.js:10, 52: `maxRetryTime` bounds it; lib/retry.js:33-35: the delays are built in a loop up to `retries`, so `retries: Infinity` exhausts the heap before the first attempt (checked: p-retry and async-retry both crash with "JavaScript heap out of memory", async-retry even with `maxRetryTime`).',
      'axios-retry 4.5.0 dist/cjs/index.js:102-103: `retries: 3` by default.',
      'bullmq 6.7.0 dist/esm/classes/job.js:452: a job is retried while `attemptsMade + 1 < attempts`; dist/esm/classes/redis-connection.js:11-14: BullMQ requires `maxRetriesPerRequest: null`.',
    ],
  },
  prefilter: () => RETRY_PREFILTER,
  check(ctx) {
    reportRetryFindings(ctx, 'unbounded-retry');
  },
  fixes(report) {
    return retryFixes(report);
  },
});
