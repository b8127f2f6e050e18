/**
 * `AnalyticsStore` on Redis, shared by every instance: one sorted set per profile (`<prefix>analytics:series:<profile>`,
 * score `atMs`, member a compact JSON array of the sample) and the set of profiles that have one
 * (`<prefix>analytics:profiles`).
 *
 * - `record` is written behind: samples wait in process (at most `maxPending`, the oldest dropped) and go in
 *   one pipeline per flush (every `flushIntervalMs`, default 1 s, or as soon as `flushAt` are pending), so the
 *   refresh path pays no round trip. Every read, prune, delete and compaction flushes first, so it sees every
 *   sample recorded before it. A flush that fails (Redis away) keeps the samples for the next one.
 * - Identical samples (same time, same numbers) are one member: a sample recorded twice is stored once.
 * - `compact` applies core's tiers per profile: it reads what is older than the fine cut, computes the
 *   buckets with core's `compactSeries`, and swaps exactly the members it read for the buckets in one
 *   `MULTI` — a sample another instance adds meanwhile is never lost (it is folded by the next run), and two
 *   instances compacting at once write the same buckets.
 */
import { Duration, Effect, Layer, Schedule } from "effect"
import { AnalyticsStore, StoreError } from "@guildpulse/core"
import type { FreshnessState, PresenceSample, ProfileKey } from "@guildpulse/core"
import { downsampleMembers, isNum } from "./internal/downsampleMembers.js"
import { RedisConnection } from "./RedisConnection.js"

const STORE = "analytics"
export const DEFAULT_FLUSH_INTERVAL_MS = 1000
export const DEFAULT_FLUSH_AT = 1000
export const DEFAULT_MAX_PENDING = 100_000
/** Members per command when swapping a compacted range. */
const CHUNK = 5000

export interface RedisAnalyticsStoreOptions {
  readonly flushIntervalMs?: number
  /** Flush as soon as this many samples are pending. */
  readonly flushAt?: number
  /** Samples kept in process while Redis is away (the oldest dropped beyond). */
  readonly maxPending?: number
  /** The tiers `compact` applies by default (core's `DEFAULT_TIERS`). */
  readonly tiers?: Partial<AnalyticsStore.Tiers>
}

type Agg = readonly [number, number, number, number] | null
const states: ReadonlySet<string> = new Set<FreshnessState>(["fresh", "stale", "degraded", "demo", "unavailable"])

const agg = (a: AnalyticsStore.Aggregate | undefined): Agg => (a === undefined ? null : [a.min, a.max, a.avg, a.count])

/** `[atMs, state, online, members, boosts, presence [online, idle, dnd, size], bucket [span, count, fresh, online, members, boosts]]`. */
export const encode = (s: AnalyticsStore.Sample): string =>
  JSON.stringify([
    s.atMs,
    s.state,
    s.bucket === undefined ? s.online ?? null : null,
    s.bucket === undefined ? s.members ?? null : null,
    s.bucket === undefined ? s.boosts ?? null : null,
    s.presence === undefined ? null : [s.presence.online, s.presence.idle, s.presence.dnd, s.presence.sampleSize],
    s.bucket === undefined ? null : [s.bucket.spanMs, s.bucket.count, s.bucket.fresh, agg(s.bucket.online), agg(s.bucket.members), agg(s.bucket.boosts)]
  ])

const numOrNull = (v: unknown): v is number | null => v === null || isNum(v)

const four = (v: unknown): readonly [number, number, number, number] | undefined => {
  if (!Array.isArray(v) || v.length !== 4) return undefined
  const [a, b, c, d] = v as ReadonlyArray<unknown>
  return isNum(a) && isNum(b) && isNum(c) && isNum(d) ? [a, b, c, d] : undefined
}

const decodeAgg = (v: unknown): AnalyticsStore.Aggregate | undefined | false => {
  if (v === null) return undefined
  const n = four(v)
  return n === undefined ? false : { min: n[0], max: n[1], avg: n[2], count: n[3] }
}

