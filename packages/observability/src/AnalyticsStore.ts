/**
 * Port: a time series per profile (online, members, freshness state), with retention. Core has no
 * `AnalyticsStore` yet (ARCHITECTURE §4 lists one); this minimal port lives here until it moves to core, and
 * feeds the presence-drop alert's baseline and the weekly digest. `AnalyticsRecorder` samples into it.
 */
import { Clock, Context, Effect, Layer } from "effect"
import type { FreshnessState, StoreError } from "@guildpulse/core"

export interface Sample {
  readonly profile: string
  readonly atMs: number
  readonly online?: number
  readonly members?: number
  readonly state: FreshnessState
}

export interface SampleQuery {
  readonly profile: string
  /** Inclusive. */
  readonly fromMs: number
  /** Exclusive. */
  readonly toMs: number
}

export class AnalyticsStore extends Context.Tag("@guildpulse/observability/AnalyticsStore")<
  AnalyticsStore,
  {
    readonly record: (sample: Sample) => Effect.Effect<void, StoreError>
    /** Samples of a profile in `[fromMs, toMs)`, oldest first. */
    readonly query: (query: SampleQuery) => Effect.Effect<ReadonlyArray<Sample>, StoreError>
    /** Drops samples older than the retention; returns how many went. */
    readonly prune: Effect.Effect<number, StoreError>
  }
>() {}

/** Five weeks: a full digest week plus the week before, with room to spare. */
export const DEFAULT_RETENTION_MS = 35 * 86_400_000

export interface MemoryOptions {
  readonly retentionMs?: number
  /** Per profile; the oldest go first (default 100,000 ≈ 10 weeks at one a minute). */
  readonly maxSamplesPerProfile?: number
}

export const makeMemory = (options: MemoryOptions = {}) =>
  Effect.sync(() => {
    const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS
    const max = options.maxSamplesPerProfile ?? 100_000
    const series = new Map<string, Array<Sample>>()
    const lowerBound = (list: ReadonlyArray<Sample>, atMs: number) => {
      let lo = 0
      let hi = list.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (list[mid]!.atMs < atMs) lo = mid + 1
        else hi = mid
      }
      return lo
    }
    const prune = Effect.map(Clock.currentTimeMillis, (now) => {
      let dropped = 0
      for (const [profile, list] of series) {
        const cut = lowerBound(list, now - retentionMs)
        if (cut > 0) {
          list.splice(0, cut)
          dropped += cut
        }
        if (list.length === 0) series.delete(profile)
      }
      return dropped
    })
    return AnalyticsStore.of({
      record: (sample) =>
        Effect.sync(() => {
          let list = series.get(sample.profile)
          if (list === undefined) series.set(sample.profile, (list = []))
          // Samples arrive in time order; an out-of-order one is inserted in place.
          if (list.length === 0 || list[list.length - 1]!.atMs <= sample.atMs) list.push(sample)
          else list.splice(lowerBound(list, sample.atMs), 0, sample)
          if (list.length > max) list.splice(0, list.length - max)
        }),
      query: (q) =>
        Effect.sync(() => {
          const list = series.get(q.profile) ?? []
          return list.slice(lowerBound(list, q.fromMs), lowerBound(list, q.toMs))
        }),
      prune
    })
  })

export const layerMemory = (options?: MemoryOptions): Layer.Layer<AnalyticsStore> => Layer.effect(AnalyticsStore, makeMemory(options))
