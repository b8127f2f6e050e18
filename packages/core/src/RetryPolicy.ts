/**
 * Retry inside one refresh: only transient failures, at most 2 retries, exponential backoff with full jitter,
 * and a server-announced `retryAfter` as a floor that is never undercut. A wait longer than
 * `maxInlineRetryAfterMs` is not spent in the request path: the source fails and the scheduler comes back.
 */
import { Duration, Effect, Random, Schedule } from "effect"
import type { UpstreamError } from "./Errors.js"

export interface RetryPolicyOptions {
  readonly maxRetries: number
  readonly baseDelayMs: number
  readonly factor: number
  readonly maxDelayMs: number
  /** Longest announced wait worth sitting through inside a request. */
  readonly maxInlineRetryAfterMs: number
  readonly attemptTimeoutMs: number
}

export const defaultRetryPolicy: RetryPolicyOptions = {
  maxRetries: 2,
  baseDelayMs: 250,
  factor: 2,
  maxDelayMs: 4000,
  maxInlineRetryAfterMs: 2000,
  attemptTimeoutMs: 5000
}

/** Whether an error is worth retrying within the same refresh. */
export const isRetryable = (error: UpstreamError, policy: RetryPolicyOptions = defaultRetryPolicy): boolean => {
  switch (error.reason) {
    case "rate_limited":
      return error.retryAfterMs === undefined || error.retryAfterMs <= policy.maxInlineRetryAfterMs
    case "server_error":
    case "timeout":
    case "transport":
      return true
    default:
      return false
  }
}

/**
 * Delay before retry number `retry` (0-based): full jitter over the exponential ceiling, floored by the
 * error's `retryAfterMs`. `random01` is a uniform number in [0, 1).
 */
export const retryDelayMs = (
  retry: number,
  error: UpstreamError,
  random01: number,
  policy: RetryPolicyOptions = defaultRetryPolicy
): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * Math.pow(policy.factor, retry))
  const jittered = Math.floor(random01 * ceiling)
  return Math.max(jittered, error.retryAfterMs ?? 0)
}

/** The retry policy as a `Schedule` over `UpstreamError`s (randomness from Effect's `Random`). */
export const schedule = (
  policy: RetryPolicyOptions = defaultRetryPolicy
): Schedule.Schedule<readonly [UpstreamError, number], UpstreamError> =>
  Schedule.identity<UpstreamError>().pipe(
    Schedule.zipWith(Schedule.count, (error, retry) => [error, retry] as const),
    Schedule.whileOutput(([error, retry]) => retry < policy.maxRetries && isRetryable(error, policy)),
    Schedule.addDelayEffect(([error, retry]) =>
      Effect.map(Random.next, (r) => Duration.millis(retryDelayMs(retry, error, r, policy)))
    )
  )
