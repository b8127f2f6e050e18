/**
 * Port: shared rate-limit state, so every instance spends one Discord budget.
 *
 * - Buckets (keyed by bucket + major parameter) learn `limit/remaining/reset-after` from response headers;
 *   `acquire` spends one unit or says how long to wait — nothing is ever sent into an exhausted bucket.
 * - A global window per bot token (or per egress IP for unauthenticated calls) caps requests per window.
 * - `blockFor` honours `Retry-After` for a bucket or a global key.
 * - Invalid requests (401/403/429 except shared scope) are counted over a rolling window for the guard.
 *
 * Times cross the port as durations relative to now (`resetAfterMs`, `forMs`, `waitMs`): the store measures
 * them on its own clock (Effect's `Clock` in process, the server's `TIME` in Redis), so callers never compare
 * an absolute time with a clock that is not the store's.
 */
import { Clock, Context, Effect, Layer } from "effect"
import type { StoreError } from "./Errors.js"

export interface BucketObservation {
  readonly limit: number
  readonly remaining: number
  /** Time until the bucket resets, from now (Discord's `X-RateLimit-Reset-After`). */
  readonly resetAfterMs: number
}

export interface AcquireRequest {
  readonly bucketKey: string
  readonly globalKey: string
  readonly globalLimit: number
  readonly globalWindowMs: number
}

/**
 * Which limit makes a request wait: `bucket` — its route bucket (exhausted, or blocked by a per-route
 * `Retry-After`); `global` — the global budget of its bot token / egress IP (window full, or a global 429).
 */
export type WaitReason = "bucket" | "global"

export type Acquisition =
  | { readonly _tag: "Granted"; readonly remaining: number | undefined }
  | {
    readonly _tag: "Wait"
    /** How long to wait from now. */
    readonly waitMs: number
    readonly reason: WaitReason
    /** The wait was announced by Discord (`Retry-After` of a 429, through `blockFor`), not counted here. */
    readonly retryAfter: boolean
  }

export class RateLimitStore extends Context.Tag("@guildpulse/core/RateLimitStore")<
  RateLimitStore,
  {
    readonly acquire: (request: AcquireRequest) => Effect.Effect<Acquisition, StoreError>
    readonly observe: (bucketKey: string, observation: BucketObservation) => Effect.Effect<void, StoreError>
    /** Blocks a bucket or global key for `forMs` from now; a longer block already there is kept. */
    readonly blockFor: (key: string, forMs: number) => Effect.Effect<void, StoreError>
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
  // The longer block wins; on a tie the global one (it holds every bucket of the token).
  if (blockedUntilMs.global > nowMs && blockedUntilMs.global >= blockedUntilMs.bucket) {
    return { _tag: "Wait", waitMs: blockedUntilMs.global - nowMs, reason: "global", retryAfter: true }
  }
  if (blockedUntilMs.bucket > nowMs) return { _tag: "Wait", waitMs: blockedUntilMs.bucket - nowMs, reason: "bucket", retryAfter: true }
  if (bucket !== undefined && bucket.remaining <= 0 && bucket.resetAtMs > nowMs) {
    return { _tag: "Wait", waitMs: bucket.resetAtMs - nowMs, reason: "bucket", retryAfter: false }
  }
  if (globalWindow !== undefined && nowMs < globalWindow.startMs + request.globalWindowMs && globalWindow.count >= request.globalLimit) {
    return { _tag: "Wait", waitMs: globalWindow.startMs + request.globalWindowMs - nowMs, reason: "global", retryAfter: false }
  }
  const remaining = bucket === undefined ? undefined : bucket.resetAtMs <= nowMs ? bucket.limit - 1 : bucket.remaining - 1
  return { _tag: "Granted", remaining }
}

const SWEEP_EVERY = 1000
const SWEEP_GRACE_MS = 60_000

/** Where an in-process store keeps its blocks (a persistent store passes a map that writes behind). */
export interface BlockMap {
  readonly get: (key: string) => number | undefined
  readonly set: (key: string, untilMs: number) => void
  readonly delete: (key: string) => void
  readonly entries: () => Iterable<readonly [string, number]>
}

export interface InProcessOptions {
  /** Blocks (`Retry-After`, global 429s); default a plain map. */
  readonly blocks?: BlockMap
  /** Invalid-request times to start from, oldest first (what a persistent store read back). */
  readonly invalidTimes?: ReadonlyArray<number>
  /** Called with the time of every invalid request recorded (a persistent store writes it behind). */
  readonly onInvalid?: (atMs: number) => void
  /** Keep invalid-request times at least this long, whatever window is asked about (default 0). */
  readonly retainInvalidMs?: number
}

/**
 * The rate-limit state of one process: core's `decideAcquire` on in-process maps. The memory layer, and stores
 * whose process alone spends the budget (the embedded store), build on it.
 */
export const makeInProcess = (options: InProcessOptions = {}): RateLimitStore["Type"] => {
  const buckets = new Map<string, BucketState>()
  const blocked: BlockMap = options.blocks ?? mapBlocks(new Map())
  const windows = new Map<string, { startMs: number; count: number }>()
  const invalid: Array<number> = [...(options.invalidTimes ?? [])]
  const retainMs = options.retainInvalidMs ?? 0
  const prune = (now: number, windowMs: number) => {
    const horizon = now - Math.max(windowMs, retainMs)
    while (invalid.length > 0 && invalid[0]! <= horizon) invalid.shift()
  }
  const countWithin = (now: number, windowMs: number) => {
    let n = 0
    for (let i = invalid.length - 1; i >= 0 && invalid[i]! > now - windowMs; i--) n += 1
    return n
  }
  // Buckets, blocks and windows of guilds no longer asked about would otherwise stay forever.
  let grantsSinceSweep = 0
  const sweep = (now: number) => {
    for (const [key, bucket] of buckets) if (bucket.resetAtMs < now - SWEEP_GRACE_MS) buckets.delete(key)
    for (const [key, until] of [...blocked.entries()]) if (until < now) blocked.delete(key)
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
      Effect.map(Clock.currentTimeMillis, (now) => {
        const resetAtMs = now + observation.resetAfterMs
        const current = buckets.get(bucketKey)
        // Within one reset window, in-flight requests may report a stale `remaining`: keep the lower count.
        const sameWindow = current !== undefined && Math.abs(current.resetAtMs - resetAtMs) < 1000
        buckets.set(bucketKey, {
          limit: observation.limit,
          remaining: sameWindow ? Math.min(current.remaining, observation.remaining) : observation.remaining,
          resetAtMs
        })
      }),
    blockFor: (key, forMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const untilMs = now + forMs
        if (forMs > 0 && untilMs > (blocked.get(key) ?? 0)) blocked.set(key, untilMs)
      }),
    recordInvalid: (windowMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        invalid.push(now)
        options.onInvalid?.(now)
        prune(now, windowMs)
        return countWithin(now, windowMs)
      }),
    invalidCount: (windowMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        prune(now, windowMs)
        return countWithin(now, windowMs)
      })
  })
}

const mapBlocks = (map: Map<string, number>): BlockMap => ({
  get: (key) => map.get(key),
  set: (key, untilMs) => void map.set(key, untilMs),
  delete: (key) => void map.delete(key),
  entries: () => map.entries()
})

export const makeMemory: Effect.Effect<RateLimitStore["Type"]> = Effect.sync(() => makeInProcess())

export const layerMemory: Layer.Layer<RateLimitStore> = Layer.effect(RateLimitStore, makeMemory)
