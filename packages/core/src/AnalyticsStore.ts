/**
 * Port: a time series per profile (online, members, boosts, the widget's presence sample, freshness state).
 * Samples arrive already typed; the recorder that builds them decides the cadence (one per successful live
 * refresh, at most one a minute per profile).
 *
 * Downsampling tiers (`compact`): raw samples for 48 h, then 5-minute buckets up to 30 days, hourly buckets
 * beyond, nothing older than the retention (90 days, per profile). A bucket is a `Sample` whose `bucket`
 * keeps min/max/avg/count of online and members, how many raw samples it folds and how many were fresh, so
 * peaks and averages survive: `summarize` over a period answers the same before and after compaction.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { StoreError } from "./Errors.js"
import type { ProfileKey } from "./Identifiers.js"
import type { PresenceSample } from "./GuildStats.js"
import type { FreshnessState } from "./StatsView.js"

/** What a bucket keeps of one number of its raw samples. */
export interface Aggregate {
  readonly min: number
  readonly max: number
  readonly avg: number
  /** Raw samples that had the number. */
  readonly count: number
}

/** A downsampled sample stands for the raw samples of `[atMs, atMs + spanMs)`. */
export interface Bucket {
  readonly spanMs: number
  /** Raw samples folded into it. */
  readonly count: number
  /** Of them, how many were `fresh`. */
  readonly fresh: number
  readonly online?: Aggregate
  readonly members?: Aggregate
  readonly boosts?: Aggregate
}

/** The numbers a sample may hold (each optional: a round reports what its live sources gave). */
export type Field = "online" | "members" | "boosts"
export const fields: ReadonlyArray<Field> = ["online", "members", "boosts"]

export interface Sample {
  readonly profile: ProfileKey
  readonly atMs: number
  /** A raw sample's number; on a bucket, the average of its samples' (`bucket.online` has the rest). */
  readonly online?: number
  readonly members?: number
  readonly boosts?: number
  /** The widget's presence breakdown (a raw sample's only: buckets do not keep it). */
  readonly presence?: PresenceSample
  /** On a bucket, the state of its latest sample. */
  readonly state: FreshnessState
  /** Absent on a raw sample. */
  readonly bucket?: Bucket
}

/** The tiers `compact` applies (ages are counted back from the `nowMs` it is given). */
export interface Tiers {
  /** Raw samples are kept this long (default 48 h). */
  readonly rawMs: number
  /** Then buckets of this size (default 5 minutes)… */
  readonly fineBucketMs: number
  /** …until this age (default 30 days); hourly (`coarseBucketMs`) beyond. */
  readonly fineMs: number
  readonly coarseBucketMs: number
  /** Nothing older is kept (default 90 days). */
  readonly retentionMs: number
  /** A retention of its own for some profiles. */
  readonly retentionByProfile?: Readonly<Record<string, number>>
}

export const DEFAULT_TIERS: Tiers = {
  rawMs: 48 * 3_600_000,
  fineBucketMs: 5 * 60_000,
  fineMs: 30 * 86_400_000,
  coarseBucketMs: 3_600_000,
  retentionMs: 90 * 86_400_000
}

export interface CompactionReport {
  /** Raw samples and finer buckets replaced by buckets. */
  readonly folded: number
  /** Buckets written. */
  readonly buckets: number
  /** Samples and buckets dropped (past retention). */
  readonly dropped: number
}

export interface SampleQuery {
  readonly profile: ProfileKey
  /** Inclusive. */
  readonly fromMs: number
  /** Exclusive. */
  readonly toMs: number
}

/** The samples of one slot of a downsampled series, merged (`summarize` without `fresh`). */
export interface SlotSummary {
  readonly slot: number
  /** Raw samples the slot's samples stand for. */
  readonly count: number
  readonly online?: Aggregate
  readonly members?: Aggregate
  readonly boosts?: Aggregate
}

/**
 * A series downsampled by the store itself (`AnalyticsStore.downsampled`): the range's newest sample, and every
 * other sample of the range merged per slot, where `slot = min(maxPoints - 2, floor((atMs - fromMs) / widthMs))`
 * and `widthMs = (newest.atMs - fromMs) / (maxPoints - 1)` (`slotWidth`), slots without samples left out.
 */
export interface Downsampled {
  readonly newest: Sample
  readonly widthMs: number
  readonly slots: ReadonlyArray<SlotSummary>
}

