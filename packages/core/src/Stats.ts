/**
 * `Stats.get`: the view of a profile's numbers. Fresh → served from the store; past ttl → served stale while
 * one background round revalidates; failing → last good snapshot as `degraded`; nothing yet → one
 * foreground round shared by every concurrent caller, then demo (if allowed) or `unavailable`.
 * Upstream trouble is never an error here — it is a state of the view.
 *
 * The warm path is span-free and allocation-light: it is the hot path of every page view.
 */
import { Clock, Context, Effect, Layer, Metric, Option } from "effect"
import * as CoreMetrics from "./CoreMetrics.js"
import { demoFieldsFor } from "./DemoSource.js"
import { ProfileNotFound, type ValidationError } from "./Errors.js"
import type { StoreError } from "./Errors.js"
import type { FieldProvenance } from "./GuildStats.js"
import type { Profile } from "./Profile.js"
import { ProfileRepository } from "./ProfileRepository.js"
import { Refresher } from "./Refresher.js"
import type { Snapshot } from "./Snapshot.js"
import { SnapshotStore } from "./SnapshotStore.js"
import * as Validation from "./Validation.js"
import {
  assembleView,
  freshnessOf,
  headlineFetchedAtMs,
  isServable,
  unavailableFreshness,
  viewBody,
  snapshotTimes,
  type SnapshotTimes,
  type StatsView,
  type ViewBody
} from "./StatsView.js"

export interface GetOptions {
  /** Refresh from upstream before answering (still single-flight). */
  readonly bypassCache?: boolean
}

export class Stats extends Context.Tag("@guildpulse/core/Stats")<
  Stats,
  {
    readonly get: (
      profile: string,
      options?: GetOptions
    ) => Effect.Effect<StatsView, ProfileNotFound | ValidationError | StoreError>
    /** The view for an already-loaded profile (skips the repository lookup). */
    readonly view: (profile: Profile, options?: GetOptions) => Effect.Effect<StatsView, StoreError>
    /**
     * Whether answering now would wait for Discord (a foreground refresh): nothing servable, the next attempt
     * is due, and no round is running to join. Lets an HTTP layer refuse only answers that cost upstream calls.
     */
    readonly needsUpstream: (profile: Profile) => Effect.Effect<boolean, StoreError>
  }
>() {}


/** The rule of `needsUpstream`, pure: no servable snapshot and the next attempt is due. */
export const foregroundRefreshDue = (snapshot: Snapshot | undefined, profile: Profile, nowMs: number): boolean =>
  snapshot === undefined || (!isServable(snapshot, profile, nowMs) && nowMs >= snapshot.nextRefreshAtMs)

