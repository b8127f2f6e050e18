/**
 * Client side of Discord's rate-limit scheme (docs/architecture.md §3), over core's `RateLimitStore` port so that
 * several instances can spend one budget.
 *
 * For every call, in order:
 * 1. The invalid-request guard: once the store counts `invalidRequestLimit` invalid requests (401, 403,
 *    429 except `scope: shared`) in the rolling window, non-essential calls fail `rate_limited`
 *    (`scope: "guard"`) without being sent; essential ones (token validation) still go.
 * 2. A FIFO queue per (identity, route, major parameter): one request of a bucket in flight at a time, so a
 *    bucket of unknown size sends one request until its headers are known, and a burst drains in order.
 * 3. The permit, behind a FIFO gate per global budget so that only the head of the line polls:
 *    - `RateLimitStore.acquire` for the bucket (bucket hash learned from `X-RateLimit-Bucket`, or the route
 *      template until then, plus the major parameter) and the identity's global budget (per bot token, or
 *      per egress IP without a token), in the store's fixed window of 1 s + `globalWindowMarginMs` — the
 *      budget several instances share;
 *    - a place in the in-process `GlobalWindow`, held until the server window the request was counted in
 *      is certainly over (from `X-RateLimit-Reset − Reset-After`, the instant Discord processed it): safe
 *      whatever the latency between our send and Discord's processing (see `internal/GlobalWindow.ts`).
 *    A known wait is slept pre-emptively; one longer than `maxRateLimitWaitMs` fails the call
 *    `rate_limited` (with `retryAfterMs`) without sending. Grants of a burst let the event loop turn every
 *    few grants, so the first requests leave while the rest are still being granted.
 * 4. After the answer: `observe` the bucket headers; on a 429 `blockFor` the bucket or the global key for
 *    the announced wait; count invalid requests.
 *
 * A failing store fails open (the per-key queues and the in-process global window still apply) and logs a
 * warning: losing the shared state must not take the data path down.
 */
import { Clock, Context, Duration, Effect, Layer, Metric } from "effect"
import type { Headers } from "@effect/platform"
import { RateLimitStore, UpstreamError } from "@guildpulse/core"
import type { SourceName, StoreError } from "@guildpulse/core"
import * as ConnectorMetrics from "./ConnectorMetrics.js"
import { DiscordConfig } from "./DiscordConfig.js"
import { type Emit, makeEmitter } from "./internal/events.js"
import * as FifoLock from "./internal/FifoLock.js"
import {
  bucketObservation,
  parseRateLimitHeaders,
  type RateLimitHeaders,
  type RateLimitVerdict,
  rateLimitVerdict
} from "./internal/rateLimitHeaders.js"
import { GlobalWindow, type Slot } from "./internal/GlobalWindow.js"

/** Who a request is counted against: a bot token (by fingerprint, never the token) or the egress IP. */
export type Identity = { readonly kind: "bot"; readonly id: string } | { readonly kind: "unauthenticated" }

export interface RouteCall {
  readonly method: string
  /** Route template with the major parameter as a placeholder, e.g. `/guilds/{guild.id}`. */
  readonly template: string
  /** Guild id, invite code, or "" for routes without one. */
  readonly major: string
  readonly identity: Identity
  /** Essential calls (token validation) pass the invalid-request guard. */
  readonly essential: boolean
  readonly source: SourceName
  readonly profile?: string | undefined
}

export interface RawResponse {
  readonly status: number
  readonly headers: Headers.Headers
  readonly body: string
  /** When the answer's headers arrived (local clock); the global budget anchors on it. */
  readonly receivedAtMs?: number
}

export interface LimitedResponse extends RawResponse {
  readonly rateLimit: RateLimitHeaders
  /** Discord's bucket hash, or the route when Discord sent none. */
  readonly bucket: string
  /** Time spent waiting for the queue, the bucket and the global budget. */
  readonly waitedMs: number
  /** For a 429: the announced wait, its scope, and where it came from. */
  readonly verdict?: RateLimitVerdict
}