/** The sample of a member, or `undefined` when it is not one (written by something else). */
export const decode = (profile: ProfileKey, member: string): AnalyticsStore.Sample | undefined => {
  let value: unknown
  try {
    value = JSON.parse(member)
  } catch {
    return undefined
  }
  if (!Array.isArray(value) || value.length !== 7) return undefined
  const [atMs, state, online, members, boosts, presence, bucket] = value as ReadonlyArray<unknown>
  if (!isNum(atMs) || typeof state !== "string" || !states.has(state) || !numOrNull(online) || !numOrNull(members) || !numOrNull(boosts)) return undefined
  let presenceSample: PresenceSample | undefined
  if (presence !== null) {
    const p = four(presence)
    if (p === undefined) return undefined
    presenceSample = { online: p[0], idle: p[1], dnd: p[2], sampleSize: p[3] }
  }
  const base = { profile, atMs, state: state as FreshnessState, ...(presenceSample !== undefined ? { presence: presenceSample } : {}) }
  if (bucket === null) {
    return {
      ...base,
      ...(online !== null ? { online } : {}),
      ...(members !== null ? { members } : {}),
      ...(boosts !== null ? { boosts } : {})
    }
  }
  if (!Array.isArray(bucket) || bucket.length !== 6) return undefined
  const [spanMs, count, fresh, oRaw, mRaw, bRaw] = bucket as ReadonlyArray<unknown>
  if (!isNum(spanMs) || !isNum(count) || !isNum(fresh)) return undefined
  const o = decodeAgg(oRaw)
  const m = decodeAgg(mRaw)
  const b = decodeAgg(bRaw)
  if (o === false || m === false || b === false) return undefined
  return {
    ...base,
    ...(o !== undefined ? { online: o.avg } : {}),
    ...(m !== undefined ? { members: m.avg } : {}),
    ...(b !== undefined ? { boosts: b.avg } : {}),
    bucket: {
      spanMs,
      count,
      fresh,
      ...(o !== undefined ? { online: o } : {}),
      ...(m !== undefined ? { members: m } : {}),
      ...(b !== undefined ? { boosts: b } : {})
    }
  }
}

const corrupt = (message: string) => new StoreError({ reason: "corrupt", store: STORE, message })

