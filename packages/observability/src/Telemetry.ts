/**
 * Rolling windows of what this process saw the engine do, for `Health` (error rate and p50/p95 latency per
 * source over the last hour, fallback ratio, rate-limit headroom, circuit states).
 *
 * Why a window of its own rather than querying the `EventLog`: the event log is capped (a ring buffer, a
 * capped stream) and paged by 1,000, so an hour of upstream calls of many profiles may not fit, and health
 * is polled often. The window is fed by `EventLogging` (every emitted event passes through it) and, for the
 * fallback ratio, by `layerStats` (which counts served views per profile and freshness state without a span
 * on the warm path). In a multi-instance deployment each instance reports what it did itself.
 */
import { Clock, Context, Effect, Layer } from "effect"
import { Stats } from "@guildpulse/core"
import type { FreshnessState, GuildPulseEvent } from "@guildpulse/core"

export const DEFAULT_WINDOW_MS = 3_600_000
const MAX_SAMPLES_PER_KEY = 5_000
const MINUTE_MS = 60_000

export interface UpstreamWindow {
  readonly requests: number
  readonly errors: number
  /** errors / requests, `null` without requests. */
  readonly errorRate: number | null
  /** Mean response time of the calls with a duration, `null` without any. */
  readonly meanMs: number | null
  readonly p50Ms: number | null
  readonly p95Ms: number | null
}

export interface ServedWindow {
  readonly total: number
  /** Views served as `degraded`, `demo` or `unavailable` (stale-while-revalidate is not a fallback). */
  readonly fallback: number
  readonly ratio: number | null
  readonly byState: Readonly<Partial<Record<FreshnessState, number>>>
}

export interface RateLimitObservation {
  readonly source: string | undefined
  readonly bucket: string | undefined
  readonly limit: number | undefined
  readonly remaining: number | undefined
  readonly resetAfterMs: number | undefined
  readonly scope: string | undefined
  readonly atMs: number
}

export interface CircuitObservation {
  readonly state: string
  readonly sinceMs: number
}

export class Telemetry extends Context.Tag("@guildpulse/observability/Telemetry")<
  Telemetry,
  {
    /** Feeds one emitted event (its `ts` decides where it falls). */
    readonly recordEvent: (event: GuildPulseEvent) => Effect.Effect<void>
    readonly recordServed: (profile: string, state: FreshnessState) => Effect.Effect<void>
    readonly upstream: (profile: string, source: string) => Effect.Effect<UpstreamWindow>
    readonly served: (profile: string) => Effect.Effect<ServedWindow>
    /** The latest rate-limit headers seen per (source, bucket) of a profile. */
    readonly rateLimits: (profile: string) => Effect.Effect<ReadonlyArray<RateLimitObservation>>
    /** The circuit state last reported by a transition event, and since when. */
    readonly circuit: (profile: string, source: string) => Effect.Effect<CircuitObservation | undefined>
  }
>() {}

interface Call {
  readonly atMs: number
  readonly ok: boolean
  readonly durationMs: number | undefined
}

interface MinuteBucket {
  readonly minute: number
  total: number
  fallback: number
  byState: Partial<Record<FreshnessState, number>>
}

const fallbackStates: ReadonlySet<FreshnessState> = new Set<FreshnessState>(["degraded", "demo", "unavailable"])

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number | null => {
  if (sorted.length === 0) return null
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(sorted.length, rank) - 1]!
}

export interface TelemetryOptions {
  readonly windowMs?: number
}

