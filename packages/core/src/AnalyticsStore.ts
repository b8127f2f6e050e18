/**
 * Port: a time series per profile (online, members, freshness state). Samples arrive already typed; the
 * recorder that builds them decides the cadence and the retention, the store keeps and prunes what it is told.
 */
import { Context, Effect, Layer } from "effect"
import type { StoreError } from "./Errors.js"
import type { ProfileKey } from "./Identifiers.js"
import type { FreshnessState } from "./StatsView.js"

export interface Sample {
  readonly profile: ProfileKey
  readonly atMs: number
  readonly online?: number
  readonly members?: number
  readonly state: FreshnessState
}

export interface SampleQuery {
  readonly profile: ProfileKey
  /** Inclusive. */
  readonly fromMs: number
  /** Exclusive. */
  readonly toMs: number
}

export class AnalyticsStore extends Context.Tag("@guildpulse/core/AnalyticsStore")<
  AnalyticsStore,
  {
    readonly record: (sample: Sample) => Effect.Effect<void, StoreError>
    /** Samples of a profile in `[fromMs, toMs)`, oldest first. */
    readonly query: (query: SampleQuery) => Effect.Effect<ReadonlyArray<Sample>, StoreError>
    /** Drops every sample taken before `beforeMs` (all profiles); returns how many went. */
    readonly prune: (beforeMs: number) => Effect.Effect<number, StoreError>
    /** Drops the whole series of a profile (it was deleted). */
    readonly delete: (profile: ProfileKey) => Effect.Effect<void, StoreError>
  }
>() {}

/** Five weeks: a full digest week plus the week before, with room to spare. */
export const DEFAULT_RETENTION_MS = 35 * 86_400_000

/** Per profile in the memory store; the oldest go first (≈ 10 weeks at one a minute). */
export const DEFAULT_MAX_SAMPLES_PER_PROFILE = 100_000

export interface MemoryOptions {
  readonly maxSamplesPerProfile?: number
}

const lowerBound = (list: ReadonlyArray<Sample>, atMs: number): number => {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((list[mid] as Sample).atMs < atMs) lo = mid + 1
    else hi = mid
  }
  return lo
}

export const makeMemory = (options: MemoryOptions = {}) =>
  Effect.sync(() => {
    const max = options.maxSamplesPerProfile ?? DEFAULT_MAX_SAMPLES_PER_PROFILE
    const series = new Map<ProfileKey, Array<Sample>>()
    return AnalyticsStore.of({
      record: (sample) =>
        Effect.sync(() => {
          let list = series.get(sample.profile)
          if (list === undefined) series.set(sample.profile, (list = []))
          // Samples arrive in time order; an out-of-order one is inserted in place.
          const last = list[list.length - 1]
          if (last === undefined || last.atMs <= sample.atMs) list.push(sample)
          else list.splice(lowerBound(list, sample.atMs), 0, sample)
          if (list.length > max) list.splice(0, list.length - max)
        }),
      query: (q) =>
        Effect.sync(() => {
          const list = series.get(q.profile) ?? []
          return list.slice(lowerBound(list, q.fromMs), lowerBound(list, q.toMs))
        }),
      prune: (beforeMs) =>
        Effect.sync(() => {
          let dropped = 0
          for (const [profile, list] of series) {
            const cut = lowerBound(list, beforeMs)
            if (cut > 0) {
              list.splice(0, cut)
              dropped += cut
            }
            if (list.length === 0) series.delete(profile)
          }
          return dropped
        }),
      delete: (profile) => Effect.sync(() => void series.delete(profile))
    })
  })

export const layerMemory = (options?: MemoryOptions): Layer.Layer<AnalyticsStore> => Layer.effect(AnalyticsStore, makeMemory(options))