export interface GuardState {
  readonly tripped: boolean
  readonly count: number
  readonly limit: number
  readonly windowMs: number
}

export class RateLimiter extends Context.Tag("@guildpulse/connector-discord/RateLimiter")<
  RateLimiter,
  {
    /** Runs `send` once when the rate limits allow it, and learns from its answer. */
    readonly run: <E, R>(call: RouteCall, send: Effect.Effect<RawResponse, E, R>) => Effect.Effect<LimitedResponse, E | UpstreamError, R>
    readonly guard: Effect.Effect<GuardState>
  }
>() {}

/** The 1 s global window Discord announces for its global limit. */
export const GLOBAL_WINDOW_MS = 1_000

const waitCounters = {
  bucket: Metric.tagged(ConnectorMetrics.rateLimitWaits, "reason", "bucket"),
  global: Metric.tagged(ConnectorMetrics.rateLimitWaits, "reason", "global"),
  blocked: Metric.tagged(ConnectorMetrics.rateLimitWaits, "reason", "blocked")
} as const

/** Tagged metrics are built once per label value: tagging allocates and hashes a new key. */
const memoTagged = <M>(make: (value: string) => M): ((value: string) => M) => {
  const cache = new Map<string, M>()
  return (value) => {
    let metric = cache.get(value)
    if (metric === undefined) {
      metric = make(value)
      if (cache.size < 1_000) cache.set(value, metric)
    }
    return metric
  }
}

const hitCounter = memoTagged((scope) => Metric.tagged(ConnectorMetrics.rateLimitHits, "scope", scope))
const remainingGauge = memoTagged((bucket) => Metric.tagged(ConnectorMetrics.rateLimitRemaining, "bucket", bucket))

/** Grants closer together than this belong to one burst. */
const BURST_GAP_MS = 5
/** Grants of a burst between two turns of the event loop. */
const GRANTS_PER_TURN = 8

/** Resumes in the next check phase of the event loop (after pending I/O and immediates). */
const nextTurn: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

type Decision =
  | { readonly _tag: "Granted" }
  | { readonly _tag: "Wait"; readonly waitMs: number; readonly reason: RateLimitStore.WaitReason; readonly retryAfter: boolean }

/** The metric label of a wait: the limit counted here (`bucket`, `global`) or an announced Retry-After (`blocked`). */
const waitLabel = (decision: { readonly reason: RateLimitStore.WaitReason; readonly retryAfter: boolean }) =>
  decision.retryAfter ? "blocked" : decision.reason