export const make = Effect.gen(function* () {
  const profiles = yield* ProfileRepository
  const snapshots = yield* SnapshotStore
  const refresher = yield* Refresher
  // View bodies depend on the snapshot only; computing them once per snapshot keeps the warm path cheap.
  const rendered = new WeakMap<Snapshot, { readonly body: ViewBody; times: SnapshotTimes }>()
  const renderedOf = (snapshot: Snapshot, profile: Profile) => {
    let entry = rendered.get(snapshot)
    if (entry === undefined) {
      entry = {
        body: viewBody(snapshot.guildId, snapshot.fields, snapshot.provenance, snapshot.sources),
        times: snapshotTimes(snapshot, profile)
      }
      rendered.set(snapshot, entry)
    } else if (entry.times.ttlMs !== profile.refresh.ttlSeconds * 1000) {
      entry.times = snapshotTimes(snapshot, profile)
    }
    return entry
  }

  const servedView = (profile: Profile, snapshot: Snapshot, nowMs: number): StatsView => {
    const { body, times } = renderedOf(snapshot, profile)
    return assembleView(profile.key, body, freshnessOf(snapshot, profile, nowMs, times))
  }

  const fallbackView = (profile: Profile, snapshot: Snapshot | undefined, nowMs: number): StatsView => {
    // A profile whose every source is misconfigured gets no made-up numbers, whatever its fallback says.
    if (profile.fallback.demo === "when-empty" && snapshot?.round !== "parked") {
      const fields = demoFieldsFor(profile, nowMs)
      const provenance: Record<string, FieldProvenance> = {}
      for (const key of Object.keys(fields)) provenance[key] = { source: "demo", fetchedAtMs: nowMs }
      const demo = viewBody(profile.guildId, fields, provenance, snapshot?.sources ?? [])
      const unavailable = unavailableFreshness(snapshot, nowMs)
      return assembleView(profile.key, demo, {
        ...unavailable,
        state: "demo",
        fetchedAt: new Date(nowMs).toISOString(),
        ageSeconds: 0
      })
    }
    return assembleView(
      profile.key,
      viewBody(profile.guildId, {}, {}, snapshot?.sources ?? []),
      unavailableFreshness(snapshot, nowMs)
    )
  }

  const count = (view: StatsView) => Effect.as(Metric.increment(CoreMetrics.statsServedByState[view.freshness.state]), view)

  const view = (profile: Profile, options?: GetOptions): Effect.Effect<StatsView, StoreError> =>
    Effect.gen(function* () {
      if (options?.bypassCache === true) {
        const snapshot = yield* refresher.refreshProfile(profile)
        const now = yield* Clock.currentTimeMillis
        return yield* count(isServable(snapshot, profile, now) ? servedView(profile, snapshot, now) : fallbackView(profile, snapshot, now))
      }
      const snapshot = yield* currentSnapshot(profile)
      const now = yield* Clock.currentTimeMillis
      if (snapshot !== undefined && isServable(snapshot, profile, now)) {
        const expiresAtMs = headlineFetchedAtMs(snapshot)! + profile.refresh.ttlSeconds * 1000
        yield* Metric.increment(now < expiresAtMs ? CoreMetrics.cacheLookupsByResult.hit : CoreMetrics.cacheLookupsByResult.stale)
        // The next attempt is due (a scheduler may be late, stopped or elsewhere): one background round,
        // shared by every caller — never ahead of a backoff or an announced retry-after.
        if (now >= snapshot.nextRefreshAtMs) yield* refresher.revalidate(profile, { seenAttemptedAtMs: snapshot.attemptedAtMs })
        return yield* count(servedView(profile, snapshot, now))
      }
      yield* Metric.increment(CoreMetrics.cacheLookupsByResult.miss)
      if (foregroundRefreshDue(snapshot, profile, now)) {
        // Another instance may store its round while this one waits: that round answers this request too.
        const fresh = yield* refresher.refreshProfile(profile, { seenAttemptedAtMs: snapshot?.attemptedAtMs ?? null })
        const after = yield* Clock.currentTimeMillis
        return yield* count(isServable(fresh, profile, after) ? servedView(profile, fresh, after) : fallbackView(profile, fresh, after))
      }
      return yield* count(fallbackView(profile, snapshot, now))
    })

  const currentSnapshot = (profile: Profile) =>
    Effect.map(snapshots.get(profile.key), (stored) =>
      Option.isSome(stored) && stored.value.guildId === profile.guildId ? stored.value : undefined
    )

  return Stats.of({
    needsUpstream: (profile) =>
      Effect.gen(function* () {
        if (refresher.isRefreshing(profile.key)) return false
        const snapshot = yield* currentSnapshot(profile)
        return foregroundRefreshDue(snapshot, profile, yield* Clock.currentTimeMillis)
      }),
    get: (key, options) =>
      Effect.gen(function* () {
        const profile = yield* profiles.get(yield* Validation.profileKey(key))
        if (Option.isNone(profile)) return yield* new ProfileNotFound({ profile: key })
        return yield* view(profile.value, options)
      }),
    view
  })
})

export const layer: Layer.Layer<Stats, never, ProfileRepository | SnapshotStore | Refresher> = Layer.effect(Stats, make)
