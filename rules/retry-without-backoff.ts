import { reportRetryFindings, retryFixes, type RetryState } from './core/retry/findings.ts';
import { RETRY_PREFILTER } from './core/retry/prefilter.ts';
import { defineRule } from './rule.ts';
import type { Severity } from './types.ts';

/**
 * retry-without-backoff: retries that do not wait, or wait the same time
 * before every attempt, so that one failing dependency gets a storm of
 * requests from every caller at once. Hand-written loops and recursion are
 * read with the project's own sleep and backoff helpers (across files);
 * retry libraries are judged by their configuration and their defaults,
 * which were read from the installed sources (see `references`).
 */

/**
 * How loud each message is: a hot loop is an error, a constant delay a
 * warning, missing jitter a hint. A severity the user sets for the rule
 * applies to all of them.
 */
export const MESSAGE_SEVERITY: Record<string, Severity> = {
  noDelay: 'error',
  sleepNotAwaited: 'error',
  libraryNoDelay: 'error',
  constantDelay: 'warning',
  libraryFixedDelay: 'warning',
  noJitter: 'info',
};

export const retryWithoutBackoff = defineRule<RetryState>({
  id: 'retry-without-backoff',
  defaultSeverity: 'warning',
  shortDescription: 'Retries that do not back off',
  fullDescription:
    'Finds retries that try again at once, or after the same delay every time: hand-written loops and recursion (with the project’s own sleep and backoff helpers read across files), and cockatiel, axios-retry, BullMQ, Bull, p-retry and async-retry configured without a growing delay. Knows which libraries already back off by default and stays silent on them.',
  messages: {
    noDelay:
      'This {what} tries again as soon as an attempt fails: with no delay between attempts, a dependency that is down gets hit as fast as the loop can spin, by every caller at once. Wait between attempts, and let the wait grow: `Math.random() * Math.min(capMs, baseMs * 2 ** attempt)`.',
    sleepNotAwaited:
      '`{call}` is not awaited, so this {what} does not wait between attempts at all and hits the failing dependency at full speed. Await it, and let the delay grow with each attempt.',
    constantDelay:
      'This {what} waits {delay} before every attempt: a delay that never grows keeps the full load on a dependency that is already failing, and callers that failed together retry together. Grow it with the attempt and add jitter: `Math.random() * Math.min(capMs, baseMs * 2 ** attempt)`.',
    noJitter:
      'The delay of this {what} grows but has no jitter: callers that failed together wait exactly as long and retry together, in waves that hit the recovering dependency all at once. Randomise it (full jitter: `Math.random() * delay`).',
    libraryNoDelay: '{api} retries with no delay: {default}, so a dependency that is failing gets the retries back to back. {remedy}.',
    libraryFixedDelay: '{api} waits the same time before every retry: {default}, which keeps the full load on a dependency that is already failing. {remedy}.',
  },
  docs: {
    whatItDoes: [
      'Reports a retry whose attempts follow each other without a delay that grows.',
      '',
      '- **Hand-written retries**: `for`, `while` and `do` loops, and functions that call themselves from a `catch`, a `.catch()` callback or a failed status check (`!res.ok`, `res.status >= 500`, `if (error)`). The delay is whatever the retry awaits between attempts: `new Promise((r) => setTimeout(r, ms))`, `setTimeout` from `timers/promises`, or a helper of the project whose body does one of these, followed into other files; a helper that computes the delay (`backoff(attempt)` returning `base * 2 ** attempt`) is read the same way. A delay grows when it depends on something that grows per attempt: `2 ** attempt`, `Math.pow`, a shift, `delay *= 2`, `attempt * 1000`, an increasing list of delays.',
      '- **Not retries**: polling loops (their success path does not leave the loop, or leaves only when the polled value says so), pagination and batch loops (a failure does not come back for the same page or item: it throws, or moves on to the next item), and failover over a list of hosts.',
      '- **Libraries**: cockatiel `retry()` without `backoff` (or with `ConstantBackoff`); axios-retry without `retryDelay` (or with one that returns a constant); BullMQ and Bull jobs with `attempts > 1` and no `backoff` or a fixed one, in `queue.add`, `addBulk`, `defaultJobOptions` and flow producers; p-retry and async-retry with `factor` 1 or `minTimeout` equal to `maxTimeout`. p-retry, async-retry, got, ky, the AWS SDK and kafkajs back off by default and are not reported.',
      '',
      'Messages: `noDelay` (a hot loop), `sleepNotAwaited` (a sleep whose promise nobody waits for), `constantDelay`, `noJitter` (the delay grows, but every caller waits exactly as long), `libraryNoDelay` and `libraryFixedDelay`.',
      '',
      'Severity: a retry with no delay at all (a hot loop, a sleep that is not awaited, a library with no delay) is an `error`; a constant or fixed delay is a `warning`; growth without jitter is `info`. A severity set for the rule in configuration applies to every message. Missing jitter is the mildest: the load does fall off as the delays grow, but callers that failed together come back together. Jitter is not asked of library configurations: where a library backs off without it (p-retry, ky), its defaults are accepted.',
    ].join('\n'),
    why:
      'A retry multiplies the load on whatever it calls. When the dependency fails because it is overloaded, retries that come at once (or at a fixed rhythm, from every caller in step) keep it overloaded: the failure feeds itself and a short blip becomes an outage. Exponential backoff gives the dependency room to recover; jitter spreads the callers out so that they do not return in one wave. Several libraries retry without any delay unless told otherwise: cockatiel `retry()` uses `ConstantBackoff(0)`, axios-retry waits 0 ms, and BullMQ and Bull put a failed job straight back in the queue.',
    incorrect: `async function getQuote(id: string): Promise<Response> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      return await fetch(\`https://pricing.internal/quotes/\${id}\`, { signal: AbortSignal.timeout(5_000) });
    } catch (err) {
      if (attempt === 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  throw new Error('unreachable');
}`,
    correct: `async function getQuote(id: string): Promise<Response> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      return await fetch(\`https://pricing.internal/quotes/\${id}\`, { signal: AbortSignal.timeout(5_000) });
    } catch (err) {
      if (attempt === 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(30_000, 100 * 2 ** attempt)));
    }
  }
  throw new Error('unreachable');
}`,
    fixSafety:
      'Fixes that only change when the next attempt starts are safe, and `faultline lint --fix` applies them: replacing a constant delay by `Math.random() * Math.min(30_000, delay * 2 ** attempt)` (the loop’s own counter, or a new `let attempt = 0` before the loop), inserting such a wait into a hot loop (with the project’s sleep helper when the file has one in scope), awaiting a floating sleep, adding full jitter, and setting `backoff: new ExponentialBackoff()` (cockatiel), `retryDelay: axiosRetry.exponentialDelay` (axios-retry), `backoff: { type: \'exponential\', delay: 1000 }` (BullMQ, Bull), `factor: 2` or a larger `maxTimeout` (p-retry, async-retry). When the nearest package.json lists cockatiel or p-retry, a loop of the simplest shape (`try { return await op(); } catch { … }`) can also be replaced by `retry(handleAll, { maxAttempts, backoff: new ExponentialBackoff() }).execute(…)` or `pRetry(…, { retries })`; that fix is unsafe (the library decides which errors to retry: p-retry, for one, does not retry a `TypeError` that is not a network error) and is offered in the editor or with `--unsafe-fixes`.',
    references: [
      'docs/library-defaults.md: each library default this rule relies on.',
      'cockatiel 3.2.1 dist/Policy.js:246-247: `retry()` defaults to `backoff: new ConstantBackoff(0)` and `maxAttempts: Infinity`; dist/backoff/ExponentialBackoff.js:5-10: `ExponentialBackoff` defaults to decorrelated jitter from 128 ms, capped at 30 s.',
      'axios-retry 4.5.0 dist/cjs/index.js:80-82, 102-105: the default `retryDelay` is `noDelay` (0 ms unless `Retry-After`), with `retries: 3`; lines 83-89: `exponentialDelay` doubles from 100 ms and adds 0-20 % jitter.',
      'bullmq 6.7.0 dist/esm/classes/backoffs.js:2-8, 20-43: a number is a `fixed` backoff, `exponential` doubles (jitter optional); dist/esm/classes/job.js:452-455: without `backoff` a failed job with attempts left is retried with no delay. Bull 4.16 lib/backoffs.js:5-17 and lib/queue.js:767 (defaults merged into each job): the same model, without jitter.',
      'p-retry 6.2.1 index.js:35 and retry 0.13.1 lib/retry.js:17-23, 49-58: 10 retries, `factor: 2` from `minTimeout: 1000`, no jitter (`randomize: false`). async-retry 1.3.3 lib/index.js:10-12: the same, with `randomize: true`.',
      'got 14.6.6 dist/source/core/options.js:149-150 and dist/source/core/calculate-retry-delay.js:26-27: 2 retries, `2 ** (attempt - 1) * 1000` ms plus noise. ky 1.14.3 distribution/utils/normalize.js:6-14: 2 retries, `0.3 * 2 ** (attempt - 1)` s, no jitter. kafkajs 2.2.4 src/retry/defaults.js: 5 retries from 300 ms, multiplier 2, randomisation 0.2, at most 30 s.',
      'AWS Architecture Blog, "Exponential Backoff And Jitter": full jitter (`random(0, min(cap, base * 2 ** attempt))`) spreads retries best.',
    ],
  },
  prefilter: () => RETRY_PREFILTER,
  check(ctx) {
    reportRetryFindings(ctx, 'retry-without-backoff', MESSAGE_SEVERITY);
  },
  fixes(report) {
    return retryFixes(report);
  },
});