export const make = (options: TelemetryOptions = {}) =>
  Effect.sync(() => {
    const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS
    const calls = new Map<string, Array<Call>>()
    const served = new Map<string, Array<MinuteBucket>>()
    const rateLimits = new Map<string, Map<string, RateLimitObservation>>()
    const circuits = new Map<string, CircuitObservation>()

    const prune = (list: Array<Call>, now: number) => {
      let drop = 0
      while (drop < list.length && list[drop]!.atMs <= now - windowMs) drop++
      if (drop > 0) list.splice(0, drop)
      if (list.length > MAX_SAMPLES_PER_KEY) list.splice(0, list.length - MAX_SAMPLES_PER_KEY)
    }

    const recordEvent = (event: GuildPulseEvent) =>
      Effect.sync(() => {
        const atMs = Date.parse(event.ts)
        const profile = event.profile
        if (profile === undefined) return
        // The refresher's `upstream.request` is one per source per round, retries included; a connector's
        // per-HTTP-call events are `upstream.attempt` and are not counted twice.
        if (event.type === "upstream.request" && event.source !== undefined && event.attempt !== undefined) {
          const key = `${profile}\u0000${event.source}`
          let list = calls.get(key)
          if (list === undefined) calls.set(key, (list = []))
          list.push({ atMs, ok: event.outcome === "ok", durationMs: event.durationMs })
          prune(list, atMs)
        }
        if (event.type === "circuit.transition" && event.source !== undefined && event.circuit !== undefined) {
          circuits.set(`${profile}\u0000${event.source}`, { state: event.circuit.to, sinceMs: atMs })
        }
        if (event.rateLimit !== undefined) {
          let byBucket = rateLimits.get(profile)
          if (byBucket === undefined) rateLimits.set(profile, (byBucket = new Map()))
          const bucketKey = `${event.source ?? ""}\u0000${event.rateLimit.bucket ?? ""}`
          if (byBucket.size < 50 || byBucket.has(bucketKey)) {
            byBucket.set(bucketKey, {
              source: event.source,
              bucket: event.rateLimit.bucket,
              limit: event.rateLimit.limit,
              remaining: event.rateLimit.remaining,
              resetAfterMs: event.rateLimit.resetAfterMs,
              scope: event.rateLimit.scope,
              atMs
            })
          }
        }
      })

    const recordServed = (profile: string, state: FreshnessState) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const minute = Math.floor(now / MINUTE_MS)
        let buckets = served.get(profile)
        if (buckets === undefined) served.set(profile, (buckets = []))
        let last = buckets[buckets.length - 1]
        if (last === undefined || last.minute !== minute) {
          last = { minute, total: 0, fallback: 0, byState: {} }
          buckets.push(last)
          const oldest = minute - Math.ceil(windowMs / MINUTE_MS)
          while (buckets.length > 0 && buckets[0]!.minute <= oldest) buckets.shift()
        }
        last.total += 1
        if (fallbackStates.has(state)) last.fallback += 1
        last.byState[state] = (last.byState[state] ?? 0) + 1
      })

    return Telemetry.of({
      recordEvent,
      recordServed,
      upstream: (profile, source) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const list = calls.get(`${profile}\u0000${source}`) ?? []
          const recent = list.filter((c) => c.atMs > now - windowMs && c.atMs <= now)
          const errors = recent.filter((c) => !c.ok).length
          const durations = recent.flatMap((c) => (c.durationMs === undefined ? [] : [c.durationMs])).sort((a, b) => a - b)
          return {
            requests: recent.length,
            errors,
            errorRate: recent.length === 0 ? null : errors / recent.length,
            meanMs: durations.length === 0 ? null : Math.round((durations.reduce((sum, d) => sum + d, 0) / durations.length) * 10) / 10,
            p50Ms: percentile(durations, 50),
            p95Ms: percentile(durations, 95)
          }
        }),
      served: (profile) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const oldest = Math.floor((now - windowMs) / MINUTE_MS)
          let total = 0
          let fallback = 0
          const byState: Partial<Record<FreshnessState, number>> = {}
          for (const bucket of served.get(profile) ?? []) {
            if (bucket.minute <= oldest) continue
            total += bucket.total
            fallback += bucket.fallback
            for (const [state, count] of Object.entries(bucket.byState) as Array<[FreshnessState, number]>) {
              byState[state] = (byState[state] ?? 0) + count
            }
          }
          return { total, fallback, ratio: total === 0 ? null : fallback / total, byState }
        }),
      rateLimits: (profile) => Effect.sync(() => [...(rateLimits.get(profile)?.values() ?? [])]),
      circuit: (profile, source) => Effect.sync(() => circuits.get(`${profile}\u0000${source}`))
    })
  })

export const layer = (options?: TelemetryOptions): Layer.Layer<Telemetry> => Layer.effect(Telemetry, make(options))

/**
 * Wraps `Stats` to count served views per profile and freshness state (for the fallback ratio). Adds a
 * clock read and a map update to the warm path — no span, no allocation beyond the view itself.
 */
export const layerStats: Layer.Layer<Stats.Stats, never, Stats.Stats | Telemetry> = Layer.effect(
  Stats.Stats,
  Effect.gen(function* () {
    const inner = yield* Stats.Stats
    const telemetry = yield* Telemetry
    const count = (view: { readonly profile: string; readonly freshness: { readonly state: FreshnessState } }) =>
      telemetry.recordServed(view.profile, view.freshness.state)
    return Stats.Stats.of({
      ...inner,
      get: (key, options) => Effect.tap(inner.get(key, options), count),
      view: (profile, options) => Effect.tap(inner.view(profile, options), count)
    })
  })
)
