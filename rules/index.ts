import type { Rule } from './rule.ts';
import { missingTimeout } from './missing-timeout.ts';
import { retryWithoutBackoff } from './retry-without-backoff.ts';
import { unboundedRetry } from './unbounded-retry.ts';
import { nonIdempotentHandler } from './non-idempotent-handler.ts';

/** Every rule, in the order the README lists them. A test checks this against the files in `rules/`. */
export const allRules: readonly Rule[] = [missingTimeout as Rule, retryWithoutBackoff as Rule, unboundedRetry as Rule, nonIdempotentHandler as Rule];

export function findRule(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}
