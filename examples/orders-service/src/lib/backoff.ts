import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  shouldRetry?: (err: unknown) => boolean;
}

/** Exponential backoff with full jitter, bounded by maxAttempts. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, options: BackoffOptions): Promise<T> {
  const { maxAttempts, baseDelayMs, maxDelayMs, shouldRetry = () => true } = options;
  let lastError: unknown;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      return await fn();
    } catch (err) {
      lastError = err;
      if (attempt === maxAttempts - 1 || !shouldRetry(err)) break;
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      await delay(Math.floor(Math.random() * ceiling));
    }
  }
  throw lastError;
}
