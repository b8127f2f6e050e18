/**
 * Per-client token bucket for the public routes. It only decides whether a client is *over* its budget;
 * the routes then refuse (429) only the requests whose answer would cost a call to Discord. Anything that
 * can be answered from the current snapshot is served whatever the budget says (docs/architecture.md §8).
 */
import { Clock } from "effect"

export interface RateLimitOptions {
  /** Sustained requests per minute per client. */
  readonly perMinute: number
  /** Bucket size: requests a client may make in a burst. */
  readonly burst: number
  /** Most clients tracked at once; the oldest are forgotten beyond this (default 100 000). */
  readonly maxClients?: number
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perMinute: 120, burst: 60 }
const DEFAULT_MAX_CLIENTS = 100_000
const SWEEP_INTERVAL_MS = 60_000

interface Bucket {
  tokens: number
  updatedMs: number
}

export interface RateLimiter {
  /**
   * Takes one token; returns 0 when the client is within budget, else the ms until a token is back. `nowMs`
   * defaults to the limiter's clock (the routes pass the engine's).
   */
  readonly take: (client: string, nowMs?: number) => number
  readonly size: () => number
}

export const make = (options: RateLimitOptions = DEFAULT_RATE_LIMIT, clock: Clock.Clock = Clock.make()): RateLimiter => {
  if (!(options.perMinute > 0) || !(options.burst >= 1)) {
    throw new RangeError("publicRateLimit: perMinute must be > 0 and burst >= 1")
  }
  const perMs = options.perMinute / 60_000
  const capacity = options.burst
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS
  const buckets = new Map<string, Bucket>()
  let lastSweepMs = 0

  const sweep = (nowMs: number) => {
    lastSweepMs = nowMs
    // A bucket that has refilled completely carries no information: forget it.
    for (const [client, bucket] of buckets) {
      if (bucket.tokens + (nowMs - bucket.updatedMs) * perMs >= capacity) buckets.delete(client)
    }
  }

  return {
    take: (client, nowMs = clock.unsafeCurrentTimeMillis()) => {
      if (nowMs - lastSweepMs > SWEEP_INTERVAL_MS) sweep(nowMs)
      let bucket = buckets.get(client)
      if (bucket === undefined) {
        if (buckets.size >= maxClients) {
          const oldest = buckets.keys().next()
          if (oldest.done !== true) buckets.delete(oldest.value)
        }
        bucket = { tokens: capacity, updatedMs: nowMs }
        buckets.set(client, bucket)
      } else {
        bucket.tokens = Math.min(capacity, bucket.tokens + (nowMs - bucket.updatedMs) * perMs)
        bucket.updatedMs = nowMs
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return 0
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs))
    },
    size: () => buckets.size
  }
}