/** The width of a slot of a downsampled series whose newest sample is at `newestAtMs`. */
export const slotWidth = (newestAtMs: number, fromMs: number, maxPoints: number): number => (newestAtMs - fromMs) / (maxPoints - 1)

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
    /**
     * Applies the tiers as of `nowMs` to every profile: samples past retention dropped, raw samples older than
     * `rawMs` folded into whole `fineBucketMs` buckets, anything finer than `coarseBucketMs` older than
     * `fineMs` folded into whole hourly buckets. Running it again changes nothing.
     */
    readonly compact: (nowMs: number, tiers?: Partial<Tiers>) => Effect.Effect<CompactionReport, StoreError>
    /**
     * Optional: the range downsampled to at most `maxPoints` points inside the store, so a month of samples is
     * not shipped to be merged (see `Downsampled`). `None` asks the caller to `query` and merge: the store
     * answers only when the range holds more than `maxPoints` samples, `maxPoints ≥ 2` and the slots have a
     * width.
     */
    readonly downsampled?: (query: SampleQuery, maxPoints: number) => Effect.Effect<Option.Option<Downsampled>, StoreError>
  }
>() {}

/** The default retention of every profile's series (90 days). */
export const DEFAULT_RETENTION_MS = DEFAULT_TIERS.retentionMs

const single = (value: number | undefined): Aggregate | undefined =>
  value === undefined ? undefined : { min: value, max: value, avg: value, count: 1 }

/** What a sample holds of `online` or `members`, a raw one as a bucket of one. */
export const aggregateOf = (sample: Sample, field: Field): Aggregate | undefined =>
  sample.bucket !== undefined ? sample.bucket[field] : single(sample[field])

/** How many raw samples a sample stands for, and how many of them were fresh. */
export const countOf = (sample: Sample): { readonly count: number; readonly fresh: number } =>
  sample.bucket ?? { count: 1, fresh: sample.state === "fresh" ? 1 : 0 }

export const mergeAggregates = (parts: ReadonlyArray<Aggregate | undefined>): Aggregate | undefined => {
  let min = Infinity
  let max = -Infinity
  let sum = 0
  let count = 0
  for (const part of parts) {
    if (part === undefined || part.count === 0) continue
    min = Math.min(min, part.min)
    max = Math.max(max, part.max)
    sum += part.avg * part.count
    count += part.count
  }
  return count === 0 ? undefined : { min, max, avg: sum / count, count }
}

export interface Summary {
  /** Raw samples the period stands for. */
  readonly count: number
  readonly fresh: number
  readonly online?: Aggregate
  readonly members?: Aggregate
  readonly boosts?: Aggregate
}

/** Min/max/avg/count over samples of any tier mixed (what a report of a period needs). */
export const summarize = (samples: ReadonlyArray<Sample>): Summary => {
  let count = 0
  let fresh = 0
  for (const sample of samples) {
    const c = countOf(sample)
    count += c.count
    fresh += c.fresh
  }
  const online = mergeAggregates(samples.map((s) => aggregateOf(s, "online")))
  const members = mergeAggregates(samples.map((s) => aggregateOf(s, "members")))
  const boosts = mergeAggregates(samples.map((s) => aggregateOf(s, "boosts")))
  return {
    count,
    fresh,
    ...(online !== undefined ? { online } : {}),
    ...(members !== undefined ? { members } : {}),
    ...(boosts !== undefined ? { boosts } : {})
  }
}

/** Folds samples (of one profile, oldest first) into one bucket per `bucketMs`; the state is the latest's. */
export const fold = (samples: ReadonlyArray<Sample>, bucketMs: number): Array<Sample> => {
  const out: Array<Sample> = []
  let group: Array<Sample> = []
  const close = () => {
    const first = group[0]
    if (first === undefined) return
    const start = Math.floor(first.atMs / bucketMs) * bucketMs
    const { count, fresh, online, members, boosts } = summarize(group)
    const latest = group.reduce((a, b) => (b.atMs >= a.atMs ? b : a))
    out.push({
      profile: first.profile,
      atMs: start,
      ...(online !== undefined ? { online: online.avg } : {}),
      ...(members !== undefined ? { members: members.avg } : {}),
      ...(boosts !== undefined ? { boosts: boosts.avg } : {}),
      state: latest.state,
      bucket: {
        spanMs: bucketMs,
        count,
        fresh,
        ...(online !== undefined ? { online } : {}),
        ...(members !== undefined ? { members } : {}),
        ...(boosts !== undefined ? { boosts } : {})
      }
    })
    group = []
  }
  for (const sample of samples) {
    const first = group[0]
    if (first !== undefined && Math.floor(first.atMs / bucketMs) !== Math.floor(sample.atMs / bucketMs)) close()
    group.push(sample)
  }
  close()
  return out
}