export const make = Effect.gen(function* () {
  const store = yield* RateLimitStore.RateLimitStore
  const options = yield* DiscordConfig
  const emit: Emit = yield* makeEmitter
  const queues = FifoLock.unsafeMakeKeyed()
  const gates = new Map<string, FifoLock.FifoLock>()
  const windows = new Map<string, GlobalWindow>()
  const pacing = new Map<string, { lastGrantAtMs: number; sinceTurn: number }>()
  /** `METHOD template` → Discord bucket hash, learned from `X-RateLimit-Bucket`. */
  const hashes = new Map<string, string>()
  const globalWindowMs = GLOBAL_WINDOW_MS + options.globalWindowMarginMs
  let guardTripped = false
  let lastInvalidCount = 0

  const failOpen = <A>(what: string, fallback: A) => (effect: Effect.Effect<A, StoreError>) =>
    Effect.catchAll(effect, (error) =>
      Effect.as(Effect.logWarning(`RateLimitStore.${what} failed (${error.reason}); continuing without shared state`), fallback)
    )

  const identityKey = (identity: Identity): string => (identity.kind === "bot" ? `bot:${identity.id}` : `ip:${options.egressId}`)

  const globalFor = (identity: Identity) => ({
    key: `discord:global:${identityKey(identity)}`,
    limit: identity.kind === "bot" ? options.globalRequestsPerSecond : options.unauthenticatedRequestsPerSecond
  })

  const routeId = (call: RouteCall): string => `${call.method} ${call.template}`
  const bucketKey = (call: RouteCall, bucket: string): string => `discord:bucket:${identityKey(call.identity)}:${bucket}:${call.major}`

  const gateFor = (key: string): FifoLock.FifoLock => {
    let gate = gates.get(key)
    if (gate === undefined) {
      gate = FifoLock.unsafeMake()
      gates.set(key, gate)
    }
    return gate
  }

  const windowFor = (key: string, limit: number): GlobalWindow => {
    let window = windows.get(key)
    if (window === undefined || window.limit !== limit) {
      window = new GlobalWindow(limit, GLOBAL_WINDOW_MS, options.globalWindowMarginMs)
      windows.set(key, window)
    }
    return window
  }

  const guardError = (count: number) =>
    new UpstreamError({
      source: "bot",
      reason: "rate_limited",
      retryAfterMs: Math.min(options.guardRetryAfterMs, options.invalidRequestWindowMs),
      scope: "guard",
      message: `invalid-request guard: ${count} invalid requests in the last ${Math.round(options.invalidRequestWindowMs / 1000)} s (limit ${options.invalidRequestLimit}); non-essential calls are paused`
    })

  const setGuard = (count: number, call: RouteCall) =>
    Effect.gen(function* () {
      lastInvalidCount = count
      yield* Metric.set(ConnectorMetrics.invalidRequestsWindow, count)
      const over = count >= options.invalidRequestLimit
      if (over && !guardTripped) {
        guardTripped = true
        yield* Effect.logWarning(`invalid-request guard tripped: ${count} invalid requests in the rolling window`)
        yield* emit({
          level: "error",
          type: "ratelimit.guard",
          source: call.source,
          ...(call.profile !== undefined ? { profile: call.profile } : {}),
          outcome: "tripped",
          message: `invalid-request guard tripped: ${count} invalid requests (401/403/429) in the last ${Math.round(options.invalidRequestWindowMs / 1000)} s, limit ${options.invalidRequestLimit}; non-essential Discord calls paused`
        })
      } else if (!over && guardTripped) {
        guardTripped = false
        yield* Effect.logInfo(`invalid-request guard recovered: ${count} invalid requests in the rolling window`)
        yield* emit({
          level: "info",
          type: "ratelimit.guard",
          source: call.source,
          ...(call.profile !== undefined ? { profile: call.profile } : {}),
          outcome: "recovered",
          message: `invalid-request guard recovered: ${count} invalid requests in the rolling window (limit ${options.invalidRequestLimit}); calls resumed`
        })
      }
      return over
    })

  const checkGuard = (call: RouteCall) =>
    Effect.gen(function* () {
      const count = yield* failOpen("invalidCount", lastInvalidCount)(store.invalidCount(options.invalidRequestWindowMs))
      const over = yield* setGuard(count, call)
      if (over && !call.essential) {
        yield* Metric.increment(Metric.tagged(ConnectorMetrics.rateLimitRefusals, "reason", "guard"))
        yield* Metric.increment(hitCounter("guard"))
        return yield* Effect.fail(new UpstreamError({ ...guardError(count), source: call.source }))
      }
    })

  /**
   * Waits until the store grants the bucket and the global budget and the in-process window has a place;
   * fails when a known wait is too long. On success `holder.slot` holds the place (taken under the gate).
   */
  const acquire = (call: RouteCall, key: string, holder: { slot: Slot | undefined }) =>
    Effect.gen(function* () {
      const global = globalFor(call.identity)
      const window = windowFor(global.key, global.limit)
      const gate = gateFor(global.key)
      const startedAt = yield* Clock.currentTimeMillis
      const underGate: Effect.Effect<Decision> = Effect.gen(function* () {
        while (true) {
          const now = yield* Clock.currentTimeMillis
          const local = window.check(now)
          if (local._tag === "Until") {
            if (local.waitMs > options.maxRateLimitWaitMs) return { _tag: "Wait", waitMs: local.waitMs, reason: "global", retryAfter: false } as const
            yield* Metric.increment(waitCounters.global)
            yield* Effect.sleep(Duration.millis(local.waitMs))
            continue
          }
          if (local._tag === "Answer") {
            yield* Metric.increment(waitCounters.global)
            yield* window.awaitAnswer
            continue
          }
          const decision = yield* failOpen("acquire", { _tag: "Granted", remaining: undefined } as RateLimitStore.Acquisition)(
            store.acquire({ bucketKey: key, globalKey: global.key, globalLimit: global.limit, globalWindowMs })
          )
          if (decision._tag === "Granted") {
            const grantedAt = yield* Clock.currentTimeMillis
            holder.slot = window.take(grantedAt)
            // Let the event loop turn after the first grant of a burst and every few grants after it: undici
            // writes a request on a reused keep-alive socket from a `setImmediate`, so a burst granted in one
            // chain of microtasks would reach Discord only after its last grant, delaying the window it opens.
            const pace = pacing.get(global.key) ?? { lastGrantAtMs: -Infinity, sinceTurn: 0 }
            pacing.set(global.key, pace)
            const burstStart = grantedAt - pace.lastGrantAtMs > BURST_GAP_MS
            pace.lastGrantAtMs = grantedAt
            if (burstStart || pace.sinceTurn >= GRANTS_PER_TURN) {
              pace.sinceTurn = 0
              yield* nextTurn
            } else {
              pace.sinceTurn += 1
            }
            return { _tag: "Granted" } as const
          }
          // The head of the line sleeps a global wait holding the gate: everybody behind needs the same budget.
          if (decision.reason === "global" && decision.waitMs <= options.maxRateLimitWaitMs) {
            yield* Metric.increment(waitCounters[waitLabel(decision)])
            yield* Effect.sleep(Duration.millis(decision.waitMs))
            continue
          }
          return decision
        }
      })
      while (true) {
        const decision = yield* gate.withLock(underGate)
        if (decision._tag === "Granted") {
          const waitedMs = (yield* Clock.currentTimeMillis) - startedAt
          if (waitedMs > 0) yield* Metric.update(ConnectorMetrics.rateLimitWaitSeconds, waitedMs / 1000)
          return waitedMs
        }
        if (decision.waitMs > options.maxRateLimitWaitMs) {
          yield* Metric.increment(Metric.tagged(ConnectorMetrics.rateLimitRefusals, "reason", "wait_too_long"))
          const what = decision.retryAfter
            ? `announced ${decision.reason === "global" ? "global " : ""}Retry-After`
            : decision.reason === "global" ? "global budget" : "bucket"
          return yield* Effect.fail(
            new UpstreamError({
              source: call.source,
              reason: "rate_limited",
              retryAfterMs: Math.ceil(decision.waitMs),
              global: decision.reason === "global",
              scope: decision.reason === "global" ? "global" : "user",
              message: `not sent: ${call.method} ${call.template} must wait ${Math.ceil(decision.waitMs)} ms for its ${what} (more than ${options.maxRateLimitWaitMs} ms)`
            })
          )
        }
        // A bucket wait is slept outside the gate, so other buckets keep going.
        yield* Metric.increment(waitCounters[waitLabel(decision)])
        yield* Effect.sleep(Duration.millis(decision.waitMs))
      }
    })

  const learn = (call: RouteCall, raw: RawResponse, rl: RateLimitHeaders, now: number, waitedMs: number) =>
    Effect.gen(function* () {
      const id = routeId(call)
      if (rl.bucket !== undefined && hashes.get(id) !== rl.bucket) hashes.set(id, rl.bucket)
      const bucket = rl.bucket ?? hashes.get(id) ?? id
      const key = bucketKey(call, bucket)
      const observation = bucketObservation(rl, now)
      if (observation !== undefined) {
        yield* failOpen<void>("observe", undefined)(store.observe(key, observation))
        yield* Metric.set(remainingGauge(bucket), observation.remaining)
      }
      let verdict: RateLimitVerdict | undefined
      if (raw.status === 429) {
        verdict = rateLimitVerdict(rl, raw.body)
        const waitMs = verdict.retryAfterMs ?? options.unannouncedRetryAfterMs
        const global = globalFor(call.identity)
        if (verdict.global || verdict.from === "none") yield* failOpen<void>("blockFor", undefined)(store.blockFor(global.key, waitMs))
        if (!verdict.global) yield* failOpen<void>("blockFor", undefined)(store.blockFor(key, waitMs))
        yield* Metric.increment(hitCounter(verdict.scope))
        yield* Effect.logWarning(`Discord 429 on ${call.method} ${call.template} (scope ${verdict.scope}); blocked for ${waitMs} ms`)
        yield* emit({
          level: "warn",
          type: "ratelimit.hit",
          source: call.source,
          ...(call.profile !== undefined ? { profile: call.profile } : {}),
          status: 429,
          retryAfterMs: waitMs,
          rateLimit: {
            ...(rl.limit !== undefined ? { limit: rl.limit } : {}),
            ...(rl.remaining !== undefined ? { remaining: rl.remaining } : {}),
            ...(rl.resetAfterMs !== undefined ? { resetAfterMs: rl.resetAfterMs } : {}),
            bucket,
            scope: verdict.scope
          },
          message: `rate limited by Discord on ${call.method} ${call.template} (${verdict.global ? "global" : verdict.scope}); retry after ${waitMs} ms`
        })
      }
      const invalid = raw.status === 401 || raw.status === 403 || (raw.status === 429 && verdict?.scope !== "shared")
      if (invalid) {
        const count = yield* failOpen("recordInvalid", lastInvalidCount + 1)(store.recordInvalid(options.invalidRequestWindowMs))
        yield* setGuard(count, call)
      }
      return {
        status: raw.status,
        headers: raw.headers,
        body: raw.body,
        rateLimit: rl,
        bucket,
        waitedMs,
        ...(verdict !== undefined ? { verdict } : {})
      } satisfies LimitedResponse
    })

  const run = <E, R>(call: RouteCall, send: Effect.Effect<RawResponse, E, R>): Effect.Effect<LimitedResponse, E | UpstreamError, R> =>
    Effect.zipRight(
      checkGuard(call),
      queues.withLock(`${identityKey(call.identity)}:${routeId(call)}:${call.major}`)(
        Effect.suspend(() => {
          const holder: { slot: Slot | undefined } = { slot: undefined }
          // A failure (or interruption) releases the global place `windowMs` after now; an answer, `windowMs`
          // after Discord processed it (see internal/SlidingWindow.ts).
          const release = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => holder.slot?.complete(now)))
          return Effect.gen(function* () {
            const id = routeId(call)
            const waitedMs = yield* acquire(call, bucketKey(call, hashes.get(id) ?? id), holder)
            const raw = yield* Effect.onError(send, () => release)
            const now = yield* Clock.currentTimeMillis
            const rl = parseRateLimitHeaders(raw.headers, now)
            holder.slot?.complete(raw.receivedAtMs ?? now, rl.serverTimeMs)
            return yield* learn(call, raw, rl, now, waitedMs)
          }).pipe(Effect.onExit(() => release))
        })
      )
    )

  const guard = Effect.map(
    failOpen("invalidCount", lastInvalidCount)(store.invalidCount(options.invalidRequestWindowMs)),
    (count): GuardState => ({
      tripped: count >= options.invalidRequestLimit,
      count,
      limit: options.invalidRequestLimit,
      windowMs: options.invalidRequestWindowMs
    })
  )

  return RateLimiter.of({ run, guard })
})

export const layer: Layer.Layer<RateLimiter, never, RateLimitStore.RateLimitStore | DiscordConfig> = Layer.effect(RateLimiter, make)