export const make = (options: RedisAnalyticsStoreOptions = {}) =>
  Effect.gen(function* () {
    const connection = yield* RedisConnection
    const { keys } = connection
    const storeTiers = { ...AnalyticsStore.DEFAULT_TIERS, ...options.tiers }
    const flushAt = options.flushAt ?? DEFAULT_FLUSH_AT
    const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING
    let pending: Array<AnalyticsStore.Sample> = []
    let dropped = 0

    const flush: Effect.Effect<void, StoreError> = Effect.suspend(() => {
      if (pending.length === 0) return Effect.void
      const taken = pending
      pending = []
      const byProfile = new Map<string, Array<string | number>>()
      for (const s of taken) {
        let args = byProfile.get(s.profile)
        if (args === undefined) byProfile.set(s.profile, (args = []))
        args.push(s.atMs, encode(s))
      }
      return connection
        .run(STORE, (client) => {
          const pipeline = client.pipeline()
          for (const [profile, args] of byProfile) pipeline.zadd(keys.analytics(profile), ...args)
          pipeline.sadd(keys.analyticsProfiles, ...byProfile.keys())
          return pipeline.exec()
        })
        .pipe(
          Effect.zipRight(Effect.suspend(() => {
            if (dropped === 0) return Effect.void
            const lost = dropped
            dropped = 0
            return Effect.logWarning(`${lost} analytics samples recorded while Redis was unreachable were dropped (buffer of ${maxPending})`)
          })),
          Effect.tapError(() =>
            Effect.sync(() => {
              // Kept for the next flush (older first), within the bound.
              pending = [...taken, ...pending]
              if (pending.length > maxPending) {
                dropped += pending.length - maxPending
                pending.splice(0, pending.length - maxPending)
              }
            }))
        )
    })

    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.catchAll(flush, () => Effect.void),
        Schedule.spaced(Duration.millis(options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS))
      )
    )
    yield* Effect.addFinalizer(() =>
      Effect.catchAll(flush, (error) => Effect.logWarning(`analytics samples not written at shutdown: ${error.message}`)))

    const readRange = (profile: ProfileKey, min: string, max: string) =>
      Effect.map(connection.run(STORE, (client) => client.zrangebyscore(keys.analytics(profile), min, max)), (members) => {
        const out: Array<AnalyticsStore.Sample> = []
        for (const member of members) {
          const sample = decode(profile, member)
          if (sample !== undefined) out.push(sample)
        }
        return { members, samples: out }
      })

    const profilesWithSeries = Effect.map(
      connection.run(STORE, (client) => client.smembers(keys.analyticsProfiles)),
      (list) => list.sort() as Array<ProfileKey>
    )

    const record = (sample: AnalyticsStore.Sample) =>
      Effect.suspend(() => {
        pending.push(sample)
        if (pending.length > maxPending) {
          dropped += 1
          pending.shift()
        }
        return pending.length >= flushAt ? Effect.catchAll(flush, () => Effect.void) : Effect.void
      })

    const query = (q: AnalyticsStore.SampleQuery) =>
      Effect.zipRight(
        flush,
        Effect.map(readRange(q.profile, String(q.fromMs), `(${q.toMs}`), (r) => r.samples)
      )

    // Downsampled here, not in a Lua script: see `downsampleMembers`.
    const downsampled = (q: AnalyticsStore.SampleQuery, maxPoints: number) =>
      Effect.zipRight(
        flush,
        Effect.map(
          connection.run(STORE, (client) => client.zrangebyscore(keys.analytics(q.profile), String(q.fromMs), `(${q.toMs}`)),
          (members) => downsampleMembers(q.profile, members, q.fromMs, maxPoints, decode)
        )
      )

    const prune = (beforeMs: number) =>
      Effect.gen(function* () {
        yield* flush
        const profiles = yield* profilesWithSeries
        if (profiles.length === 0) return 0
        const replies = yield* connection.run(STORE, (client) => {
          const pipeline = client.pipeline()
          for (const profile of profiles) pipeline.zremrangebyscore(keys.analytics(profile), "-inf", `(${beforeMs}`)
          return pipeline.exec()
        })
        return (replies ?? []).reduce((n, [, count]) => n + Number(count ?? 0), 0)
      })

    const deleteSeries = (profile: ProfileKey) =>
      Effect.gen(function* () {
        pending = pending.filter((s) => s.profile !== profile)
        yield* connection.run(STORE, (client) => client.multi().del(keys.analytics(profile)).srem(keys.analyticsProfiles, profile).exec())
      })

    const compactOne = (profile: ProfileKey, nowMs: number, tiers: AnalyticsStore.Tiers) =>
      Effect.gen(function* () {
        const cut = AnalyticsStore.cutoffs(nowMs, tiers, profile)
        const upTo = Math.max(cut.fineBeforeMs, cut.coarseBeforeMs, cut.dropBeforeMs)
        const { members, samples } = yield* readRange(profile, "-inf", `(${upTo}`)
        if (members.length === 0) return { folded: 0, buckets: 0, dropped: 0 }
        if (samples.length !== members.length) {
          yield* Effect.logWarning(`${members.length - samples.length} unreadable analytics members of ${profile} are left alone`)
        }
        const result = AnalyticsStore.compactSeries(samples, nowMs, tiers)
        if (result.report.folded === 0 && result.report.dropped === 0) return result.report
        const before = new Set(samples.map(encode))
        const after = new Map(result.series.map((s) => [encode(s), s.atMs] as const))
        const removed = [...before].filter((m) => !after.has(m))
        const added: Array<string | number> = []
        for (const [member, atMs] of after) if (!before.has(member)) added.push(atMs, member)
        yield* connection.run(STORE, (client) => {
          const multi = client.multi()
          for (let i = 0; i < removed.length; i += CHUNK) multi.zrem(keys.analytics(profile), ...removed.slice(i, i + CHUNK))
          for (let i = 0; i < added.length; i += 2 * CHUNK) multi.zadd(keys.analytics(profile), ...added.slice(i, i + 2 * CHUNK))
          return multi.exec()
        })
        return result.report
      })

    const compact = (nowMs: number, tiers?: Partial<AnalyticsStore.Tiers>) =>
      Effect.gen(function* () {
        const all = { ...storeTiers, ...tiers }
        const cut = AnalyticsStore.cutoffs(nowMs, all)
        if (![cut.dropBeforeMs, cut.coarseBeforeMs, cut.fineBeforeMs].every(Number.isSafeInteger)) return yield* corrupt("compaction time out of range")
        yield* flush
        let folded = 0
        let buckets = 0
        let droppedSamples = 0
        for (const profile of yield* profilesWithSeries) {
          const report = yield* compactOne(profile, nowMs, all)
          folded += report.folded
          buckets += report.buckets
          droppedSamples += report.dropped
        }
        return { folded, buckets, dropped: droppedSamples }
      })

    return AnalyticsStore.AnalyticsStore.of({ record, query, prune, delete: deleteSeries, compact, downsampled })
  })

export const layer = (options?: RedisAnalyticsStoreOptions): Layer.Layer<AnalyticsStore.AnalyticsStore, never, RedisConnection> =>
  Layer.scoped(AnalyticsStore.AnalyticsStore, make(options))