export const spanOf = (sample: Sample): number => sample.bucket?.spanMs ?? 0

/** The cut-offs of `compact` as of `nowMs`: whole buckets only (every cut is aligned to its bucket). */
export const cutoffs = (nowMs: number, tiers: Tiers, profile?: string) => {
  const retentionMs = (profile !== undefined ? tiers.retentionByProfile?.[profile] : undefined) ?? tiers.retentionMs
  return {
    dropBeforeMs: nowMs - retentionMs,
    coarseBeforeMs: Math.floor((nowMs - tiers.fineMs) / tiers.coarseBucketMs) * tiers.coarseBucketMs,
    fineBeforeMs: Math.floor((nowMs - tiers.rawMs) / tiers.fineBucketMs) * tiers.fineBucketMs
  }
}

/** Two series (each oldest first) as one, oldest first; on equal times `a`'s come first. */
const mergeByTime = (a: ReadonlyArray<Sample>, b: ReadonlyArray<Sample>): Array<Sample> => {
  const out: Array<Sample> = new Array(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = (a[i] as Sample).atMs <= (b[j] as Sample).atMs ? (a[i++] as Sample) : (b[j++] as Sample)
  while (i < a.length) out[k++] = a[i++] as Sample
  while (j < b.length) out[k++] = b[j++] as Sample
  return out
}

/** `compact` of one series (oldest first), as every store applies it. */
export const compactSeries = (
  list: ReadonlyArray<Sample>,
  nowMs: number,
  tiers: Tiers
): { readonly series: Array<Sample>; readonly report: CompactionReport } => {
  const first = list[0]
  if (first === undefined) return { series: [], report: { folded: 0, buckets: 0, dropped: 0 } }
  const cut = cutoffs(nowMs, tiers, first.profile)
  const kept = list.filter((s) => s.atMs >= cut.dropBeforeMs)
  let folded = 0
  let buckets = 0
  const tier = (series: ReadonlyArray<Sample>, beforeMs: number, bucketMs: number) => {
    const take = series.filter((s) => s.atMs < beforeMs && spanOf(s) < bucketMs)
    if (take.length === 0) return [...series]
    const made = fold(take, bucketMs)
    folded += take.length
    buckets += made.length
    const rest = series.filter((s) => !(s.atMs < beforeMs && spanOf(s) < bucketMs))
    return mergeByTime(rest, made)
  }
  const coarse = tier(kept, cut.coarseBeforeMs, tiers.coarseBucketMs)
  const series = tier(coarse, cut.fineBeforeMs, tiers.fineBucketMs)
  return { series, report: { folded, buckets, dropped: list.length - kept.length } }
}

/** Per profile in the memory store; the oldest go first (≈ 10 weeks at one a minute, uncompacted). */
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
      delete: (profile) => Effect.sync(() => void series.delete(profile)),
      compact: (nowMs, tiers) =>
        Effect.suspend(() => {
          const all = { ...DEFAULT_TIERS, ...tiers }
          let folded = 0
          let buckets = 0
          let dropped = 0
          // A profile at a time, yielding between them: many long series do not hold the event loop at once.
          const one = (profile: ProfileKey) =>
            Effect.sync(() => {
              const list = series.get(profile)
              if (list === undefined) return
              const result = compactSeries(list, nowMs, all)
              folded += result.report.folded
              buckets += result.report.buckets
              dropped += result.report.dropped
              if (result.series.length === 0) series.delete(profile)
              else series.set(profile, result.series)
            })
          return Effect.map(Effect.forEach([...series.keys()], one, { discard: true }), () => ({ folded, buckets, dropped }))
        })
    })
  })

export const layerMemory = (options?: MemoryOptions): Layer.Layer<AnalyticsStore> => Layer.effect(AnalyticsStore, makeMemory(options))
