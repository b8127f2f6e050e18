/**
 * Samples every profile's current numbers and freshness into the `AnalyticsStore` at a fixed cadence
 * (default once a minute). Regular sampling (rather than one sample per refresh) makes averages and the
 * "fresh data uptime" of the digest time-weighted. Reads snapshots only; never triggers a refresh.
 */
import { Clock, Duration, Effect, Layer, Option, Schedule } from "effect"
import { AnalyticsStore, ProfileRepository, SnapshotStore } from "@guildpulse/core"
import { freshnessNow } from "./Health.js"

export const DEFAULT_SAMPLE_EVERY_MS = 60_000

/** Records one sample per profile now; returns how many were recorded. */
export const sampleOnce = Effect.gen(function* () {
  const store = yield* AnalyticsStore.AnalyticsStore
  const profiles = yield* ProfileRepository.ProfileRepository
  const snapshots = yield* SnapshotStore.SnapshotStore
  const now = yield* Clock.currentTimeMillis
  const all = yield* Effect.orElseSucceed(profiles.list, () => [])
  let recorded = 0
  for (const profile of all) {
    const snapshot = Option.getOrUndefined(yield* Effect.orElseSucceed(snapshots.get(profile.key), () => Option.none()))
    const freshness = freshnessNow(profile, snapshot, now)
    const real = freshness.state !== "demo" && freshness.state !== "unavailable" && snapshot !== undefined
    const ok = yield* Effect.either(
      store.record({
        profile: profile.key,
        atMs: now,
        state: freshness.state,
        ...(real && snapshot.fields.online !== undefined ? { online: snapshot.fields.online } : {}),
        ...(real && snapshot.fields.members !== undefined ? { members: snapshot.fields.members } : {})
      })
    )
    if (ok._tag === "Right") recorded += 1
  }
  return recorded
})

export interface RecorderOptions {
  readonly everyMs?: number
  /** How long samples are kept (default `AnalyticsStore.DEFAULT_RETENTION_MS`, 90 days). */
  readonly retentionMs?: number
}

/**
 * Samples now and then every `everyMs` in a background fiber; once an hour compacts the store (core's
 * downsampling tiers: raw 48 h, 5-minute buckets to 30 days, hourly beyond, nothing past the retention).
 */
export const layer = (
  options: RecorderOptions = {}
): Layer.Layer<never, never, AnalyticsStore.AnalyticsStore | ProfileRepository.ProfileRepository | SnapshotStore.SnapshotStore> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const store = yield* AnalyticsStore.AnalyticsStore
      const every = Duration.millis(options.everyMs ?? DEFAULT_SAMPLE_EVERY_MS)
      const retentionMs = options.retentionMs ?? AnalyticsStore.DEFAULT_RETENTION_MS
      const compact = Effect.flatMap(Clock.currentTimeMillis, (now) => store.compact(now, { retentionMs }))
      yield* Effect.forkScoped(Effect.repeat(sampleOnce, Schedule.spaced(every)))
      yield* Effect.forkScoped(Effect.repeat(Effect.ignore(compact), Schedule.spaced(Duration.hours(1))))
    })
  )
