/**
 * Port: shared rate-limit state, so every instance spends one Discord budget.
 *
 * - Buckets (keyed by bucket + major parameter) learn `limit/remaining/reset` from response headers;
 *   `acquire` spends one unit or says how long to wait — nothing is ever sent into an exhausted bucket.
 * - A global window per bot token (or per egress IP for unauthenticated calls) caps requests per window.
 * - `blockUntil` honours `Retry-After` for a bucket or a global key.
 * - Invalid requests (401/403/429 except shared scope) are counted over a rolling window for the guard.
 */
import { Clock, Context, Effect, Layer } from "effect"
import type { StoreError } from "./Errors.js"

export interface BucketObservation {
  readonly limit: number
  readonly remaining: number
  readonly resetAtMs: number
}

export interface AcquireRequest {
  readonly bucketKey: string
  readonly globalKey: string
  readonly globalLimit: number
  readonly globalWindowMs: number
}

export type Acquisition =
  | { readonly _tag: "Granted"; readonly remaining: number | undefined }
  | { readonly _tag: "Wait"; readonly waitMs: number; readonly reason: "bucket" | "global" | "blocked" }

export class RateLimitStore extends Context.Tag("@guildpulse/core/RateLimitStore")<
  RateLimitStore,
  {
    readonly acquire: (request: AcquireRequest) => Effect.Effect<Acquisition, StoreError>
    readonly observe: (bucketKey: string, observation: BucketObservation) => Effect.Effect<void, StoreError>
    readonly blockUntil: (key: string, untilMs: number) => Effect.Effect<void, StoreError>
    readonly recordInvalid: (windowMs: number) => Effect.Effect<number, StoreError>
    readonly invalidCount: (windowMs: number) => Effect.Effect<number, StoreError>
  }
>() {}

interface BucketState {
  limit: number
  remaining: number
  resetAtMs: number
}

/** The pure core of `acquire`, shared with stores that must run it atomically elsewhere. */
export const decideAcquire = (
  nowMs: number,
  request: AcquireRequest,
  bucket: BucketState | undefined,
  blockedUntilMs: { readonly bucket: number; readonly global: number },
  globalWindow: { readonly startMs: number; readonly count: number } | undefined
): Acquisition => {
  const blocked = Math.max(blockedUntilMs.bucket, blockedUntilMs.global)
  if (blocked > nowMs) return { _tag: "Wait", waitMs: blocked - nowMs, reason: "blocked" }
  if (bucket !== undefined && bucket.remaining <= 0 && bucket.resetAtMs > nowMs) {
    return { _tag: "Wait", waitMs: bucket.resetAtMs - nowMs, reason: "bucket" }
  }
  if (globalWindow !== undefined && nowMs < globalWindow.startMs + request.globalWindowMs && globalWindow.count >= request.globalLimit) {
    return { _tag: "Wait", waitMs: globalWindow.startMs + request.globalWindowMs - nowMs, reason: "global" }
  }
  const remaining = bucket === undefined ? undefined : bucket.resetAtMs <= nowMs ? bucket.limit - 1 : bucket.remaining - 1
  return { _tag: "Granted", remaining }
}

const SWEEP_EVERY = 1000
const SWEEP_GRACE_MS = 60_000

export const makeMemory = Effect.sync(() => {
  const buckets = new Map<string, BucketState>()
  const blocked = new Map<string, number>()
  const windows = new Map<string, { startMs: number; count: number }>()
  const invalid: Array<number> = []
  const prune = (now: number, windowMs: number) => {
    while (invalid.length > 0 && invalid[0]! <= now - windowMs) invalid.shift()
  }
  // Buckets, blocks and windows of guilds no longer asked about would otherwise stay forever.
  let grantsSinceSweep = 0
  const sweep = (now: number) => {
    for (const [key, bucket] of buckets) if (bucket.resetAtMs < now - SWEEP_GRACE_MS) buckets.delete(key)
    for (const [key, until] of blocked) if (until < now) blocked.delete(key)
    for (const [key, window] of windows) if (window.startMs < now - SWEEP_GRACE_MS) windows.delete(key)
  }
  return RateLimitStore.of({
    acquire: (request) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (++grantsSinceSweep >= SWEEP_EVERY) {
          grantsSinceSweep = 0
          sweep(now)
        }
        const bucket = buckets.get(request.bucketKey)
        let window = windows.get(request.globalKey)
        if (window !== undefined && now >= window.startMs + request.globalWindowMs) window = undefined
        const decision = decideAcquire(
          now,
          request,
          bucket,
          { bucket: blocked.get(request.bucketKey) ?? 0, global: blocked.get(request.globalKey) ?? 0 },
          window
        )
        if (decision._tag === "Granted") {
          if (bucket !== undefined) {
            if (bucket.resetAtMs <= now) bucket.remaining = bucket.limit
            bucket.remaining -= 1
          }
          windows.set(request.globalKey, window === undefined ? { startMs: now, count: 1 } : { startMs: window.startMs, count: window.count + 1 })
        }
        return decision
      }),
    observe: (bucketKey, observation) =>
      Effect.sync(() => {
        const current = buckets.get(bucketKey)
        // Within one reset window, in-flight requests may report a stale `remaining`: keep the lower count.
        const sameWindow = current !== undefined && Math.abs(current.resetAtMs - observation.resetAtMs) < 1000
        buckets.set(bucketKey, {
          limit: observation.limit,
          remaining: sameWindow ? Math.min(current.remaining, observation.remaining) : observation.remaining,
          resetAtMs: observation.resetAtMs
        })
      }),
    blockUntil: (key, untilMs) => Effect.sync(() => void blocked.set(key, Math.max(untilMs, blocked.get(key) ?? 0))),
    recordInvalid: (windowMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        invalid.push(now)
        prune(now, windowMs)
        return invalid.length
      }),
    invalidCount: (windowMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        prune(now, windowMs)
        return invalid.length
      })
  })
})

export const layerMemory: Layer.Layer<RateLimitStore> = Layer.effect(RateLimitStore, makeMemory)
