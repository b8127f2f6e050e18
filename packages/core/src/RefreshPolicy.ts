/**
 * When to refresh next: ahead of expiry with jitter after a success; exponential backoff after failures,
 * never before an announced `retryAfter`.
 */

export interface RefreshPolicyOptions {
  /** Refresh this fraction of the ttl before expiry. */
  readonly lead: number
  /** ± spread applied to the scheduled delay, so profiles do not refresh in lock-step. */
  readonly jitter: number
  /** Ceiling of the failure backoff. */
  readonly maxBackoffMs: number
  /** Consecutive failed rounds after which a scheduled job is dead-lettered. */
  readonly deadLetterAfter: number
}

export const defaultRefreshPolicy: RefreshPolicyOptions = {
  lead: 0.1,
  jitter: 0.1,
  maxBackoffMs: 60 * 60_000,
  deadLetterAfter: 8
}

/** Delay after a successful refresh: `ttl × (1 − lead) × (1 ± jitter)` — always before expiry. */
export const successDelayMs = (
  ttlSeconds: number,
  random01: number,
  policy: RefreshPolicyOptions = defaultRefreshPolicy
): number => Math.round(ttlSeconds * 1000 * (1 - policy.lead) * (1 - policy.jitter + 2 * policy.jitter * random01))

/** Delay after the `failures`-th failed round in a row: `ttl × 2^(failures−1)`, capped, floored by `retryAfterMs`. */
export const failureDelayMs = (
  ttlSeconds: number,
  failures: number,
  retryAfterMs: number | undefined,
  policy: RefreshPolicyOptions = defaultRefreshPolicy
): number => {
  const exponential = Math.min(policy.maxBackoffMs, ttlSeconds * 1000 * Math.pow(2, Math.max(0, failures - 1)))
  return Math.max(exponential, retryAfterMs ?? 0)
}
